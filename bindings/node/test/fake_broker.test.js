// A Hook and an Emitter against a fake broker (ROUTERs speaking the codec). The
// hook announces its observed names, refuses locally to answer them, and says
// hello again once per cut-off when reply_acks carry registered: false
// (docs/protocol.md section 13.4). The emitter refuses at once a result without
// the reply-policy keys, as an older broker sends (section 6.1).

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import * as zmq from "zeromq";

import {
    decodeEmitRequest,
    decodeHookRequest,
    encodeHelloOk,
    encodeReplyAck,
} from "../src/codec.js";
import { pack } from "./helpers/pack.js";
import { Emitter, Hook, ProtocolError, endpointsIn } from "../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "hookbus-node-fake-"));
const endpoints = endpointsIn(dir);
const hellos = [];
let router;
let emitRouter;
let closed = false;

// Answers hello with hello_ok and every reply with accepted: false, registered:
// false, as a broker does for a hook it has cut off.
async function serveFake() {
    while (!closed) {
        let frames;
        try {
            frames = await router.receive();
        } catch {
            return;
        }
        const [identity, , body] = frames;
        const request = decodeHookRequest(body);
        let response;
        if (request.op === "hello") {
            hellos.push(request);
            response = encodeHelloOk({ instance: request.instance, run: 7 });
        } else if (request.op === "reply") {
            response = encodeReplyAck({
                id: request.id,
                accepted: false,
                registered: false,
            });
        } else continue;
        await router.send([identity, Buffer.alloc(0), response]);
    }
}

// Answers emit with a result of the shape brokers sent before reply policies, and
// ready with a ready_ok that lacks `ready`.
async function serveOldEmit() {
    while (!closed) {
        let frames;
        try {
            frames = await emitRouter.receive();
        } catch {
            return;
        }
        const [identity, , body] = frames;
        const request = decodeEmitRequest(body);
        const response =
            request.op === "emit"
                ? { v: 2, op: "result", req: request.req, id: "", outcome: "no_hook" }
                : { v: 2, op: "ready_ok", req: request.req, name: request.name };
        if (request.op === "emit") response.replies = [];
        await emitRouter.send([identity, Buffer.alloc(0), pack(response)]);
    }
}

before(async () => {
    router = new zmq.Router({ linger: 0 });
    await router.bind(endpoints.replies);
    serveFake();
    emitRouter = new zmq.Router({ linger: 0 });
    await emitRouter.bind(endpoints.emit);
    serveOldEmit();
});

after(() => {
    closed = true;
    router.close();
    emitRouter.close();
    rmSync(dir, { recursive: true, force: true });
});

const fakeEvent = (n, name = "capture") => ({ id: `id-${n}`, name });

test("a cut-off hook says hello again once per cut-off, not once per ack", async () => {
    const hook = new Hook({
        name: "laggard",
        events: ["capture"],
        observe: ["merge"],
        endpoints,
    });
    try {
        await hook.ready(2000);
        assert.equal(hellos.length, 1);
        assert.deepEqual(
            [hellos[0].events, hellos[0].observe],
            [["capture"], ["merge"]],
        );

        const accepted = await Promise.all(
            [1, 2, 3].map((n) => hook.replyJson(fakeEvent(n), "{}")),
        );
        assert.deepEqual(accepted, [false, false, false]);
        await hook.ready(2000);
        assert.deepEqual([hellos.length, hook.cutOffs], [2, 1]);
        assert.equal(hellos[1].instance, hook.instance);

        // A later cut-off gets its own hello.
        assert.equal(await hook.replyJson(fakeEvent(4), "{}"), false);
        await hook.ready(2000);
        assert.deepEqual([hellos.length, hook.cutOffs], [3, 2]);
    } finally {
        hook.close();
    }
});

test("answering an observed name is refused locally", async () => {
    const hook = new Hook({ name: "auditor", observe: ["merge"], endpoints });
    try {
        await hook.ready(2000);
        const before = hellos.length;
        await assert.rejects(hook.replyJson(fakeEvent(5, "merge"), "{}"), TypeError);
        assert.equal(hook.cutOffs, 0);
        assert.equal(hellos.length, before);
        assert.deepEqual(hellos.at(-1).events, []);
    } finally {
        hook.close();
    }
});

test("a result without a verdict is refused at once, not taken as allowed", async () => {
    const emitter = new Emitter({ endpoint: endpoints.emit });
    try {
        const started = Date.now();
        const outcome = await emitter.emitAndWait("capture", {}, { timeout: 3000 });
        assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
        assert.deepEqual(
            [outcome.status, outcome.error?.code, outcome.vetoed, outcome.verdict],
            ["refused", "bad_field", false, null],
        );
        await assert.rejects(
            emitter.waitReady("capture", { timeout: 3000 }),
            (error) => error instanceof ProtocolError && error.code === "bad_field",
        );
        assert.equal(emitter.malformed, 2);
    } finally {
        emitter.close();
    }
});
