"""What an emitter gets back from ``emit_and_wait`` (a status, the answers and
the verdict) and from ``wait_ready``."""

import enum
import json
from collections import namedtuple
from dataclasses import dataclass, field

__all__ = ["Status", "Reply", "Veto", "Missing", "Outcome", "Readiness",
           "veto_reason"]


class Status(str, enum.Enum):
    """How a wait ended. Members compare equal to their wire text
    (``Status.REPLIED == "replied"``)."""

    REPLIED = "replied"            #: the wanted answers arrived
    TIMED_OUT = "timed_out"        #: the deadline passed first
    #: every expected hook that had not answered died, left or was cut off
    INCOMPLETE = "incomplete"
    NO_HOOK = "no_hook"            #: no live hook answers the name; nothing published
    UNREACHABLE = "unreachable"    #: no response within timeout + grace
    OVERLOADED = "overloaded"      #: the broker's pending table is full; retry later
    SHUTTING_DOWN = "shutting_down"  #: the broker is stopping
    REFUSED = "refused"            #: the broker refused the request (see error_code)

    def __str__(self):
        return self.value


def veto_reason(data):
    """The veto reason of a parsed reply object, or "" when it does not veto.

    As protocol section 13.2 says: ``abort`` vetoes when it is a non-empty
    string (the reason), or any value but a string, ``null`` or ``false`` (the
    reason is then the value's JSON text).
    """
    reason = data.get("abort") if isinstance(data, dict) else None
    if reason is None or reason is False or isinstance(reason, str):
        return reason or ""
    return json.dumps(reason, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class Reply:
    """One accepted hook answer.

    ``hook`` is the answering hook's name, ``instance`` its connection id ("" if
    it gave none), ``raw`` the ``reply_json`` text as sent and ``data`` that text
    parsed (always a ``dict``; the broker checks it is a JSON object).
    ``latency_us`` is the time from publishing the event to the broker reading
    this answer, in microseconds.
    """

    hook: str
    instance: str
    raw: str
    data: dict = field(compare=False, repr=False)
    latency_us: int = 0

    @classmethod
    def from_wire(cls, answer):
        """Build a Reply from a decoded ``{hook, instance, reply_json,
        latency_us}`` map."""
        raw = answer["reply_json"]
        try:
            data = json.loads(raw)
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        return cls(answer["hook"], answer.get("instance", ""), raw, data,
                   answer.get("latency_us", 0))

    @property
    def abort(self):
        """The veto reason of this answer, or "" when it does not veto."""
        return veto_reason(self.data)


#: One veto of a result: a hook's own, or one that the failure policy added
#: (for ``no_hook`` under ``closed``, ``hook`` and ``instance`` are "").
Veto = namedtuple("Veto", "hook instance reason")

#: An expected hook that did not answer; ``why`` is ``"timed_out"``,
#: ``"died"``, ``"left"`` or ``"lagged"``.
Missing = namedtuple("Missing", "hook instance why")


class Readiness(namedtuple("Readiness", "ready hooks")):
    """What ``wait_ready`` returns: ``ready`` (whether enough hooks answer the
    name) and ``hooks`` (how many live hooks answered it then). Its truth value
    is ``ready``."""

    __slots__ = ()

    def __bool__(self):
        return bool(self.ready)


@dataclass(frozen=True)
class Outcome:
    """The end of one ``emit_and_wait``.

    ``status`` is a :class:`Status`; ``id`` the event id (empty for ``no_hook``
    and when the broker was not reached); ``replies`` the accepted answers in
    arrival order; ``error_code`` and ``error_message`` explain ``overloaded``,
    ``shutting_down`` and ``refused``.

    When the broker gave a result, ``verdict`` is ``"allowed"`` or ``"vetoed"``
    and ``decided_by`` ``"hook"`` or ``"policy"`` (protocol section 13.2);
    ``vetoes`` lists every :class:`Veto` (the hooks' own, then those the failure
    policy added) and ``missing`` every expected hook that did not answer
    (:class:`Missing`); ``policy`` (``"first"``/``"all"``) and ``on_failure``
    (``"open"``/``"closed"``) are the policies the broker applied. Without a
    result (unreachable, refused...) these are "" and empty.
    """

    status: Status
    id: str = ""
    replies: list = field(default_factory=list)
    error_code: str = ""
    error_message: str = ""
    verdict: str = ""
    decided_by: str = ""
    vetoes: list = field(default_factory=list)
    missing: list = field(default_factory=list)
    policy: str = ""
    on_failure: str = ""

    @property
    def abort(self):
        """The first veto reason, or "" when nothing vetoed.

        That is the first entry of ``vetoes`` (which may come from the failure
        policy, e.g. for a silent hook under ``on_failure="closed"``); an
        Outcome built without a verdict falls back to the replies' ``abort``.
        """
        if self.vetoes:
            return self.vetoes[0].reason
        if not self.verdict:
            for reply in self.replies:
                if reply.abort:
                    return reply.abort
        return ""

    @property
    def vetoed(self):
        """True when the verdict is ``"vetoed"``: a hook vetoed, or the failure
        policy ``closed`` counted a missing answer (or no hook) as a veto."""
        if self.verdict:
            return self.verdict == "vetoed"
        return bool(self.abort)

    @property
    def reply(self):
        """The first reply, or ``None`` (handy with ``expect="first"``)."""
        return self.replies[0] if self.replies else None
