// A stopping broker ends the waits it holds with shutting_down, and a request the
// emitter gave up on while no broker ran never reaches a broker that starts later.

import assert from "node:assert/strict";
import { test } from "node:test";

import { Emitter, Hook } from "../src/index.js";
import { Broker, brokerTestOptions } from "./helpers/broker.js";

test("a broker that stops ends a wait as shutting_down", brokerTestOptions(), async () => {
    const broker = new Broker();
    await broker.start();
    const emitter = new Emitter({ dir: broker.dir });
    // Ready but never answers, so the wait is still open when the broker stops.
    const hook = new Hook({ name: "sleepy", events: ["capture"], dir: broker.dir });
    try {
        await hook.ready();
        const waiting = emitter.emitAndWait("capture", {}, { timeout: 5000 });
        setTimeout(() => broker.stop(), 300);
        const outcome = await waiting;
        assert.equal(outcome.status, "shutting_down");
    } finally {
        hook.close();
        emitter.close();
        await broker.dispose();
    }
});

test(
    "a wait given up on never reaches a broker started later",
    brokerTestOptions(),
    async () => {
        const broker = new Broker();
        const emitter = new Emitter({ dir: broker.dir, grace: 100 });
        try {
            const lost = await emitter.emitAndWait("capture", {}, { timeout: 100 });
            assert.equal(lost.status, "unreachable");
            await broker.start();
            await emitter.emit("capture", {}); // the same emitter works again
            const stats = await emitter.stats();
            // Had the lost wait arrived, the broker would have answered it no_hook.
            assert.deepEqual([stats.no_hook, stats.events_emitted], [0, 1]);
        } finally {
            emitter.close();
            await broker.dispose();
        }
    },
);
