"""Running a sweep's trials on a Dask distributed cluster (``sweep(..., cluster=ADDRESS)``).

``DaskExecutor`` speaks ``local``'s executor protocol (``submit``, ``poll``, ``capacity``,
``busy``, ``close``; events ``done``, ``error``, ``lost``), so the driver claims trials in the
store, hands chunks to the cluster and writes each result itself: workers never touch the
database, and a chunk Dask computes twice (it re-runs the tasks of a worker that died) is
still written once, by trial id and owner (docs/scaling.md measured both engines duplicating
a worker's side effects). A chunk is one Dask task, ``run_task``: ``local.run_chunk`` on the
worker, its events returned as a list; while it runs, the worker sends a small ``ran`` tick
per trial (``log_event``) so the progress bar moves trial by trial, as it does locally.

Before the first chunk, ``connect`` reaches the scheduler within ``DEADLINE`` seconds (a
silent port hangs Dask's handshake for ever and an HTTP port makes it allocate exabytes:
docs/scaling.md, table 5), waits for a worker, and checks that every worker has the same
backprop (version and source), numpy and numba as this process, so the numbers are the same
bit for bit. Anything wrong is a ``ClusterError``: one line, exit 2 on the command line.
``distributed`` itself is an optional extra (``pip install ".[cluster]"``).
"""

from __future__ import annotations

import contextlib
import time
import uuid

from ..errors import ClusterError
from .dask_connect import (  # noqa: F401 (the cluster's whole surface, here)
    DEADLINE,
    address_of,
    check,
    check_workers,
    connect,
    short,
)

PER_THREAD = 2  # chunks in flight per worker thread: one running, one waiting
TOPIC = "backprop-sweep"  # the scheduler's event topic of the per-trial ticks
FAILURES = "distributed.scheduler.allowed-failures"


def run_task(chunk: list, tick: str | None = None) -> list:
    """A cluster task: one chunk's events (``local.run_chunk``), ticking each trial as it
    ends so the client's bar moves before the chunk's results come back."""
    from .local import run_chunk

    events = []
    for event in run_chunk(chunk):
        events.append(event)
        if tick is not None:
            with contextlib.suppress(Exception):  # a tick is only progress: never fatal
                from distributed import get_worker

                loss = event[2]["final_loss"] if event[0] == "done" else None
                get_worker().log_event(TOPIC, (tick, event[0], event[1], loss))
    return events


class LostScheduler(ClusterError):
    """The scheduler went away mid-sweep. ``address`` kept, so the caller names the fix in
    its words with the database's file (``--resume FILE --cluster ADDRESS`` on the command
    line, ``backprop.sweep.resume(FILE, cluster=ADDRESS)`` in Python)."""

    address = None

    def resumed_by(self, fix: str) -> LostScheduler:
        """The same error, its fix said as ``fix`` (the caller's words)."""
        new = LostScheduler(
            f"sweep cluster {self.address}: lost the connection to the scheduler; {fix}"
        )
        new.address = self.address
        return new


