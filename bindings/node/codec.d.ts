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
}

export type Published =
    ({ kind: "event"; v: 1 } & WireEvent) | ({ kind: "welcome"; v: 1 } & WireWelcome);

export type HookResponse =
    | { v: 1; op: "hello_ok"; instance: string; run: number }
    | { v: 1; op: "reply_ack"; id: string; accepted: boolean }
    | { v: 1; op: "bye_ok"; instance: string }
    | WireError;

export type HookRequest =
    | { v: 1; op: "hello"; instance: string; hook: string; events: string[] }
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
    expect?: "first" | "all";
}

export type EmitRequest =
    ({ v: 1; op: "emit"; req: number } & WireEmit) | { v: 1; op: "stats"; req: number };

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
    | {
          v: 1;
          op: "result";
          req: number;
          id: string;
          outcome: "replied" | "timed_out" | "no_hook";
          replies: WireAnswer[];
      }
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
}): Buffer;
export function encodeReply(reply: {
    id: string;
    hook: string;
    instance?: string;
    reply_json: string;
}): Buffer;
export function encodeBye(bye: { instance: string }): Buffer;
export function encodeHelloOk(ok: { instance: string; run: number }): Buffer;
export function encodeReplyAck(ack: { id: string; accepted: boolean }): Buffer;
export function encodeByeOk(ok: { instance: string }): Buffer;
export function decodeHookResponse(body: Uint8Array): HookResponse;
export function decodeHookRequest(body: Uint8Array): HookRequest;

export function encodeEmit(emit: WireEmit): Buffer;
export function encodeStats(stats?: { req?: number }): Buffer;
export function encodeAck(ack: {
    req: number;
    id: string;
    seq: number;
    emitted_at: WireTimestamp;
}): Buffer;
export function encodeResult(result: {
    req: number;
    id: string;
    outcome: string;
    replies: WireAnswer[];
}): Buffer;
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
