// Type declarations of the hookbus Node client (src/index.js). Wire field names
// appear only in the codec ("hookbus/codec"); everything here is camelCase.

/** The protocol version this package speaks. */
export const PROTOCOL_VERSION: 1;

/** Timeout of emitAndWait() when the caller gives none, in milliseconds. */
export const DEFAULT_WAIT_TIMEOUT: number;

/** Timeout of waitReady() when the caller gives none, in milliseconds. */
export const DEFAULT_READY_TIMEOUT: number;

/** Seconds and nanoseconds since the Unix epoch. */
export interface Timestamp {
    seconds: number;
    nanos: number;
}

/** The broker's three endpoints (ipc:// or tcp://). */
export interface Endpoints {
    events: string;
    replies: string;
    emit: string;
}

/** Anything JSON.stringify turns into JSON text; a string is sent verbatim. */
export type Payload = string | number | boolean | null | object | unknown[];

/** How a request ended, as the emitter sees it. */
export type Status =
    | "replied"
    | "timed_out"
    | "incomplete"
    | "no_hook"
    | "unreachable"
    | "overloaded"
    | "shutting_down"
    | "refused";

/** One accepted hook answer. */
export interface Reply<T = Record<string, unknown>> {
    /** The answering hook's name. */
    hook: string;
    /** Its instance id ("" when the hook gave none). */
    instance: string;
    /** The reply object, parsed (null if it was not JSON, which the broker prevents). */
    data: (T & { abort?: string }) | null;
    /** The reply as the hook sent it. */
    raw: string;
    /** From publishing the event to the broker reading this answer, in microseconds. */
    latencyUs: number;
}

/** The reply policy: the first answer wins, or every expected hook answers. */
export type Policy = "first" | "all";
/** The failure policy: a missing answer counts as no veto (open) or a veto (closed). */
export type OnFailure = "open" | "closed";

/** A veto: a hook's own, or one the failure policy added for a missing hook. */
export interface Veto {
    /** The hook's name ("" for the veto of no_hook under closed). */
    hook: string;
    instance: string;
    reason: string;
}

/** An expected hook that did not answer, and why. */
export interface Missing {
    hook: string;
    instance: string;
    why: "timed_out" | "died" | "left" | "lagged";
}

/**
 * The end of an emitAndWait(). With a broker result (replied, timed_out, incomplete,
 * no_hook) `verdict`, `decidedBy`, `policy` and `onFailure` are set; otherwise
 * (unreachable, overloaded, shutting_down, refused) they are null and `error` is set.
 */
export interface Outcome<T = Record<string, unknown>> {
    status: Status;
    /** The event id; "" when nothing was published (no_hook, errors, unreachable). */
    id: string;
    /** Accepted answers in arrival order. */
    replies: Reply<T>[];
    /** The broker's verdict; null when no result came. */
    verdict: "allowed" | "vetoed" | null;
    /** "hook": the answers alone decided; "policy": the failure policy did. */
    decidedBy: "hook" | "policy" | null;
    /** Every veto: the hooks' own in arrival order, then the failure policy's. */
    vetoes: Veto[];
    /** Every expected hook that did not answer. */
    missing: Missing[];
    /** The reply policy the broker applied. */
    policy: Policy | null;
    /** The failure policy the broker applied. */
    onFailure: OnFailure | null;
    /** The first veto's reason, or "". */
    abort: string;
    /** verdict === "vetoed". */
    vetoed: boolean;
    /** Why: set for unreachable, overloaded, shutting_down and refused. */
    error: { code: string; message: string } | null;
}

export interface EmitterOptions {
    /** The broker's emit endpoint; default `ipc://<dir>/emit`. */
    endpoint?: string;
    /** Runtime directory: $HOOKBUS_DIR, $XDG_RUNTIME_DIR/hookbus, /tmp/hookbus-<uid>. */
    dir?: string;
    /** Added to a wait's timeout to make the client's own deadline (ms, default 500). */
    grace?: number;
    /** Client deadline of emit() and stats() (ms, default 5000). */
    requestTimeout?: number;
    /** Requests larger than this are refused locally (bytes, default 1 MiB). */
    maxMsgSize?: number;
    /** CURVE keys; default from $HOOKBUS_SERVER_KEY/$HOOKBUS_CLIENT_KEY; false: none. */
    curve?: Curve | false;
}

/** CURVE keys of a client, each 40 characters of Z85 (see loadCurve). */
export interface Curve {
    /** The broker's public key. */
    serverKey: string;
    /** This client's key pair; the broker must list the public key. */
    publicKey: string;
    secretKey: string;
}

