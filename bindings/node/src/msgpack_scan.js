// A structural pass over a msgpack body before it is decoded: the protocol needs
// checks that @msgpack/msgpack does not make: it keeps the last of two equal keys and
// accepts integer keys, where the protocol wants str keys, each once. One linear walk.

const MAX_DEPTH = 64;

/**
 * Returns null when `bytes` is exactly one msgpack value whose maps have only str
 * keys, none repeated; otherwise a short description of the first problem.
 */
export function scanMsgpack(bytes) {
    const scanner = new Scanner(bytes);
    try {
        scanner.value(0);
    } catch (problem) {
        if (problem instanceof ScanProblem) return problem.message;
        throw problem;
    }
    if (scanner.pos !== bytes.length)
        return `${bytes.length - scanner.pos} trailing byte(s)`;
    return null;
}

class ScanProblem extends Error {}

class Scanner {
    constructor(bytes) {
        this.bytes = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        this.pos = 0;
    }

    take(count) {
        if (this.pos + count > this.bytes.length) throw new ScanProblem("truncated");
        const start = this.pos;
        this.pos += count;
        return start;
    }

    uint(width) {
        const at = this.take(width);
        if (width === 1) return this.view.getUint8(at);
        if (width === 2) return this.view.getUint16(at);
        return this.view.getUint32(at);
    }

    // Skips one value; returns its raw bytes as a latin1 string when it is a str,
    // else null, so that map keys can be compared byte for byte.
    value(depth) {
        if (depth > MAX_DEPTH) throw new ScanProblem("nested too deeply");
        const head = this.bytes[this.take(1)];
        if (head <= 0x7f || head >= 0xe0) return null;
        if (head <= 0x8f) return this.map(head & 0x0f, depth);
        if (head <= 0x9f) return this.array(head & 0x0f, depth);
        if (head <= 0xbf) return this.str(head & 0x1f);
        return this.tagged(head, depth);
    }

    tagged(head, depth) {
        const fixed = {
            0xc0: 0,
            0xc2: 0,
            0xc3: 0,
            0xca: 4,
            0xcb: 8,
            0xcc: 1,
            0xcd: 2,
            0xce: 4,
            0xcf: 8,
            0xd0: 1,
            0xd1: 2,
            0xd2: 4,
            0xd3: 8,
            0xd4: 2,
            0xd5: 3,
            0xd6: 5,
            0xd7: 9,
            0xd8: 17,
        };
        if (head in fixed) {
            this.take(fixed[head]);
            return null;
        }
        switch (head) {
            case 0xc4:
            case 0xc5:
            case 0xc6:
                this.take(this.uint(1 << (head - 0xc4)));
                return null;
            case 0xc7:
            case 0xc8:
            case 0xc9:
                this.take(this.uint(1 << (head - 0xc7)) + 1);
                return null;
            case 0xd9:
            case 0xda:
            case 0xdb:
                return this.str(this.uint(1 << (head - 0xd9)));
            case 0xdc:
            case 0xdd:
                return this.array(this.uint(head === 0xdc ? 2 : 4), depth);
            case 0xde:
            case 0xdf:
                return this.map(this.uint(head === 0xde ? 2 : 4), depth);
            default:
                throw new ScanProblem(`invalid byte 0x${head.toString(16)}`);
        }
    }

    str(length) {
        const at = this.take(length);
        return this.bytes.toString("latin1", at, at + length);
    }

    array(count, depth) {
        for (let i = 0; i < count; i++) this.value(depth + 1);
        return null;
    }

    map(count, depth) {
        const keys = new Set();
        for (let i = 0; i < count; i++) {
            const key = this.value(depth + 1);
            if (key === null) throw new ScanProblem("a map key is not a str");
            if (keys.has(key)) throw new ScanProblem(`key "${key}" appears twice`);
            keys.add(key);
            this.value(depth + 1);
        }
        return null;
    }
}
