"""Wire codec of the hookbus protocol, version 2 (docs/protocol.md).

Every message that the Python clients send or receive goes through this module:
the encoder writes the canonical form of section 2.1 (keys in the order the spec's
tables list them, shortest msgpack forms), and the decoder accepts any key order
and any integer or string width, validates every field it knows and raises
:class:`ProtocolError` carrying the error code the broker would answer with.

Messages are plain ``dict`` objects keyed by the wire field names. Timestamps are
``(seconds, nanoseconds)`` pairs on the way in and lists on the way out, exactly as
msgpack carries them.
"""

import json
import re
import uuid

import msgpack

__all__ = [
    "PROTOCOL_VERSION",
    "WELCOME_TOPIC",
    "HOOK_TOPIC_PREFIX",
    "ProtocolError",
    "valid_event_name",
    "valid_instance",
    "check_event_name",
    "check_instance",
    "new_uuid4",
    "encode",
    "decode",
    "decode_request",
    "decode_response",
    "encode_frame",
    "decode_frame",
    "split_frame",
    "encode_event",
    "encode_welcome",
    "REQUESTS",
    "RESPONSES",
    "EXPECT_VALUES",
    "ON_FAILURE_VALUES",
    "OUTCOME_VALUES",
    "MISSING_WHY_VALUES",
]

PROTOCOL_VERSION = 2
WELCOME_TOPIC = "$welcome"
HOOK_TOPIC_PREFIX = "~hook/"

MAX_U64 = (1 << 64) - 1
MAX_RUN = (1 << 53) - 1
MAX_NANOS = 999_999_999

_NAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:/-]{0,127}")
_INSTANCE_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")


class ProtocolError(ValueError):
    """A message that does not follow the protocol.

    ``code`` is the error code of section 7 that the broker would answer with
    (``bad_message``, ``bad_field``, ``unsupported_version``, ``unknown_op``,
    ``bad_name``, ``bad_timeout``); ``field`` names the offending key, if any;
    ``req`` is the message's ``req`` when it could be read, else 0 (the value an
    ``error`` response would echo).
    """

    def __init__(self, code, message, field=None, req=0):
        super().__init__(message)
        self.code = code
        self.field = field
        self.req = req


def valid_event_name(name):
    """Return whether ``name`` matches the event-name grammar of section 2."""
    return isinstance(name, str) and _NAME_RE.fullmatch(name) is not None


def valid_instance(instance):
    """Return whether ``instance`` is 1..64 characters of ``[A-Za-z0-9_-]``."""
    return isinstance(instance, str) and _INSTANCE_RE.fullmatch(instance) is not None


def check_event_name(name):
    """Return ``name`` unchanged, or raise ``ValueError`` if it is not valid."""
    if not valid_event_name(name):
        raise ValueError(
            f"invalid event name {name!r}: it must match "
            "[A-Za-z0-9_][A-Za-z0-9_.:/-]{0,127}"
        )
    return name


def check_instance(instance):
    """Return ``instance`` unchanged, or raise ``ValueError`` if it is not valid."""
    if not valid_instance(instance):
        raise ValueError(
            f"invalid instance {instance!r}: it must be 1 to 64 characters "
            "from [A-Za-z0-9_-]"
        )
    return instance


def new_uuid4():
    """Return a fresh random UUID version 4 in its lower-case text form."""
    return str(uuid.uuid4())


# ---- field checkers --------------------------------------------------------
#
# Each checker takes the decoded value and returns it (normalised where the
# Python form differs from msgpack's), or raises ProtocolError.


def _fail(field, what, code="bad_field"):
    raise ProtocolError(code, f"field '{field}' {what}", field)


def _uint(lo=0, hi=MAX_U64):
    def check(field, value):
        if type(value) is not int or not lo <= value <= hi:
            _fail(field, f"must be an integer in {lo}..{hi}")
        return value
    return check


def _str(field, value):
    if not isinstance(value, str):
        _fail(field, "must be a msgpack str")
    return value


def _bool(field, value):
    if not isinstance(value, bool):
        _fail(field, "must be a boolean")
    return value


def _name(field, value):
    _str(field, value)
    if not valid_event_name(value):
        _fail(field, f"is not a valid event name: {value!r}", "bad_name")
    return value


def _instance(field, value):
    _str(field, value)
    if not valid_instance(value):
        _fail(field, "must be 1..64 characters from [A-Za-z0-9_-]")
    return value


