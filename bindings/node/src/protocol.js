// Constants and validators of hookbus protocol version 2 (docs/protocol.md,
// sections 1 and 2): event-name and instance grammar, UUIDs, default endpoints.
// Every other module of the binding builds on these.

import { randomUUID } from "node:crypto";
import { join } from "node:path";

/** The protocol version this binding speaks. */
export const PROTOCOL_VERSION = 2;

/** Topic of the welcome message on the events socket (without its NUL). */
export const WELCOME_TOPIC = "$welcome";

/** Prefix of the per-hook registration subscription (section 3.4). */
export const HOOK_TOKEN_PREFIX = "~hook/";

/** The largest message a broker accepts unless its welcome says otherwise. */
export const DEFAULT_MAX_MSG_SIZE = 1 << 20;

const EVENT_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:/-]{0,127}$/;
const INSTANCE = /^[A-Za-z0-9_-]{1,64}$/;
const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** True when `name` matches `[A-Za-z0-9_][A-Za-z0-9_.:/-]{0,127}`. */
export function isValidEventName(name) {
    return typeof name === "string" && EVENT_NAME.test(name);
}

/** True when `instance` is 1..64 characters of `[A-Za-z0-9_-]`. */
export function isValidInstance(instance) {
    return typeof instance === "string" && INSTANCE.test(instance);
}

/** True when `id` is a lower-case UUID version 4. */
export function isUuid4(id) {
    return typeof id === "string" && UUID4.test(id);
}

/** A fresh random UUIDv4 in lower-case text form. */
export function makeUuid4() {
    return randomUUID();
}

/** `$HOOKBUS_DIR`, else `$XDG_RUNTIME_DIR/hookbus`, else `/tmp/hookbus-<uid>`. */
export function defaultRuntimeDir(env = process.env) {
    if (env.HOOKBUS_DIR) return env.HOOKBUS_DIR;
    if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, "hookbus");
    return `/tmp/hookbus-${process.getuid()}`;
}

/** The broker's three ipc endpoints inside `dir`. */
export function endpointsIn(dir) {
    return {
        events: `ipc://${join(dir, "events")}`,
        replies: `ipc://${join(dir, "replies")}`,
        emit: `ipc://${join(dir, "emit")}`,
    };
}

/** Fills in the endpoints a caller left out, from `dir` or the default directory. */
export function resolveEndpoints(endpoints = {}, dir = undefined) {
    const defaults = endpointsIn(dir ?? defaultRuntimeDir());
    return { ...defaults, ...stripUndefined(endpoints) };
}

function stripUndefined(object) {
    return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined));
}
