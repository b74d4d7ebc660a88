// With no broker at all, every request ends by the client's own deadline.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";

import { BrokerUnreachableError, Emitter, Hook } from "../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "hookbus-node-nobroker-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("emit rejects with BrokerUnreachableError after the request timeout", async () => {
    const emitter = new Emitter({ dir, requestTimeout: 300 });
    try {
        await assert.rejects(
            emitter.emit("capture", {}),
            (error) =>
                error instanceof BrokerUnreachableError && error.code === "unreachable",
        );
    } finally {
        emitter.close();
    }
});

test("emitAndWait is unreachable after timeout plus grace, not later", async () => {
    const emitter = new Emitter({ dir });
    try {
        const started = Date.now();
        const outcome = await emitter.emitAndWait("capture", {}, { timeout: 200 });
        const elapsed = Date.now() - started;
        assert.equal(outcome.status, "unreachable");
        assert.ok(elapsed >= 650 && elapsed < 1500, `took ${elapsed} ms`);
    } finally {
        emitter.close();
    }
});

test("a wait that asked to fail closed is vetoed when the broker is unreachable", async () => {
    const emitter = new Emitter({ dir, grace: 100 });
    try {
        const closed = await emitter.emitAndWait("capture", {}, {
            timeout: 100,
            onFailure: "closed",
        });
        assert.equal(closed.status, "unreachable");
        assert.equal(closed.vetoed, true);
        assert.equal(closed.decidedBy, "policy");
        assert.match(closed.vetoes[0].reason, /unreachable/);
        const open = await emitter.emitAndWait("capture", {}, { timeout: 100 });
        assert.equal(open.vetoed, false);
    } finally {
        emitter.close();
    }
});

test("a hook that never hears hello_ok fails ready() with BrokerUnreachableError", async () => {
    const hook = new Hook({ name: "lonely", events: ["capture"], dir });
    try {
        await assert.rejects(hook.ready(300), BrokerUnreachableError);
    } finally {
        hook.close();
    }
});

test("waitReady is BrokerUnreachableError after timeout plus grace", async () => {
    const emitter = new Emitter({ dir });
    try {
        const started = Date.now();
        await assert.rejects(
            emitter.waitReady("capture", { timeout: 200 }),
            BrokerUnreachableError,
        );
        const elapsed = Date.now() - started;
        assert.ok(elapsed >= 650 && elapsed < 1500, `took ${elapsed} ms`);
    } finally {
        emitter.close();
    }
});
