// NATS's own Node client (npm "nats"), for a same-language comparison with the
// hookbus Node client: request() against a C responder on subject "bench.req".
// Started by hookbus-bench (case nats-node/tcp); install with `npm ci` here first.
import { connect } from "nats";

import { makePayload, parseArgs, runPhases } from "./common.mjs";

const args = parseArgs(process.argv.slice(2).filter((a) => a !== "--asap"));
const nc = await connect({ servers: args.url.replace("nats://", "") });
const payload = new TextEncoder().encode(makePayload());

async function once() {
    await nc.request("bench.req", payload, { timeout: 5000 });
}

await runPhases(once, args);
await nc.close();
