// Loss detection against a real hookbusd with a tiny send high-water mark: a hook
// that stops reading loses events, and the next event of that name reveals exactly
// how many (docs/protocol.md section 9).

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { Emitter, Hook, LaggedError } from "../src/index.js";
import { Broker, brokerTestOptions } from "./helpers/broker.js";

const FLOOD = 5000;
const PADDING = "x".repeat(1024);

describe("Lag", brokerTestOptions(), () => {
    let broker;
    let emitter;
    let hook;

    before(async () => {
        broker = new Broker(["--hwm", "4"]);
        await broker.start();
        emitter = new Emitter({ dir: broker.dir });
        hook = new Hook({
            name: "sleepy",
            events: ["flood"],
            dir: broker.dir,
            highWaterMark: 4,
        });
        await hook.ready();
    });

    after(async () => {
        hook?.close();
        emitter?.close();
        await broker?.dispose();
    });

    // Emits without reading, in batches so that the emit socket stays busy.
    async function flood(count) {
        for (let done = 0; done < count; done += 100) {
            await Promise.all(
                Array.from({ length: Math.min(100, count - done) }, () =>
                    emitter.emit("flood", { padding: PADDING }),
                ),
            );
        }
    }

    // Reads until `stop(event)` or a second of silence; every loss is checked
    // against the seq of the event that revealed it.
    async function drain(lastSeq, stop = () => false) {
        const seen = { delivered: 0, missed: 0, lags: [], lastSeq };
        for (;;) {
            let event;
            try {
                event = await hook.next(1000);
            } catch (error) {
                assert.ok(error instanceof LaggedError, `unexpected ${error}`);
                const revealing = await hook.next(0);
                assert.equal(
                    revealing.seq,
                    seen.lastSeq + error.missed + 1,
                    "missed = seq gap",
                );
                seen.lags.push(error);
                seen.missed += error.missed;
                event = revealing;
            }
            if (event === null) return seen;
            seen.delivered += 1;
            seen.lastSeq = event.seq;
            if (stop(event)) return seen;
        }
    }

    test("a hook that stops reading gets a LaggedError with the exact missed count", async () => {
        await flood(FLOOD);
        const backlog = await drain(0);
        await emitter.emit("flood", { last: true });
        const tail = await drain(backlog.lastSeq, (event) => event.payload.last);
        const lags = [...backlog.lags, ...tail.lags];
        assert.ok(
            lags.length >= 1 &&
                lags.every((lag) => lag.eventName === "flood" && !lag.restarted),
        );
        assert.equal(
            backlog.delivered + tail.delivered + backlog.missed + tail.missed,
            FLOOD + 1,
        );
        assert.equal(tail.lastSeq, FLOOD + 1);
    });
});
