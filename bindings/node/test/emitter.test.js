// Emitter against a real hookbusd: ids, outcomes, concurrency, verbatim payloads.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { Emitter, Subscriber, serve } from "../src/index.js";
import { Broker, brokerTestOptions, waitFor } from "./helpers/broker.js";

const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("Emitter", brokerTestOptions(), () => {
    let broker;
    let emitter;
    let hook;

    before(async () => {
        broker = new Broker();
        await broker.start();
        emitter = new Emitter({ dir: broker.dir });
        hook = await serve({
            name: "lint-guard",
            dir: broker.dir,
            handlers: {
                capture: () => ({
                    abort: "no captures on main",
                    score: 3,
                    tags: ["a", "b"],
                }),
                echo: (event) => ({ n: event.payload.n }),
                slow: () => undefined,
            },
        });
    });

    after(async () => {
        hook?.close();
        emitter?.close();
        await broker?.dispose();
    });

    test("emit resolves to a uuid4 event id", async () => {
        assert.match(await emitter.emit("capture", { path: "a.txt" }), UUID4);
    });

    test("emitAndWait returns the reply with abort, extra fields and hook name", async () => {
        const outcome = await emitter.emitAndWait(
            "capture",
            { path: "a.txt" },
            { timeout: 2000 },
        );
        assert.equal(outcome.status, "replied");
        assert.deepEqual(
            [outcome.abort, outcome.vetoed, outcome.replies[0].hook],
            ["no captures on main", true, "lint-guard"],
        );
        assert.deepEqual(outcome.replies[0].data, {
            abort: "no captures on main",
            score: 3,
            tags: ["a", "b"],
        });
    });

    test("emitAndWait times out when the hook does not answer", async () => {
        const outcome = await emitter.emitAndWait("slow", {}, { timeout: 200 });
        assert.equal(outcome.status, "timed_out");
        assert.match(outcome.id, UUID4);
    });

    test("emitAndWait reports no_hook at once for a name nobody answers", async () => {
        const started = Date.now();
        const outcome = await emitter.emitAndWait("nobody-home", {}, { timeout: 5000 });
        assert.equal(outcome.status, "no_hook");
        assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
    });

    test("200 concurrent waits on one emitter each get their own answer", async () => {
        const outcomes = await Promise.all(
            Array.from({ length: 200 }, (_, n) =>
                emitter.emitAndWait("echo", { n }, { timeout: 5000 }),
            ),
        );
        assert.ok(
            outcomes.every((o) => o.status === "replied"),
            "every wait replied",
        );
        assert.deepEqual(
            outcomes.map((o) => o.replies[0].data.n),
            [...Array(200).keys()],
        );
    });

    test("a string payload travels verbatim to a subscriber", async () => {
        const text = '{ "spaced" :  [1, 2.50, "\\u00e9"] }';
        const sub = new Subscriber({ events: ["verbatim"], dir: broker.dir });
        try {
            await waitFor(async () => (await emitter.stats()).subscriptions.verbatim, {
                what: "the subscription",
            });
            await emitter.emit("verbatim", text);
            const event = await sub.next(2000);
            assert.equal(event.payloadJson, text);
        } finally {
            sub.close();
        }
    });

    test("a broker error is a RefusedError carrying the wire code", async () => {
        const tooLong = new Emitter({ dir: broker.dir });
        try {
            const outcome = await tooLong.emitAndWait(
                "capture",
                {},
                { timeout: 3_600_000 },
            );
            assert.deepEqual(
                [outcome.status, outcome.error.code],
                ["refused", "bad_timeout"],
            );
        } finally {
            tooLong.close();
        }
    });

    test("stats reports the broker's run id", async () => {
        assert.equal((await emitter.stats()).run, broker.run);
    });
});
