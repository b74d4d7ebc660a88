"""Conformance: every vector of tests/vectors/vectors.json, byte for byte.

Valid vectors: decoding the bytes gives exactly ``fields`` (and, on the events
socket, the ``topic``), and encoding ``fields`` gives exactly the bytes.

Malformed vectors: the decoder refuses them with ``expect_error`` (and, when
given, ``expect_req``). The Python decoder validates requests the way the broker
does, so broker-side vectors are checked the same way; what it cannot judge
(limits set by broker flags, such as ``--max-timeout``) has no vector. Encoder
side: a vector that no encoder call can produce (wrong types, bad frames) is
out of reach of ``hookbus.protocol.encode``'s callers, because the client API
checks names, instances, timeouts and JSON before it encodes
(see test_codec.py).
"""

import json
import pathlib

import pytest

from hookbus import protocol

VECTORS_FILE = (pathlib.Path(__file__).resolve().parents[3]
                / "tests" / "vectors" / "vectors.json")


def _load():
    if not VECTORS_FILE.exists():
        return []
    return json.loads(VECTORS_FILE.read_text())["vectors"]


VECTORS = _load()
VALID = [v for v in VECTORS if v["valid"]]
MALFORMED = [v for v in VECTORS if not v["valid"]]
_DIRECTIONS = {"hook->broker": "request", "emitter->broker": "request",
               "broker->hook": "response", "broker->emitter": "response"}


def _plain(value):
    # Tuples (our timestamps) compare equal to the JSON lists of the vectors.
    return json.loads(json.dumps(value))


def _decode(vector):
    raw = bytes.fromhex(vector["hex"])
    if vector["socket"] == "events":
        kind, fields = protocol.decode_frame(raw)
        assert kind == vector["kind"]
        return fields
    return protocol.decode(raw, socket=vector["socket"],
                           direction=_DIRECTIONS[vector["direction"]])


def test_vectors_file_is_present():
    assert VECTORS, f"no vectors in {VECTORS_FILE}"


def test_every_message_kind_has_a_valid_vector():
    # The decoder is picked by socket and direction: every op that a socket
    # carries either way (ready and ready_ok included) must be exercised.
    kinds = {"event", "welcome"}
    for table in (protocol.REQUESTS, protocol.RESPONSES):
        for ops in table.values():
            kinds.update(ops)
    assert kinds - {v["kind"] for v in VALID} == set()


@pytest.mark.parametrize("vector", VALID, ids=[v["name"] for v in VALID])
def test_valid_vector_decodes_to_its_fields(vector):
    fields = _decode(vector)
    assert fields.get("op", vector["kind"]) == vector["kind"]
    if vector["socket"] == "events":
        assert fields.pop("name", protocol.WELCOME_TOPIC) == vector["topic"]
    assert _plain(fields) == vector["fields"]


@pytest.mark.parametrize("vector", VALID, ids=[v["name"] for v in VALID])
def test_valid_vector_encodes_to_its_bytes(vector):
    fields = dict(vector["fields"])
    if vector["socket"] == "events":
        raw = protocol.encode_frame(vector["topic"],
                                    protocol.encode(vector["kind"], fields))
    else:
        raw = protocol.encode(vector["kind"], fields)
    assert raw.hex() == vector["hex"]


@pytest.mark.parametrize("vector", MALFORMED, ids=[v["name"] for v in MALFORMED])
def test_malformed_vector_is_refused_with_its_code(vector):
    with pytest.raises(protocol.ProtocolError) as caught:
        _decode(vector)
    assert caught.value.code == vector["expect_error"]
    if "expect_req" in vector:
        assert caught.value.req == vector["expect_req"]
