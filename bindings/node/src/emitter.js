// The emitter: asks the broker to publish an event, and optionally waits for hook
// answers (docs/protocol.md section 6). One DEALER carries any number of requests
// in flight; each gets a `req` number, and one receive loop settles the matching
// promise. Every request is bounded by the client's own clock, so a missing broker
// reads as "unreachable" instead of a hang (section 10).

import * as zmq from "zeromq";

import {
    ON_FAILURE,
    POLICIES,
    decodeEmitResponse,
    encodeEmit,
    encodeReady,
    encodeStats,
} from "./codec.js";
import {
    BrokerUnreachableError,
    ClosedError,
    ProtocolError,
    RefusedError,
} from "./errors.js";
import { DEFAULT_MAX_MSG_SIZE, isValidEventName, resolveEndpoints } from "./protocol.js";
import { curveSocketOptions } from "./keys.js";
import { SEND_SLICE_MS, SendQueue, TIMED_OUT, receiveWithin } from "./sockets.js";

/** Timeout of emitAndWait() when the caller gives none, in milliseconds. */
export const DEFAULT_WAIT_TIMEOUT = 5000;

/** Timeout of waitReady() when the caller gives none, in milliseconds. */
export const DEFAULT_READY_TIMEOUT = 5000;

/**
 * Talks to a broker's emit socket.
 *
 *     const emitter = new Emitter();
 *     const outcome = await emitter.emitAndWait("capture", { path: "a.txt" },
 *         { timeout: 2000 });
 *     if (outcome.vetoed) return;  // a hook said no, or the failure policy did
 */
export class Emitter {
    constructor({
        endpoint,
        dir,
        grace = 500,
        requestTimeout = 5000,
        maxMsgSize = DEFAULT_MAX_MSG_SIZE,
        curve,
    } = {}) {
        this.endpoint = endpoint ?? resolveEndpoints({}, dir).emit;
        this.grace = grace;
        this.requestTimeout = requestTimeout;
        this.maxMsgSize = maxMsgSize;
        this.curve = curve;
        this.pending = new Map();
        this.nextReq = 1;
        // The socket the receive loop is reading, or null when none runs.
        this.receivingOn = null;
        this.closed = false;
        this.openSocket();
        /** Responses that did not follow the protocol or matched no request. */
        this.malformed = 0;
    }

    /**
     * Publishes an event without waiting for hooks; resolves to its id. Rejects
     * with BrokerUnreachableError or RefusedError (`code` says why), and TypeError
     * for a bad name or payload.
     */
    async emit(name, payload) {
        const req = this.takeReq();
        const body = this.checkSize(
            encodeEmit({
                req,
                name: checkName(name),
                payload_json: toPayloadJson(payload),
                wait: false,
            }),
        );
        const response = await this.request(req, body, this.requestTimeout);
        return expectOp(response, "ack", this.requestTimeout).id;
    }

    /**
     * Publishes an event and waits for the answer(s) until `timeout` ms pass.
     * `policy` (alias `expect`) is the reply policy: the first answer wins
     * (`"first"`), or one from every hook live for the name (`"all"`); `onFailure`
     * says whether a missing answer vetoes (`"closed"`) or not (`"open"`). Either
     * left out is the broker's default for the name (protocol section 13.3).
     * Resolves to an Outcome; every ending, "unreachable" included, is a value.
     */
    async emitAndWait(name, payload, options = {}) {
        const { timeout = DEFAULT_WAIT_TIMEOUT, onFailure } = options;
        checkMs("timeout", timeout);
        const policy = pickPolicy(options);
        if (!isUnset(onFailure) && !ON_FAILURE.includes(onFailure))
            throw new TypeError('onFailure is "open" or "closed" (or left out)');
        const req = this.takeReq();
        const body = this.checkSize(
            encodeEmit({
                req,
                name: checkName(name),
                payload_json: toPayloadJson(payload),
                wait: true,
                timeout_ms: timeout,
                expect: policy,
                on_failure: onFailure,
            }),
        );
        const outcome = toOutcome(await this.request(req, body, timeout + this.grace));
        return onFailure === "closed" ? failClosed(outcome) : outcome;
    }

    /**
     * Waits until at least `hooks` live hooks answer `name` (observers do not
     * count), at most `timeout` ms (protocol section 6.2). Resolves to `{ready,
     * hooks}`: whether the count was reached and how many hooks answer the name.
     * Rejects with BrokerUnreachableError when no response comes within timeout
     * plus grace, and RefusedError when the broker refuses the request.
     */
    async waitReady(name, { hooks = 1, timeout = DEFAULT_READY_TIMEOUT } = {}) {
        if (!Number.isInteger(hooks) || hooks < 1)
            throw new RangeError("hooks is a whole number, at least 1");
        checkMs("timeout", timeout);
        const req = this.takeReq();
        const body = encodeReady({
            req,
            name: checkName(name),
            hooks,
            timeout_ms: timeout,
        });
        const deadline = timeout + this.grace;
        const response = expectOp(
            await this.request(req, body, deadline),
            "ready_ok",
            deadline,
        );
        return { ready: response.ready, hooks: response.hooks };
    }

