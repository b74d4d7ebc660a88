// A hook: subscribes to event names, announces itself to the broker with `hello`
// (so emitters that wait count on it), yields events and answers them with
// `reply`. Events come from an EventStream (SUB); hello_ok and reply_ack come back
// on a DEALER that a background loop reads (docs/protocol.md sections 3.4, 5, 8).

import * as zmq from "zeromq";

import { decodeHookResponse, encodeHello, encodeReply } from "./codec.js";
import {
    BrokerUnreachableError,
    ClosedError,
    LaggedError,
    RefusedError,
} from "./errors.js";
import { Event } from "./event.js";
import {
    HOOK_TOKEN_PREFIX,
    WELCOME_TOPIC,
    isValidEventName,
    isValidInstance,
    makeUuid4,
    resolveEndpoints,
} from "./protocol.js";
import { curveSocketOptions } from "./keys.js";
import { SEND_SLICE_MS, SendQueue, TIMED_OUT, receiveWithin } from "./sockets.js";
import { EventStream, eventTopic } from "./stream.js";

/** An event received by a Hook; it can be answered unless `observed`. */
export class HookEvent extends Event {
    #hook;

    constructor(wire, hook) {
        super(wire);
        this.#hook = hook;
        /** True for a name the hook observes: it receives it but never answers. */
        this.observed = hook.observe.includes(wire.name);
    }

    /**
     * Answers this event. `value` is an object (its `abort` key, when a non-empty
     * string, vetoes; other keys ride along), a string (an abort reason), or
     * nothing (`{}`: answered, no veto). Resolves to the broker's `accepted`;
     * rejects with TypeError for an observed event.
     */
    reply(value) {
        return this.#hook.replyJson(this, toReplyJson(value));
    }

    /** Answers with a JSON object text, sent verbatim. */
    replyJson(text) {
        return this.#hook.replyJson(this, text);
    }
}

/**
 * Subscribes to `events` (names it answers) and `observe` (names it only
 * receives), announces itself as `name` and answers events.
 *
 *     const hook = new Hook({ name: "guard", events: ["capture"] });
 *     await hook.ready();
 *     for await (const event of hook) await event.reply({ abort: "not today" });
 */
export class Hook {
    constructor(options) {
        const {
            name,
            events = [],
            observe = [],
            endpoints,
            dir,
            instance = makeUuid4(),
            replyTimeout = 5000,
            onLagged,
            highWaterMark,
            curve,
        } = options ?? {};
        checkHookOptions(name, events, observe, instance);
        const curveOptions = curveSocketOptions(curve);
        const resolved = resolveEndpoints(endpoints, dir);
        this.name = name;
        this.events = [...events];
        this.observe = [...observe];
        this.instance = instance;
        this.replyTimeout = replyTimeout;
        this.handlers = new Map();
        this.helloRun = 0;
        this.live = false;
        this.readyWaiters = [];
        this.acks = new Map();
        /** Times the broker said this hook was cut off (reply_ack registered: false). */
        this.cutOffs = 0;
        /** Date.now() of the hello that has no hello_ok yet; null when none. */
        this.helloSentAt = null;
        this.closed = false;
        /** Frames on the replies socket that did not follow the protocol. */
        this.malformed = 0;
        /** The last `error` the broker sent on the replies socket, if any. */
        this.lastError = null;

        // Order matters (section 3.4): names first, the $hook token last, then
        // connect, so that the token tells the broker the names are live.
        this.stream = new EventStream({
            endpoint: resolved.events,
            topics: [
                eventTopic(WELCOME_TOPIC),
                ...this.events.map(eventTopic),
                ...this.observe.map(eventTopic),
                HOOK_TOKEN_PREFIX + instance,
            ],
            makeEvent: (wire) => new HookEvent(wire, this),
            onWelcome: (welcome) => this.onWelcome(welcome),
            onLagged,
            highWaterMark,
            curveOptions,
        });
        this.dealer = new zmq.Dealer({
            linger: 0,
            sendTimeout: SEND_SLICE_MS,
            ...curveOptions,
        });
        this.dealer.connect(resolved.replies);
        this.sender = new SendQueue(this.dealer);
        this.loop = this.receiveLoop();
        this.sendHello();
    }

    /** Whether the broker has confirmed this hook (hello_ok) and not restarted since. */
    get isReady() {
        return this.live;
    }

    /** Run id of the broker that last confirmed this hook; 0 before that. */
    get runId() {
        return this.helloRun;
    }

    /**
     * Resolves once the broker confirms this hook is live. Rejects with
     * BrokerUnreachableError after `timeoutMs`, or RefusedError if the broker
     * refused the hello (for example `overloaded`: its hook table is full).
     */
    ready(timeoutMs = 5000) {
        if (this.closed) return Promise.reject(new ClosedError("hook"));
        if (this.live) return Promise.resolve();
        return new Promise((resolve, reject) => {
            const waiter = { resolve, reject, timer: null };
            waiter.timer = setTimeout(() => {
                this.readyWaiters = this.readyWaiters.filter((w) => w !== waiter);
                reject(
                    new BrokerUnreachableError(
                        `no hello_ok from the broker within ${timeoutMs} ms; ` +
                            "is hookbusd running?",
                    ),
                );
            }, timeoutMs);
            this.readyWaiters.push(waiter);
        });
    }

