// The msgpack codec of hookbus protocol version 2 (docs/protocol.md sections 2-7).
// Messages here are plain objects that use the wire's own field names
// (`payload_json`, `emitted_at`, timestamps as `[seconds, nanos]`), so that they
// compare directly with the conformance vectors in tests/vectors/. Encoders write the
// canonical form of section 2.1; decoders accept any key order and integer width and
// throw a ProtocolError carrying the code the broker would answer with.

import { Decoder, Encoder } from "@msgpack/msgpack";

import { ProtocolError } from "./errors.js";
import { scanMsgpack } from "./msgpack_scan.js";
import {
    PROTOCOL_VERSION,
    WELCOME_TOPIC,
    isValidEventName,
    isValidInstance,
} from "./protocol.js";

// ---- msgpack with the checks the protocol needs ------------------------------

/** A msgpack float, kept apart from integers so a float never passes as an int. */
export class WireFloat {
    constructor(value) {
        this.value = value;
    }
}

// The stock decoder turns float 1.0 into the number 1; the protocol's integers must
// be msgpack integers, so floats come back boxed and fail every integer check.
class StrictDecoder extends Decoder {
    readF32() {
        return new WireFloat(super.readF32());
    }

    readF64() {
        return new WireFloat(super.readF64());
    }
}

const decoder = new StrictDecoder();

// Every integer goes out in its shortest form and undefined never reaches the wire:
// encoders below build each map explicitly, so ignoreUndefined stays off and any
// stray undefined would show up as nil in the vectors test.
const encoder = new Encoder({ forceIntegerToFloat: false, useBigInt64: false });

function pack(map) {
    const bytes = encoder.encode(map);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Decodes one msgpack body that must be a map; throws ProtocolError(bad_message). */
export function unpackMap(body) {
    const problem = scanMsgpack(body);
    if (problem !== null)
        throw new ProtocolError("bad_message", `body is not msgpack: ${problem}`);
    let value;
    try {
        value = decoder.decode(body);
    } catch (error) {
        if (error instanceof ProtocolError) throw error;
        throw new ProtocolError("bad_message", `body is not msgpack: ${error.message}`);
    }
    if (!isPlainMap(value)) throw new ProtocolError("bad_message", "body is not a map");
    return value;
}

function isPlainMap(value) {
    return (
        typeof value === "object" &&
        value !== null &&
        !Array.isArray(value) &&
        !(value instanceof Uint8Array) &&
        !(value instanceof WireFloat)
    );
}

// ---- field readers -----------------------------------------------------------

// Reads fields out of a decoded map. `req` is attached to every error once known.
class Fields {
    constructor(map, what) {
        this.map = map;
        this.what = what;
        this.req = 0;
    }

    fail(code, message) {
        throw new ProtocolError(code, `${this.what}: ${message}`, this.req);
    }

    has(key) {
        return Object.hasOwn(this.map, key);
    }

    // Section 2: an optional key whose value is nil counts as absent.
    hasValue(key) {
        return this.has(key) && this.map[key] !== null;
    }

    str(key) {
        const value = this.map[key];
        if (!this.has(key)) this.fail("bad_field", `missing field "${key}"`);
        if (typeof value !== "string") this.fail("bad_field", `"${key}" must be a str`);
        return value;
    }

    optStr(key, fallback) {
        return this.hasValue(key) ? this.str(key) : fallback;
    }

    oneOf(key, values) {
        const value = this.str(key);
        if (!values.includes(value)) {
            this.fail("bad_field", `"${key}" must be ${values.map(quote).join(" or ")}`);
        }
        return value;
    }

    optOneOf(key, values) {
        return this.hasValue(key) ? this.oneOf(key, values) : undefined;
    }

    uint(key, max = Number.MAX_SAFE_INTEGER) {
        const value = this.map[key];
        if (!this.has(key)) this.fail("bad_field", `missing field "${key}"`);
        if (!isUint(value) || value > max) {
            this.fail("bad_field", `"${key}" must be an integer in 0..${max}`);
        }
        return value;
    }

    optUint(key, fallback) {
        return this.hasValue(key) ? this.uint(key) : fallback;
    }

    bool(key) {
        const value = this.map[key];
        if (!this.has(key)) this.fail("bad_field", `missing field "${key}"`);
        if (typeof value !== "boolean") this.fail("bad_field", `"${key}" must be a bool`);
        return value;
    }

    optBool(key, fallback) {
        return this.hasValue(key) ? this.bool(key) : fallback;
    }

    timestamp(key) {
        if (!this.has(key)) this.fail("bad_field", `missing field "${key}"`);
        const value = this.map[key];
        if (!isTimestamp(value)) {
            this.fail("bad_field", `"${key}" must be [seconds, nanoseconds]`);
        }
        return [value[0], value[1]];
    }

    optTimestamp(key) {
        return this.map[key] === null || !this.has(key) ? null : this.timestamp(key);
    }

    strArray(key) {
        const value = this.map[key];
        if (!this.has(key)) this.fail("bad_field", `missing field "${key}"`);
        if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
            this.fail("bad_field", `"${key}" must be an array of str`);
        }
        return [...value];
    }

    optStrArray(key) {
        return this.hasValue(key) ? this.strArray(key) : [];
    }

    mapArray(key) {
        const value = this.map[key];
        if (!this.has(key)) this.fail("bad_field", `missing field "${key}"`);
        if (!Array.isArray(value) || !value.every(isPlainMap)) {
            this.fail("bad_field", `"${key}" must be an array of maps`);
        }
        return value;
    }

    // `req` first, so that a later error can echo it whenever it reads as one, even
    // on the replies socket where it is no field; then `v`, then `op`.
    header({ withReq = false, ops = null } = {}) {
        if (this.has("req") && isUint(this.map.req)) this.req = this.map.req;
        if (!this.has("v")) this.fail("bad_field", 'missing field "v"');
        if (!isUint(this.map.v)) this.fail("bad_field", '"v" must be a positive integer');
        if (this.map.v !== PROTOCOL_VERSION) {
            this.fail("unsupported_version", `version ${this.map.v} is not supported`);
        }
        if (withReq) this.req = this.optUint("req", 0);
        if (ops === null) return null;
        const op = this.str("op");
        if (!ops.includes(op)) this.fail("unknown_op", `unknown op "${op}"`);
        return op;
    }
}

