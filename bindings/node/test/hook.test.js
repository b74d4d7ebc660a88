// Hook against a real hookbusd: iteration, replies and their acks, handler form.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { Emitter, Hook, serve } from "../src/index.js";
import { Broker, brokerTestOptions, waitFor } from "./helpers/broker.js";

describe("Hook", brokerTestOptions(), () => {
    let broker;
    let emitter;

    before(async () => {
        broker = new Broker();
        await broker.start();
        emitter = new Emitter({ dir: broker.dir });
    });

    after(async () => {
        emitter?.close();
        await broker?.dispose();
    });

    async function withHook(options, body) {
        const hook = new Hook({ dir: broker.dir, ...options });
        try {
            await hook.ready(5000);
            return await body(hook);
        } finally {
            hook.close();
        }
    }

    test("an iterated event carries the wire fields in camelCase", async () => {
        await withHook({ name: "fields", events: ["fields"] }, async (hook) => {
            const waiting = emitter.emitAndWait("fields", { k: "v" }, { timeout: 2000 });
            const { value: event } = await hook[Symbol.asyncIterator]().next();
            assert.deepEqual(
                [event.name, event.seq, event.run, event.awaited, event.payload],
                ["fields", 1, broker.run, true, { k: "v" }],
            );
            assert.ok(event.deadline.seconds >= event.emittedAt.seconds);
            await event.reply();
            assert.equal((await waiting).status, "replied");
        });
    });

    test("the first reply is accepted and a second one refused", async () => {
        await withHook({ name: "twice", events: ["twice"] }, async (hook) => {
            const waiting = emitter.emitAndWait("twice", {}, { timeout: 2000 });
            const event = await hook.next(2000);
            assert.equal(await event.reply({ abort: "" }), true);
            assert.equal(await event.reply({ abort: "late" }), false);
            assert.equal((await waiting).vetoed, false);
        });
    });

    test("a fire-and-forget event arrives with no deadline and its reply is refused", async () => {
        await withHook({ name: "fnf", events: ["fnf"] }, async (hook) => {
            await emitter.emit("fnf", { x: 1 });
            const event = await hook.next(2000);
            assert.deepEqual([event.awaited, event.deadline], [false, null]);
            assert.equal(await event.reply({ abort: "x" }), false);
        });
    });

    test("next() returns null when nothing arrives within its timeout", async () => {
        await withHook({ name: "quiet", events: ["quiet"] }, async (hook) => {
            assert.equal(await hook.next(100), null);
        });
    });

    test("the handler form answers: a string is an abort reason", async () => {
        const hook = await serve({
            name: "veto",
            dir: broker.dir,
            handlers: {
                veto: (event) => `refusing ${event.payload.path}`,
            },
        });
        try {
            const outcome = await emitter.emitAndWait(
                "veto",
                { path: "x.env" },
                { timeout: 2000 },
            );
            assert.deepEqual(
                [outcome.abort, outcome.replies[0].hook],
                ["refusing x.env", "veto"],
            );
        } finally {
            hook.close();
        }
        await hook.done;
    });

    test("handle() plus run() answers with the returned object", async () => {
        const hook = new Hook({
            name: "runner",
            events: ["run-me"],
            dir: broker.dir,
        }).handle("run-me", async (event) => ({ doubled: event.payload.n * 2 }));
        const running = hook.run();
        try {
            await hook.ready();
            const outcome = await emitter.emitAndWait(
                "run-me",
                { n: 21 },
                { timeout: 2000 },
            );
            assert.deepEqual(outcome.replies[0].data, { doubled: 42 });
        } finally {
            hook.close();
        }
        await running;
    });

    test("an all wait collects one answer from each live hook", async () => {
        const answer = (tag) => ({ both: () => ({ tag }) });
        const first = await serve({
            name: "one",
            dir: broker.dir,
            handlers: answer("one"),
        });
        const second = await serve({
            name: "two",
            dir: broker.dir,
            handlers: answer("two"),
        });
        try {
            const outcome = await emitter.emitAndWait(
                "both",
                {},
                { timeout: 2000, expect: "all" },
            );
            assert.equal(outcome.status, "replied");
            assert.deepEqual(outcome.replies.map((r) => r.data.tag).sort(), [
                "one",
                "two",
            ]);
        } finally {
            first.close();
            second.close();
        }
    });

    test("a closed hook stops counting for waits", async () => {
        const hook = await serve({
            name: "leaving",
            dir: broker.dir,
            handlers: { leave: () => ({}) },
        });
        hook.close();
        const outcome = await waitFor(
            async () => {
                const o = await emitter.emitAndWait("leave", {}, { timeout: 200 });
                return o.status === "no_hook" && o;
            },
            { what: "the broker to forget the hook" },
        );
        assert.equal(outcome.status, "no_hook");
    });
});