    /**
     * The next event, or null after `timeoutMs` or once closed. Throws LaggedError
     * when events were lost (unless the hook has an onLagged option); the next
     * call then returns the event that revealed the loss.
     */
    next(timeoutMs) {
        return this.stream.next(timeoutMs);
    }

    /** Iterates events; see next(). After a LaggedError, iterate again to resume. */
    [Symbol.asyncIterator]() {
        return this.stream[Symbol.asyncIterator]();
    }

    /** Sends a reply with `text` (a JSON object) to `event`; resolves to `accepted`. */
    async replyJson(event, text) {
        if (this.closed) throw new ClosedError("hook");
        if (!this.events.includes(event.name) && this.observe.includes(event.name)) {
            throw new TypeError(
                `"${event.name}" is observed by this hook: received, never answered`,
            );
        }
        checkReplyJson(text);
        const body = encodeReply({
            id: event.id,
            hook: this.name,
            instance: this.instance,
            reply_json: text,
        });
        if (body.length > this.stream.maxMsgSize) {
            throw new RangeError(
                `reply of ${body.length} bytes exceeds the broker's ` +
                    `limit of ${this.stream.maxMsgSize}`,
            );
        }
        const verdict = this.awaitAck(event.id);
        this.sender
            .send([Buffer.alloc(0), body], () => verdict.pending)
            .catch(() => verdict.settle(false));
        return verdict.promise;
    }

    /**
     * Registers the handler of one of this hook's event names, answered or
     * observed, for run(). A handler of an observed name must return nothing.
     */
    handle(eventName, handler) {
        if (!this.events.includes(eventName) && !this.observe.includes(eventName)) {
            throw new TypeError(`"${eventName}" is not one of this hook's events`);
        }
        if (typeof handler !== "function") throw new TypeError("a handler is a function");
        this.handlers.set(eventName, handler);
        return this;
    }

    /**
     * Feeds events to the handlers one at a time until close(). A handler's return
     * value is the reply: an object, a string (an abort reason), or undefined for
     * no reply. Without `onError`, a throwing handler ends run() with its error;
     * without `onLagged` (here or on the hook), so does a LaggedError.
     */
    async run({ onError, onLagged } = {}) {
        for (;;) {
            let event;
            try {
                event = await this.next();
            } catch (error) {
                if (!(error instanceof LaggedError) || !onLagged) throw error;
                onLagged(error);
                continue;
            }
            if (event === null) return;
            try {
                await this.dispatch(event);
            } catch (error) {
                if (!onError) throw error;
                onError(error, event);
            }
        }
    }

    async dispatch(event) {
        const handler = this.handlers.get(event.name);
        if (!handler) return;
        const answer = await handler(event);
        if (answer === undefined || answer === null) return;
        await event.reply(answer);
    }

    /** Stops the hook: the broker forgets it as soon as its events connection closes. */
    close() {
        if (this.closed) return;
        this.closed = true;
        this.live = false;
        this.stream.close();
        this.dealer.close();
        for (const waiter of this.readyWaiters) {
            clearTimeout(waiter.timer);
            waiter.reject(new ClosedError("hook"));
        }
        this.readyWaiters = [];
        for (const list of this.acks.values())
            for (const verdict of [...list]) verdict.settle(false);
    }

    // ---- internals -----------------------------------------------------------

    sendHello() {
        const body = encodeHello({
            instance: this.instance,
            hook: this.name,
            events: this.events,
            observe: this.observe,
        });
        this.helloSentAt = Date.now();
        this.sender
            .send([Buffer.alloc(0), body], () => !this.closed)
            .catch(() => undefined);
    }

    // Every welcome comes with a new events connection, and a broker that saw our
    // previous connection drop (a restart, or a heartbeat timeout within one run)
    // has forgotten us: announce again each time.
    onWelcome() {
        this.live = false;
        this.sendHello();
    }

    // The broker no longer counts this hook (it was cut off for lagging, section
    // 13.4): announce again, once per cut-off. Acks of replies sent before the new
    // hello say the same until its hello_ok comes; they send nothing more, unless
    // that hello went unanswered for longer than a reply may take.
    onUnregistered() {
        const sentAt = this.helloSentAt;
        if (sentAt !== null && Date.now() - sentAt < this.replyTimeout) return;
        this.cutOffs += 1;
        this.live = false;
        this.sendHello();
    }

    async receiveLoop() {
        try {
            for (;;) {
                const frames = await receiveWithin(
                    this.dealer,
                    Infinity,
                    () => this.closed,
                );
                if (frames === null) return;
                if (frames !== TIMED_OUT) this.handleResponse(frames);
            }
        } catch (error) {
            if (!this.closed) this.lastError = { code: "socket", message: error.message };
        }
    }

