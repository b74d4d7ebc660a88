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

test("an outcome finds the first non-empty abort among the replies", () => {
    const outcome = toOutcome({
        op: "result",
        req: 1,
        id: "i",
        outcome: "replied",
        replies: [
            { hook: "a", instance: "1", reply_json: '{"abort":""}' },
            { hook: "b", instance: "2", reply_json: '{"abort":"no","score":3}' },
        ],
    });
    assert.equal(outcome.abort, "no");
    assert.equal(outcome.vetoed, true);
    assert.deepEqual(outcome.replies[1].data, { abort: "no", score: 3 });
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
    } finally {
        emitter.close();
    }
});

test("a hook needs a name and valid event names", () => {
    assert.throws(() => new Hook({ name: "", events: ["x"] }), TypeError);
    assert.throws(() => new Hook({ name: "h", events: [] }), TypeError);
    assert.throws(() => new Hook({ name: "h", events: ["bad name"] }), TypeError);
});
