// An audit listener: appends every event it sees (all names, or only the names
// given) to a JSON-lines file. It never answers, so it is a Subscriber rather than
// a Hook: emitters never wait for it, and it cannot veto anything. Lost events
// (the listener fell behind the broker) are written as a line of their own.
//
//     node examples/node/audit_hook.mjs audit.jsonl [NAME...]

import { appendFileSync } from "node:fs";

// The binding from this checkout; after `npm install .../bindings/node`,
// import from "hookbus" instead.
import { Subscriber } from "../../bindings/node/src/index.js";

const [file, ...names] = process.argv.slice(2);
if (!file) {
    console.error("usage: node audit_hook.mjs FILE [EVENT_NAME...]");
    process.exit(2);
}

function isoTime({ seconds, nanos }) {
    return new Date(seconds * 1000 + Math.floor(nanos / 1e6)).toISOString();
}

// The payload as an object when it parses, else the emitter's text as it came.
function payloadOf(event) {
    try {
        return event.payload;
    } catch {
        return event.payloadJson;
    }
}

function append(record) {
    appendFileSync(file, JSON.stringify(record) + "\n");
}

const subscriber = new Subscriber({
    events: names,
    onLagged: (lag) =>
        append({ lost: lag.missed, name: lag.eventName, restarted: lag.restarted }),
});
let stopping = false;
const stop = () => {
    stopping = true;
    subscriber.close();
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

// next() with a timeout rather than `for await`, so that the first welcome (the
// connection is up) can be announced before any event arrives.
let announced = false;
for (;;) {
    const event = await subscriber.next(250);
    if (!announced && subscriber.runId !== 0) {
        announced = true;
        const what = names.length ? names.join(", ") : "every event";
        console.log(`audit_hook: appending ${what} to ${file}`);
    }
    if (event === null) {
        if (stopping) break;
        continue;
    }
    append({
        name: event.name,
        id: event.id,
        seq: event.seq,
        emitted_at: isoTime(event.emittedAt),
        awaited: event.awaited,
        payload: payloadOf(event),
    });
}
