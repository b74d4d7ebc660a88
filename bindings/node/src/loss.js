// Loss detection for subscribers (docs/protocol.md section 9). Fed every welcome
// and event in arrival order, it says whether events were lost before the one just
// seen: by a gap in a name's `seq`, or by a change of the broker's `run`.

import { LaggedError } from "./errors.js";

/** Tracks `run` and the last `seq` per event name; returns a LaggedError or null. */
export class LossTracker {
    constructor() {
        /** Run id of the broker last heard from; 0 before the first message. */
        this.run = 0;
        this.lastSeq = new Map();
        // After a restart every name's baseline is 0, seen before or not.
        this.afterRestart = false;
    }

    /** A welcome arrived: a new run means the broker restarted. */
    welcome(run) {
        if (this.run === 0 || run === this.run) {
            this.run = run;
            return null;
        }
        this.restart(run);
        return new LaggedError("", 0, true);
    }

    /** An event arrived; returns the loss it reveals, if any. */
    event(name, run, seq) {
        let restarted = false;
        if (this.run !== 0 && run !== this.run) {
            this.restart(run);
            restarted = true;
        }
        this.run = run;

        const last = this.lastSeq.get(name) ?? (this.afterRestart ? 0 : undefined);
        this.lastSeq.set(name, Math.max(seq, last ?? 0));
        const missed = last === undefined ? 0 : Math.max(0, seq - last - 1);
        if (missed === 0 && !restarted) return null;
        return new LaggedError(name, missed, restarted);
    }

    restart(run) {
        this.run = run;
        this.lastSeq.clear();
        this.afterRestart = true;
    }
}
