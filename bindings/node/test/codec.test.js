// The codec's canonical form and strictness, beyond what the shared vectors pin.

import assert from "node:assert/strict";
import { test } from "node:test";

import * as codec from "../src/codec.js";
import { isValidEventName, isValidInstance } from "../src/protocol.js";

function codeOf(fn) {
    try {
        fn();
    } catch (error) {
        return error.code;
    }
    return "no error";
}

test("event names follow the grammar", () => {
    assert.ok(isValidEventName("git:pre-commit/v1.2_x-y"));
    assert.ok(isValidEventName("a".repeat(128)));
    for (const bad of ["", "-x", "$welcome", "a b", "a".repeat(129), "é", 3]) {
        assert.equal(isValidEventName(bad), false, JSON.stringify(bad));
    }
});

test("instances are 1..64 of [A-Za-z0-9_-]", () => {
    assert.ok(isValidInstance("3f2b8c1e-9a4d-4e7f-8b6a-1c2d3e4f5a6b"));
    assert.equal(isValidInstance("a".repeat(65)), false);
    assert.equal(isValidInstance("h/1"), false);
});

test("strings of 32..255 bytes use str8 and integers their shortest form", () => {
    const body = codec.encodeStats({ req: 0x10000 });
    assert.equal(body.toString("hex"), "83a17602a26f70a57374617473a3726571ce00010000");
    const emit = codec.encodeEmit({
        req: 1,
        name: "x",
        payload_json: `"${"a".repeat(40)}"`,
    });
    assert.ok(emit.includes(Buffer.from([0xd9, 42])));
});

test("an emit without timeout_ms leaves the key out", () => {
    const decoded = codec.decodeEmitRequest(
        codec.encodeEmit({ req: 2, name: "x", payload_json: "{}", wait: true }),
    );
    assert.equal("timeout_ms" in decoded, false);
});

test("keys are accepted in any order and integers in any width", () => {
    // {"op": "hello_ok", "run": uint64(5), "instance": "h1", "v": uint16(2)}
    const hex =
        "84a26f70a868656c6c6f5f6f6ba372756ecf0000000000000005a8696e7374616e6365a26831a176cd0002";
    const decoded = codec.decodeHookResponse(Buffer.from(hex, "hex"));
    assert.deepEqual(decoded, { v: 2, op: "hello_ok", instance: "h1", run: 5 });
});

test("unknown keys are ignored", () => {
    const body = Buffer.from(
        "84a17602a26f70a66279655f6f6ba8696e7374616e6365a26831a36e6577cb3ff8000000000000",
        "hex",
    );
    assert.deepEqual(codec.decodeHookResponse(body), {
        v: 2,
        op: "bye_ok",
        instance: "h1",
    });
});

test("a float where an integer belongs is bad_field", () => {
    // {"v": 1.0, "op": "bye_ok", "instance": "h1"}
    const hex = "83a176cb3ff0000000000000a26f70a66279655f6f6ba8696e7374616e6365a26831";
    assert.equal(
        codeOf(() => codec.decodeHookResponse(Buffer.from(hex, "hex"))),
        "bad_field",
    );
});

test("an integer map key is bad_message", () => {
    const hex = "83a17602a26f70a66279655f6f6b01a26831";
    assert.equal(
        codeOf(() => codec.decodeHookResponse(Buffer.from(hex, "hex"))),
        "bad_message",
    );
});

test("a reply_ack with accepted as an integer is bad_field", () => {
    const hex = "84a17602a26f70a97265706c795f61636ba26964a178a8616363657074656401";
    assert.equal(
        codeOf(() => codec.decodeHookResponse(Buffer.from(hex, "hex"))),
        "bad_field",
    );
});

test("an error response keeps a code this version does not know", () => {
    const body = codec.encodeError({
        req: 3,
        code: "rate_limited",
        message: "slow down",
    });
    assert.equal(codec.decodeEmitResponse(body).code, "rate_limited");
});

test("an event frame carries topic, NUL and body in one buffer", () => {
    const frame = codec.encodeEvent({
        name: "capture",
        id: "i",
        run: 1,
        seq: 1,
        emitted_at: [1, 2],
        deadline: null,
        payload_json: "{}",
    });
    assert.equal(frame.subarray(0, 8).toString("latin1"), "capture\0");
    assert.equal(codec.decodePublished(frame).name, "capture");
});

test("an emit leaves expect and on_failure to the broker unless given", () => {
    const decoded = codec.decodeEmitRequest(
        codec.encodeEmit({ req: 2, name: "x", payload_json: "{}", wait: true }),
    );
    assert.deepEqual(["expect" in decoded, "on_failure" in decoded], [false, false]);
    const given = codec.decodeEmitRequest(
        codec.encodeEmit({
            req: 2,
            name: "x",
            payload_json: "{}",
            wait: true,
            expect: "all",
            on_failure: "closed",
        }),
    );
    assert.deepEqual([given.expect, given.on_failure], ["all", "closed"]);
});

test("a hello leaves out an empty observe and a reply_ack a true registered", () => {
    const hello = codec.encodeHello({
        instance: "h",
        hook: "k",
        events: ["x"],
        observe: [],
    });
    assert.equal(hello.includes(Buffer.from("observe")), false);
    const ack = codec.encodeReplyAck({ id: "i", accepted: true, registered: true });
    assert.equal(ack.includes(Buffer.from("registered")), false);
    assert.equal("registered" in codec.decodeHookResponse(ack), false);
});

test("a result entry of each list is checked, with its req echoed", () => {
    const result = {
        req: 7,
        id: "",
        outcome: "no_hook",
        replies: [],
        expect: "first",
        on_failure: "closed",
        verdict: "vetoed",
        decided_by: "policy",
        vetoes: [{ hook: "", instance: "", reason: "none" }],
        missing: [],
    };
    assert.equal(codec.decodeEmitResponse(codec.encodeResult(result)).verdict, "vetoed");
    for (const broken of [
        { ...result, verdict: "maybe" },
        { ...result, decided_by: "luck" },
        { ...result, expect: "some" },
        { ...result, on_failure: "ajar" },
        { ...result, outcome: "replied", replies: [{ hook: "a", reply_json: "{}" }] },
    ]) {
        const body = codec.encodeResult(broken);
        let error;
        try {
            codec.decodeEmitResponse(body);
        } catch (caught) {
            error = caught;
        }
        assert.deepEqual(
            [error?.code, error?.req],
            ["bad_field", 7],
            JSON.stringify(broken),
        );
    }
});
