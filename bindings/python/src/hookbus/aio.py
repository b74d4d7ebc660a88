"""asyncio flavour of the emitter, on pyzmq's ``zmq.asyncio``.

One DEALER socket carries any number of requests in flight; a single receiver
task reads every response and hands it to the waiting coroutine by its ``req``
number. Each request is bounded by the client's own clock, as in
:class:`hookbus.Emitter`.
"""

import asyncio

import zmq
import zmq.asyncio

from ._requests import (DEFAULT_GRACE, DEFAULT_MAX_MSG_SIZE,
                        DEFAULT_REQUEST_TIMEOUT, RequestBuilder, id_of_ack,
                        log, outcome_of, read_response, readiness_of,
                        resolve_policy, stats_of)
from .endpoints import endpoints
from .errors import BrokerUnreachable
from .keys import apply_curve, resolve_curve

__all__ = ["AsyncEmitter"]


class AsyncEmitter:
    """Coroutine-based emitter; many ``emit_and_wait`` may run at once.

    Use it from one event loop::

        async with hookbus.AsyncEmitter() as emitter:
            outcomes = await asyncio.gather(
                *(emitter.emit_and_wait("capture", {"n": n}) for n in range(10)))

    Arguments are those of :class:`hookbus.Emitter`; ``context`` is a
    ``zmq.asyncio.Context``.
    """

    def __init__(self, endpoint=None, *, directory=None, grace=DEFAULT_GRACE,
                 request_timeout=DEFAULT_REQUEST_TIMEOUT,
                 max_msg_size=DEFAULT_MAX_MSG_SIZE, context=None, curve=None):
        self.endpoint = endpoint or endpoints(directory).emit
        self._curve = resolve_curve(curve)
        self.grace = grace
        self.request_timeout = request_timeout
        self._requests = RequestBuilder(max_msg_size)
        self._context = context
        self._socket = None
        self._receiver = None
        self._pending = {}

    async def emit(self, name, payload=None):
        """Publish an event without waiting for answers; return its id.

        Raises as :meth:`hookbus.Emitter.emit` does.
        """
        req, body = self._requests.emit(name, payload)
        msg = await self._call(req, body, self.request_timeout)
        if msg is None:
            raise BrokerUnreachable(f"no answer from the broker at {self.endpoint}")
        return id_of_ack(msg)

    async def emit_and_wait(self, name, payload=None, timeout=5.0, policy=None,
                            on_failure=None, *, expect=None):
        """Publish an event and wait up to ``timeout`` seconds for answers;
        return an :class:`Outcome` (see :meth:`hookbus.Emitter.emit_and_wait`
        for ``policy``, ``on_failure`` and ``expect``)."""
        policy, on_failure = resolve_policy(policy, on_failure, expect)
        req, body = self._requests.emit(name, payload, True, timeout, policy,
                                        on_failure)
        return outcome_of(await self._call(req, body, timeout + self.grace),
                          on_failure)

    async def wait_ready(self, name, hooks=1, timeout=5.0):
        """Wait until at least ``hooks`` live hooks answer ``name``; return a
        :class:`Readiness` (see :meth:`hookbus.Emitter.wait_ready`)."""
        req, body = self._requests.ready(name, hooks, timeout)
        msg = await self._call(req, body, timeout + self.grace)
        if msg is None:
            raise BrokerUnreachable(f"no answer from the broker at {self.endpoint}")
        return readiness_of(msg)

    async def stats(self):
        """Return the broker's counters as a ``dict``."""
        req, body = self._requests.stats()
        msg = await self._call(req, body, self.request_timeout)
        if msg is None:
            raise BrokerUnreachable(f"no answer from the broker at {self.endpoint}")
        return stats_of(msg)

    def _start(self):
        # Created on first use so that the socket belongs to the running loop.
        if self._socket is None:
            context = self._context or zmq.asyncio.Context.instance()
            # Not ZMQ_IMMEDIATE, which drops unread responses when the connection
            # goes; _call discards the socket once nothing is in flight after a
            # request it gave up on (see hookbus.Emitter._open).
            self._socket = context.socket(zmq.DEALER)
            self._socket.setsockopt(zmq.LINGER, 0)
            apply_curve(self._socket, self._curve)
            self._socket.connect(self.endpoint)
        if self._receiver is None or self._receiver.done():
            self._receiver = asyncio.get_running_loop().create_task(self._receive())

    async def _call(self, req, body, limit):
        self._start()
        future = asyncio.get_running_loop().create_future()
        self._pending[req] = future
        try:
            return await asyncio.wait_for(self._send_and_wait(body, future), limit)
        except asyncio.TimeoutError:
            self._pending.pop(req, None)
            if not self._pending:
                await self._discard_socket()
            return None
        finally:
            self._pending.pop(req, None)

    async def _discard_socket(self):
        # Requests given up on may still sit in the socket's queue: a new socket
        # keeps them from reaching a broker that starts later.
        if self._receiver is not None:
            self._receiver.cancel()
            try:
                await self._receiver
            except (asyncio.CancelledError, zmq.ZMQError):
                pass
            self._receiver = None
        if self._socket is not None:
            self._socket.close(0)
            self._socket = None

    async def _send_and_wait(self, body, future):
        await self._socket.send_multipart([b"", body])
        return await future

    async def _receive(self):
        while True:
            msg = read_response(await self._socket.recv_multipart())
            if msg is None:
                continue
            req = msg.get("req", 0)
            # An error whose req the broker could not read comes back with 0:
            # it can be attributed only while a single request is out.
            if req == 0 and msg.get("op") == "error" and len(self._pending) == 1:
                req = next(iter(self._pending))
            future = self._pending.get(req)
            if future is None:
                log.debug("hookbus: dropped a response for unknown req %s", req)
            elif not future.done():
                future.set_result(msg)

    async def close(self):
        """Stop the receiver and close the socket; waits still in flight end as
        unreachable."""
        for future in self._pending.values():
            if not future.done():
                future.set_result(None)
        if self._receiver is not None:
            self._receiver.cancel()
            try:
                await self._receiver
            except (asyncio.CancelledError, zmq.ZMQError):
                pass
            self._receiver = None
        if self._socket is not None:
            self._socket.close(0)
            self._socket = None

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.close()
