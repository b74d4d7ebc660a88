// Argument checks and outcome values of the Emitter, without a broker.

import assert from "node:assert/strict";
import { test } from "node:test";

import { Emitter, Hook } from "../src/index.js";
import { toOutcome, toPayloadJson } from "../src/emitter.js";

test("an object payload is stringified and a string one kept verbatim", () => {
    assert.equal(toPayloadJson({ a: 1 }), '{"a":1}');
    assert.equal(toPayloadJson('{ "a" : 1 }'), '{ "a" : 1 }');
    assert.equal(toPayloadJson(undefined), "{}");
});

test("a string payload that is not JSON is a TypeError", () => {
    assert.throws(() => toPayloadJson("{nope"), TypeError);
});

test("an outcome takes the broker's verdict and the first veto's reason", () => {
    const outcome = toOutcome({
        op: "result",
        req: 1,
        id: "i",
        outcome: "timed_out",
        replies: [
            { hook: "a", instance: "1", reply_json: '{"abort":""}', latency_us: 5 },
            {
                hook: "b",
                instance: "2",
                reply_json: '{"abort":"no","score":3}',
                latency_us: 7,
            },
        ],
        expect: "all",
        on_failure: "closed",
        verdict: "vetoed",
        decided_by: "hook",
        vetoes: [
            { hook: "b", instance: "2", reason: "no" },
            { hook: "c", instance: "3", reason: "hook c (instance 3) timed_out" },
        ],
        missing: [{ hook: "c", instance: "3", why: "timed_out" }],
    });
    assert.equal(outcome.abort, "no");
    assert.equal(outcome.vetoed, true);
    assert.deepEqual(outcome.replies[1].data, { abort: "no", score: 3 });
    assert.deepEqual(
        [outcome.verdict, outcome.decidedBy, outcome.policy, outcome.onFailure],
        ["vetoed", "hook", "all", "closed"],
    );
    assert.deepEqual(
        outcome.replies.map((r) => r.latencyUs),
        [5, 7],
    );
    assert.deepEqual(outcome.missing, [{ hook: "c", instance: "3", why: "timed_out" }]);
    assert.equal(outcome.vetoes.length, 2);
});

test("an allowed outcome has no abort, and a policy veto of no_hook is a veto", () => {
    const base = { op: "result", req: 1, replies: [], expect: "first", missing: [] };
    const allowed = toOutcome({
        ...base,
        id: "",
        outcome: "no_hook",
        on_failure: "open",
        verdict: "allowed",
        decided_by: "policy",
        vetoes: [],
    });
    assert.deepEqual([allowed.abort, allowed.vetoed], ["", false]);
    const closed = toOutcome({
        ...base,
        id: "",
        outcome: "no_hook",
        on_failure: "closed",
        verdict: "vetoed",
        decided_by: "policy",
        vetoes: [{ hook: "", instance: "", reason: "no live hook answers x" }],
    });
    assert.deepEqual(
        [closed.status, closed.vetoed, closed.abort],
        ["no_hook", true, "no live hook answers x"],
    );
});

test("an outcome without a result has no verdict and is not vetoed", () => {
    const outcome = toOutcome(null);
    assert.deepEqual(
        [outcome.verdict, outcome.decidedBy, outcome.vetoed, outcome.abort],
        [null, null, false, ""],
    );
    assert.deepEqual([outcome.vetoes, outcome.missing], [[], []]);
});

test("broker errors map to overloaded, shutting_down and refused", () => {
    const status = (code) =>
        toOutcome({ op: "error", req: 1, code, message: "m" }).status;
    assert.deepEqual(["overloaded", "shutting_down", "bad_name"].map(status), [
        "overloaded",
        "shutting_down",
        "refused",
    ]);
    assert.equal(toOutcome(null).status, "unreachable");
});

test("a bad event name is refused before anything is sent", async () => {
    const emitter = new Emitter({ endpoint: "ipc:///nonexistent/hookbus/emit" });
    try {
        await assert.rejects(emitter.emit("$nope", {}), TypeError);
        await assert.rejects(emitter.emitAndWait("x", {}, { timeout: 0 }), RangeError);
        await assert.rejects(emitter.emitAndWait("x", {}, { expect: "some" }), TypeError);
        await assert.rejects(emitter.emitAndWait("x", {}, { policy: "most" }), TypeError);
        await assert.rejects(
            emitter.emitAndWait("x", {}, { policy: "all", expect: "first" }),
            TypeError,
        );
        await assert.rejects(
            emitter.emitAndWait("x", {}, { onFailure: "shut" }),
            TypeError,
        );
        await assert.rejects(emitter.waitReady("x", { hooks: 0 }), RangeError);
        await assert.rejects(emitter.waitReady("x", { timeout: 0 }), RangeError);
        await assert.rejects(emitter.waitReady("bad name"), TypeError);
        assert.equal(emitter.inFlight, 0, "nothing was sent");
    } finally {
        emitter.close();
    }
});

test("a hook needs a name and valid event names", () => {
    assert.throws(() => new Hook({ name: "", events: ["x"] }), TypeError);
    assert.throws(() => new Hook({ name: "h", events: [] }), TypeError);
    assert.throws(() => new Hook({ name: "h", events: ["bad name"] }), TypeError);
});

test("observe takes valid names, none of them answered too", () => {
    assert.throws(() => new Hook({ name: "h", observe: [] }), TypeError);
    assert.throws(() => new Hook({ name: "h", observe: ["bad name"] }), TypeError);
    assert.throws(
        () => new Hook({ name: "h", events: ["x"], observe: ["x"] }),
        TypeError,
    );
    assert.throws(() => new Hook({ name: "h", observe: "x" }), TypeError);
});
