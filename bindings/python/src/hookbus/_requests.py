"""Request building and response reading shared by the sync and async emitters."""

import dataclasses
import itertools
import logging

from . import protocol
from ._payload import payload_json
from .errors import Refused
from .outcome import Missing, Outcome, Readiness, Reply, Status, Veto

log = logging.getLogger("hookbus")

#: Added to a wait's timeout to make the client's own deadline (section 10).
DEFAULT_GRACE = 0.5
#: Client deadline of a request that does not wait (emit, stats).
DEFAULT_REQUEST_TIMEOUT = 5.0
#: Requests larger than this are refused locally, as the broker would drop them.
DEFAULT_MAX_MSG_SIZE = 1 << 20


def resolve_policy(policy=None, on_failure=None, expect=None):
    """Check ``emit_and_wait``'s policy arguments; return ``(expect,
    on_failure)`` as the wire wants them (``None``: the broker's default).

    ``expect`` is the older name of ``policy``; giving both with different
    values is an error.
    """
    if expect is not None:
        if policy is not None and policy != expect:
            raise ValueError(
                f"policy={policy!r} and expect={expect!r} disagree; expect is "
                "the old name of policy, give one of them")
        policy = expect
    if policy is not None and policy not in protocol.EXPECT_VALUES:
        raise ValueError(
            f"policy must be 'first', 'all' or None (the broker's default for "
            f"the name), not {policy!r}")
    if on_failure is not None and on_failure not in protocol.ON_FAILURE_VALUES:
        raise ValueError(
            f"on_failure must be 'open', 'closed' or None (the broker's default "
            f"for the name), not {on_failure!r}")
    return policy, on_failure


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

    def emit(self, name, payload, wait=False, timeout=None, expect=None,
             on_failure=None):
        """Return ``(req, body)`` of an emit request. With ``wait``, ``expect``
        and ``on_failure`` left ``None`` are left to the broker."""
        protocol.check_event_name(name)
        fields = {"name": name, "payload_json": payload_json(payload),
                  "wait": wait}
        if wait:
            expect, on_failure = resolve_policy(expect, on_failure)
            fields["timeout_ms"] = timeout_ms(timeout)
            fields["expect"] = expect
            fields["on_failure"] = on_failure
        fields["req"] = next(self._req)
        return fields["req"], self._checked("emit", fields)

    def ready(self, name, hooks, timeout):
        """Return ``(req, body)`` of a ready request."""
        protocol.check_event_name(name)
        if isinstance(hooks, bool) or not isinstance(hooks, int) or hooks < 1:
            raise ValueError(f"hooks must be an integer of at least 1, not {hooks!r}")
        fields = {"name": name, "hooks": hooks, "timeout_ms": timeout_ms(timeout)}
        fields["req"] = next(self._req)
        return fields["req"], self._checked("ready", fields)

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


def outcome_of(msg, on_failure=None):
    """Turn a ``result`` or ``error`` response (or ``None``) into an Outcome.

    A wait that asked for ``on_failure="closed"`` and got no verdict from the
    broker (unreachable, overloaded, shutting down, refused) is vetoed here, by
    the same policy."""
    outcome = _outcome_of(msg)
    if on_failure != "closed" or outcome.verdict:
        return outcome
    reason = (f"no verdict from the broker ({outcome.status.value}), "
              "on_failure closed")
    return dataclasses.replace(outcome, verdict="vetoed", decided_by="policy",
                               on_failure="closed",
                               vetoes=[Veto("", "", reason)])


def _outcome_of(msg):
    if msg is None:
        return Outcome(Status.UNREACHABLE)
    op = msg.get("op")
    if op == "result":
        return Outcome(
            Status(msg["outcome"]), msg["id"],
            [Reply.from_wire(a) for a in msg["replies"]],
            verdict=msg["verdict"], decided_by=msg["decided_by"],
            vetoes=[Veto(v["hook"], v["instance"], v["reason"])
                    for v in msg["vetoes"]],
            missing=[Missing(m["hook"], m["instance"], m["why"])
                     for m in msg["missing"]],
            policy=msg["expect"], on_failure=msg["on_failure"])
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


def readiness_of(msg):
    """Return the Readiness of a ``ready_ok``; raise Refused for anything else."""
    if msg.get("op") == "ready_ok":
        return Readiness(msg["ready"], msg["hooks"])
    if msg.get("op") == "error":
        raise Refused(msg["code"], msg["message"])
    raise Refused("unexpected_response",
                  f"broker answered ready with '{msg.get('op')}'")


def stats_of(msg):
    """Return the ``stats`` map of a ``stats_ok``; raise Refused otherwise."""
    if "stats" in msg and msg.get("op", "stats_ok") == "stats_ok":
        return msg["stats"]
    if msg.get("op") == "error":
        raise Refused(msg["code"], msg["message"])
    raise Refused("unexpected_response",
                  f"broker answered stats with '{msg.get('op')}'")
