"""Which views of a notebook widget are still on screen, told by their heartbeats.

A kernel is not told when a browser tab with a widget's view closes or reloads: the
comm stays open and no message says the view went. So each view (``static/widget.js``)
sends ``{"view": id, "hidden": document.hidden}`` every ``ALIVE_EVERY`` seconds while it
exists, and ``{"view": id, "gone": true}`` when it is removed (the cell's output cleared,
the page unloading). ``Views`` keeps when each view was last heard of; the widget's
training asks ``all_gone`` at every turn and pauses when the last view that showed it has
gone silent: a student who closes or reloads the tab finds the run where it was when they
left, not thousands of epochs further on with nothing on screen.

A hidden tab's timers may fire only once a minute (Chromium's throttling of background
tabs), so a view that said it was hidden counts as gone only after ``HIDDEN_GONE_AFTER``.
The kernel cannot hear heartbeats while a cell runs (training waits then too), so a gap
between two checks longer than ``BLOCKED`` is not counted as the views' silence.
"""

from __future__ import annotations

import threading
import time

ALIVE_EVERY = 2.0  # seconds between a view's heartbeats (widget.js's ALIVE_EVERY)
GONE_AFTER = 10.0  # a visible view not heard of for this long is gone
HIDDEN_GONE_AFTER = 180.0  # the same for a view in a hidden tab (timers throttled)
GRACE = 1.5  # a view that said goodbye: another may replace it (the output redrawn)
BLOCKED = 1.0  # a longer gap between two checks: the kernel was busy (a cell ran)


class Views:
    """The views of one widget, by id: when each was last heard of and whether hidden."""

    def __init__(self, clock=time.monotonic) -> None:
        self.clock = clock
        self.seen: dict[str, tuple[float, bool]] = {}
        self.had = False  # a view has shown the widget since it was last all gone
        self.paused = False  # training paused because every view had gone
        self.checked: float | None = None
        self.left: set[str] = set()  # views that said goodbye: a later heartbeat is stale
        self.lock = threading.Lock()

    def heard(self, content: dict) -> None:
        """A view's heartbeat or goodbye (from any thread)."""
        key = str(content.get("view"))[:40]
        now = self.clock()
        with self.lock:
            if content.get("gone"):
                self.left.add(key)
                if key in self.seen:
                    self.seen[key] = (now - GONE_AFTER + GRACE, False)
                return
            if key in self.left:  # the unloading page's last visibilitychange, after goodbye
                return
            self.seen[key] = (now, bool(content.get("hidden")))
            self.had, self.paused = True, False

    def live(self) -> int:
        """How many views were heard of recently enough to count as there."""
        now = self.clock()
        with self.lock:
            return sum(1 for at, hidden in self.seen.values() if not _gone(at, hidden, now))

    def all_gone(self) -> bool:
        """True once, when the last view that showed the widget has gone silent."""
        now = self.clock()
        with self.lock:
            if self.checked is not None and now - self.checked > BLOCKED:
                gap = now - self.checked  # the kernel was busy: nobody could be heard
                self.seen = {k: (at + gap, h) for k, (at, h) in self.seen.items()}
            self.checked = now
            self.seen = {k: (at, h) for k, (at, h) in self.seen.items() if not _gone(at, h, now)}
            if self.had and not self.seen:
                self.had = False
                return True
            return False

    def unseen_play(self) -> None:
        """Played from code with no view showing it: the student asked for training in
        the background, so it is not paused for the views that went before."""
        if not self.live():
            with self.lock:
                self.had, self.seen = False, {}


def _gone(at: float, hidden: bool, now: float) -> bool:
    return now - at > (HIDDEN_GONE_AFTER if hidden else GONE_AFTER)