/** The Curve of a broker's public key file (.pub) and a client's key file (.key). */
export function loadCurve(serverKeyFile: string, clientKeyFile: string): Curve;
/** The key pair of a .key file (refused when open to group or others). */
export function loadKeyPair(path: string): { publicKey: string; secretKey: string };
/** The public key of a .pub (or .key) file. */
export function loadPublicKey(path: string): string;
/** The Curve named by $HOOKBUS_SERVER_KEY and $HOOKBUS_CLIENT_KEY, or null. */
export function curveFromEnv(env?: Record<string, string | undefined>): Curve | null;

export interface WaitOptions {
    /** Milliseconds the broker waits for answers (default DEFAULT_WAIT_TIMEOUT). */
    timeout?: number;
    /**
     * "first": the first answer wins; "all": one from every hook live when the event
     * is published. Left out: the broker's default for the name.
     */
    policy?: Policy;
    /** Alias of `policy` (giving both, different, is a TypeError). */
    expect?: Policy;
    /** Whether a missing answer vetoes; left out: the broker's default for the name. */
    onFailure?: OnFailure;
}

export interface ReadyOptions {
    /** How many live hooks answering the name to wait for (default 1). */
    hooks?: number;
    /** Milliseconds to wait at most (default DEFAULT_READY_TIMEOUT). */
    timeout?: number;
}

/** The end of a waitReady(). */
export interface Readiness {
    /** True when the count was reached. */
    ready: boolean;
    /** Live hooks answering the name when the broker responded. */
    hooks: number;
}

/** Talks to a broker's emit socket; many requests may be in flight at once. */
export class Emitter {
    constructor(options?: EmitterOptions);
    /** Publishes without waiting; resolves to the event id. */
    emit(name: string, payload?: Payload): Promise<string>;
    /** Publishes and waits for answers; every ending is an Outcome. */
    emitAndWait<T = Record<string, unknown>>(
        name: string,
        payload?: Payload,
        options?: WaitOptions,
    ): Promise<Outcome<T>>;
    /** Waits until `hooks` live hooks answer `name` (observers do not count). */
    waitReady(name: string, options?: ReadyOptions): Promise<Readiness>;
    /** The broker's counters (protocol section 6.3). */
    stats(): Promise<Record<string, unknown>>;
    /** Requests still waiting for the broker. */
    readonly inFlight: number;
    /** Responses that did not follow the protocol or matched no request. */
    readonly malformed: number;
    /** Closes the socket; requests in flight reject with ClosedError. */
    close(): void;
}

/** One published event. */
export class Event<P = unknown> {
    readonly name: string;
    readonly id: string;
    readonly run: number;
    readonly seq: number;
    readonly emittedAt: Timestamp;
    /** null when nobody waits for an answer. */
    readonly deadline: Timestamp | null;
    readonly awaited: boolean;
    /** The emitter's JSON text, byte for byte. */
    readonly payloadJson: string;
    /** The payload, parsed on first use (throws SyntaxError if not JSON). */
    readonly payload: P;
    /** Milliseconds left until the deadline; Infinity when not awaited. */
    msLeft(now?: number): number;
}

/** A reply: an object (`abort` vetoes when non-empty), or a string abort reason. */
export type ReplyValue = ({ abort?: string } & Record<string, unknown>) | string;

/** An event received by a Hook. */
export class HookEvent<P = unknown> extends Event<P> {
    /** True for a name the hook observes: reply() then rejects with TypeError. */
    readonly observed: boolean;
    /** Answers the event; resolves to whether the broker accepted it. */
    reply(value?: ReplyValue): Promise<boolean>;
    /** Answers with a JSON object text, sent verbatim. */
    replyJson(text: string): Promise<boolean>;
}

export interface StreamOptions {
    /** Called with each loss instead of next() throwing it. */
    onLagged?: (lag: LaggedError) => void;
    /** Events ZeroMQ queues on this side before dropping (default 1000). */
    highWaterMark?: number;
    /** CURVE keys, as for EmitterOptions. */
    curve?: Curve | false;
}

export interface SubscriberOptions extends StreamOptions {
    /** Names to receive; empty or absent: every event. */
    events?: string[];
    /** The broker's events endpoint; default `ipc://<dir>/events`. */
    endpoint?: string;
    dir?: string;
}

/** Receives events without answering them. */
export class Subscriber implements AsyncIterable<Event> {
    constructor(options?: SubscriberOptions);
    /** The next event, or null after timeoutMs or once closed; throws LaggedError. */
    next(timeoutMs?: number): Promise<Event | null>;
    [Symbol.asyncIterator](): AsyncIterator<Event>;
    /** Run id of the broker last heard from; 0 before that. */
    readonly runId: number;
    close(): void;
}

