// Error classes of the binding. Expected outcomes of a wait (timed out, no hook,
// overloaded...) are values on an Outcome, not errors; these classes are for what
// the caller must not ignore: a broker that never answered, a refused request, a
// malformed message, and events lost before the one delivered next.

/** Base class of every error this package throws; `code` is a stable string. */
export class HookbusError extends Error {
    constructor(code, message, options) {
        super(message, options);
        this.name = "HookbusError";
        this.code = code;
    }
}

/** No response from the broker within the client's own deadline. */
export class BrokerUnreachableError extends HookbusError {
    constructor(message) {
        super("unreachable", message);
        this.name = "BrokerUnreachableError";
    }
}

/**
 * The broker answered with an `error` response. `code` is the wire code
 * (`bad_name`, `overloaded`, `shutting_down`...), `brokerMessage` its explanation.
 */
export class RefusedError extends HookbusError {
    constructor(code, brokerMessage, req = 0) {
        super(code, `broker refused the request (${code}): ${brokerMessage}`);
        this.name = "RefusedError";
        this.brokerMessage = brokerMessage;
        this.req = req;
    }
}

/**
 * A message does not follow the protocol. `code` is the error code the broker
 * would answer with (`bad_message`, `bad_field`, `unsupported_version`,
 * `unknown_op`, `bad_name`, `bad_timeout`); `req` is set when it could be read.
 */
export class ProtocolError extends HookbusError {
    constructor(code, message, req = 0) {
        super(code, message);
        this.name = "ProtocolError";
        this.req = req;
    }
}

/**
 * Events were lost before the event a Hook or Subscriber delivers next: the
 * subscriber fell behind the broker's high-water mark, or the broker restarted.
 */
export class LaggedError extends HookbusError {
    constructor(eventName, missed, restarted) {
        super("lagged", describeLag(eventName, missed, restarted));
        this.name = "LaggedError";
        /** The event name that lost events; "" for a restart seen in a welcome. */
        this.eventName = eventName;
        /** How many events of that name were lost (a lower bound across a restart). */
        this.missed = missed;
        /** True when the broker's run id changed. */
        this.restarted = restarted;
    }
}

/** The object was closed while the call was in progress. */
export class ClosedError extends HookbusError {
    constructor(what) {
        super("closed", `${what} is closed`);
        this.name = "ClosedError";
    }
}

function describeLag(eventName, missed, restarted) {
    const what = eventName ? `${missed} event(s) of "${eventName}" lost` : "";
    if (!restarted) return `${what}: the subscriber fell behind the broker`;
    return what ? `broker restarted; ${what}` : "broker restarted";
}
