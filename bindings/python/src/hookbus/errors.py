"""Exceptions of the hookbus client.

Expected ends of a wait (no hook, timed out, overloaded...) are values of
:class:`hookbus.Outcome`, not exceptions; these classes cover calls that cannot
return a meaningful value, and lost events on the subscriber side.
"""

__all__ = ["HookbusError", "BrokerUnreachable", "Refused", "Lagged"]


class HookbusError(Exception):
    """Base class of every hookbus exception."""


class BrokerUnreachable(HookbusError):
    """The broker did not answer within the client's own deadline."""


class Refused(HookbusError):
    """The broker answered a request with an ``error`` response.

    ``code`` is the wire error code (``bad_name``, ``overloaded``,
    ``shutting_down``...) and ``message`` the broker's explanation.
    """

    def __init__(self, code, message):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class Lagged(HookbusError):
    """Events were lost before the event that the next call will deliver.

    ``name`` is the event name that lost events ("" for a broker restart seen in
    its welcome), ``missed`` how many events of that name were lost (a lower
    bound across a restart), and ``restarted`` whether the broker's run changed.
    """

    def __init__(self, name, missed, restarted):
        if restarted and not name:
            text = "broker restarted"
        else:
            text = f"lost {missed} event(s) of {name!r}"
            if restarted:
                text += " (broker restarted)"
        super().__init__(text)
        self.name = name
        self.missed = missed
        self.restarted = restarted

    def __repr__(self):
        return (
            f"Lagged(name={self.name!r}, missed={self.missed}, "
            f"restarted={self.restarted})"
        )
