"""The emitter side: publish an event, or publish it and wait for hook answers.

A blocking :class:`Emitter` on one ZeroMQ DEALER socket. Every request is bounded
by the client's own clock (the wait's timeout plus a grace), so a missing broker
shows up as ``Status.UNREACHABLE`` or :class:`BrokerUnreachable`, never as a hang.
"""

import time

import zmq

from ._requests import (DEFAULT_GRACE, DEFAULT_MAX_MSG_SIZE,
                        DEFAULT_REQUEST_TIMEOUT, RequestBuilder, answers,
                        id_of_ack, outcome_of, read_response, readiness_of,
                        resolve_policy, stats_of)
from .endpoints import endpoints
from .errors import BrokerUnreachable
from .keys import apply_curve, resolve_curve

__all__ = ["Emitter"]


class Emitter:
    """Talks to the broker's ``emit`` socket. Not thread-safe: use one per thread.

    ``endpoint`` defaults to the emit socket in ``directory`` (itself defaulting
    as the broker does, see :func:`hookbus.default_dir`). ``curve`` is a
    :class:`hookbus.Curve` for a broker that requires CURVE; by default it comes
    from ``$HOOKBUS_SERVER_KEY`` and ``$HOOKBUS_CLIENT_KEY``, ``False`` turns it
    off (see :mod:`hookbus.keys`)::

        with hookbus.Emitter() as emitter:
            outcome = emitter.emit_and_wait("capture", {"path": "a.txt"}, timeout=2)
            if outcome.vetoed:
                print("refused:", outcome.abort)
    """

    def __init__(self, endpoint=None, *, directory=None, grace=DEFAULT_GRACE,
                 request_timeout=DEFAULT_REQUEST_TIMEOUT,
                 max_msg_size=DEFAULT_MAX_MSG_SIZE, context=None, curve=None):
        self.endpoint = endpoint or endpoints(directory).emit
        curve = resolve_curve(curve)
        self.grace = grace
        self.request_timeout = request_timeout
        self._requests = RequestBuilder(max_msg_size)
        self._context = context or zmq.Context.instance()
        self._curve = curve
        self._open()

    def _open(self):
        # Not ZMQ_IMMEDIATE: with it, libzmq drops the responses not yet read when
        # the connection goes, such as the shutting_down a stopping broker sends.
        # Requests may therefore queue while no broker is connected; _call opens a
        # new socket after every request it gave up on, so that none of them can
        # reach a broker that starts later.
        self._socket = self._context.socket(zmq.DEALER)
        self._socket.setsockopt(zmq.LINGER, 0)
        apply_curve(self._socket, self._curve)
        self._socket.connect(self.endpoint)

    def emit(self, name, payload=None):
        """Publish an event without waiting for answers; return its id.

        ``payload`` is any JSON-serialisable value, or a ``str`` of JSON text sent
        verbatim. Raises ``ValueError`` for a bad name or payload,
        :class:`BrokerUnreachable` and :class:`Refused`.
        """
        req, body = self._requests.emit(name, payload)
        msg = self._call(req, body, self.request_timeout)
        if msg is None:
            raise BrokerUnreachable(f"no answer from the broker at {self.endpoint}")
        return id_of_ack(msg)

    def emit_and_wait(self, name, payload=None, timeout=5.0, policy=None,
                      on_failure=None, *, expect=None):
        """Publish an event and wait up to ``timeout`` seconds for answers.

        ``policy="first"`` ends at the first answer, ``"all"`` when every hook
        live for the name when the event is published has answered; ``None``
        leaves it to the broker's default for the name. ``on_failure="open"``
        counts a missing answer as no veto, ``"closed"`` as a veto; ``None``
        leaves it to the broker. ``expect`` is the old name of ``policy``.
        Returns an :class:`Outcome`; broker trouble is a status, not an
        exception. Bad arguments raise ``ValueError`` before anything is sent.
        """
        policy, on_failure = resolve_policy(policy, on_failure, expect)
        req, body = self._requests.emit(name, payload, True, timeout, policy,
                                        on_failure)
        return outcome_of(self._call(req, body, timeout + self.grace), on_failure)

    def wait_ready(self, name, hooks=1, timeout=5.0):
        """Wait up to ``timeout`` seconds until at least ``hooks`` live hooks
        answer ``name`` (observers do not count).

        Returns a :class:`Readiness` ``(ready, hooks)``, true when the count was
        reached; an event emitted after that reaches those hooks. Raises
        :class:`BrokerUnreachable` when the broker does not answer within
        ``timeout`` plus the grace, and :class:`Refused` when it refuses.
        """
        req, body = self._requests.ready(name, hooks, timeout)
        msg = self._call(req, body, timeout + self.grace)
        if msg is None:
            raise BrokerUnreachable(f"no answer from the broker at {self.endpoint}")
        return readiness_of(msg)

    def stats(self):
        """Return the broker's counters (protocol section 6.3) as a ``dict``."""
        req, body = self._requests.stats()
        msg = self._call(req, body, self.request_timeout)
        if msg is None:
            raise BrokerUnreachable(f"no answer from the broker at {self.endpoint}")
        return stats_of(msg)

    def _call(self, req, body, limit):
        # Returns the response to req, or None when the client deadline passes.
        msg = self._exchange(req, body, limit)
        if msg is None:
            self._socket.close(0)
            self._open()
        return msg

    def _exchange(self, req, body, limit):
        deadline = time.monotonic() + limit
        if not self._wait(zmq.POLLOUT, deadline):
            return None
        try:
            self._socket.send_multipart([b"", body], zmq.NOBLOCK)
        except zmq.Again:
            return None
        while self._wait(zmq.POLLIN, deadline):
            msg = read_response(self._socket.recv_multipart())
            if msg is not None and answers(msg, req, sole=True):
                return msg
        return None

    def _wait(self, event, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return bool(self._socket.poll(0, event))
        return bool(self._socket.poll(max(1, int(remaining * 1000)), event))

    def close(self):
        """Close the socket. Pending nothing: every call has returned."""
        self._socket.close(0)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
