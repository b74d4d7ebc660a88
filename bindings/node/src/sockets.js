// Socket plumbing shared by every class: serialised sends, and receives taken in
// short slices. zeromq.js allows one send and one receive in progress per socket,
// and a receive left pending for a long time can miss its wake-up (seen with
// zeromq 6.x: a SUB whose last receive started at the end of a burst never saw the
// next message, although ZMQ_EVENTS showed it). A fresh receive every slice checks
// the socket again, so a missed wake-up costs at most one slice.

/** How long one send attempt blocks before the queue checks it is still wanted. */
export const SEND_SLICE_MS = 50;

/** How long one receive waits before it is issued again. */
export const RECEIVE_SLICE_MS = 100;

/** Thrown by receiveWithin() when `timeoutMs` passed without a message. */
export const TIMED_OUT = Symbol("timed out");

/**
 * Receives one message within `timeoutMs` (Infinity: no limit). Resolves to the
 * frames, TIMED_OUT, or null once `isClosed()` holds.
 */
export async function receiveWithin(socket, timeoutMs, isClosed) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        if (isClosed()) return null;
        socket.receiveTimeout = Math.max(
            0,
            Math.min(RECEIVE_SLICE_MS, deadline - Date.now()),
        );
        try {
            return await socket.receive();
        } catch (error) {
            if (isClosed()) return null;
            if (error.code !== "EAGAIN") throw error;
            if (Date.now() >= deadline) return TIMED_OUT;
        }
    }
}

/** A FIFO of sends on one socket. The socket's sendTimeout should be SEND_SLICE_MS. */
export class SendQueue {
    constructor(socket) {
        this.socket = socket;
        this.tail = Promise.resolve();
    }

    /**
     * Sends `frames` after every earlier send. While ZeroMQ cannot take the message
     * it retries as long as `stillWanted()` holds, so that a request its caller has
     * given up on never reaches the broker late. Resolves true once sent, false if
     * dropped; rejects on socket errors.
     */
    send(frames, stillWanted = () => true) {
        const attempt = this.tail.then(() => this.sendNow(frames, stillWanted));
        this.tail = attempt.catch(() => undefined);
        return attempt;
    }

    async sendNow(frames, stillWanted) {
        while (stillWanted() && !this.socket.closed) {
            try {
                await this.socket.send(frames);
                return true;
            } catch (error) {
                if (error.code !== "EAGAIN" || this.socket.closed) throw error;
            }
        }
        return false;
    }
}
