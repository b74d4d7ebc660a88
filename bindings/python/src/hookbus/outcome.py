"""What an emitter gets back from ``emit_and_wait``: a status and the answers."""

import enum
import json
from dataclasses import dataclass, field

__all__ = ["Status", "Reply", "Outcome"]


class Status(str, enum.Enum):
    """How a wait ended. Members compare equal to their wire text
    (``Status.REPLIED == "replied"``)."""

    REPLIED = "replied"            #: the wanted answers arrived
    TIMED_OUT = "timed_out"        #: the deadline passed first
    NO_HOOK = "no_hook"            #: no live hook answers the name; nothing published
    UNREACHABLE = "unreachable"    #: no response within timeout + grace
    OVERLOADED = "overloaded"      #: the broker's pending table is full; retry later
    SHUTTING_DOWN = "shutting_down"  #: the broker is stopping
    REFUSED = "refused"            #: the broker refused the request (see error_code)

    def __str__(self):
        return self.value


@dataclass(frozen=True)
class Reply:
    """One accepted hook answer.

    ``hook`` is the answering hook's name, ``instance`` its connection id ("" if
    it gave none), ``raw`` the ``reply_json`` text as sent and ``data`` that text
    parsed (always a ``dict``; the broker checks it is a JSON object).
    """

    hook: str
    instance: str
    raw: str
    data: dict = field(compare=False, repr=False)

    @classmethod
    def from_wire(cls, answer):
        """Build a Reply from a decoded ``{hook, instance, reply_json}`` map."""
        raw = answer["reply_json"]
        try:
            data = json.loads(raw)
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        return cls(answer["hook"], answer.get("instance", ""), raw, data)

    @property
    def abort(self):
        """The veto reason of this answer, or "" when it does not veto."""
        reason = self.data.get("abort")
        return reason if isinstance(reason, str) else ""


@dataclass(frozen=True)
class Outcome:
    """The end of one ``emit_and_wait``.

    ``status`` is a :class:`Status`; ``id`` the event id (empty for ``no_hook``
    and when the broker was not reached); ``replies`` the accepted answers in
    arrival order; ``error_code`` and ``error_message`` explain ``overloaded``,
    ``shutting_down`` and ``refused``.
    """

    status: Status
    id: str = ""
    replies: list = field(default_factory=list)
    error_code: str = ""
    error_message: str = ""

    @property
    def abort(self):
        """The first non-empty ``abort`` among the replies, or ""."""
        for reply in self.replies:
            if reply.abort:
                return reply.abort
        return ""

    @property
    def vetoed(self):
        """True when some hook answered with a non-empty ``abort``."""
        return bool(self.abort)

    @property
    def reply(self):
        """The first reply, or ``None`` (handy with ``expect="first"``)."""
        return self.replies[0] if self.replies else None
