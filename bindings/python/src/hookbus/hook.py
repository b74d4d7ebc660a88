"""The receiving side: a Subscriber only listens (like ``hookbus tail``); a Hook
also announces itself, so that emitters wait for it, and answers events.

Both detect lost events from the broker's run id and per-name sequence numbers
(protocol section 9) and report them as :class:`hookbus.Lagged` before
delivering the event that revealed the gap.
"""

import collections
import datetime
import json
import logging
import time

import zmq

from . import protocol
from ._gaps import GapTracker
from ._payload import reply_json
from .endpoints import endpoints as resolve_endpoints
from .keys import apply_curve, resolve_curve

__all__ = ["Event", "Subscriber", "Hook"]

log = logging.getLogger("hookbus")

# Without a hello_ok after this long, the hello is sent again (it may have been
# queued to a connection that died during a broker restart).
_HELLO_RETRY = 2.0
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def _ns(stamp):
    return stamp[0] * 1_000_000_000 + stamp[1]


def _datetime(ns):
    return _EPOCH + datetime.timedelta(microseconds=ns // 1000)


class Event:
    """One published event.

    ``name``, ``id``, ``run`` and ``seq`` are as on the wire; ``payload_json``
    is the emitter's JSON text byte for byte and ``payload`` that text parsed.
    Times come twice: ``emitted_at``/``deadline`` as timezone-aware UTC
    ``datetime`` (microsecond precision), ``emitted_at_ns``/``deadline_ns`` as
    exact integer nanoseconds since the epoch. ``deadline`` is ``None`` when no
    emitter waits for an answer.
    """

    __slots__ = ("name", "id", "run", "seq", "emitted_at_ns", "deadline_ns",
                 "payload_json", "_hook", "_payload")

    def __init__(self, name, id, run, seq, emitted_at_ns, deadline_ns,
                 payload_json, hook=None):
        self.name = name
        self.id = id
        self.run = run
        self.seq = seq
        self.emitted_at_ns = emitted_at_ns
        self.deadline_ns = deadline_ns
        self.payload_json = payload_json
        self._hook = hook
        self._payload = None

    @classmethod
    def from_wire(cls, fields, hook=None):
        """Build an Event from decoded event fields (``name`` included)."""
        deadline = fields["deadline"]
        return cls(fields["name"], fields["id"], fields["run"], fields["seq"],
                   _ns(fields["emitted_at"]),
                   None if deadline is None else _ns(deadline),
                   fields["payload_json"], hook)

    @property
    def payload(self):
        """The payload parsed from JSON (``ValueError`` if it is not JSON)."""
        if self._payload is None:
            self._payload = (json.loads(self.payload_json),)
        return self._payload[0]

    @property
    def emitted_at(self):
        """When the broker accepted the emit, as a UTC ``datetime``."""
        return _datetime(self.emitted_at_ns)

    @property
    def deadline(self):
        """When answers stop being accepted (UTC ``datetime``), or ``None``."""
        return None if self.deadline_ns is None else _datetime(self.deadline_ns)

    @property
    def awaited(self):
        """True when an emitter waits for an answer to this event."""
        return self.deadline_ns is not None

    def time_left(self):
        """Seconds until the deadline (negative once past), or ``None``."""
        if self.deadline_ns is None:
            return None
        return (self.deadline_ns - time.time_ns()) / 1e9

    def reply(self, abort=None, **fields):
        """Answer this event through the hook that received it.

        ``abort`` (a veto reason; "" or ``None`` means no veto) and any extra
        ``fields`` form the reply object. Returns whether the broker accepted it
        (see :meth:`Hook.reply`).
        """
        if self._hook is None:
            raise RuntimeError("only events received by a Hook can be answered")
        if abort is not None:
            fields = {"abort": abort, **fields}
        return self._hook.reply(self, fields)

    def __repr__(self):
        return (f"Event(name={self.name!r}, id={self.id!r}, seq={self.seq}, "
                f"awaited={self.awaited}, payload_json={self.payload_json!r})")


class Subscriber:
    """Receives events without answering them.

    ``events`` lists the names to receive; ``None`` or empty means every event.
    ``hwm`` caps the events queued on this side (ZeroMQ's receive high-water
    mark, 1000 by default); the broker drops what does not fit. ``curve`` is as
    for :class:`hookbus.Emitter`.
    Iterating blocks for the next event; :meth:`next` takes a timeout. Both raise
    :class:`hookbus.Lagged` when events were lost, then deliver the event that
    revealed the loss on the following call, so a loop can just go on::

        listener = hookbus.Subscriber(["capture"])
        while True:
            try:
                for event in listener:
                    print(event.name, event.payload)
            except hookbus.Lagged as lag:
                print("lost", lag.missed, "of", lag.name)
    """

    def __init__(self, events=None, *, endpoint=None, directory=None, hwm=None,
                 context=None, curve=None):
        if isinstance(events, str):
            events = [events]
        self.names = [protocol.check_event_name(n) for n in events or ()]
        self.endpoint = endpoint or resolve_endpoints(directory).events
        self._curve = resolve_curve(curve)
        self._context = context or zmq.Context.instance()
        self._gaps = GapTracker()
        self._inbox = collections.deque()
        self._held = None
        #: The largest message the broker accepts, from its last welcome.
        self.max_msg_size = None

        self._sub = self._context.socket(zmq.SUB)
        self._sub.setsockopt(zmq.LINGER, 0)
        if hwm is not None:
            self._sub.setsockopt(zmq.RCVHWM, hwm)
        apply_curve(self._sub, self._curve)
        self._subscribe_names()
        self._sub.connect(self.endpoint)

    def _subscribe_names(self):
        if not self.names:
            self._sub.setsockopt(zmq.SUBSCRIBE, b"")
            return
        self._sub.setsockopt(zmq.SUBSCRIBE, protocol.WELCOME_TOPIC.encode() + b"\0")
        for name in self.names:
            self._sub.setsockopt(zmq.SUBSCRIBE, name.encode() + b"\0")

    @property
    def run(self):
        """The run id of the broker last heard from; 0 before any."""
        return self._gaps.run

    def next(self, timeout=None):
        """Return the next event, or ``None`` once ``timeout`` seconds pass
        (``None``: wait for ever). Raises :class:`hookbus.Lagged` as above."""
        if self._held is not None:
            event, self._held = self._held, None
            return event
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            while self._inbox:
                event = self._deliver(*self._inbox.popleft())
                if event is not None:
                    return event
            if not self._pump(deadline):
                return None

    def _deliver(self, kind, fields):
        # Gap bookkeeping happens in delivery order, not in reading order.
        if kind == "welcome":
            lag = self._gaps.on_welcome(fields["run"])
            if lag is not None:
                raise lag
            return None
        event = Event.from_wire(fields, self._event_owner())
        lag = self._gaps.on_event(event.name, event.run, event.seq)
        if lag is not None:
            self._held = event
            raise lag
        return event

    def _event_owner(self):
        return None

    def _pump(self, deadline):
        # Reads whatever arrives first until deadline; False when nothing did.
        wait = self._remaining_ms(deadline)
        if not self._sub.poll(wait, zmq.POLLIN):
            return False
        self._read_events()
        return True

    @staticmethod
    def _remaining_ms(deadline):
        if deadline is None:
            return None
        return max(0, int((deadline - time.monotonic()) * 1000))

    def _read_events(self):
        while True:
            try:
                frame = self._sub.recv(zmq.NOBLOCK)
            except zmq.Again:
                return
            try:
                kind, fields = protocol.decode_frame(frame)
            except protocol.ProtocolError as exc:
                log.debug("hookbus: ignored an undecodable events frame: %s", exc)
                continue
            if kind == "welcome":
                self.max_msg_size = fields["max_msg_size"]
                self._on_welcome(fields)
            self._inbox.append((kind, fields))

    def _on_welcome(self, fields):
        pass

    def __iter__(self):
        return self

    def __next__(self):
        return self.next()

    def close(self):
        """Close the socket."""
        self._sub.close(0)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Hook(Subscriber):
    """Subscribes to its event names, announces itself, yields events and
    answers them.

    ``name`` is how emitters see this hook; ``events`` the names it answers;
    ``observe`` names it receives but never answers (an auditor, a logger: it
    is never waited for, and replying to such an event raises ``ValueError``);
    ``instance`` identifies the connection (a fresh UUID by default); ``hwm``
    is as for :class:`Subscriber`. ``endpoints`` (a :class:`hookbus.Endpoints`)
    or ``directory`` locate the broker. ``reply_timeout`` bounds how long
    :meth:`reply` waits for the broker's verdict; ``curve`` is as for
    :class:`hookbus.Emitter`::

        with hookbus.Hook("guard", ["capture"]) as hook:
            hook.wait_ready(5)
            for event in hook:
                on_main = event.payload.get("branch") == "main"
                event.reply(abort="not on main" if on_main else "")

    The hook re-announces itself by itself when the broker restarts, and when
    a ``reply_ack`` says the broker cut it off for lagging (protocol section
    13.4); ``cut_offs`` counts the latter.
    """

    def __init__(self, name, events, *, observe=None, instance=None,
                 endpoints=None, directory=None, reply_timeout=5.0, hwm=None,
                 context=None, curve=None):
        events = [events] if isinstance(events, str) else list(events or ())
        observe = [observe] if isinstance(observe, str) else list(observe or ())
        if not events and not observe:
            raise ValueError("a hook answers or observes at least one event name")
        both = sorted(set(events) & set(observe))
        if both:
            raise ValueError(f"event name(s) {both} both answered and observed")
        if not isinstance(name, str) or not 1 <= len(name.encode()) <= 128:
            raise ValueError("a hook name is 1 to 128 bytes of UTF-8")
        eps = endpoints or resolve_endpoints(directory)
        self.name = name
        self.instance = protocol.check_instance(instance or protocol.new_uuid4())
        self.reply_timeout = reply_timeout
        #: How many times the broker cut this hook off for lagging (each time it
        #: announced itself again).
        self.cut_offs = 0
        self._ready = False
        self._hello_sent_at = None
        # Observed names are subscribed to like answered ones.
        super().__init__(events + observe, endpoint=eps.events, hwm=hwm,
                         context=context, curve=curve)
        #: The names this hook answers, and those it only observes.
        self.names = [protocol.check_event_name(n) for n in events]
        self.observe = [protocol.check_event_name(n) for n in observe]
        # The ~hook/<instance> token tells the broker that our name subscriptions
        # are live, so it must reach the broker after them: subscribed after the
        # names, and sorting after any name when ZeroMQ replays the set on a
        # reconnection (docs/protocol.md section 3.4).
        token = (protocol.HOOK_TOPIC_PREFIX + self.instance).encode()
        self._sub.setsockopt(zmq.SUBSCRIBE, token)

        self._dealer = self._context.socket(zmq.DEALER)
        self._dealer.setsockopt(zmq.LINGER, 0)
        apply_curve(self._dealer, self._curve)
        self._dealer.connect(eps.replies)

    @property
    def ready(self):
        """Whether the broker confirmed this hook (hello_ok) since its last
        (re)start."""
        return self._ready

    def wait_ready(self, timeout=None):
        """Block until the broker confirms this hook, or ``timeout`` seconds
        pass; return whether it is live. Events that arrive meanwhile are kept
        for :meth:`next`."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._ready:
            if not self._pump(deadline):
                return self._ready
        return True

    # ---- announcing -------------------------------------------------------

    def _on_welcome(self, fields):
        # Every welcome comes with a new events connection, and a broker that saw
        # our previous connection drop (a restart, or a heartbeat timeout within
        # one run) has forgotten us: announce again each time.
        self._ready = False
        self._send_hello()

    def _send_hello(self):
        body = protocol.encode("hello", instance=self.instance, hook=self.name,
                               events=self.names, observe=self.observe)
        self._hello_sent_at = time.monotonic()
        self._send(body)

    def _hello_retry_ms(self):
        # Resends an unanswered hello when due; returns ms until the next try.
        if self._hello_sent_at is None or self._ready:
            return None
        due = self._hello_sent_at + _HELLO_RETRY - time.monotonic()
        if due <= 0:
            self._send_hello()
            due = _HELLO_RETRY
        return int(due * 1000) + 1

    def _send(self, body):
        try:
            self._dealer.send_multipart([b"", body], zmq.NOBLOCK)
            return True
        except zmq.Again:
            log.debug("hookbus: replies socket full; message not sent")
            return False

    # ---- reading both sockets --------------------------------------------

    def _pump(self, deadline):
        wait = self._remaining_ms(deadline)
        retry = self._hello_retry_ms()
        if retry is not None:
            wait = retry if wait is None else min(wait, retry)
        poller = zmq.Poller()
        poller.register(self._sub, zmq.POLLIN)
        poller.register(self._dealer, zmq.POLLIN)
        ready = dict(poller.poll(wait))
        if self._dealer in ready:
            self._read_responses()
        if self._sub in ready:
            self._read_events()
        if not ready:
            return deadline is None or time.monotonic() < deadline
        return True

    def _read_responses(self, want_id=None):
        # Handles every queued response; returns the reply_ack for want_id (or an
        # error, which a reply cannot otherwise be matched with) if one came.
        found = None
        while True:
            try:
                frames = self._dealer.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return found
            msg = self._decode_response(frames)
            if msg is None:
                continue
            op = msg.get("op")
            if op == "hello_ok":
                if msg["instance"] == self.instance:
                    self._ready = True
            elif op == "reply_ack":
                if msg.get("registered") is False:
                    self._on_cut_off()
                if want_id is not None and msg["id"] == want_id:
                    found = msg
            elif op == "error":
                log.warning("hookbus: broker refused a message of hook %r: %s: %s",
                            self.name, msg["code"], msg["message"])
                if want_id is not None:
                    found = msg

    def _on_cut_off(self):
        # The broker no longer counts us (section 13.4): announce again, once
        # per cut-off; acks read while that hello awaits its hello_ok change
        # nothing (the usual retry covers a lost hello).
        if not self._ready and self._hello_sent_at is not None:
            return
        self.cut_offs += 1
        log.warning("hookbus: hook %r was cut off by the broker; announcing again",
                    self.name)
        self._ready = False
        self._send_hello()

    @staticmethod
    def _decode_response(frames):
        if len(frames) != 2 or frames[0] != b"":
            return None
        try:
            return protocol.decode_response(frames[1], "replies")
        except protocol.ProtocolError as exc:
            log.debug("hookbus: ignored an undecodable replies response: %s", exc)
            return None

    def _event_owner(self):
        return self

    # ---- answering --------------------------------------------------------

    def reply(self, event, data=None, **fields):
        """Answer ``event``; return whether the broker accepted the answer.

        ``data`` is a ``dict`` or the text of a JSON object (sent verbatim when
        no ``fields`` are added); keyword ``fields`` are merged over it. The key
        ``abort`` vetoes with its reason. ``True`` means this answer reached a
        waiting emitter; ``False`` that it came second, late, for an event
        nobody waits for, or that the broker did not confirm within
        ``reply_timeout``. Raises ``ValueError`` for an event of a name this
        hook only observes.
        """
        if event.name in self.observe:
            raise ValueError(f"hook {self.name!r} observes {event.name!r} and "
                             "never answers it")
        text = reply_json(data, fields)
        body = protocol.encode("reply", id=event.id, hook=self.name,
                               instance=self.instance, reply_json=text)
        if self.max_msg_size and len(body) > self.max_msg_size:
            raise ValueError(f"reply of {len(body)} bytes exceeds the broker's "
                             f"limit of {self.max_msg_size} bytes")
        if not self._send(body):
            return False
        deadline = time.monotonic() + self.reply_timeout
        while True:
            wait = self._remaining_ms(deadline)
            if not self._dealer.poll(wait, zmq.POLLIN):
                return False
            msg = self._read_responses(want_id=event.id)
            if msg is not None:
                return msg.get("op") == "reply_ack" and msg["accepted"]

    def close(self):
        """Say bye to the broker (best effort) and close both sockets."""
        if self._ready:
            self._send(protocol.encode("bye", instance=self.instance))
        self._dealer.close(linger=100)
        super().close()