export interface HookOptions extends StreamOptions {
    /** This hook's name (1..128 bytes), shown to emitters. */
    name: string;
    /** Event names it answers (0..1024; with observe, at least one name). */
    events?: string[];
    /** Event names it receives but never answers (0..1024, none of `events`). */
    observe?: string[];
    endpoints?: Partial<Endpoints>;
    dir?: string;
    /** Instance id; default a fresh UUID. */
    instance?: string;
    /** How long reply() waits for the broker's verdict (ms, default 5000). */
    replyTimeout?: number;
}

/** What a handler returns: the reply, an abort reason, or nothing (no reply). */
export type HandlerResult = ReplyValue | undefined | null | void;
export type Handler<P = any> = (
    event: HookEvent<P>,
) => HandlerResult | Promise<HandlerResult>;

export interface RunOptions {
    /** Called when a handler throws; without it run() rejects. */
    onError?: (error: unknown, event: HookEvent) => void;
    /** Called with each loss; without it (here or on the hook) run() rejects. */
    onLagged?: (lag: LaggedError) => void;
}

/** Subscribes to its names, announces itself, yields events and answers them. */
export class Hook implements AsyncIterable<HookEvent> {
    constructor(options: HookOptions);
    readonly name: string;
    readonly events: string[];
    readonly observe: string[];
    readonly instance: string;
    /** Times the broker said this hook was cut off; each time it said hello again. */
    readonly cutOffs: number;
    /** Whether the broker confirmed this hook and has not restarted since. */
    readonly isReady: boolean;
    /** Run id of the broker that last confirmed this hook; 0 before that. */
    readonly runId: number;
    /** The last `error` the broker sent on the replies socket. */
    readonly lastError: { code: string; message: string } | null;
    /** Resolves once live; rejects with BrokerUnreachableError or RefusedError. */
    ready(timeoutMs?: number): Promise<void>;
    /** The next event, or null after timeoutMs or once closed; throws LaggedError. */
    next(timeoutMs?: number): Promise<HookEvent | null>;
    [Symbol.asyncIterator](): AsyncIterator<HookEvent>;
    /** Answers an event with JSON object text. */
    replyJson(event: Event, text: string): Promise<boolean>;
    /** Registers the handler of one of this hook's events, for run(). */
    handle<P = any>(eventName: string, handler: Handler<P>): this;
    /** Feeds events to the handlers until close(). */
    run(options?: RunOptions): Promise<void>;
    /** Set by serve(): the run() promise. */
    done?: Promise<void>;
    close(): void;
}

export interface ServeOptions extends Omit<HookOptions, "events">, RunOptions {
    /** One handler per event name. */
    handlers: Record<string, Handler>;
    /** Names observed, not answered: their handlers see the events, answer nothing. */
    observe?: string[];
    /** How long to wait for hello_ok (ms, default 5000). */
    readyTimeout?: number;
}

/** Starts a hook from handlers and resolves once live; `done` is its run(). */
export function serve(options: ServeOptions): Promise<Hook & { done: Promise<void> }>;

/** Base class of every error this package throws. */
export class HookbusError extends Error {
    readonly code: string;
}

/** No response from the broker within the client's own deadline. */
export class BrokerUnreachableError extends HookbusError {
    readonly code: "unreachable";
}

/** The broker answered with an error response. */
export class RefusedError extends HookbusError {
    /** The broker's explanation. */
    readonly brokerMessage: string;
    readonly req: number;
}

/** A message that does not follow the protocol; `code` is the broker's error code. */
export class ProtocolError extends HookbusError {
    readonly req: number;
}

/** Events were lost before the event delivered next. */
export class LaggedError extends HookbusError {
    readonly code: "lagged";
    /** The event name that lost events; "" for a restart seen in a welcome. */
    readonly eventName: string;
    /** How many events of that name were lost (a lower bound across a restart). */
    readonly missed: number;
    /** True when the broker's run id changed. */
    readonly restarted: boolean;
}

/** The object was closed while the call was in progress. */
export class ClosedError extends HookbusError {
    readonly code: "closed";
}

export function isValidEventName(name: unknown): name is string;
export function isValidInstance(instance: unknown): instance is string;
/** $HOOKBUS_DIR, else $XDG_RUNTIME_DIR/hookbus, else /tmp/hookbus-<uid>. */
export function defaultRuntimeDir(env?: Record<string, string | undefined>): string;
/** The ipc endpoints inside `dir`. */
export function endpointsIn(dir: string): Endpoints;