function quote(text) {
    return `"${text}"`;
}

function isUint(value) {
    return Number.isInteger(value) && value >= 0;
}

function isInt(value) {
    return Number.isInteger(value);
}

function isTimestamp(value) {
    return (
        Array.isArray(value) &&
        value.length === 2 &&
        isInt(value[0]) &&
        isUint(value[1]) &&
        value[1] <= 999_999_999
    );
}

function eventName(fields, key) {
    const name = fields.str(key);
    if (!isValidEventName(name)) fields.fail("bad_name", `bad event name "${name}"`);
    return name;
}

// ---- events socket -----------------------------------------------------------

/**
 * Encodes an event frame: topic, NUL, body. `event` holds `name` (the topic) and the
 * body fields `id`, `run`, `seq`, `emitted_at`, `deadline` (null: nobody waits),
 * `payload_json`.
 */
export function encodeEvent(event) {
    const body = pack({
        v: PROTOCOL_VERSION,
        id: event.id,
        run: event.run,
        seq: event.seq,
        emitted_at: event.emitted_at,
        deadline: event.deadline ?? null,
        payload_json: event.payload_json,
    });
    return frame(event.name, body);
}

/** Encodes the welcome frame: `$welcome`, NUL, body. */
export function encodeWelcome(welcome) {
    const body = pack({
        v: PROTOCOL_VERSION,
        run: welcome.run,
        started_at: welcome.started_at,
        max_msg_size: welcome.max_msg_size,
    });
    return frame(WELCOME_TOPIC, body);
}

function frame(topic, body) {
    return Buffer.concat([Buffer.from(topic, "utf8"), Buffer.from([0]), body]);
}

