// Loss detection rules of docs/protocol.md section 9, without sockets.

import assert from "node:assert/strict";
import { test } from "node:test";

import { LossTracker } from "../src/loss.js";

test("the first event of each name sets the baseline without a loss", () => {
    const tracker = new LossTracker();
    assert.equal(tracker.welcome(7), null);
    assert.equal(tracker.event("capture", 7, 40), null);
    assert.equal(tracker.event("lint", 7, 3), null);
});

test("a seq gap reports exactly the events missing in between", () => {
    const tracker = new LossTracker();
    tracker.event("capture", 7, 1);
    const lag = tracker.event("capture", 7, 5);
    assert.deepEqual([lag.eventName, lag.missed, lag.restarted], ["capture", 3, false]);
    assert.equal(tracker.event("capture", 7, 6), null);
});

test("a welcome with a new run reports a restart and resets every baseline", () => {
    const tracker = new LossTracker();
    tracker.welcome(7);
    tracker.event("capture", 7, 10);
    const lag = tracker.welcome(8);
    assert.deepEqual([lag.eventName, lag.missed, lag.restarted], ["", 0, true]);
    assert.equal(tracker.event("capture", 8, 1), null);
    assert.equal(tracker.event("other", 8, 3).missed, 2);
});

test("an event with a new run reports the restart and the seq - 1 lost", () => {
    const tracker = new LossTracker();
    tracker.event("capture", 7, 10);
    const lag = tracker.event("capture", 9, 4);
    assert.deepEqual([lag.eventName, lag.missed, lag.restarted], ["capture", 3, true]);
    assert.equal(tracker.run, 9);
});

test("the same welcome twice is no restart", () => {
    const tracker = new LossTracker();
    tracker.welcome(7);
    assert.equal(tracker.welcome(7), null);
});
