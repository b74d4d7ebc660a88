"""Request building and response reading shared by the sync and async emitters."""

import itertools
import logging

from . import protocol
from ._payload import payload_json
from .errors import Refused
from .outcome import Outcome, Reply, Status

log = logging.getLogger("hookbus")

#: Added to a wait's timeout to make the client's own deadline (section 10).
DEFAULT_GRACE = 0.5
#: Client deadline of a request that does not wait (emit, stats).
DEFAULT_REQUEST_TIMEOUT = 5.0
#: Requests larger than this are refused locally, as the broker would drop them.
DEFAULT_MAX_MSG_SIZE = 1 << 20

_EXPECT = ("first", "all")


class RequestBuilder:
    """Numbers requests and encodes them, checking arguments up front."""

    def __init__(self, max_msg_size):
        self.max_msg_size = max_msg_size
        self._req = itertools.count(1)

    def _checked(self, kind, fields):
        body = protocol.encode(kind, fields)
        if len(body) > self.max_msg_size:
            raise ValueError(
                f"request of {len(body)} bytes exceeds the broker's limit of "
                f"{self.max_msg_size} bytes (max_msg_size)"
            )
        return body

    def emit(self, name, payload, wait=False, timeout=None, expect="first"):
        """Return ``(req, body)`` of an emit request."""
        protocol.check_event_name(name)
        fields = {"req": next(self._req), "name": name,
                  "payload_json": payload_json(payload), "wait": wait}
        if wait:
            if expect not in _EXPECT:
                raise ValueError(f"expect must be 'first' or 'all', not {expect!r}")
            fields["timeout_ms"] = timeout_ms(timeout)
            fields["expect"] = expect
        return fields["req"], self._checked("emit", fields)

    def stats(self):
        """Return ``(req, body)`` of a stats request."""
        req = next(self._req)
        return req, self._checked("stats", {"req": req})


def timeout_ms(timeout):
    """Convert a timeout in seconds to the wire's whole milliseconds (>= 1)."""
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError("timeout is a number of seconds")
    if not timeout > 0:
        raise ValueError("timeout must be positive")
    return max(1, round(timeout * 1000))


def read_response(frames):
    """Decode one emit-socket response; ``None`` if it is not a usable one."""
    if len(frames) != 2 or frames[0] != b"":
        log.debug("hookbus: dropped an emit response with %d frames", len(frames))
        return None
    try:
        msg = protocol.decode_response(frames[1], "emit")
    except protocol.ProtocolError as exc:
        log.debug("hookbus: dropped an undecodable emit response: %s", exc)
        return None
    return msg


def answers(msg, req, sole):
    """Whether response ``msg`` answers request ``req``.

    An error whose ``req`` the broker could not read comes back with 0; it can
    only be attributed when ``sole``, i.e. one request is in flight.
    """
    got = msg.get("req", 0)
    if got == req:
        return True
    if got == 0 and sole and msg.get("op") == "error":
        return True
    log.debug("hookbus: dropped a stale response for req %s", got)
    return False


def outcome_of(msg):
    """Turn a ``result`` or ``error`` response (or ``None``) into an Outcome."""
    if msg is None:
        return Outcome(Status.UNREACHABLE)
    op = msg.get("op")
    if op == "result":
        return Outcome(Status(msg["outcome"]), msg["id"],
                       [Reply.from_wire(a) for a in msg["replies"]])
    if op == "error":
        code = msg["code"]
        status = {"overloaded": Status.OVERLOADED,
                  "shutting_down": Status.SHUTTING_DOWN}.get(code, Status.REFUSED)
        return Outcome(status, "", [], code, msg["message"])
    return Outcome(Status.REFUSED, "", [], "unexpected_response",
                   f"broker answered a wait with '{op}'")


def id_of_ack(msg):
    """Return the event id of an ``ack``; raise Refused for anything else."""
    if msg.get("op") == "ack":
        return msg["id"]
    if msg.get("op") == "error":
        raise Refused(msg["code"], msg["message"])
    raise Refused("unexpected_response",
                  f"broker answered an emit with '{msg.get('op')}'")


def stats_of(msg):
    """Return the ``stats`` map of a ``stats_ok``; raise Refused otherwise."""
    if "stats" in msg and msg.get("op", "stats_ok") == "stats_ok":
        return msg["stats"]
    if msg.get("op") == "error":
        raise Refused(msg["code"], msg["message"])
    raise Refused("unexpected_response",
                  f"broker answered stats with '{msg.get('op')}'")
