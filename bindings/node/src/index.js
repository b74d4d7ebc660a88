// hookbus for Node: emit events, answer them as a hook, or listen to them, over a
// hookbusd broker (docs/protocol.md). Everything public is exported from here; the
// wire codec is also available on its own as "hookbus/codec".

export { Emitter, DEFAULT_WAIT_TIMEOUT, DEFAULT_READY_TIMEOUT } from "./emitter.js";
export { Hook, HookEvent, serve } from "./hook.js";
export { Subscriber } from "./subscriber.js";
export { Event } from "./event.js";
export { loadCurve, loadKeyPair, loadPublicKey, curveFromEnv } from "./keys.js";
export {
    HookbusError,
    BrokerUnreachableError,
    RefusedError,
    ProtocolError,
    LaggedError,
    ClosedError,
} from "./errors.js";
export {
    PROTOCOL_VERSION,
    isValidEventName,
    isValidInstance,
    defaultRuntimeDir,
    endpointsIn,
} from "./protocol.js";
