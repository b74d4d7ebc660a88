// The receiving half shared by Subscriber and Hook: a SUB socket on the broker's
// events endpoint, read only when the user asks for the next event, so that a slow
// reader lets ZeroMQ's high-water mark drop events and the loss shows up as a
// LaggedError (docs/protocol.md section 9) instead of an unbounded local queue.

import * as zmq from "zeromq";

import { decodePublished } from "./codec.js";
import { LossTracker } from "./loss.js";
import { DEFAULT_MAX_MSG_SIZE } from "./protocol.js";
import { TIMED_OUT, receiveWithin } from "./sockets.js";

/** Subscription topic of an event name: the name and its NUL. */
export function eventTopic(name) {
    return Buffer.concat([Buffer.from(name, "utf8"), Buffer.from([0])]);
}

/**
 * Reads events in order and reports losses. `topics` are subscribed in the order
 * given, before connecting; `makeEvent(wire)` builds the objects handed out;
 * `onWelcome(welcome)` runs for every welcome; `onLagged(error)`, when given,
 * receives losses instead of next() throwing them; `highWaterMark` bounds the
 * events ZeroMQ queues on this side (its default is 1000); `curveOptions` are the
 * socket's CURVE options (see keys.js).
 */
export class EventStream {
    constructor({
        endpoint,
        topics,
        makeEvent,
        onWelcome,
        onLagged,
        highWaterMark,
        curveOptions = {},
    }) {
        const limit =
            highWaterMark === undefined ? {} : { receiveHighWaterMark: highWaterMark };
        this.socket = new zmq.Subscriber({ linger: 0, ...limit, ...curveOptions });
        this.socket.subscribe(...topics);
        this.socket.connect(endpoint);
        this.makeEvent = makeEvent;
        this.onWelcome = onWelcome;
        this.onLagged = onLagged;
        this.tracker = new LossTracker();
        /** Largest message the broker accepts, from its welcome. */
        this.maxMsgSize = DEFAULT_MAX_MSG_SIZE;
        /** Frames skipped because they did not follow the protocol. */
        this.malformed = 0;
        this.held = null;
        this.lock = Promise.resolve();
        this.closed = false;
    }

    /**
     * The next event, or null once `timeoutMs` passed or the stream is closed.
     * Throws LaggedError when events were lost before it (unless onLagged is set);
     * the following call then returns the event that revealed the loss.
     */
    next(timeoutMs = Infinity) {
        // One reader at a time: two callers must never process the same frame.
        const turn = this.lock.then(() => this.nextInOrder(timeoutMs));
        this.lock = turn.catch(() => undefined);
        return turn;
    }

    async nextInOrder(timeoutMs) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
            if (this.held !== null) {
                const event = this.held;
                this.held = null;
                return event;
            }
            const frame = await this.receiveFrame(deadline - Date.now());
            if (frame === TIMED_OUT || frame === null) return null;
            const event = this.handleFrame(frame);
            if (event !== null) return event;
        }
    }

    // Returns the event to deliver, or null to keep reading; throws LaggedError.
    handleFrame(frame) {
        let message;
        try {
            message = decodePublished(frame);
        } catch {
            // A frame of another protocol version or a corrupt one: refuse it.
            this.malformed += 1;
            return null;
        }
        if (message.kind === "welcome") {
            this.maxMsgSize = message.max_msg_size;
            const lag = this.tracker.welcome(message.run);
            this.onWelcome?.(message);
            if (lag !== null) this.report(lag, null);
            return null;
        }
        const event = this.makeEvent(message);
        const lag = this.tracker.event(message.name, message.run, message.seq);
        if (lag !== null) this.report(lag, event);
        return event;
    }

    report(lag, event) {
        if (this.onLagged) {
            this.onLagged(lag);
            return;
        }
        this.held = event;
        throw lag;
    }

    async receiveFrame(timeoutMs) {
        const frames = await receiveWithin(this.socket, timeoutMs, () => this.closed);
        return frames === TIMED_OUT || frames === null ? frames : frames[0];
    }

    /** An async iterator over events; see next(). Breaking out does not close. */
    [Symbol.asyncIterator]() {
        return {
            next: async () => {
                const event = await this.next();
                return event === null
                    ? { done: true, value: undefined }
                    : { done: false, value: event };
            },
            return: async () => ({ done: true, value: undefined }),
            [Symbol.asyncIterator]() {
                return this;
            },
        };
    }

    /** Run id of the broker last heard from; 0 before the first welcome or event. */
    get runId() {
        return this.tracker.run;
    }

    close() {
        if (this.closed) return;
        this.closed = true;
        this.socket.close();
    }
}
