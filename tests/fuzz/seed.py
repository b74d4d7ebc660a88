#!/usr/bin/python3
"""Writes the fuzz seed corpus and dictionary from the conformance vectors.

Each vector's bytes go to the decoder that receives them (tests/vectors/README.md,
"Choosing the decoder"); the broker target gets every request vector behind the
layout byte that sends it to its socket, plus a few subscription messages. Run it
again after adding vectors: files are named after the vectors, so reruns are stable.

    /usr/bin/python3 tests/fuzz/seed.py [OUTPUT_DIR]   # default tests/fuzz/corpus
"""
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
VECTORS = HERE.parent / "vectors" / "vectors.json"

# direction -> decoder target, for the codec targets
DECODERS = {
    "broker->subscriber": "decode_published",
    "hook->broker": "decode_hook_request",
    "broker->hook": "decode_hook_response",
    "emitter->broker": "decode_emit_request",
    "broker->emitter": "decode_emit_response",
}

# Layout byte of broker_requests_fuzz.cpp: bit 0 emit, bit 1 replies, bit 2 events;
# bits 3..5 choose the frame layout (0 framed, 4 body only, 5 extra frame, ...).
TO_EMIT, TO_REPLIES, TO_EVENTS = 0x01, 0x02, 0x04
ODD_LAYOUTS = (4 << 3, 5 << 3, 6 << 3, 7 << 3)

SUBSCRIPTIONS = {
    "sub_capture": b"\x01capture\x00",
    "unsub_capture": b"\x00capture\x00",
    "sub_token": b"\x01~hook/fuzz-seed",
    "unsub_token": b"\x00~hook/fuzz-seed",
    "sub_everything": b"\x01",
    "not_a_subscription": b"\x02capture\x00",
}

DICTIONARY = [
    "v", "op", "req", "name", "payload_json", "wait", "timeout_ms", "expect",
    "first", "all", "instance", "hook", "events", "id", "reply_json", "run", "seq",
    "emitted_at", "deadline", "started_at", "max_msg_size", "accepted", "outcome",
    "replies", "stats", "code", "message", "supported", "emit", "hello", "reply",
    "bye", "hello_ok", "reply_ack", "bye_ok", "ack", "result", "stats_ok", "error",
    "replied", "timed_out", "no_hook", "$welcome", "~hook/", "ready", "hooks",
    "observe", "on_failure", "open", "closed", "ready_ok",
]


def msgpack_str(text):
    data = text.encode()
    assert len(data) < 32
    return bytes([0xA0 | len(data)]) + data


# A readiness wait that no live hook meets: the broker answers it at its deadline,
# after the harness's marker (the vectors' ready asks for more than the harness's
# max_timeout and is refused at once).
READY_WAITS = (bytes([0x86]) + msgpack_str("v") + b"\x02" + msgpack_str("op") +
               msgpack_str("ready") + msgpack_str("req") + b"\x14" +
               msgpack_str("name") + msgpack_str("pre_capture") + msgpack_str("hooks") +
               b"\x01" + msgpack_str("timeout_ms") + b"\x64")


def write(directory, name, data):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_bytes(data)


def main():
    out = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "corpus"
    vectors = json.loads(VECTORS.read_text())["vectors"]
    for vector in vectors:
        data = bytes.fromhex(vector["hex"])
        write(out / DECODERS[vector["direction"]], vector["name"], data)
        if vector["direction"] == "emitter->broker":
            write(out / "broker_requests", "emit_" + vector["name"],
                  bytes([TO_EMIT]) + data)
        if vector["direction"] == "hook->broker":
            write(out / "broker_requests", "replies_" + vector["name"],
                  bytes([TO_REPLIES]) + data)
    stats = next(v for v in vectors if v["kind"] == "stats" and v["valid"])
    for layout in ODD_LAYOUTS:
        write(out / "broker_requests", "layout_%02x_stats" % layout,
              bytes([TO_EMIT | TO_REPLIES | layout]) + bytes.fromhex(stats["hex"]))
    write(out / "broker_requests", "emit_ready_until_its_deadline",
          bytes([TO_EMIT]) + READY_WAITS)
    for name, message in SUBSCRIPTIONS.items():
        write(out / "broker_requests", "events_" + name, bytes([TO_EVENTS]) + message)

    lines = ['"%s"' % "".join("\\x%02x" % b for b in msgpack_str(word))
             for word in DICTIONARY]
    (out.parent / "hookbus.dict").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
