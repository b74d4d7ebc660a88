"""Loss detection for subscribers (docs/protocol.md section 9).

The same rules as the C++ and Node clients, so that every language reports the
same gaps: a per-name baseline on the first connection, a baseline of 0 for every
name after the broker's run changes, and stragglers from retired runs ignored.
"""

from collections import deque

from .errors import Lagged

# Enough to recognise late events from the last few broker lifetimes; run ids are
# random, so an old one never returns as a new lifetime.
_MAX_RETIRED_RUNS = 8


class GapTracker:
    """Remembers the broker's run and each name's last ``seq``.

    ``on_welcome`` and ``on_event`` return a :class:`Lagged` (not raised) when
    the message reveals lost events, else ``None``.
    """

    def __init__(self):
        self.run = 0
        self._last_seq = {}
        self._baseline_zero = False
        self._retired = deque(maxlen=_MAX_RETIRED_RUNS)

    def _adopt(self, run):
        # True when run replaces a run already kept: the broker restarted.
        if self.run == 0:
            self.run = run
            return False
        self._retired.append(self.run)
        self.run = run
        self._last_seq.clear()
        self._baseline_zero = True
        return True

    def on_welcome(self, run):
        """Record a welcome; a new run reports ``Lagged("", 0, True)``."""
        if run == self.run or run in self._retired:
            return None
        if not self._adopt(run):
            return None
        return Lagged("", 0, True)

    def on_event(self, name, run, seq):
        """Record an event; return the loss it reveals, if any."""
        if run != self.run and run in self._retired:
            return None
        restarted = run != self.run and self._adopt(run)

        last = self._last_seq.get(name)
        if last is None:
            if not self._baseline_zero:
                self._last_seq[name] = seq
                return None
            last = 0
        if seq <= last:
            # A duplicate or a straggler: it reveals nothing.
            self._last_seq[name] = last
            return Lagged(name, 0, True) if restarted else None

        missed = seq - last - 1
        self._last_seq[name] = seq
        if missed == 0 and not restarted:
            return None
        return Lagged(name, missed, restarted)
