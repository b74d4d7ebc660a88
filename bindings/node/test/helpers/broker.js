// Starts a real hookbusd for a test file: a private --dir under the system temp
// directory, ready once it answers a stats request, stopped by pid with SIGTERM
// (SIGKILL if it lingers), and its directory removed, even when tests fail.

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { Emitter, endpointsIn } from "../../src/index.js";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..");

/**
 * The hookbusd binary: $HOOKBUSD, else <repo>/build/src/hookbusd, else any
 * <repo>/build*\/src/hookbusd; null when none exists. A $HOOKBUSD that names no
 * file is an error, so that CI never silently skips the live tests.
 */
export function findHookbusd() {
    const fromEnv = process.env.HOOKBUSD;
    if (fromEnv) {
        if (!existsSync(fromEnv)) throw new Error(`HOOKBUSD=${fromEnv} does not exist`);
        return fromEnv;
    }
    const builds = readdirSync(repo)
        .filter((entry) => entry.startsWith("build"))
        .sort();
    const candidates = ["build", ...builds].map((entry) =>
        join(repo, entry, "src", "hookbusd"),
    );
    return candidates.find((path) => existsSync(path)) ?? null;
}

/** Options for node:test: skips (with a reason) when there is no broker to run. */
export function brokerTestOptions() {
    const binary = findHookbusd();
    return binary
        ? {}
        : { skip: "no hookbusd: set HOOKBUSD or build <repo>/build/src/hookbusd" };
}

const live = new Set();
process.on("exit", () => {
    for (const broker of live) broker.child?.kill("SIGKILL");
});

/** A hookbusd process in its own directory. */
export class Broker {
    constructor(args = []) {
        this.binary = findHookbusd();
        this.args = args;
        this.dir = mkdtempSync(join(tmpdir(), "hookbus-node-"));
        this.endpoints = endpointsIn(this.dir);
        this.child = null;
        this.output = "";
        live.add(this);
    }

    /** Spawns hookbusd and resolves once it answers stats. */
    async start(timeoutMs = 10_000) {
        if (!this.binary) throw new Error("no hookbusd binary");
        const child = spawn(this.binary, ["--dir", this.dir, ...this.args], {
            stdio: ["ignore", "pipe", "pipe"],
        });
        this.child = child;
        this.exited = new Promise((resolve) =>
            child.once("exit", (code, signal) => {
                resolve({ code, signal });
            }),
        );
        child.stdout.on("data", (chunk) => (this.output += chunk));
        child.stderr.on("data", (chunk) => (this.output += chunk));
        await this.waitUntilAnswering(timeoutMs);
        return this;
    }

    async waitUntilAnswering(timeoutMs) {
        const emitter = new Emitter({
            endpoint: this.endpoints.emit,
            requestTimeout: 200,
        });
        const deadline = Date.now() + timeoutMs;
        try {
            while (Date.now() < deadline) {
                if (this.child.exitCode !== null || this.child.signalCode !== null) {
                    throw new Error(`hookbusd exited early:\n${this.output}`);
                }
                try {
                    this.run = (await emitter.stats()).run;
                    return;
                } catch {
                    // Not up yet: try again.
                }
            }
            throw new Error(
                `hookbusd did not answer stats within ${timeoutMs} ms:\n${this.output}`,
            );
        } finally {
            emitter.close();
        }
    }

    /** SIGTERM, wait for the exit (SIGKILL after `graceMs`); resolves to the exit. */
    async stop(graceMs = 5000) {
        const child = this.child;
        if (!child) return null;
        this.child = null;
        if (child.exitCode !== null || child.signalCode !== null) return this.exited;
        child.kill("SIGTERM");
        let timer;
        const killed = new Promise((resolve) => {
            timer = setTimeout(() => {
                child.kill("SIGKILL");
                resolve(null);
            }, graceMs);
        });
        const exit = await Promise.race([this.exited, killed]);
        clearTimeout(timer);
        return exit ?? this.exited;
    }

    /** Stops the broker and removes its directory. */
    async dispose() {
        try {
            await this.stop();
        } finally {
            rmSync(this.dir, { recursive: true, force: true });
            live.delete(this);
        }
    }
}

/** Polls `check` until it returns a truthy value (returned) or `timeoutMs` passes. */
export async function waitFor(
    check,
    { timeoutMs = 5000, intervalMs = 20, what = "condition" } = {},
) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const value = await check();
        if (value) return value;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
}
