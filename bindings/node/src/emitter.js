// The emitter: asks the broker to publish an event, and optionally waits for hook
// answers (docs/protocol.md section 6). One DEALER carries any number of requests
// in flight; each gets a `req` number, and one receive loop settles the matching
// promise. Every request is bounded by the client's own clock, so a missing broker
// reads as "unreachable" instead of a hang (section 10).

import * as zmq from "zeromq";

import { decodeEmitResponse, encodeEmit, encodeStats } from "./codec.js";
import { BrokerUnreachableError, ClosedError, RefusedError } from "./errors.js";
import { DEFAULT_MAX_MSG_SIZE, isValidEventName, resolveEndpoints } from "./protocol.js";
import { curveSocketOptions } from "./keys.js";
import { SEND_SLICE_MS, SendQueue, TIMED_OUT, receiveWithin } from "./sockets.js";

/** Timeout of emitAndWait() when the caller gives none, in milliseconds. */
export const DEFAULT_WAIT_TIMEOUT = 5000;

/**
 * Talks to a broker's emit socket.
 *
 *     const emitter = new Emitter();
 *     const outcome = await emitter.emitAndWait("capture", { path: "a.txt" },
 *         { timeout: 2000 });
 *     if (outcome.vetoed) return;  // a hook said no
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
        // immediate: a request is never parked in a queue for a broker that is not
        // connected, where it could be published long after we reported unreachable.
        this.socket = new zmq.Dealer({
            linger: 0,
            immediate: true,
            sendTimeout: SEND_SLICE_MS,
            ...curveSocketOptions(curve),
        });
        this.socket.connect(this.endpoint);
        this.sender = new SendQueue(this.socket);
        this.pending = new Map();
        this.nextReq = 1;
        this.receiving = false;
        this.closed = false;
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
     * Publishes an event and waits for the answer(s): the first (`expect: "first"`)
     * or one from every hook live for the name (`"all"`), until `timeout` ms pass.
     * Resolves to an Outcome; every ending, "unreachable" included, is a value.
     */
    async emitAndWait(
        name,
        payload,
        { timeout = DEFAULT_WAIT_TIMEOUT, expect = "first" } = {},
    ) {
        if (!Number.isInteger(timeout) || timeout < 1) {
            throw new RangeError("timeout is a whole number of milliseconds, at least 1");
        }
        if (expect !== "first" && expect !== "all")
            throw new TypeError('expect is "first" or "all"');
        const req = this.takeReq();
        const body = this.checkSize(
            encodeEmit({
                req,
                name: checkName(name),
                payload_json: toPayloadJson(payload),
                wait: true,
                timeout_ms: timeout,
                expect,
            }),
        );
        return toOutcome(await this.request(req, body, timeout + this.grace));
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
                resolve(null);
            }, deadlineMs);
            this.pending.set(req, { resolve, reject, timer });
            this.sender
                .send([Buffer.alloc(0), body], () => this.pending.has(req))
                .catch(() => undefined);
        });
        if (!this.receiving) this.receiveLoop();
        return response;
    }

    // Runs while requests are pending, so that an idle emitter keeps no receive
    // open and does not hold the process alive.
    async receiveLoop() {
        this.receiving = true;
        try {
            while (this.pending.size > 0) {
                const frames = await receiveWithin(
                    this.socket,
                    Infinity,
                    () => this.closed || this.pending.size === 0,
                );
                if (frames === null) break;
                if (frames !== TIMED_OUT) this.dispatch(frames);
            }
        } catch {
            // The socket failed; the client deadlines settle what is left.
        }
        this.receiving = false;
    }

    dispatch(frames) {
        let response;
        try {
            if (frames.length !== 2 || frames[0].length !== 0)
                throw new Error("bad frames");
            response = decodeEmitResponse(frames[1]);
        } catch {
            this.malformed += 1;
            return;
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

function expectOp(response, op, deadlineMs) {
    if (response === null) {
        throw new BrokerUnreachableError(
            `no response from the broker within ${deadlineMs} ms; ` +
                "is hookbusd running?",
        );
    }
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
        return makeOutcome("unreachable", "", [], {
            code: "unreachable",
            message: "no response from the broker within the timeout plus grace",
        });
    }
    if (response.op === "result")
        return makeOutcome(response.outcome, response.id, response.replies, null);
    if (response.op === "error") {
        const status = STATUS_OF_ERROR[response.code] ?? "refused";
        return makeOutcome(status, "", [], {
            code: response.code,
            message: response.message,
        });
    }
    return makeOutcome("refused", "", [], {
        code: "bad_message",
        message: `expected result, got ${response.op}`,
    });
}

function makeOutcome(status, id, answers, error) {
    const replies = answers.map((answer) => ({
        hook: answer.hook,
        instance: answer.instance,
        data: parseObject(answer.reply_json),
        raw: answer.reply_json,
    }));
    const abort =
        replies
            .map((reply) => reply.data?.abort)
            .find((reason) => typeof reason === "string" && reason !== "") ?? "";
    return { status, id, replies, abort, vetoed: abort !== "", error };
}

function parseObject(text) {
    try {
        return JSON.parse(text);
    } catch {
        return null;
    }
}
