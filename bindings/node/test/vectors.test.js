// Conformance against tests/vectors/vectors.json, the byte-exact encodings shared by
// the C++, Python and Node suites. For every valid vector: decoding its hex gives
// exactly its `fields` (and, for events, its `topic`), and encoding `fields` gives
// back exactly its hex. For every malformed vector: the decoder of that socket and
// direction rejects it with the vector's expect_error code (and expect_req when
// given). That covers both the decoders a client runs (broker->hook, broker->emitter,
// broker->subscriber) and the request decoders, which this package also implements
// so that its notion of a valid request matches the broker's.

import assert from "node:assert/strict";
import { readFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import * as codec from "../src/codec.js";
import { ProtocolError } from "../src/errors.js";

const here = dirname(fileURLToPath(import.meta.url));
const vectorsPath = join(here, "..", "..", "..", "tests", "vectors", "vectors.json");

const decoders = {
    "events broker->subscriber": (bytes) => codec.decodePublished(bytes),
    "replies hook->broker": (bytes) => codec.decodeHookRequest(bytes),
    "replies broker->hook": (bytes) => codec.decodeHookResponse(bytes),
    "emit emitter->broker": (bytes) => codec.decodeEmitRequest(bytes),
    "emit broker->emitter": (bytes) => codec.decodeEmitResponse(bytes),
};

const encoders = {
    event: (v) => codec.encodeEvent({ name: v.topic, ...v.fields }),
    welcome: (v) => codec.encodeWelcome(v.fields),
    hello: (v) => codec.encodeHello(v.fields),
    reply: (v) => codec.encodeReply(v.fields),
    bye: (v) => codec.encodeBye(v.fields),
    hello_ok: (v) => codec.encodeHelloOk(v.fields),
    reply_ack: (v) => codec.encodeReplyAck(v.fields),
    bye_ok: (v) => codec.encodeByeOk(v.fields),
    emit: (v) => codec.encodeEmit(v.fields),
    ready: (v) => codec.encodeReady(v.fields),
    ready_ok: (v) => codec.encodeReadyOk(v.fields),
    stats: (v) => codec.encodeStats(v.fields),
    ack: (v) => codec.encodeAck(v.fields),
    result: (v) => codec.encodeResult(v.fields),
    stats_ok: (v) => codec.encodeStatsOk(v.fields),
    error: (v) => codec.encodeError(v.fields),
};

function loadVectors() {
    if (!existsSync(vectorsPath)) return [];
    return JSON.parse(readFileSync(vectorsPath, "utf8")).vectors;
}

function decoderFor(vector) {
    const decode = decoders[`${vector.socket} ${vector.direction}`];
    assert.ok(
        decode,
        `no decoder for socket ${vector.socket}, direction ${vector.direction}`,
    );
    return decode;
}

// Drops what decodePublished adds beyond the body's own keys: the frame's kind and,
// for an event, its topic.
function bodyFields(decoded) {
    if (decoded.kind === undefined) return decoded;
    const { kind, name, ...fields } = decoded;
    return fields;
}

const vectors = loadVectors();

test("the vectors file is present and not empty", () => {
    assert.ok(vectors.length > 0, `no vectors in ${vectorsPath}`);
});

for (const vector of vectors.filter((v) => v.valid !== false)) {
    test(`vector ${vector.name} decodes to its fields`, () => {
        const decoded = decoderFor(vector)(Buffer.from(vector.hex, "hex"));
        assert.deepEqual(bodyFields(decoded), vector.fields);
        if (vector.socket === "events")
            assert.equal(decoded.name ?? "$welcome", vector.topic);
    });

    test(`vector ${vector.name} re-encodes byte for byte`, () => {
        const encode = encoders[vector.kind];
        assert.ok(encode, `no encoder for kind ${vector.kind}`);
        assert.equal(encode(vector).toString("hex"), vector.hex);
    });
}

for (const vector of vectors.filter((v) => v.valid === false)) {
    test(`malformed vector ${vector.name} is refused with ${vector.expect_error}`, () => {
        const decode = decoderFor(vector);
        assert.throws(
            () => decode(Buffer.from(vector.hex, "hex")),
            (error) => {
                assert.ok(
                    error instanceof ProtocolError,
                    `not a ProtocolError: ${error}`,
                );
                assert.equal(error.code, vector.expect_error, error.message);
                if (vector.expect_req !== undefined)
                    assert.equal(error.req, vector.expect_req);
                return true;
            },
        );
    });
}
