"""When each tab trains and draws: turns on the shared event loop, paces, snapshot rates.

All tabs share one event loop, and training holds it. ``Turns`` hands the training out one
turn at a time, in the order the tabs asked for it, one turn for each pass of the loop, so
the loop reads the sockets between two turns: a message (pause, a setting) waits for a
turn or two, not for a round of every tab. A turn trains ``ROUND`` divided among the tabs
training, between ``MIN_SLICE`` and ``MAX_SLICE``, so a round of all tabs stays within
about one frame, a message waits a few milliseconds, and each tab gets an equal share.
``paced`` counts a paced speed's steps by the clock, not by turns. ``SnapshotClock`` says
when a tab's next snapshot is due: at most one a frame, and no more often than keeps its
snapshots within ``SNAPSHOT_SHARE`` of its share of the server (their cost is measured:
an expensive network's snapshots come less often, a cheap one's every frame). Nothing here
touches a socket or a session.
"""

from __future__ import annotations

import asyncio
import contextlib
import math

FRAME = 1 / 25  # seconds per frame: at most one snapshot a frame
ROUND = 0.030  # seconds of training in a round of every training tab
MIN_SLICE = 0.002  # a turn trains at least this long (past 15 tabs, a round grows)
MAX_SLICE = 0.005  # and at most this long (up to six tabs, more turns make a round)
# epochs per second (None: as fast as it can); "normal", the default, is TensorFlow
# Playground's pace: one epoch per animation frame, 60 a second
SPEEDS = {"slow": 3.0, "normal": 60.0, "fast": None}
BACKLOG = 2.0  # seconds of paced steps a late turn may catch up
SNAPSHOT_SHARE = 0.1  # of a tab's share of the server, at most this goes to snapshots
SNAPSHOT_WAIT = 1.0  # but a training tab gets a snapshot at least this often (seconds)


class Turns:
    """The server's training time, one turn at a time; ``training`` tabs share it.

    ``async with turns.turn():`` waits for the turn; a tab trains ``slice()`` seconds
    while it holds it and then gives it back before it sends anything (a tab whose page
    stopped reading must not hold the turn).
    """

    def __init__(self) -> None:
        self._lock = asyncio.Lock()  # wakes its waiters first come, first served
        self.training = 0  # tabs whose training loop runs (fast or paced)
        self.hidden = 0  # of those, tabs whose page is hidden: they take no snapshots
        # until when each tab rests after its last heavy message (a rebuild, an upload;
        # perf_counter): the tabs sending them share loop.WORK_SHARE of the server's time
        self.heavy_until: dict[int, float] = {}

    @contextlib.asynccontextmanager
    async def turn(self):
        async with self._lock:
            # Holding the turn, let the loop go round once: the other tabs queue up behind
            # this one (a turn never waits inside, so without this each tab would find the
            # lock free and all would train in the same pass), and the sockets are read.
            await asyncio.sleep(0)
            yield

    def showing(self) -> int:
        """Training tabs whose pages are visible: they share the snapshot budget."""
        return self.training - self.hidden

    def slice(self) -> float:
        """Seconds of training in one turn: ``ROUND`` shared by the training tabs, 2-5 ms."""
        return min(MAX_SLICE, max(MIN_SLICE, ROUND / max(1, self.training)))


def paced(owed: float, steps_per_second: float, elapsed: float) -> float:
    """Steps a paced speed allows ``elapsed`` seconds after the last turn.

    By the clock, not by turns: when other tabs make the turns late, each one runs more
    steps and the speed stays what it says. At most ``BACKLOG`` seconds of steps carry over,
    so a tab that fell behind (its turns ran out, or the server stalled) does not race ahead
    to make up more than that.
    """
    return min(owed + steps_per_second * elapsed, steps_per_second * BACKLOG + 1)


class SnapshotClock:
    """When a training tab's next snapshot is due, from what its snapshots cost.

    At most one a frame; and at most ``SNAPSHOT_SHARE`` of the tab's share of the server
    (one of ``tabs``) goes to snapshots: a tab whose snapshot costs ``c`` seconds waits
    ``c · tabs / SNAPSHOT_SHARE`` between two, but never more than ``SNAPSHOT_WAIT``. Alone,
    the default network (≈ 1 ms) keeps its snapshot a frame and the largest (≈ 9 ms) gets
    about ten a second; with ten tabs training, ≈ 8 and ≈ 1 a second.
    """

    def __init__(self) -> None:
        self.last = -math.inf  # when the last snapshot was taken (perf_counter seconds)
        self.cost = 0.0  # seconds a snapshot takes, smoothed over the last few

    def taken(self, at: float, seconds: float) -> None:
        self.last = at
        self.cost = seconds if self.cost == 0 else (self.cost + seconds) / 2

    def interval(self, tabs: int) -> float:
        """Seconds between two snapshots, ``tabs`` tabs training."""
        return min(SNAPSHOT_WAIT, max(FRAME, self.cost * max(1, tabs) / SNAPSHOT_SHARE))

    def due_at(self, tabs: int) -> float:
        """When the next snapshot is due, ``tabs`` tabs training."""
        return self.last + self.interval(tabs)