def _optional_instance(field, value):
    # A reply or an answer may carry "" for "no instance".
    _str(field, value)
    if value and not valid_instance(value):
        _fail(field, "must be empty or 1..64 characters from [A-Za-z0-9_-]")
    return value


def _hook_name(field, value):
    _str(field, value)
    if not 1 <= len(value.encode("utf-8")) <= 128:
        _fail(field, "must be 1..128 bytes of UTF-8")
    return value


def _timestamp(field, value):
    if (
        not isinstance(value, (list, tuple))
        or len(value) != 2
        or type(value[0]) is not int
        or type(value[1]) is not int
        or not 0 <= value[1] <= MAX_NANOS
        or not -(1 << 63) <= value[0] < (1 << 63)
    ):
        _fail(field, "must be a timestamp [seconds, nanoseconds]")
    return (value[0], value[1])


def _timestamp_or_nil(field, value):
    return None if value is None else _timestamp(field, value)


def _json_object(field, value):
    _str(field, value)
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        _fail(field, "must be the text of a JSON object")
    return value


def _names(field, value):
    # hello's events and observe: 0..1024 each; that the two together hold at
    # least one name, and no name twice, is checked by _check_hello.
    if not isinstance(value, (list, tuple)) or len(value) > 1024:
        _fail(field, "must be an array of 0..1024 event names")
    return [_name(field, item) for item in value]


def _one_of(*allowed):
    quoted = [f'"{a}"' for a in allowed]
    text = ", ".join(quoted[:-1]) + " or " + quoted[-1]

    def check(field, value):
        _str(field, value)
        if value not in allowed:
            _fail(field, f"must be {text}")
        return value
    return check


#: The reply policies (wire key ``expect``) and failure policies of section 13.
EXPECT_VALUES = ("first", "all")
ON_FAILURE_VALUES = ("open", "closed")
OUTCOME_VALUES = ("replied", "timed_out", "incomplete", "no_hook")
MISSING_WHY_VALUES = ("timed_out", "died", "left", "lagged")

_expect = _one_of(*EXPECT_VALUES)
_on_failure = _one_of(*ON_FAILURE_VALUES)
_outcome = _one_of(*OUTCOME_VALUES)
_verdict = _one_of("allowed", "vetoed")
_decided_by = _one_of("hook", "policy")
_why = _one_of(*MISSING_WHY_VALUES)


def _timeout_ms(field, value):
    if type(value) is not int or not 0 <= value <= MAX_U64:
        _fail(field, "must be an unsigned integer")
    if value == 0:
        _fail(field, "must be at least 1", "bad_timeout")
    return value


_ANSWER = (
    ("hook", _hook_name, True),
    ("instance", _optional_instance, True),
    ("reply_json", _json_object, True),
    ("latency_us", _uint(), True),
)

_VETO = (
    ("hook", _str, True),  # "" for the veto of no_hook under closed
    ("instance", _optional_instance, True),
    ("reason", _str, True),
)

_MISSING = (
    ("hook", _hook_name, True),
    ("instance", _optional_instance, True),
    ("why", _why, True),
)


def _array_of(schema, what):
    def check(field, value):
        if not isinstance(value, (list, tuple)):
            _fail(field, f"must be an array of {what}")
        return [_fields(schema, item, field) for item in value]
    return check


_answers = _array_of(_ANSWER, "answers")
_vetoes = _array_of(_VETO, "vetoes")
_missing = _array_of(_MISSING, "missing hooks")


def _map(field, value):
    if not isinstance(value, dict):
        _fail(field, "must be a map")
    return value


def _supported(field, value):
    if not isinstance(value, (list, tuple)) or any(
        type(v) is not int or v < 1 for v in value
    ):
        _fail(field, "must be an array of protocol versions")
    return list(value)


# ---- message schemas -------------------------------------------------------
#
# (key, checker, required) in canonical order; ``v`` and ``op`` are handled by
# decode()/encode() themselves. Defaults of optional keys are the values that
# encode() writes when the caller leaves them out ("every key written").