/**
 * Decodes one events-socket frame into `{kind: "welcome", v, run, started_at,
 * max_msg_size}` or `{kind: "event", name, v, id, run, seq, emitted_at, deadline,
 * payload_json}`.
 */
export function decodePublished(data) {
    const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data);
    const nul = bytes.indexOf(0);
    if (nul < 0)
        throw new ProtocolError("bad_message", "frame has no NUL after its topic");
    const topic = bytes.subarray(0, nul).toString("utf8");
    const body = bytes.subarray(nul + 1);
    if (topic === WELCOME_TOPIC) return decodeWelcomeBody(body);
    return decodeEventBody(topic, body);
}

function decodeWelcomeBody(body) {
    const fields = new Fields(unpackMap(body), "welcome");
    fields.header();
    return {
        kind: "welcome",
        v: PROTOCOL_VERSION,
        run: fields.uint("run"),
        started_at: fields.timestamp("started_at"),
        max_msg_size: fields.uint("max_msg_size"),
    };
}

function decodeEventBody(topic, body) {
    if (!isValidEventName(topic)) {
        throw new ProtocolError(
            "bad_name",
            `event topic "${topic}" is not an event name`,
        );
    }
    const fields = new Fields(unpackMap(body), `event ${topic}`);
    fields.header();
    return {
        kind: "event",
        name: topic,
        v: PROTOCOL_VERSION,
        id: fields.str("id"),
        run: fields.uint("run"),
        seq: fields.uint("seq"),
        emitted_at: fields.timestamp("emitted_at"),
        deadline: fields.optTimestamp("deadline"),
        payload_json: fields.str("payload_json"),
    };
}

// ---- replies socket ----------------------------------------------------------

/** Encodes `hello`: `{instance, hook, events, observe}`; an empty observe is left out. */
export function encodeHello(hello) {
    const map = {
        v: PROTOCOL_VERSION,
        op: "hello",
        instance: hello.instance,
        hook: hello.hook,
        events: hello.events ?? [],
    };
    if (hello.observe && hello.observe.length > 0) map.observe = hello.observe;
    return pack(map);
}

/** Encodes `reply`: `{id, hook, instance, reply_json}`; no instance is written "". */
export function encodeReply(reply) {
    return pack({
        v: PROTOCOL_VERSION,
        op: "reply",
        id: reply.id,
        hook: reply.hook,
        instance: reply.instance ?? "",
        reply_json: reply.reply_json,
    });
}

/** Encodes `bye`: `{instance}`. */
export function encodeBye(bye) {
    return pack({ v: PROTOCOL_VERSION, op: "bye", instance: bye.instance });
}

/** Encodes `hello_ok`: `{instance, run}`. */
export function encodeHelloOk(ok) {
    return pack({
        v: PROTOCOL_VERSION,
        op: "hello_ok",
        instance: ok.instance,
        run: ok.run,
    });
}

/** Encodes `reply_ack`: `{id, accepted, registered}`; registered only when false. */
export function encodeReplyAck(ack) {
    const map = {
        v: PROTOCOL_VERSION,
        op: "reply_ack",
        id: ack.id,
        accepted: ack.accepted,
    };
    if (ack.registered === false) map.registered = false;
    return pack(map);
}

/** Encodes `bye_ok`: `{instance}`. */
export function encodeByeOk(ok) {
    return pack({ v: PROTOCOL_VERSION, op: "bye_ok", instance: ok.instance });
}

/** Decodes a body a hook receives on the replies socket. */
export function decodeHookResponse(body) {
    const fields = new Fields(unpackMap(body), "hook response");
    const op = fields.header({
        withReq: true,
        ops: ["hello_ok", "reply_ack", "bye_ok", "error"],
    });
    fields.what = op;
    const base = { v: PROTOCOL_VERSION, op };
    if (op === "hello_ok") {
        return { ...base, instance: fields.str("instance"), run: fields.uint("run") };
    }
    if (op === "reply_ack") {
        const ack = { ...base, id: fields.str("id"), accepted: fields.bool("accepted") };
        // Absent means true; only the false case is kept, as the canonical form has it.
        if (!fields.optBool("registered", true)) ack.registered = false;
        return ack;
    }
    if (op === "bye_ok") return { ...base, instance: fields.str("instance") };
    return decodeErrorFields(fields, base);
}

