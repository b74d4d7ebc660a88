// CURVE against a real hookbusd on tcp 127.0.0.1: an admitted emitter is answered by
// an admitted hook; an unknown key, or no CURVE, gets nothing through. The keys are
// made by `hookbus keygen`, so the file format is shared for real.

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";

import {
    BrokerUnreachableError,
    Emitter,
    Hook,
    Subscriber,
    curveFromEnv,
    loadCurve,
    loadKeyPair,
} from "../src/index.js";
import { brokerTestOptions, findHookbusd, waitFor } from "./helpers/broker.js";

const REFUSED_WAIT_MS = 1500;
const ANY_PORT = "tcp://127.0.0.1:*";

describe("CURVE", brokerTestOptions(), () => {
    const dir = mkdtempSync(join(tmpdir(), "hookbus-node-curve-"));
    const allowed = join(dir, "allowed");
    let child;
    let output = "";
    let endpoints;
    let admitted;
    let stranger;

    function keygen(name, where) {
        const cli = join(dirname(findHookbusd()), "hookbus");
        const run = spawnSync(cli, ["keygen", name, "--dir", where]);
        assert.equal(run.status, 0, String(run.stderr));
        return { key: join(where, `${name}.key`), pub: join(where, `${name}.pub`) };
    }

    async function stats() {
        const emitter = new Emitter({ endpoint: endpoints.emit, curve: admitted });
        try {
            return await emitter.stats();
        } finally {
            emitter.close();
        }
    }

    before(async () => {
        mkdirSync(allowed, { mode: 0o700 });
        const server = keygen("server", dir);
        const client = keygen("client", allowed);
        const other = keygen("stranger", dir);
        admitted = loadCurve(server.pub, client.key);
        stranger = loadCurve(server.pub, other.key);
        child = spawn(
            findHookbusd(),
            [
                ...["--dir", join(dir, "bus"), "--events", ANY_PORT],
                ...["--replies", ANY_PORT, "--emit", ANY_PORT],
                ...["--curve-secret", server.key, "--allowed-keys", allowed],
            ],
            { stdio: ["ignore", "pipe", "pipe"] },
        );
        child.stderr.on("data", (chunk) => (output += chunk));
        const found = await waitFor(
            () => /HB-START .*events=(\S+) replies=(\S+) emit=(\S+)/.exec(output),
            { timeoutMs: 10_000, what: `hookbusd to start:\n${output}` },
        );
        endpoints = { events: found[1], replies: found[2], emit: found[3] };
    });

    after(() => {
        child?.kill("SIGTERM");
        rmSync(dir, { recursive: true, force: true });
    });

    test("an admitted emitter is answered by an admitted hook", async () => {
        const hook = new Hook({
            name: "guard",
            events: ["capture"],
            endpoints,
            curve: admitted,
        });
        const emitter = new Emitter({ endpoint: endpoints.emit, curve: admitted });
        try {
            await hook.ready(5000);
            const answering = (async () => {
                const event = await hook.next(5000);
                await event.reply({ abort: "no" });
            })();
            const outcome = await emitter.emitAndWait("capture", {}, { timeout: 5000 });
            await answering;
            assert.equal(outcome.status, "replied");
            assert.equal(outcome.abort, "no");
        } finally {
            emitter.close();
            hook.close();
        }
    });

    test("an unknown key can emit nothing", async () => {
        const before = (await stats()).events_emitted;
        const emitter = new Emitter({
            endpoint: endpoints.emit,
            curve: stranger,
            requestTimeout: REFUSED_WAIT_MS,
        });
        try {
            await assert.rejects(emitter.emit("capture", {}), BrokerUnreachableError);
        } finally {
            emitter.close();
        }
        const after = await stats();
        assert.ok(after.auth_denied >= 1);
        assert.equal(after.events_emitted, before);
    });

    test("an unknown key receives no welcome and no event", async () => {
        const denied = (await stats()).auth_denied;
        const listener = new Subscriber({ endpoint: endpoints.events, curve: stranger });
        const emitter = new Emitter({ endpoint: endpoints.emit, curve: admitted });
        try {
            await waitFor(async () => (await stats()).auth_denied > denied, {
                what: "the subscriber's refusal",
            });
            await emitter.emit("capture", {});
            assert.equal(await listener.next(REFUSED_WAIT_MS), null);
            assert.equal(listener.runId, 0);
        } finally {
            emitter.close();
            listener.close();
        }
    });

    test("a client without CURVE is unreachable", async () => {
        const emitter = new Emitter({
            endpoint: endpoints.emit,
            curve: false,
            requestTimeout: REFUSED_WAIT_MS,
        });
        try {
            await assert.rejects(emitter.stats(), BrokerUnreachableError);
        } finally {
            emitter.close();
        }
    });

    test("keys come from the environment by default", async () => {
        process.env.HOOKBUS_SERVER_KEY = join(dir, "server.pub");
        process.env.HOOKBUS_CLIENT_KEY = join(allowed, "client.key");
        try {
            assert.deepEqual(curveFromEnv(), admitted);
            const emitter = new Emitter({ endpoint: endpoints.emit });
            try {
                assert.equal(typeof (await emitter.stats()).auth_denied, "number");
            } finally {
                emitter.close();
            }
        } finally {
            delete process.env.HOOKBUS_SERVER_KEY;
            delete process.env.HOOKBUS_CLIENT_KEY;
        }
    });

    test("one environment variable alone is an error", () => {
        assert.throws(
            () => curveFromEnv({ HOOKBUS_SERVER_KEY: "/x.pub" }),
            /HOOKBUS_CLIENT_KEY/,
        );
    });

    test("a key file open to others is refused", () => {
        const path = join(dir, "stranger.key");
        assert.ok(existsSync(path));
        chmodSync(path, 0o644);
        assert.throws(() => loadKeyPair(path), /chmod 600/);
    });
});
