// A listener: receives events without announcing itself or answering, like
// `hookbus tail`. Emitters never wait for a Subscriber.

import { Event } from "./event.js";
import { WELCOME_TOPIC, isValidEventName, resolveEndpoints } from "./protocol.js";
import { curveSocketOptions } from "./keys.js";
import { EventStream, eventTopic } from "./stream.js";

/**
 * Receives events of the given names (every event when `events` is empty).
 *
 *     const sub = new Subscriber({ events: ["capture"] });
 *     for await (const event of sub) console.log(event.name, event.payload);
 */
export class Subscriber {
    constructor({ events = [], endpoint, dir, onLagged, highWaterMark, curve } = {}) {
        for (const name of events) {
            if (!isValidEventName(name))
                throw new TypeError(`bad event name ${JSON.stringify(name)}`);
        }
        // The empty prefix already matches welcomes; otherwise ask for them first.
        const topics =
            events.length === 0
                ? [""]
                : [eventTopic(WELCOME_TOPIC), ...events.map(eventTopic)];
        this.stream = new EventStream({
            endpoint: endpoint ?? resolveEndpoints({}, dir).events,
            topics,
            makeEvent: (wire) => new Event(wire),
            onLagged,
            highWaterMark,
            curveOptions: curveSocketOptions(curve),
        });
    }

    /** The next event, or null after `timeoutMs` or once closed; throws LaggedError. */
    next(timeoutMs) {
        return this.stream.next(timeoutMs);
    }

    [Symbol.asyncIterator]() {
        return this.stream[Symbol.asyncIterator]();
    }

    /** Run id of the broker last heard from; 0 before the first welcome or event. */
    get runId() {
        return this.stream.runId;
    }

    close() {
        this.stream.close();
    }
}
