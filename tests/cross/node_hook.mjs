// The Node side of the cross-language test; it behaves exactly as py_hook.py does
// (see there), building its replies like expected.py.
//
//     node node_hook.mjs NAME REPORT PAUSE_FILE

import { appendFileSync, existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

import { Hook, LaggedError } from "../../bindings/node/src/index.js";

// A small client-side queue, so that a paused hook loses events quickly.
const CLIENT_HWM = 4;

const [name, reportPath, pausePath] = process.argv.slice(2);
const write = (record) => appendFileSync(reportPath, JSON.stringify(record) + "\n");

// Mirrors reply_for() in expected.py.
function replyFor(hook, n) {
    return {
        abort: n % 2 ? `vetoed by ${hook}: ünïcödé ✋ #${n}` : "",
        n,
        hook,
        nested: { list: [1, 2.5, { deep: [null, true, false] }], empty: {} },
        text: 'héllo wörld, 日本語 🚀 "quoted" \\ back\tslash',
        number: -12345.678,
        big: 9007199254740991,
    };
}

let stopping = false;
process.on("SIGTERM", () => {
    stopping = true;
});

const hook = new Hook({
    name,
    events: ["cross.ask", "cross.flood"],
    highWaterMark: CLIENT_HWM,
});
try {
    await hook.ready(10000);
} catch (error) {
    write({ kind: "error", what: error.message });
    process.exit(1);
}
write({ kind: "ready" });

let paused = false;
while (!stopping) {
    if (existsSync(pausePath)) {
        if (!paused) write({ kind: "paused" });
        paused = true;
        await sleep(20);
        continue;
    }
    if (paused) write({ kind: "resumed" });
    paused = false;
    let event;
    try {
        event = await hook.next(100);
    } catch (error) {
        if (!(error instanceof LaggedError)) throw error;
        write({ kind: "lagged", name: error.eventName, missed: error.missed,
                restarted: error.restarted });
        continue;
    }
    if (event === null) continue;
    if (event.name === "cross.flood") {
        write({ kind: "event", name: event.name, seq: event.seq,
                sentinel: Boolean(event.payload.sentinel) });
        continue;
    }
    const n = event.payload.n;
    // A little jitter so that either language may answer first.
    await sleep(Math.random() * 15);
    const accepted = await event.reply({ ...replyFor(name, n), echo: event.payloadJson });
    write({ kind: "reply", id: event.id, n, hook: name, accepted });
}
hook.close();