_SCHEMAS = {
    "event": (
        ("id", _str, True),
        ("run", _uint(1, MAX_RUN), True),
        ("seq", _uint(), True),
        ("emitted_at", _timestamp, True),
        ("deadline", _timestamp_or_nil, True),
        ("payload_json", _str, True),
    ),
    "welcome": (
        ("run", _uint(1, MAX_RUN), True),
        ("started_at", _timestamp, True),
        ("max_msg_size", _uint(), True),
    ),
    "hello": (
        ("instance", _instance, True),
        ("hook", _hook_name, True),
        ("events", _names, True),
        ("observe", _names, False),
    ),
    "hello_ok": (
        ("instance", _instance, True),
        ("run", _uint(1, MAX_RUN), True),
    ),
    "reply": (
        ("id", _str, True),
        ("hook", _hook_name, True),
        ("instance", _optional_instance, False),
        ("reply_json", _json_object, True),
    ),
    "reply_ack": (
        ("id", _str, True),
        ("accepted", _bool, True),
        ("registered", _bool, False),
    ),
    "bye": (("instance", _instance, True),),
    "bye_ok": (("instance", _instance, True),),
    "emit": (
        ("req", _uint(), False),
        ("name", _name, True),
        ("payload_json", _str, True),
        ("wait", _bool, False),
        ("timeout_ms", _timeout_ms, False),
        ("expect", _expect, False),
        ("on_failure", _on_failure, False),
    ),
    "ack": (
        ("req", _uint(), True),
        ("id", _str, True),
        ("seq", _uint(), True),
        ("emitted_at", _timestamp, True),
    ),
    "result": (
        ("req", _uint(), True),
        ("id", _str, True),
        ("outcome", _outcome, True),
        ("replies", _answers, True),
        ("expect", _expect, True),
        ("on_failure", _on_failure, True),
        ("verdict", _verdict, True),
        ("decided_by", _decided_by, True),
        ("vetoes", _vetoes, True),
        ("missing", _missing, True),
    ),
    "ready": (
        ("req", _uint(), False),
        ("name", _name, True),
        ("hooks", _uint(1), True),
        # Required, but its absence is bad_timeout (section 7): _check_ready.
        ("timeout_ms", _timeout_ms, False),
    ),
    "ready_ok": (
        ("req", _uint(), True),
        ("name", _name, True),
        ("ready", _bool, True),
        ("hooks", _uint(), True),
    ),
    "stats": (("req", _uint(), False),),
    "stats_ok": (
        ("req", _uint(), True),
        ("stats", _map, True),
    ),
    "error": (
        ("req", _uint(), False),
        ("code", _str, True),
        ("message", _str, True),
        ("supported", _supported, False),
    ),
}

# Values encode() writes for optional keys the caller left out. The other
# optional keys are then omitted (section 2.1): emit's timeout_ms, expect and
# on_failure (left to the broker), hello's observe, reply_ack's registered and
# error's supported.
_DEFAULTS = {
    ("reply", "instance"): "",
    ("emit", "req"): 0,
    ("emit", "wait"): False,
    ("ready", "req"): 0,
    ("stats", "req"): 0,
    ("error", "req"): 0,
}

# Optional keys that encode() leaves out even when given, when their value is
# the one that absence means: an empty observe, and registered unless false.
_OMIT_WHEN = {
    ("hello", "observe"): lambda value: not value,
    ("reply_ack", "registered"): lambda value: value is not False,
}


def _check_hello(out):
    names = list(out["events"]) + list(out.get("observe", ()))
    if not names:
        raise ProtocolError(
            "bad_field", "fields 'events' and 'observe' hold no name", "events")
    both = set(out["events"]) & set(out.get("observe", ()))
    if both:
        raise ProtocolError(
            "bad_field",
            f"field 'observe' repeats name(s) of 'events': {sorted(both)}",
            "observe")


def _check_ready(out):
    if "timeout_ms" not in out:
        raise ProtocolError(
            "bad_timeout", "required field 'timeout_ms' is missing", "timeout_ms")


# Rules across fields, run after every field passed its own check.
_CHECKS = {"hello": _check_hello, "ready": _check_ready}

# Messages without an ``op`` key: they travel on the events socket, where the
# topic says what they are.
_NO_OP = {"event", "welcome"}

#: Which ``op`` values each socket accepts from clients (requests) and sends back
#: (responses).
REQUESTS = {"replies": ("hello", "reply", "bye"),
            "emit": ("emit", "stats", "ready")}
RESPONSES = {
    "replies": ("hello_ok", "reply_ack", "bye_ok", "error"),
    "emit": ("ack", "result", "stats_ok", "ready_ok", "error"),
}

def _fields(schema, body, context):
    if not isinstance(body, dict):
        _fail(context, "must be a map")
    out = {}
    for key, check, required in schema:
        if key in body and (required or body[key] is not None):
            # An optional key whose value is nil counts as absent (section 2).
            out[key] = check(key, body[key])
        elif required:
            raise ProtocolError("bad_field", f"required field '{key}' is missing", key)
    return out


