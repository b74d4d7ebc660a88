"""The decorator form of a hook: one function per event name, whose return
value is the reply.

    hooks = hookbus.HookApp("guard")

    @hooks.on("capture")
    def check(event):
        if event.payload.get("branch") == "main":
            return "no captures on main"      # a str is an abort reason
        return None                           # None: no answer

    @hooks.observe("merge")
    def audit(event):                         # receives, never answers
        print("merge", event.payload)

    hooks.run()
"""

import logging
import threading

from . import protocol
from .errors import Lagged
from .hook import Hook

__all__ = ["HookApp"]

log = logging.getLogger("hookbus")


class HookApp:
    """Collects handlers with :meth:`on` and serves them with :meth:`run`.

    A handler takes the :class:`hookbus.Event` and returns the reply: a
    ``dict`` (the reply object), a ``str`` (shorthand for ``{"abort": str}``)
    or ``None`` (no answer). Answers are sent only for events an emitter waits
    for. Handlers registered with :meth:`observe` get events too, but their
    return value is ignored: the hook observes those names and never answers
    them. An exception in a handler is logged on the ``hookbus`` logger and gives
    no answer. Keyword arguments are those of :class:`hookbus.Hook`.
    """

    def __init__(self, name, **hook_options):
        self.name = name
        self._options = hook_options
        self._handlers = {}
        self._observers = {}
        self._on_lagged = None
        self._stop = threading.Event()
        self._ready = threading.Event()
        self.hook = None

    def on(self, *names):
        """Register the decorated function for the given event names."""
        return self._register(self._handlers, "on", names)

    def observe(self, *names):
        """Register the decorated function to observe the given event names:
        it gets their events, its return value is ignored, and emitters never
        wait for this hook on them."""
        return self._register(self._observers, "observe", names)

    def _register(self, table, method, names):
        if not names:
            raise ValueError(f"{method}() needs at least one event name")
        for name in names:
            protocol.check_event_name(name)
            if name in self._handlers or name in self._observers:
                raise ValueError(f"event {name!r} already has a handler")

        def register(func):
            for name in names:
                table[name] = func
            return func
        return register

    def on_lagged(self, func):
        """Register ``func(lagged)`` to hear about lost events (by default they
        are logged as warnings)."""
        self._on_lagged = func
        return func

    def run(self, poll_interval=0.2):
        """Serve events until :meth:`stop` is called (from any thread) or the
        process is interrupted."""
        if not self._handlers and not self._observers:
            raise ValueError(
                "no handlers registered; use @app.on(name) or @app.observe(name)")
        self._stop.clear()
        options = dict(self._options)
        observe = list(options.pop("observe", None) or ())
        observe += [name for name in self._observers if name not in observe]
        self.hook = Hook(self.name, list(self._handlers), observe=observe,
                         **options)
        try:
            while not self._stop.is_set():
                self._step(poll_interval)
        finally:
            self._ready.clear()
            self.hook.close()

    def _step(self, poll_interval):
        try:
            event = self.hook.next(timeout=poll_interval)
        except Lagged as lag:
            self._lagged(lag)
            return
        finally:
            if self.hook.ready:
                self._ready.set()
            else:
                self._ready.clear()
        if event is not None:
            self._handle(event)

    def _lagged(self, lag):
        if self._on_lagged is None:
            log.warning("hookbus: hook %r: %s", self.name, lag)
            return
        try:
            self._on_lagged(lag)
        except Exception:
            log.exception("hookbus: on_lagged handler of hook %r failed", self.name)

    def _handle(self, event):
        observer = self._observers.get(event.name)
        if observer is not None:
            try:
                observer(event)
            except Exception:
                log.exception("hookbus: observer of %r of hook %r failed on event %s",
                              event.name, self.name, event.id)
            return
        handler = self._handlers.get(event.name)
        if handler is None:
            return
        try:
            result = handler(event)
        except Exception:
            log.exception("hookbus: handler for %r of hook %r failed on event %s",
                          event.name, self.name, event.id)
            return
        if result is None or not event.awaited:
            return
        if isinstance(result, str):
            result = {"abort": result}
        if not isinstance(result, dict):
            log.error("hookbus: handler for %r returned %s; expected a dict, a str "
                      "or None", event.name, type(result).__name__)
            return
        try:
            self.hook.reply(event, result)
        except ValueError:
            log.exception("hookbus: cannot send the reply to event %s", event.id)

    def wait_ready(self, timeout=None):
        """Block until :meth:`run` has the broker's confirmation; return it."""
        return self._ready.wait(timeout)

    def stop(self):
        """Make :meth:`run` return after the current event."""
        self._stop.set()
