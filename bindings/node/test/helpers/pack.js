// msgpack for fake brokers in tests: maps in key order, integers shortest.

import { Encoder } from "@msgpack/msgpack";

const encoder = new Encoder({ forceIntegerToFloat: false, useBigInt64: false });

/** Encodes `value` into a Buffer. */
export function pack(value) {
    const bytes = encoder.encode(value);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
