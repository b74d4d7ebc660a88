// Reply policies against a real hookbusd (docs/protocol.md section 13): first/all,
// open/closed, verdicts and their reasons, observers, readiness waits, the broker's
// per-name defaults, and a hook cut off for lagging that announces itself again.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { Emitter, Hook, serve } from "../src/index.js";
import { Broker, brokerTestOptions, waitFor } from "./helpers/broker.js";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Starts hooks from [name, handlers, options] triples and closes them after `body`.
async function withHooks(broker, specs, body) {
    const hooks = [];
    try {
        for (const [name, handlers, options = {}] of specs) {
            hooks.push(await serve({ name, dir: broker.dir, handlers, ...options }));
        }
        return await body(hooks);
    } finally {
        for (const hook of hooks) hook.close();
    }
}

const allow = () => ({});
const silent = () => undefined;

describe("Reply policies", brokerTestOptions(), () => {
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

    test("all: three hooks allow, the hooks decide, every reply is timed", async () => {
        const specs = ["a", "b", "c"].map((tag) => [`trio-${tag}`, { trio: allow }]);
        await withHooks(broker, specs, async (hooks) => {
            const outcome = await emitter.emitAndWait(
                "trio",
                {},
                { timeout: 3000, policy: "all" },
            );
            assert.equal(outcome.status, "replied");
            assert.deepEqual(
                [outcome.verdict, outcome.decidedBy, outcome.vetoed, outcome.abort],
                ["allowed", "hook", false, ""],
            );
            assert.deepEqual([outcome.policy, outcome.onFailure], ["all", "open"]);
            assert.deepEqual([outcome.vetoes, outcome.missing], [[], []]);
            assert.deepEqual(
                outcome.replies.map((r) => r.instance).sort(),
                hooks.map((h) => h.instance).sort(),
            );
            for (const reply of outcome.replies) {
                assert.ok(
                    Number.isInteger(reply.latencyUs) && reply.latencyUs > 0,
                    `latencyUs ${reply.latencyUs}`,
                );
            }
        });
    });

    test("all: one veto among three vetoes, with its hook and reason kept", async () => {
        const specs = [
            ["veto-a", { veto3: allow }],
            ["veto-b", { veto3: () => "key in diff" }],
            ["veto-c", { veto3: allow }],
        ];
        await withHooks(broker, specs, async (hooks) => {
            const outcome = await emitter.emitAndWait(
                "veto3",
                {},
                { timeout: 3000, policy: "all" },
            );
            assert.equal(outcome.status, "replied");
            assert.equal(outcome.replies.length, 3);
            assert.deepEqual(
                [outcome.verdict, outcome.decidedBy, outcome.vetoed, outcome.abort],
                ["vetoed", "hook", true, "key in diff"],
            );
            assert.deepEqual(outcome.vetoes, [
                { hook: "veto-b", instance: hooks[1].instance, reason: "key in diff" },
            ]);
            assert.deepEqual(outcome.missing, []);
        });
    });

    test("all + closed: a silent hook times out and the policy vetoes", async () => {
        const specs = [
            ["quiet-a", { quiet: allow }],
            ["quiet-b", { quiet: silent }],
            ["quiet-c", { quiet: allow }],
        ];
        await withHooks(broker, specs, async (hooks) => {
            const started = Date.now();
            const outcome = await emitter.emitAndWait(
                "quiet",
                {},
                { timeout: 300, policy: "all", onFailure: "closed" },
            );
            assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
            assert.equal(outcome.status, "timed_out");
            assert.deepEqual(
                [outcome.verdict, outcome.decidedBy, outcome.vetoed],
                ["vetoed", "policy", true],
            );
            assert.deepEqual([outcome.policy, outcome.onFailure], ["all", "closed"]);
            assert.deepEqual(outcome.missing, [
                { hook: "quiet-b", instance: hooks[1].instance, why: "timed_out" },
            ]);
            assert.equal(outcome.vetoes.length, 1);
            assert.deepEqual(
                [outcome.vetoes[0].hook, outcome.vetoes[0].instance],
                ["quiet-b", hooks[1].instance],
            );
            assert.ok(outcome.vetoes[0].reason.length > 0);
            assert.equal(outcome.abort, outcome.vetoes[0].reason);
            assert.deepEqual(outcome.replies.map((r) => r.hook).sort(), [
                "quiet-a",
                "quiet-c",
            ]);

            const open = await emitter.emitAndWait(
                "quiet",
                {},
                { timeout: 300, policy: "all", onFailure: "open" },
            );
            assert.equal(open.status, "timed_out");
            assert.deepEqual(
                [open.verdict, open.decidedBy, open.vetoed, open.abort],
                ["allowed", "policy", false, ""],
            );
            assert.deepEqual(open.vetoes, []);
            assert.deepEqual(open.missing.map((m) => [m.hook, m.why]), [
                ["quiet-b", "timed_out"],
            ]);
        });
    });

    test("an observer never counts, and still receives the event", async () => {
        const seen = [];
        const observer = await serve({
            name: "auditor",
            dir: broker.dir,
            observe: ["audited"],
            handlers: { audited: (event) => void seen.push(event) },
        });
        try {
            assert.deepEqual([observer.events, observer.observe], [[], ["audited"]]);
            const alone = await emitter.emitAndWait("audited", {}, { timeout: 2000 });
            assert.equal(alone.status, "no_hook");
            assert.deepEqual(
                (await emitter.waitReady("audited", { timeout: 100 })).hooks,
                0,
            );

            await withHooks(broker, [["answerer", { audited: allow }]], async () => {
                const started = Date.now();
                const outcome = await emitter.emitAndWait(
                    "audited",
                    { n: 1 },
                    { timeout: 3000, policy: "all" },
                );
                assert.ok(Date.now() - started < 2000, "the observer was not awaited");
                assert.equal(outcome.status, "replied");
                assert.deepEqual(
                    outcome.replies.map((r) => r.hook),
                    ["answerer"],
                );
                assert.deepEqual(outcome.missing, []);
                const event = await waitFor(() => seen.find((e) => e.id === outcome.id), {
                    what: "the observer to get the event",
                });
                assert.equal(event.observed, true);
                await assert.rejects(event.reply({}), TypeError);
            });

            const stats = await emitter.stats();
            const entry = stats.hooks.find((h) => h.instance === observer.instance);
            assert.deepEqual([entry?.events, entry?.observe], [[], ["audited"]]);
        } finally {
            observer.close();
        }
    });

    test("waitReady resolves once a hook started after the call is live", async () => {
        const started = Date.now();
        const waiting = emitter.waitReady("late", { hooks: 1, timeout: 5000 });
        await sleep(200);
        await withHooks(broker, [["late-hook", { late: allow }]], async () => {
            assert.deepEqual(await waiting, { ready: true, hooks: 1 });
            assert.ok(Date.now() - started < 4000, `took ${Date.now() - started} ms`);
            const outcome = await emitter.emitAndWait("late", {}, { timeout: 2000 });
            assert.equal(outcome.status, "replied");
        });
    });

    test("waitReady times out short of its count; observers do not count", async () => {
        const specs = [
            ["pair-one", { pair: allow }],
            ["pair-watch", { pair: silent }, { observe: ["pair"] }],
        ];
        await withHooks(broker, specs, async () => {
            const started = Date.now();
            const readiness = await emitter.waitReady("pair", { hooks: 2, timeout: 300 });
            const elapsed = Date.now() - started;
            assert.deepEqual(readiness, { ready: false, hooks: 1 });
            assert.ok(elapsed >= 250 && elapsed < 2000, `took ${elapsed} ms`);
        });
    });

    test("expect stays an alias of policy", async () => {
        const specs = [
            ["alias-a", { alias: allow }],
            ["alias-b", { alias: allow }],
        ];
        await withHooks(broker, specs, async () => {
            const outcome = await emitter.emitAndWait(
                "alias",
                {},
                { timeout: 3000, expect: "all" },
            );
            assert.deepEqual([outcome.status, outcome.policy], ["replied", "all"]);
            assert.equal(outcome.replies.length, 2);
        });
    });
});

