// CURVE keys for a broker that requires them (docs/protocol.md section 12). Key
// files are those of `hookbus keygen`: blank lines and lines starting with '#' are
// ignored, every other line is `name = "value"`; NAME.key holds public-key and
// secret-key (mode 0600), NAME.pub only public-key. Every client takes a `curve`
// option: { serverKey, publicKey, secretKey } in Z85, undefined (from
// $HOOKBUS_SERVER_KEY and $HOOKBUS_CLIENT_KEY, each naming a file, else none) or
// false (none, whatever the environment says).

import { createPrivateKey, createPublicKey } from "node:crypto";
import { readFileSync, statSync } from "node:fs";

export const SERVER_KEY_ENV = "HOOKBUS_SERVER_KEY";
export const CLIENT_KEY_ENV = "HOOKBUS_CLIENT_KEY";

const MAX_KEY_FILE = 4096;
const Z85_ALPHABET =
    "0123456789abcdefghijklmnopqrstuvwxyz" +
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
// DER of a PKCS#8 X25519 private key, before its 32 key bytes. CURVE's keys are
// X25519 keys, so node:crypto can derive a public key to check a key file with.
const X25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");

/** Decodes 40 characters of Z85 into 32 bytes; null when it is not such a key. */
export function decodeZ85Key(text) {
    if (typeof text !== "string" || text.length !== 40) return null;
    const bytes = Buffer.alloc(32);
    for (let group = 0; group < 8; group++) {
        let value = 0;
        for (let i = 0; i < 5; i++) {
            const digit = Z85_ALPHABET.indexOf(text[group * 5 + i]);
            if (digit < 0) return null;
            value = value * 85 + digit;
        }
        if (value > 0xffffffff) return null;
        bytes.writeUInt32BE(value, group * 4);
    }
    return bytes;
}

function encodeZ85Key(bytes) {
    let text = "";
    for (let group = 0; group < 8; group++) {
        let value = bytes.readUInt32BE(group * 4);
        let chunk = "";
        for (let i = 0; i < 5; i++) {
            chunk = Z85_ALPHABET[value % 85] + chunk;
            value = Math.floor(value / 85);
        }
        text += chunk;
    }
    return text;
}

function readFields(path) {
    const data = readFileSync(path);
    if (data.length > MAX_KEY_FILE) throw new Error(`key file ${path} is too large`);
    const fields = new Map();
    data.toString("latin1")
        .split(/\r?\n/)
        .forEach((line, index) => {
            const content = line.trim();
            if (content === "" || content.startsWith("#")) return;
            const equals = content.indexOf("=");
            const value = equals < 0 ? "" : content.slice(equals + 1).trim();
            const quoted =
                value.length >= 2 && value.startsWith('"') && value.endsWith('"');
            if (equals < 0 || !quoted) {
                throw new Error(
                    `key file ${path} line ${index + 1}: expected name = "value" ` +
                        "(see hookbus keygen)",
                );
            }
            fields.set(content.slice(0, equals).trim(), value.slice(1, -1));
        });
    return fields;
}

function keyField(path, fields, name) {
    const key = fields.get(name);
    if (key === undefined) throw new Error(`key file ${path} has no ${name} line`);
    if (!decodeZ85Key(key)) {
        throw new Error(
            `key file ${path} has a ${name} that is not a 40-character Z85 CURVE key`,
        );
    }
    return key;
}

function publicOf(secretKey) {
    const der = Buffer.concat([X25519_PKCS8_PREFIX, decodeZ85Key(secretKey)]);
    const privateKey = createPrivateKey({ key: der, format: "der", type: "pkcs8" });
    const spki = createPublicKey(privateKey).export({ format: "der", type: "spki" });
    return encodeZ85Key(spki.subarray(spki.length - 32));
}

/** The public-key of a .pub (or .key) file. */
export function loadPublicKey(path) {
    return keyField(path, readFields(path), "public-key");
}

/**
 * { publicKey, secretKey } of a .key file. Refuses a file open to group or others,
 * and keys that do not belong together.
 */
export function loadKeyPair(path) {
    const fields = readFields(path);
    if ((statSync(path).mode & 0o077) !== 0) {
        throw new Error(
            `key file ${path} holds a secret key but is open to other users; ` +
                `run \`chmod 600 ${path}\``,
        );
    }
    const publicKey = keyField(path, fields, "public-key");
    const secretKey = keyField(path, fields, "secret-key");
    if (publicOf(secretKey) !== publicKey) {
        throw new Error(
            `key file ${path} has a public-key that does not belong to its secret-key`,
        );
    }
    return { publicKey, secretKey };
}

/** The curve option from a broker's public key file and a client's key file. */
export function loadCurve(serverKeyFile, clientKeyFile) {
    return { serverKey: loadPublicKey(serverKeyFile), ...loadKeyPair(clientKeyFile) };
}

/** The curve option named by $HOOKBUS_SERVER_KEY and $HOOKBUS_CLIENT_KEY, or null. */
export function curveFromEnv(env = process.env) {
    const server = env[SERVER_KEY_ENV];
    const client = env[CLIENT_KEY_ENV];
    if (!server && !client) return null;
    if (!server || !client) {
        const [have, lack] = server
            ? [SERVER_KEY_ENV, CLIENT_KEY_ENV]
            : [CLIENT_KEY_ENV, SERVER_KEY_ENV];
        throw new Error(
            `${have} is set but ${lack} is not; CURVE needs the broker's public key ` +
                "file and the client's key file",
        );
    }
    return loadCurve(server, client);
}

/** zeromq socket options for a client's `curve` option (see the top of this file). */
export function curveSocketOptions(curve) {
    const resolved = curve === false ? null : (curve ?? curveFromEnv());
    if (!resolved) return {};
    const { serverKey, publicKey, secretKey } = resolved;
    if (![serverKey, publicKey, secretKey].every((key) => decodeZ85Key(key))) {
        throw new TypeError(
            "curve needs serverKey, publicKey and secretKey as 40-character Z85 keys",
        );
    }
    return {
        curveServerKey: serverKey,
        curvePublicKey: publicKey,
        curveSecretKey: secretKey,
    };
}