    /** The broker's counters (section 6.2). Rejects like emit(). */
    async stats() {
        const req = this.takeReq();
        const response = await this.request(
            req,
            encodeStats({ req }),
            this.requestTimeout,
        );
        return expectOp(response, "stats_ok", this.requestTimeout).stats;
    }

    /** Number of requests still waiting for the broker. */
    get inFlight() {
        return this.pending.size;
    }

    /** Closes the socket; requests still in flight reject with ClosedError. */
    close() {
        if (this.closed) return;
        this.closed = true;
        this.socket.close();
        for (const entry of this.pending.values()) {
            clearTimeout(entry.timer);
            entry.reject(new ClosedError("emitter"));
        }
        this.pending.clear();
    }

    // ---- internals -----------------------------------------------------------

    // Not `immediate`: with it libzmq drops responses not yet read when the
    // connection goes, a stopping broker's shutting_down among them. A request
    // queued while no broker is connected is instead kept from reaching a broker
    // that starts later by renewSocket(), once nothing is in flight.
    openSocket() {
        this.socket = new zmq.Dealer({
            linger: 0,
            sendTimeout: SEND_SLICE_MS,
            ...curveSocketOptions(this.curve),
        });
        this.socket.connect(this.endpoint);
        this.sender = new SendQueue(this.socket);
    }

    // Replaces the socket after a request was given up on, so that the requests
    // still queued in it die with it.
    renewSocket() {
        if (this.closed) return;
        this.socket.close();
        this.openSocket();
    }

    takeReq() {
        if (this.closed) throw new ClosedError("emitter");
        const req = this.nextReq;
        this.nextReq = req >= Number.MAX_SAFE_INTEGER ? 1 : req + 1;
        return req;
    }

    checkSize(body) {
        if (body.length > this.maxMsgSize) {
            throw new RangeError(
                `request of ${body.length} bytes exceeds the broker's ` +
                    `limit of ${this.maxMsgSize}`,
            );
        }
        return body;
    }

    // Resolves to the decoded response, or null when the client deadline passed.
    request(req, body, deadlineMs) {
        const response = new Promise((resolve, reject) => {
            const timer = setTimeout(() => {
                this.pending.delete(req);
                if (this.pending.size === 0) this.renewSocket();
                resolve(null);
            }, deadlineMs);
            this.pending.set(req, { resolve, reject, timer });
            this.sender
                .send([Buffer.alloc(0), body], () => this.pending.has(req))
                .catch(() => undefined);
        });
        if (this.receivingOn !== this.socket) this.receiveLoop(this.socket);
        return response;
    }

    // Runs while requests are pending on `socket`, so that an idle emitter keeps no
    // receive open and does not hold the process alive.
    async receiveLoop(socket) {
        this.receivingOn = socket;
        const stop = () =>
            this.closed || this.socket !== socket || this.pending.size === 0;
        let failed = false;
        try {
            while (!stop()) {
                const frames = await receiveWithin(socket, Infinity, stop);
                if (frames === null) break;
                if (frames !== TIMED_OUT) this.dispatch(frames);
            }
        } catch {
            // The socket failed or was renewed; the client deadlines settle the rest.
            failed = true;
        }
        if (this.receivingOn !== socket) return;
        this.receivingOn = null;
        // A request made while this loop was ending would have no reader.
        if (!failed && !this.closed && this.pending.size > 0) {
            this.receiveLoop(this.socket);
        }
    }

    dispatch(frames) {
        let response;
        try {
            if (frames.length !== 2 || frames[0].length !== 0)
                throw new Error("bad frames");
            response = decodeEmitResponse(frames[1]);
        } catch (error) {
            this.malformed += 1;
            // A response that names its request but breaks the protocol (a result
            // from a broker that predates reply policies, say) settles that request
            // with the error at once, rather than as "unreachable" later.
            if (!(error instanceof ProtocolError) || !this.pending.has(error.req)) return;
            response = { op: "invalid", req: error.req, error };
        }
        const entry = this.pending.get(response.req);
        if (!entry) {
            // Late (after its client deadline) or never asked for.
            this.malformed += 1;
            return;
        }
        this.pending.delete(response.req);
        clearTimeout(entry.timer);
        entry.resolve(response);
    }
}

