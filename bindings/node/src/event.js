// The event object handed to Hook and Subscriber users: the wire event of
// docs/protocol.md section 3.2 in camelCase, with the payload parsed on demand.

/** One published event. */
export class Event {
    #payload = undefined;
    #parsed = false;

    /** Builds an Event from a decoded wire event (see codec.decodePublished). */
    constructor(wire) {
        /** The event name (the frame's topic). */
        this.name = wire.name;
        /** Event id: a UUIDv4 minted by the broker. */
        this.id = wire.id;
        /** Run id of the broker that minted it. */
        this.run = wire.run;
        /** Per name, per run: 1 for the first event of that name, then +1. */
        this.seq = wire.seq;
        /** When the broker accepted the emit. */
        this.emittedAt = toTimestamp(wire.emitted_at);
        /** The instant after which no answer is accepted; null when nobody waits. */
        this.deadline = wire.deadline ? toTimestamp(wire.deadline) : null;
        /** True when an emitter waits for an answer. */
        this.awaited = this.deadline !== null;
        /** The emitter's JSON text, byte for byte. */
        this.payloadJson = wire.payload_json;
    }

    /** The payload, parsed from payloadJson on first use; SyntaxError if invalid. */
    get payload() {
        if (!this.#parsed) {
            this.#payload = JSON.parse(this.payloadJson);
            this.#parsed = true;
        }
        return this.#payload;
    }

    /** Milliseconds left until the deadline (negative once past); Infinity if none. */
    msLeft(now = Date.now()) {
        if (this.deadline === null) return Infinity;
        return this.deadline.seconds * 1000 + this.deadline.nanos / 1e6 - now;
    }
}

function toTimestamp([seconds, nanos]) {
    return { seconds, nanos };
}