/** Decodes a body the broker receives on the replies socket (hello, reply, bye). */
export function decodeHookRequest(body) {
    const fields = new Fields(unpackMap(body), "hook request");
    const op = fields.header({ ops: ["hello", "reply", "bye"] });
    fields.what = op;
    const base = { v: PROTOCOL_VERSION, op };
    if (op === "hello") {
        const hello = {
            ...base,
            instance: fields.str("instance"),
            hook: fields.str("hook"),
            events: fields.strArray("events"),
        };
        const observe = fields.optStrArray("observe");
        if (observe.length > 0) hello.observe = observe;
        checkHello(fields, hello, observe);
        return hello;
    }
    if (op === "reply") {
        const reply = {
            ...base,
            id: fields.str("id"),
            hook: fields.str("hook"),
            instance: fields.optStr("instance", ""),
            reply_json: fields.str("reply_json"),
        };
        checkReply(fields, reply);
        return reply;
    }
    return { ...base, instance: fields.str("instance") };
}

function checkHello(fields, hello, observe) {
    const hookBytes = Buffer.byteLength(hello.hook, "utf8");
    if (hookBytes < 1 || hookBytes > 128)
        fields.fail("bad_field", '"hook" must be 1..128 bytes');
    if (!isValidInstance(hello.instance)) {
        fields.fail("bad_field", '"instance" must be 1..64 of [A-Za-z0-9_-]');
    }
    for (const [key, names] of [["events", hello.events], ["observe", observe]]) {
        if (names.length > 1024)
            fields.fail("bad_field", `"${key}" holds over 1024 names`);
    }
    if (hello.events.length + observe.length < 1) {
        fields.fail("bad_field", '"events" and "observe" hold no name between them');
    }
    const bad = [...hello.events, ...observe].find((name) => !isValidEventName(name));
    if (bad !== undefined) fields.fail("bad_name", `bad event name "${bad}"`);
    const both = observe.find((name) => hello.events.includes(name));
    if (both !== undefined) {
        fields.fail("bad_field", `"${both}" is in both "events" and "observe"`);
    }
}

function checkReply(fields, reply) {
    if (reply.instance !== "" && !isValidInstance(reply.instance)) {
        fields.fail("bad_field", '"instance" must be empty or 1..64 of [A-Za-z0-9_-]');
    }
    let parsed;
    try {
        parsed = JSON.parse(reply.reply_json);
    } catch {
        fields.fail("bad_field", '"reply_json" is not JSON text');
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        fields.fail("bad_field", '"reply_json" must be a JSON object');
    }
}

// ---- emit socket -------------------------------------------------------------

/**
 * Encodes `emit`: `{req, name, payload_json, wait, timeout_ms, expect, on_failure}`;
 * `timeout_ms`, `expect` or `on_failure` undefined or null leaves it to the broker.
 */
export function encodeEmit(emit) {
    const map = {
        v: PROTOCOL_VERSION,
        op: "emit",
        req: emit.req ?? 0,
        name: emit.name,
        payload_json: emit.payload_json,
        wait: emit.wait ?? false,
    };
    if (emit.timeout_ms !== undefined && emit.timeout_ms !== null) {
        map.timeout_ms = emit.timeout_ms;
    }
    if (emit.expect !== undefined && emit.expect !== null) map.expect = emit.expect;
    if (emit.on_failure !== undefined && emit.on_failure !== null) {
        map.on_failure = emit.on_failure;
    }
    return pack(map);
}

/** Encodes `ready`: `{req, name, hooks, timeout_ms}`. */
export function encodeReady(ready) {
    return pack({
        v: PROTOCOL_VERSION,
        op: "ready",
        req: ready.req ?? 0,
        name: ready.name,
        hooks: ready.hooks,
        timeout_ms: ready.timeout_ms,
    });
}