def _to_wire(value):
    # Timestamps travel as 2-element arrays; tuples pack the same as lists, but
    # normalising keeps the dicts we build printable and comparable.
    return list(value) if isinstance(value, tuple) else value


def encode(kind, fields=None, **more):
    """Return the canonical msgpack body of a message of ``kind``.

    ``kind`` is a message name (``"hello"``, ``"emit"``, ``"event"``...); the
    fields come from ``fields`` and keyword arguments, by wire name. Optional keys
    the caller leaves out are written with their protocol default, except those
    that section 2.1 omits: emit's ``timeout_ms``, ``expect`` and ``on_failure``
    (left to the broker; a fire-and-forget emit still writes ``expect`` as
    ``"first"``), hello's ``observe`` (also when empty), reply_ack's
    ``registered`` (unless false) and error's ``supported``. Unknown keys raise
    ``KeyError``; values are not validated here (see :func:`decode`).
    """
    schema = _SCHEMAS[kind]
    given = dict(fields or {}, **more)
    known = {key for key, _, _ in schema} | {"v", "op"}
    unknown = set(given) - known
    if unknown:
        raise KeyError(f"{kind} has no field(s) {sorted(unknown)}")

    body = {"v": given.get("v", PROTOCOL_VERSION)}
    if kind not in _NO_OP:
        body["op"] = kind
    for key, _, required in schema:
        if key in given and (required or given[key] is not None):
            omit = _OMIT_WHEN.get((kind, key))
            if omit is None or not omit(given[key]):
                body[key] = _wire_value(key, given[key])
        elif kind == "emit" and key == "expect" and not given.get("wait"):
            # Without wait nothing is left to the broker: the form every client
            # has always written (vector emit_fire_and_forget).
            body[key] = "first"
        elif (kind, key) in _DEFAULTS:
            body[key] = _DEFAULTS[(kind, key)]
        elif required:
            raise KeyError(f"{kind} requires field '{key}'")
    # A Packer per call: a shared one would not be safe across threads.
    return msgpack.packb(body, use_bin_type=True)


def _sorted_map(value):
    # The stats map has no fixed schema; its canonical form sorts keys by their
    # UTF-8 bytes, at every depth.
    if isinstance(value, dict):
        return {k: _sorted_map(value[k])
                for k in sorted(value, key=lambda k: str(k).encode("utf-8"))}
    if isinstance(value, (list, tuple)):
        return [_sorted_map(item) for item in value]
    return value


def _wire_value(key, value):
    if key == "stats":
        return _sorted_map(value)
    if key in _NESTED:
        return [
            {name: (item.get(name, default) if default is not None else item[name])
             for name, default in _NESTED[key]}
            for item in value
        ]
    return _to_wire(value)


# Maps nested in arrays, in canonical key order; a default of None means required.
_NESTED = {
    "replies": (("hook", None), ("instance", ""), ("reply_json", None),
                ("latency_us", 0)),
    "vetoes": (("hook", ""), ("instance", ""), ("reason", None)),
    "missing": (("hook", None), ("instance", ""), ("why", None)),
}


def _unique_map(pairs):
    # msgpack would silently keep the last of two equal keys; the protocol
    # treats such a body as malformed.
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _DuplicateKey()
    return result


class _DuplicateKey(Exception):
    pass


def _unpack(body):
    if not isinstance(body, (bytes, bytearray, memoryview)):
        raise TypeError("a message body is bytes")
    try:
        return msgpack.unpackb(body, raw=False, strict_map_key=False,
                               object_pairs_hook=_unique_map)
    except _DuplicateKey:
        raise ProtocolError("bad_message", "a map repeats a key") from None
    except msgpack.ExtraData:
        raise ProtocolError("bad_message",
                            "trailing bytes after the msgpack map") from None
    except (ValueError, TypeError, msgpack.UnpackException) as exc:
        raise ProtocolError("bad_message",
                            f"body is not valid msgpack: {exc}") from None


