// The hookbus Node client under the benchmark: emitAndWait() against hookbusd, where
// a C++ hookbus::Hook answers event "bench". Started by hookbus-bench (case node/ipc).
import { Emitter } from "../../bindings/node/src/index.js";

import { makePayload, parseArgs, runPhases } from "./common.mjs";

const args = parseArgs(process.argv.slice(2));
const emitter = new Emitter({ endpoint: args.emit });
const payload = makePayload();

async function once() {
    const outcome = await emitter.emitAndWait("bench", payload, { timeout: 5000 });
    if (outcome.status !== "replied") throw new Error(`emit ended ${outcome.status}`);
}

await runPhases(once, args);
emitter.close();