/** Encodes a `stats` request: `{req}`. */
export function encodeStats(stats = {}) {
    return pack({ v: PROTOCOL_VERSION, op: "stats", req: stats.req ?? 0 });
}

/** Encodes `ack`: `{req, id, seq, emitted_at}`. */
export function encodeAck(ack) {
    return pack({
        v: PROTOCOL_VERSION,
        op: "ack",
        req: ack.req,
        id: ack.id,
        seq: ack.seq,
        emitted_at: ack.emitted_at,
    });
}

/**
 * Encodes `result`: `{req, id, outcome, replies: [{hook, instance, reply_json,
 * latency_us}], expect, on_failure, verdict, decided_by, vetoes: [{hook, instance,
 * reason}], missing: [{hook, instance, why}]}`.
 */
export function encodeResult(result) {
    return pack({
        v: PROTOCOL_VERSION,
        op: "result",
        req: result.req,
        id: result.id,
        outcome: result.outcome,
        replies: result.replies.map((answer) => ({
            hook: answer.hook,
            instance: answer.instance ?? "",
            reply_json: answer.reply_json,
            latency_us: answer.latency_us,
        })),
        expect: result.expect,
        on_failure: result.on_failure,
        verdict: result.verdict,
        decided_by: result.decided_by,
        vetoes: (result.vetoes ?? []).map((veto) => ({
            hook: veto.hook,
            instance: veto.instance ?? "",
            reason: veto.reason,
        })),
        missing: (result.missing ?? []).map((gone) => ({
            hook: gone.hook,
            instance: gone.instance ?? "",
            why: gone.why,
        })),
    });
}

/** Encodes `ready_ok`: `{req, name, ready, hooks}`. */
export function encodeReadyOk(ok) {
    return pack({
        v: PROTOCOL_VERSION,
        op: "ready_ok",
        req: ok.req,
        name: ok.name,
        ready: ok.ready,
        hooks: ok.hooks,
    });
}

/** Encodes `stats_ok`: `{req, stats}`; the stats map keeps the caller's key order. */
export function encodeStatsOk(ok) {
    return pack({ v: PROTOCOL_VERSION, op: "stats_ok", req: ok.req, stats: ok.stats });
}

/** Encodes `error`: `{req, code, message}`, plus `supported` for unsupported_version. */
export function encodeError(error) {
    const map = {
        v: PROTOCOL_VERSION,
        op: "error",
        req: error.req ?? 0,
        code: error.code,
        message: error.message,
    };
    if (error.code === "unsupported_version")
        map.supported = error.supported ?? [PROTOCOL_VERSION];
    return pack(map);
}

/** Decodes a body an emitter receives on the emit socket. */
export function decodeEmitResponse(body) {
    const fields = new Fields(unpackMap(body), "emit response");
    const op = fields.header({
        withReq: true,
        ops: ["ack", "result", "ready_ok", "stats_ok", "error"],
    });
    fields.what = op;
    const base = { v: PROTOCOL_VERSION, op, req: fields.req };
    if (op === "ack") {
        return {
            ...base,
            id: fields.str("id"),
            seq: fields.uint("seq"),
            emitted_at: fields.timestamp("emitted_at"),
        };
    }
    if (op === "result") return decodeResultFields(fields, base);
    if (op === "ready_ok") {
        return {
            ...base,
            name: fields.str("name"),
            ready: fields.bool("ready"),
            hooks: fields.uint("hooks"),
        };
    }
    if (op === "stats_ok") return { ...base, stats: decodeStats(fields) };
    return decodeErrorFields(fields, base);
}

/** The outcomes of a `result`. */
export const OUTCOMES = ["replied", "timed_out", "incomplete", "no_hook"];
/** Why an expected hook is missing from a result (section 13.2). */
export const MISSING_WHY = ["timed_out", "died", "left", "lagged"];
/** Reply policies (`expect`) and failure policies (`on_failure`). */
export const POLICIES = ["first", "all"];
export const ON_FAILURE = ["open", "closed"];