class DaskExecutor:
    """Chunks of trials as Dask tasks on the cluster at ``address`` (see the module)."""

    def __init__(self, address, deadline: float = DEADLINE) -> None:
        self.address = address_of(address)
        self.quiet = _Quiet()  # Dask's own log lines (tracebacks on a lost scheduler) off
        try:
            self.client = connect(self.address, deadline)
        except BaseException:
            self.quiet.restore()
            raise
        try:
            self.workers = check_workers(self.client, self.address, deadline)
            self.tick = uuid.uuid4().hex
            self.ticks: list[tuple] = []
            self.client.subscribe_topic(TOPIC, self._on_tick)
        except BaseException:
            with contextlib.suppress(Exception):
                self.client.close(timeout=5)
            self.quiet.restore()
            raise
        self.pending: dict = {}  # future -> its chunk's trial ids
        self.ticked: set[int] = set()  # trials ticked and not yet back
        self.checked = time.monotonic()

    def _on_tick(self, event) -> None:  # on the client's event loop: only append
        try:
            _, (tick, kind, tid, loss) = event
        except (TypeError, ValueError):  # another program's message on the topic
            return
        if tick == self.tick:
            self.ticks.append((kind, tid, loss))

    def capacity(self) -> int:
        if time.monotonic() - self.checked > 5.0:  # workers come and go
            with contextlib.suppress(Exception):
                self.workers = sum(self.client.nthreads().values()) or self.workers
            self.checked = time.monotonic()
        return max(0, PER_THREAD * self.workers - len(self.pending))

    def busy(self) -> int:
        return len(self.pending)

    def submit(self, chunk: list) -> None:
        key = f"backprop-sweep-{self.tick[:8]}-{chunk[0][0]}-{uuid.uuid4().hex[:6]}"
        future = self.client.submit(run_task, chunk, self.tick, key=key, pure=False)
        self.pending[future] = [tid for tid, _ in chunk]

    def poll(self, timeout: float) -> list[tuple]:
        from distributed import wait

        events = self._ticks()
        end = time.monotonic() + timeout
        while self.pending and not events and not self.ticks:  # a tick ends the wait too
            left = end - time.monotonic()
            if left <= 0:
                break
            try:
                with self.client.as_current():
                    wait(list(self.pending), timeout=min(0.1, left), return_when="FIRST_COMPLETED")
                break
            except TimeoutError:
                continue
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException:  # FuturesCancelledError (a BaseException): scheduler lost
                self._lost_scheduler()
        events += self._ticks()
        for future in [f for f in self.pending if f.done()]:
            tids = self.pending.pop(future)
            events.extend(self._outcome(future, tids))
            self.ticked.difference_update(tids)
            future.release()
        if self.client.status not in ("running", "connecting"):
            self._lost_scheduler()
        return events

    def _ticks(self) -> list[tuple]:
        """Trials finished on a worker whose chunk is still out: ``("ran", id, loss)``."""
        out = []
        while self.ticks:
            kind, tid, loss = self.ticks.pop(0)
            if kind == "done" and tid not in self.ticked and self._out(tid):
                self.ticked.add(tid)
                out.append(("ran", tid, loss))
        return out

    def _out(self, tid: int) -> bool:
        return any(tid in tids for tids in self.pending.values())

    def _outcome(self, future, tids: list[int]) -> list[tuple]:
        from distributed import KilledWorker

        if future.status == "finished":
            return future.result()
        if future.status == "cancelled":
            self._lost_scheduler()
        exc = future.exception()
        if isinstance(exc, KilledWorker):
            why = (
                f"its Dask worker died each of the {_allowed() + 1} times the cluster ran it "
                "(out of memory?)"
            )
            return [("lost", tid, why) for tid in tids]
        why = f"the cluster task failed: {type(exc).__name__}: {short(exc)}"
        return [("error", tid, why) for tid in tids]

    def _lost_scheduler(self):
        lost = LostScheduler(
            f"sweep cluster {self.address}: lost the connection to the scheduler; finished "
            "trials are kept in the database: resuming it with the cluster goes on."
        )
        lost.address = self.address
        raise lost

    def close(self, wait: bool = True) -> None:
        """Cancel what is still out (an interrupt), then disconnect; the cluster keeps
        running."""
        with contextlib.suppress(Exception):
            if self.pending:
                self.client.cancel(list(self.pending))
            self.client.unsubscribe_topic(TOPIC)
        with contextlib.suppress(Exception):
            self.client.close(timeout=5)
        self.pending = {}
        self.quiet.restore()


class _Quiet:
    """Dask's client logs a traceback when it loses the scheduler; the sweep says it in one
    line instead. Its loggers are raised to CRITICAL while the executor lives."""

    NAMES = ("distributed", "distributed.client")

    def __init__(self) -> None:
        import logging

        self.levels = {}
        for name in self.NAMES:
            logger = logging.getLogger(name)
            self.levels[name] = logger.level
            logger.setLevel(logging.CRITICAL)

    def restore(self) -> None:
        import logging

        for name, level in self.levels.items():
            logging.getLogger(name).setLevel(level)
        self.levels = {}


def _allowed() -> int:
    import dask

    return int(dask.config.get(FAILURES, 3))