describe("Per-name defaults of the broker", brokerTestOptions(), () => {
    let broker;
    let emitter;

    before(async () => {
        broker = new Broker(["--policy", "strict=all", "--on-failure", "strict=closed"]);
        await broker.start();
        emitter = new Emitter({ dir: broker.dir });
    });

    after(async () => {
        emitter?.close();
        await broker?.dispose();
    });

    test("an emit that names no policy gets the broker's for its name", async () => {
        const specs = [
            ["strict-yes", { strict: allow, loose: allow }],
            ["strict-mute", { strict: silent, loose: silent }],
        ];
        await withHooks(broker, specs, async (hooks) => {
            const strict = await emitter.emitAndWait("strict", {}, { timeout: 300 });
            assert.deepEqual([strict.policy, strict.onFailure], ["all", "closed"]);
            assert.deepEqual(
                [strict.status, strict.verdict, strict.decidedBy],
                ["timed_out", "vetoed", "policy"],
            );
            assert.deepEqual(strict.missing, [
                { hook: "strict-mute", instance: hooks[1].instance, why: "timed_out" },
            ]);

            // Each policy left out falls back on its own.
            const first = await emitter.emitAndWait(
                "strict",
                {},
                { timeout: 2000, policy: "first" },
            );
            assert.deepEqual([first.policy, first.onFailure], ["first", "closed"]);
            assert.deepEqual(
                [first.status, first.verdict, first.decidedBy],
                ["replied", "allowed", "hook"],
            );

            const loose = await emitter.emitAndWait("loose", {}, { timeout: 2000 });
            assert.deepEqual([loose.policy, loose.onFailure], ["first", "open"]);
            assert.deepEqual([loose.status, loose.verdict], ["replied", "allowed"]);
        });
    });

    test("stats lists the per-name defaults", async () => {
        const { policies } = await emitter.stats();
        assert.deepEqual(policies.strict, { expect: "all", on_failure: "closed" });
    });
});

