"""Where the broker's three sockets live (docs/protocol.md section 1).

Every client resolves the same default directory as ``hookbusd``, so that a hook
and an emitter started with no arguments find the broker.
"""

import os
from typing import NamedTuple

__all__ = ["Endpoints", "default_dir", "endpoints"]


class Endpoints(NamedTuple):
    """The broker's ``events``, ``replies`` and ``emit`` endpoints."""

    events: str
    replies: str
    emit: str


def default_dir():
    """Return ``$HOOKBUS_DIR``, else ``$XDG_RUNTIME_DIR/hookbus``, else
    ``/tmp/hookbus-<uid>`` (an empty variable counts as unset)."""
    directory = os.environ.get("HOOKBUS_DIR")
    if directory:
        return directory
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        return os.path.join(runtime, "hookbus")
    return f"/tmp/hookbus-{os.getuid()}"


def endpoints(directory=None, *, events=None, replies=None, emit=None):
    """Return the broker's endpoints.

    ``directory`` (default :func:`default_dir`) gives the three ``ipc://``
    endpoints; ``events``, ``replies`` and ``emit`` override one each (any
    ZeroMQ address, e.g. ``tcp://127.0.0.1:5555``).
    """
    base = os.fspath(directory) if directory is not None else default_dir()
    return Endpoints(
        events=events or f"ipc://{base}/events",
        replies=replies or f"ipc://{base}/replies",
        emit=emit or f"ipc://{base}/emit",
    )