function decodeResultFields(fields, base) {
    const outcome = fields.str("outcome");
    if (!OUTCOMES.includes(outcome)) {
        fields.fail("bad_field", `unknown outcome "${outcome}"`);
    }
    const entries = (key, what, read) =>
        fields.mapArray(key).map((entry) => {
            const inner = new Fields(entry, what);
            inner.req = fields.req;
            return {
                hook: inner.str("hook"),
                instance: inner.optStr("instance", ""),
                ...read(inner),
            };
        });
    const replies = entries("replies", "result reply", (answer) => ({
        reply_json: answer.str("reply_json"),
        latency_us: answer.uint("latency_us"),
    }));
    // Required since reply policies: a result without them comes from an older
    // broker and must not pass for "allowed" (section 6.1).
    return {
        ...base,
        id: fields.str("id"),
        outcome,
        replies,
        expect: fields.oneOf("expect", POLICIES),
        on_failure: fields.oneOf("on_failure", ON_FAILURE),
        verdict: fields.oneOf("verdict", ["allowed", "vetoed"]),
        decided_by: fields.oneOf("decided_by", ["hook", "policy"]),
        vetoes: entries("vetoes", "result veto", (veto) => ({
            reason: veto.str("reason"),
        })),
        missing: entries("missing", "result missing", (gone) => ({
            why: gone.oneOf("why", MISSING_WHY),
        })),
    };
}

function decodeStats(fields) {
    const stats = fields.map.stats;
    if (!isPlainMap(stats)) fields.fail("bad_field", '"stats" must be a map');
    return unboxFloats(stats);
}

function unboxFloats(value) {
    if (value instanceof WireFloat) return value.value;
    if (Array.isArray(value)) return value.map(unboxFloats);
    if (isPlainMap(value)) {
        return Object.fromEntries(
            Object.entries(value).map(([k, v]) => [k, unboxFloats(v)]),
        );
    }
    return value;
}

function decodeErrorFields(fields, base) {
    const error = {
        ...base,
        req: fields.req,
        code: fields.str("code"),
        message: fields.str("message"),
    };
    if (fields.has("supported")) error.supported = unboxFloats(fields.map.supported);
    return error;
}

/** Decodes a body the broker receives on the emit socket (emit, ready, stats). */
export function decodeEmitRequest(body) {
    const fields = new Fields(unpackMap(body), "emit request");
    const op = fields.header({ withReq: true, ops: ["emit", "ready", "stats"] });
    fields.what = op;
    const base = { v: PROTOCOL_VERSION, op, req: fields.req };
    if (op === "stats") return base;
    if (op === "ready") return decodeReadyFields(fields, base);
    const emit = {
        ...base,
        name: fields.str("name"),
        payload_json: fields.str("payload_json"),
        wait: fields.optBool("wait", false),
    };
    if (fields.hasValue("timeout_ms")) emit.timeout_ms = fields.uint("timeout_ms");
    const expect = fields.optOneOf("expect", POLICIES);
    if (expect !== undefined) emit.expect = expect;
    const onFailure = fields.optOneOf("on_failure", ON_FAILURE);
    if (onFailure !== undefined) emit.on_failure = onFailure;
    if (!isValidEventName(emit.name))
        fields.fail("bad_name", `bad event name "${emit.name}"`);
    if (emit.timeout_ms === 0)
        fields.fail("bad_timeout", '"timeout_ms" must be at least 1');
    return emit;
}

function decodeReadyFields(fields, base) {
    const ready = { ...base, name: fields.str("name"), hooks: fields.uint("hooks") };
    if (ready.hooks < 1) fields.fail("bad_field", '"hooks" must be at least 1');
    if (!fields.hasValue("timeout_ms")) {
        fields.fail("bad_timeout", '"timeout_ms" is required for ready');
    }
    ready.timeout_ms = fields.uint("timeout_ms");
    if (!isValidEventName(ready.name))
        fields.fail("bad_name", `bad event name "${ready.name}"`);
    if (ready.timeout_ms === 0)
        fields.fail("bad_timeout", '"timeout_ms" must be at least 1');
    return ready;
}
