// Compiled with `npm run typecheck` (tsc --noEmit) only: checks that index.d.ts and
// codec.d.ts describe the API the way the README uses it. Never run.

import {
    Emitter,
    Hook,
    LaggedError,
    Subscriber,
    loadCurve,
    serve,
    type Outcome,
} from "hookbus";
import { decodePublished, encodeEmit } from "hookbus/codec";

async function emitter(): Promise<void> {
    const emitter = new Emitter({ dir: "/tmp/x" });
    const id: string = await emitter.emit("capture", { path: "a.txt" });
    const outcome: Outcome<{ score: number }> = await emitter.emitAndWait<{
        score: number;
    }>("capture", '{"path":"a.txt"}', { timeout: 2000, expect: "all" });
    if (outcome.status === "replied" && outcome.vetoed) console.log(id, outcome.abort);
    const score: number | undefined = outcome.replies[0]?.data?.score;
    console.log(score, outcome.error?.code);
    const strict = await emitter.emitAndWait("pre_capture", {}, {
        timeout: 500,
        policy: "all",
        onFailure: "closed",
    });
    if (strict.verdict === "vetoed" && strict.decidedBy === "policy") {
        for (const gone of strict.missing) console.log(gone.hook, gone.why);
        for (const veto of strict.vetoes) console.log(veto.hook, veto.reason);
    }
    const latency: number | undefined = strict.replies[0]?.latencyUs;
    const policies: [string | null, string | null] = [strict.policy, strict.onFailure];
    const { ready, hooks }: { ready: boolean; hooks: number } = await emitter.waitReady(
        "pre_capture",
        { hooks: 2, timeout: 3000 },
    );
    console.log(latency, policies, ready, hooks, strict.status === "incomplete");
    emitter.close();
}

async function hook(): Promise<void> {
    const hook = new Hook({
        name: "guard",
        events: ["capture"],
        onLagged: (lag) => lag.missed,
    });
    await hook.ready(5000);
    for await (const event of hook) {
        const accepted: boolean = await event.reply({ abort: "no", extra: 1 });
        console.log(
            accepted,
            event.deadline?.seconds,
            event.emittedAt.nanos,
            event.payloadJson,
        );
    }
    const next = await hook.next(100);
    if (next) await next.reply("abort reason");
    hook.handle("capture", async (event) => (event.awaited ? { abort: "" } : undefined));
    await hook.run({ onError: (error, event) => console.log(error, event.id) });
    hook.close();
}

async function observer(): Promise<void> {
    const audit = new Hook({ name: "audit", observe: ["capture"] });
    const event = await audit.next(100);
    if (event && !event.observed) await event.reply();
    console.log(audit.observe, audit.events, audit.cutOffs);
    const both = await serve({
        name: "both",
        observe: ["merge"],
        handlers: { capture: () => "no", merge: (e) => void console.log(e.id) },
    });
    both.close();
    audit.close();
}

async function handlers(): Promise<void> {
    const hook = await serve({
        name: "veto",
        handlers: {
            capture: (event) => (event.payload.path === ".env" ? "secrets" : undefined),
        },
        onLagged: (lag: LaggedError) => console.log(lag.eventName, lag.restarted),
    });
    await hook.done;
}

async function listener(): Promise<void> {
    const sub = new Subscriber({ events: ["capture"] });
    try {
        for await (const event of sub) console.log(event.name, event.seq);
    } catch (error) {
        if (error instanceof LaggedError) console.log(error.missed);
    }
    sub.close();
}

const frame = decodePublished(encodeEmit({ name: "x", payload_json: "{}" }));
if (frame.kind === "event") console.log(frame.payload_json);

export { emitter, hook, handlers, listener, observer };

function curve(): void {
    const keys = loadCurve("broker.pub", "laptop.key");
    const emitter = new Emitter({ endpoint: "tcp://h:5552", curve: keys });
    const listener = new Subscriber({ curve: false });
    emitter.close();
    listener.close();
}