/** The JSON text of a payload: a string is sent verbatim, anything else stringified. */
export function toPayloadJson(payload) {
    if (typeof payload === "string") {
        try {
            JSON.parse(payload);
        } catch {
            throw new TypeError(
                "a string payload must be JSON text (it is sent verbatim)",
            );
        }
        return payload;
    }
    const text = JSON.stringify(payload === undefined ? {} : payload);
    if (text === undefined) throw new TypeError("the payload cannot be turned into JSON");
    return text;
}

function checkName(name) {
    if (!isValidEventName(name)) {
        throw new TypeError(
            `bad event name ${JSON.stringify(name)}: ` +
                "expected [A-Za-z0-9_][A-Za-z0-9_.:/-]{0,127}",
        );
    }
    return name;
}

function checkMs(what, value) {
    if (!Number.isInteger(value) || value < 1) {
        throw new RangeError(`${what} is a whole number of milliseconds, at least 1`);
    }
}

function isUnset(value) {
    return value === undefined || value === null;
}

// `policy` is the user-facing name of the wire's `expect`; `expect` stays as an
// alias. Undefined leaves the reply policy to the broker.
function pickPolicy({ policy, expect }) {
    if (!isUnset(policy) && !isUnset(expect) && policy !== expect) {
        throw new TypeError(
            `policy ${JSON.stringify(policy)} and expect ${JSON.stringify(expect)} ` +
                "disagree; expect is an alias of policy, give one",
        );
    }
    const chosen = isUnset(policy) ? expect : policy;
    if (isUnset(chosen)) return undefined;
    if (!POLICIES.includes(chosen))
        throw new TypeError('policy is "first" or "all" (or left out)');
    return chosen;
}

function expectOp(response, op, deadlineMs) {
    if (response === null) {
        throw new BrokerUnreachableError(
            `no response from the broker within ${deadlineMs} ms; ` +
                "is hookbusd running?",
        );
    }
    if (response.op === "invalid") throw response.error;
    if (response.op === "error")
        throw new RefusedError(response.code, response.message, response.req);
    if (response.op !== op) {
        throw new RefusedError(
            "bad_message",
            `expected ${op}, got ${response.op}`,
            response.req,
        );
    }
    return response;
}

const STATUS_OF_ERROR = { overloaded: "overloaded", shutting_down: "shutting_down" };

/** Turns a decoded response (or null: no response) into an Outcome. */
export function toOutcome(response) {
    if (response === null) {
        return failedOutcome("unreachable", {
            code: "unreachable",
            message: "no response from the broker within the timeout plus grace",
        });
    }
    if (response.op === "result") return resultOutcome(response);
    if (response.op === "error") {
        const status = STATUS_OF_ERROR[response.code] ?? "refused";
        return failedOutcome(status, { code: response.code, message: response.message });
    }
    if (response.op === "invalid") {
        return failedOutcome("refused", {
            code: response.error.code,
            message: `the broker's response breaks the protocol: ${
                response.error.message
            }`,
        });
    }
    return failedOutcome("refused", {
        code: "bad_message",
        message: `expected result, got ${response.op}`,
    });
}

// The broker decided: its verdict, with every veto and missing hook it names.
function resultOutcome(result) {
    const replies = result.replies.map((answer) => ({
        hook: answer.hook,
        instance: answer.instance,
        data: parseObject(answer.reply_json),
        raw: answer.reply_json,
        latencyUs: answer.latency_us,
    }));
    const vetoes = (result.vetoes ?? []).map(({ hook, instance, reason }) => ({
        hook,
        instance,
        reason,
    }));
    const missing = (result.missing ?? []).map(({ hook, instance, why }) => ({
        hook,
        instance,
        why,
    }));
    return {
        status: result.outcome,
        id: result.id,
        replies,
        verdict: result.verdict,
        decidedBy: result.decided_by,
        vetoes,
        missing,
        policy: result.expect,
        onFailure: result.on_failure,
        abort: vetoes[0]?.reason ?? "",
        vetoed: result.verdict === "vetoed",
        error: null,
    };
}

// Nothing was decided (no result came): no verdict, and `error` says why.
// A wait that asked to fail closed and got no verdict from the broker (unreachable,
// overloaded, shutting down, refused) is vetoed here, by the same policy.
function failClosed(outcome) {
    if (outcome.verdict !== null) return outcome;
    const reason = `no verdict from the broker (${outcome.status}), on_failure closed`;
    return {
        ...outcome,
        verdict: "vetoed",
        decidedBy: "policy",
        onFailure: "closed",
        vetoes: [{ hook: "", instance: "", reason }],
        abort: reason,
        vetoed: true,
    };
}

function failedOutcome(status, error) {
    return {
        status,
        id: "",
        replies: [],
        verdict: null,
        decidedBy: null,
        vetoes: [],
        missing: [],
        policy: null,
        onFailure: null,
        abort: "",
        vetoed: false,
        error,
    };
}

function parseObject(text) {
    try {
        return JSON.parse(text);
    } catch {
        return null;
    }
}