def decode(body, kind=None, socket=None, direction=None):
    """Decode and validate one message body; return its fields as a ``dict``.

    Give ``kind`` to require one message (``"event"`` and ``"welcome"`` must be
    given this way, as they carry no ``op``), or ``socket`` (``"replies"`` or
    ``"emit"``) to accept the messages of that socket, told apart by ``op``;
    ``direction`` (``"request"`` or ``"response"``) narrows that to one way.
    The result holds ``v``, ``op`` (when the message has one) and every known
    field present; keys the protocol does not define are dropped, as section 2
    requires. Timestamps come back as ``(seconds, nanoseconds)`` tuples.

    Raises :class:`ProtocolError` with the code of section 7 the broker would
    answer with, and the ``req`` it would echo.
    """
    data = _unpack(body)
    if not isinstance(data, dict):
        raise ProtocolError("bad_message", "body is not a msgpack map")
    if any(not isinstance(key, str) for key in data):
        raise ProtocolError("bad_message", "map keys must be msgpack str")
    req = data.get("req", 0)
    if type(req) is not int or not 0 <= req <= MAX_U64:
        req = 0
    try:
        return _decode_map(data, kind, socket, direction)
    except ProtocolError as exc:
        exc.req = req
        raise


def _decode_map(data, kind, socket, direction):
    _version(data)
    if kind not in _NO_OP:
        kind = _op(data, kind, socket, direction)
    out = {"v": data["v"]}
    if kind not in _NO_OP:
        out["op"] = kind
    out.update(_fields(_SCHEMAS[kind], data, kind))
    check = _CHECKS.get(kind)
    if check is not None:
        check(out)
    return out


def decode_request(body, socket):
    """Decode a client request on ``socket`` (what the broker receives)."""
    return decode(body, socket=socket, direction="request")


def decode_response(body, socket):
    """Decode a broker response on ``socket`` (what a client receives)."""
    return decode(body, socket=socket, direction="response")


def _version(data):
    if "v" not in data:
        raise ProtocolError("bad_field", "required field 'v' is missing", "v")
    version = data["v"]
    if type(version) is not int or version < 1:
        raise ProtocolError("bad_field", "field 'v' must be a positive integer", "v")
    if version != PROTOCOL_VERSION:
        raise ProtocolError(
            "unsupported_version",
            f"protocol version {version} is not supported; this client speaks "
            f"{PROTOCOL_VERSION}",
            "v",
        )


def _op(data, kind, socket, direction):
    if "op" not in data:
        raise ProtocolError("bad_field", "required field 'op' is missing", "op")
    op = data["op"]
    if not isinstance(op, str):
        raise ProtocolError("bad_field", "field 'op' must be a msgpack str", "op")
    if kind is not None:
        allowed = (kind,)
    elif socket is not None:
        allowed = ()
        if direction in (None, "request"):
            allowed += REQUESTS[socket]
        if direction in (None, "response"):
            allowed += RESPONSES[socket]
    else:
        allowed = tuple(k for k in _SCHEMAS if k not in _NO_OP)
    if op not in allowed:
        where = f" on the {socket} socket" if socket else ""
        raise ProtocolError("unknown_op", f"unknown op '{op}'{where}", "op")
    return op


def encode_frame(topic, body):
    """Return the single events-socket frame ``topic NUL body``."""
    return topic.encode("utf-8") + b"\0" + body


def split_frame(frame):
    """Split an events-socket frame into ``(topic, body)``.

    Raises :class:`ProtocolError` (``bad_message``) when there is no NUL, and
    (``bad_name``) when the topic is neither ``$welcome`` nor an event name.
    """
    frame = bytes(frame)
    nul = frame.find(b"\0")
    if nul < 0:
        raise ProtocolError("bad_message", "events frame has no NUL after the topic")
    try:
        topic = frame[:nul].decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError("bad_name", "events topic is not UTF-8")
    if topic != WELCOME_TOPIC and not valid_event_name(topic):
        raise ProtocolError("bad_name", f"events topic {topic!r} is not an event name")
    return topic, frame[nul + 1:]


def decode_frame(frame):
    """Decode an events-socket frame into ``(kind, fields)``.

    ``kind`` is ``"welcome"`` or ``"event"``; for an event, ``fields`` also holds
    ``name`` (the topic).
    """
    topic, body = split_frame(frame)
    if topic == WELCOME_TOPIC:
        return "welcome", decode(body, "welcome")
    fields = decode(body, "event")
    fields["name"] = topic
    return "event", fields


def encode_event(name, fields):
    """Return the events frame of an event: ``name NUL body``."""
    return encode_frame(name, encode("event", fields))


def encode_welcome(fields):
    """Return the events frame of a welcome: ``$welcome NUL body``."""
    return encode_frame(WELCOME_TOPIC, encode("welcome", fields))
