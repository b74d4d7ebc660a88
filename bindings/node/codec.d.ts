// Type declarations of "hookbus/codec" (src/codec.js): the wire messages of protocol
// version 1 as plain objects with the wire's own field names.

/** [seconds, nanoseconds] since the Unix epoch. */
export type WireTimestamp = [number, number];

export interface WireEvent {
    name: string;
    id: string;
    run: number;
    seq: number;
    emitted_at: WireTimestamp;
    deadline: WireTimestamp | null;
    payload_json: string;
}

export interface WireWelcome {
    run: number;
    started_at: WireTimestamp;
    max_msg_size: number;
}

export interface WireAnswer {
    hook: string;
    instance: string;
    reply_json: string;
    latency_us: number;
}

export interface WireVeto {
    hook: string;
    instance: string;
    reason: string;
}

export interface WireMissing {
    hook: string;
    instance: string;
    why: "timed_out" | "died" | "left" | "lagged";
}

export interface WireResult {
    req: number;
    id: string;
    outcome: "replied" | "timed_out" | "incomplete" | "no_hook";
    replies: WireAnswer[];
    expect: "first" | "all";
    on_failure: "open" | "closed";
    verdict: "allowed" | "vetoed";
    decided_by: "hook" | "policy";
    vetoes: WireVeto[];
    missing: WireMissing[];
}

export interface WireReady {
    req?: number;
    name: string;
    hooks: number;
    timeout_ms: number;
}

export interface WireReadyOk {
    req: number;
    name: string;
    ready: boolean;
    hooks: number;
}

export const OUTCOMES: readonly ["replied", "timed_out", "incomplete", "no_hook"];
export const MISSING_WHY: readonly ["timed_out", "died", "left", "lagged"];
export const POLICIES: readonly ["first", "all"];
export const ON_FAILURE: readonly ["open", "closed"];

export type Published =
    ({ kind: "event"; v: 1 } & WireEvent) | ({ kind: "welcome"; v: 1 } & WireWelcome);

export type HookResponse =
    | { v: 1; op: "hello_ok"; instance: string; run: number }
    | { v: 1; op: "reply_ack"; id: string; accepted: boolean; registered?: false }
    | { v: 1; op: "bye_ok"; instance: string }
    | WireError;

export type HookRequest =
    | {
          v: 1;
          op: "hello";
          instance: string;
          hook: string;
          events: string[];
          /** Present only when not empty. */
          observe?: string[];
      }
    | {
          v: 1;
          op: "reply";
          id: string;
          hook: string;
          instance: string;
          reply_json: string;
      }
    | { v: 1; op: "bye"; instance: string };

export interface WireEmit {
    req?: number;
    name: string;
    payload_json: string;
    wait?: boolean;
    /** Absent or null: the broker's default. */
    timeout_ms?: number | null;
    /** Absent or null: the broker's default for the name. */
    expect?: "first" | "all" | null;
    /** Absent or null: the broker's default for the name. */
    on_failure?: "open" | "closed" | null;
}

export type EmitRequest =
    | ({ v: 1; op: "emit"; req: number } & WireEmit)
    | ({ v: 1; op: "ready"; req: number } & WireReady)
    | { v: 1; op: "stats"; req: number };

export interface WireError {
    v: 1;
    op: "error";
    req: number;
    code: string;
    message: string;
    supported?: number[];
}

export type EmitResponse =
    | { v: 1; op: "ack"; req: number; id: string; seq: number; emitted_at: WireTimestamp }
    | ({ v: 1; op: "result" } & WireResult)
    | ({ v: 1; op: "ready_ok" } & WireReadyOk)
    | { v: 1; op: "stats_ok"; req: number; stats: Record<string, unknown> }
    | WireError;

/** A msgpack float, boxed so that it never passes for an integer. */
export class WireFloat {
    readonly value: number;
}

export function unpackMap(body: Uint8Array): Record<string, unknown>;

export function encodeEvent(event: WireEvent): Buffer;
export function encodeWelcome(welcome: WireWelcome): Buffer;
export function decodePublished(frame: Uint8Array): Published;

export function encodeHello(hello: {
    instance: string;
    hook: string;
    events: string[];
    observe?: string[];
}): Buffer;
export function encodeReply(reply: {
    id: string;
    hook: string;
    instance?: string;
    reply_json: string;
}): Buffer;
export function encodeBye(bye: { instance: string }): Buffer;
export function encodeHelloOk(ok: { instance: string; run: number }): Buffer;
export function encodeReplyAck(ack: {
    id: string;
    accepted: boolean;
    registered?: boolean;
}): Buffer;
export function encodeByeOk(ok: { instance: string }): Buffer;
export function decodeHookResponse(body: Uint8Array): HookResponse;
export function decodeHookRequest(body: Uint8Array): HookRequest;

export function encodeEmit(emit: WireEmit): Buffer;
export function encodeReady(ready: WireReady): Buffer;
export function encodeReadyOk(ok: WireReadyOk): Buffer;
export function encodeStats(stats?: { req?: number }): Buffer;
export function encodeAck(ack: {
    req: number;
    id: string;
    seq: number;
    emitted_at: WireTimestamp;
}): Buffer;
export function encodeResult(result: WireResult): Buffer;
export function encodeStatsOk(ok: {
    req: number;
    stats: Record<string, unknown>;
}): Buffer;
export function encodeError(error: {
    req?: number;
    code: string;
    message: string;
    supported?: number[];
}): Buffer;
export function decodeEmitResponse(body: Uint8Array): EmitResponse;
export function decodeEmitRequest(body: Uint8Array): EmitRequest;
