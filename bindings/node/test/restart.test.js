// A broker restart (a new run id) is reported as a LaggedError with restarted set,
// and the hook announces itself again without help, so waits reach it again.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { Emitter, Hook, LaggedError, serve } from "../src/index.js";
import { Broker, brokerTestOptions, waitFor } from "./helpers/broker.js";

describe("Restart", brokerTestOptions(), () => {
    let broker;
    let emitter;

    before(async () => {
        broker = new Broker();
        await broker.start();
        emitter = new Emitter({ dir: broker.dir });
    });

    after(async () => {
        emitter?.close();
        await broker?.dispose();
    });

    async function restartBroker() {
        const before = broker.run;
        await broker.stop();
        await broker.start();
        assert.notEqual(broker.run, before);
    }

    // Retries while the broker does not know the hook yet (no_hook).
    function answered(name) {
        return waitFor(
            async () => {
                const outcome = await emitter.emitAndWait(name, {}, { timeout: 1000 });
                return outcome.status === "replied" && outcome;
            },
            { what: `an answer to ${name}`, timeoutMs: 10_000 },
        );
    }

    test("an iterating hook throws restarted, re-announces and answers again", async () => {
        const hook = new Hook({ name: "phoenix", events: ["rise"], dir: broker.dir });
        const errors = [];
        const serving = (async () => {
            for (;;) {
                try {
                    for await (const event of hook) await event.reply({ run: event.run });
                    return;
                } catch (error) {
                    // Iterating the same hook again resumes after the loss.
                    errors.push(error);
                }
            }
        })();
        try {
            await hook.ready();
            await answered("rise");
            await restartBroker();
            const outcome = await answered("rise");
            assert.equal(outcome.replies[0].data.run, broker.run);
            assert.ok(
                errors.some((e) => e instanceof LaggedError && e.restarted),
                String(errors),
            );
            assert.equal(hook.runId, broker.run);
        } finally {
            hook.close();
        }
        await serving;
    });

    test("serve() keeps answering across a restart and reports it to onLagged", async () => {
        const lags = [];
        const hook = await serve({
            name: "steady",
            dir: broker.dir,
            onLagged: (lag) => lags.push(lag),
            handlers: { steady: () => ({ ok: true }) },
        });
        try {
            await answered("steady");
            await restartBroker();
            await answered("steady");
            assert.ok(lags.some((lag) => lag.restarted));
        } finally {
            hook.close();
        }
        await hook.done;
    });
});