describe("A hook cut off for lagging", brokerTestOptions(), () => {
    let broker;
    let emitter;

    before(async () => {
        broker = new Broker(["--max-owed", "1"]);
        await broker.start();
        emitter = new Emitter({ dir: broker.dir });
    });

    after(async () => {
        emitter?.close();
        await broker?.dispose();
    });

    test("settles its waits as lagged, then says hello again once", async () => {
        const hook = new Hook({ name: "laggard", events: ["owed"], dir: broker.dir });
        try {
            await hook.ready(5000);
            // Read the welcome now: the hook says hello on every welcome, and one
            // read later would re-register it before any reply_ack could tell.
            assert.equal(await hook.next(300), null);
            await hook.ready(5000);
            const started = Date.now();
            const outcomes = await Promise.all(
                [1, 2, 3].map((n) =>
                    emitter.emitAndWait("owed", { n }, { timeout: 5000 }),
                ),
            );
            assert.ok(Date.now() - started < 3000, "settled before the deadline");
            const lagged = outcomes.filter((o) => o.status === "incomplete");
            assert.ok(lagged.length >= 1, JSON.stringify(outcomes.map((o) => o.status)));
            for (const outcome of lagged) {
                assert.deepEqual(outcome.missing, [
                    { hook: "laggard", instance: hook.instance, why: "lagged" },
                ]);
            }
            assert.ok(
                outcomes.every((o) => ["incomplete", "no_hook"].includes(o.status)),
                JSON.stringify(outcomes.map((o) => o.status)),
            );

            // Answer every event it got at once: several acks say registered:
            // false, and the hook announces itself again only once.
            const events = [];
            for (let event; (event = await hook.next(500)) !== null; ) events.push(event);
            assert.ok(events.length >= 1);
            const accepted = await Promise.all(events.map((event) => event.reply({})));
            assert.ok(accepted.every((a) => a === false));
            await hook.ready(5000);
            assert.equal(hook.cutOffs, 1);
            assert.ok((await emitter.stats()).hooks_cut_off >= 1);

            // Counted again: a new wait reaches it and its answer is taken.
            const waiting = emitter.emitAndWait("owed", { n: 4 }, { timeout: 3000 });
            const event = await hook.next(3000);
            assert.equal(await event.reply({ ok: true }), true);
            const outcome = await waiting;
            assert.deepEqual([outcome.status, outcome.verdict], ["replied", "allowed"]);
        } finally {
            hook.close();
        }
    });
});