    handleResponse(frames) {
        if (frames.length !== 2 || frames[0].length !== 0) {
            this.malformed += 1;
            return;
        }
        let message;
        try {
            message = decodeHookResponse(frames[1]);
        } catch {
            this.malformed += 1;
            return;
        }
        if (message.op === "hello_ok") this.onHelloOk(message);
        else if (message.op === "reply_ack") {
            this.acks.get(message.id)?.[0]?.settle(message.accepted);
            if (message.registered === false) this.onUnregistered();
        } else if (message.op === "error") this.onError(message);
    }

    onHelloOk(message) {
        if (message.instance !== this.instance) return;
        this.helloRun = message.run;
        this.live = true;
        this.helloSentAt = null;
        for (const waiter of this.readyWaiters) {
            clearTimeout(waiter.timer);
            waiter.resolve();
        }
        this.readyWaiters = [];
    }

    // An error on the replies socket names no request: the protocol gives hello and
    // reply no correlation number. While a hello is outstanding it is the likely
    // cause, so ready() fails with it; otherwise it is only recorded.
    onError(message) {
        this.lastError = { code: message.code, message: message.message };
        // It may answer the hello of a re-announcement: let a later cut-off retry.
        this.helloSentAt = null;
        if (this.live) return;
        for (const waiter of this.readyWaiters) {
            clearTimeout(waiter.timer);
            waiter.reject(new RefusedError(message.code, message.message));
        }
        this.readyWaiters = [];
    }

    // Acks carry only the event id, so answers to one id are matched in order.
    awaitAck(id) {
        const list = this.acks.get(id) ?? [];
        this.acks.set(id, list);
        const verdict = { pending: true };
        verdict.promise = new Promise((resolve) => {
            const timer = setTimeout(() => verdict.settle(false), this.replyTimeout);
            verdict.settle = (accepted) => {
                if (!verdict.pending) return;
                verdict.pending = false;
                clearTimeout(timer);
                list.splice(list.indexOf(verdict), 1);
                if (list.length === 0 && this.acks.get(id) === list) this.acks.delete(id);
                resolve(accepted);
            };
        });
        list.push(verdict);
        return verdict;
    }
}

/**
 * Starts a hook from a map of handlers, one per event name, and resolves once the
 * broker confirmed it. The returned hook's `done` is its run() promise. Names in
 * `observe` are observed: their handlers see the events and answer nothing.
 *
 *     const hook = await serve({ name: "guard", handlers: {
 *         capture: (event) =>
 *             event.payload.path.endsWith(".env") ? "secrets" : undefined,
 *     } });
 */
export async function serve({
    handlers,
    observe = [],
    readyTimeout = 5000,
    onError,
    onLagged,
    ...options
}) {
    if (!Array.isArray(observe)) throw new TypeError("observe is an array of names");
    const events = Object.keys(handlers ?? {}).filter((name) => !observe.includes(name));
    const hook = new Hook({ ...options, events, observe });
    for (const [eventName, handler] of Object.entries(handlers))
        hook.handle(eventName, handler);
    try {
        await hook.ready(readyTimeout);
    } catch (error) {
        hook.close();
        throw error;
    }
    hook.done = hook.run({ onError, onLagged });
    return hook;
}

function checkHookOptions(name, events, observe, instance) {
    const nameBytes = typeof name === "string" ? Buffer.byteLength(name, "utf8") : 0;
    if (nameBytes < 1 || nameBytes > 128)
        throw new TypeError("a hook name is 1..128 bytes of UTF-8");
    if (!Array.isArray(events) || events.length > 1024) {
        throw new TypeError("events is an array of at most 1024 names");
    }
    if (!Array.isArray(observe) || observe.length > 1024) {
        throw new TypeError("observe is an array of at most 1024 names");
    }
    if (events.length + observe.length < 1) {
        throw new TypeError("a hook answers or observes at least one event name");
    }
    const bad = [...events, ...observe].find((event) => !isValidEventName(event));
    if (bad !== undefined) throw new TypeError(`bad event name ${JSON.stringify(bad)}`);
    const both = observe.find((event) => events.includes(event));
    if (both !== undefined) {
        throw new TypeError(`"${both}" is both answered (events) and observed`);
    }
    if (!isValidInstance(instance))
        throw new TypeError("an instance is 1..64 of [A-Za-z0-9_-]");
}

function toReplyJson(value) {
    if (value === undefined) return "{}";
    if (typeof value === "string") return JSON.stringify({ abort: value });
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
        throw new TypeError("a reply is an object, or a string abort reason");
    }
    return JSON.stringify(value);
}

function checkReplyJson(text) {
    let parsed;
    try {
        parsed = JSON.parse(text);
    } catch {
        throw new TypeError("reply_json is not JSON text");
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        throw new TypeError("reply_json must be a JSON object");
    }
}
