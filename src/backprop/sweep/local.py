"""Running trials on this machine: in this process, or in a pool of worker processes.

An *executor* takes chunks of trials (``submit``) and reports what became of each one
(``poll``): ``("done", id, row)``, ``("error", id, message)`` for a trial that raised, or
``("lost", id, why)`` when the process running it died. The sweep's driver (``driver``)
claims trials in the store, hands chunks to an executor and writes what comes back; a
cluster executor (next to this one) only has to speak the same three words.

``Pool`` starts ``workers`` processes once; each runs chunk after chunk, so numba's start-up
and the imports are paid once per process, not per trial. Each worker has its own pipes, so
one that dies (a crash, the OOM killer) loses only its own chunk, which the driver runs
again; a worker dies with the sweep's process (Linux ``PR_SET_PDEATHSIG``, else it notices
its parent is gone between trials) and ignores Ctrl+C, which the parent handles
(``worker``).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections import deque
from dataclasses import dataclass, field

PER_WORKER = 2  # chunks handed to one worker at a time: one running, one waiting


def run_one(tid: int, text: str) -> tuple:
    """One trial's event: ("done", id, row) or ("error", id, message)."""
    from ..errors import BackpropError
    from .trial import run_trial

    try:
        return ("done", tid, run_trial(json.loads(text)))
    except BackpropError as exc:
        return ("error", tid, f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # a bug: kept with the trial, the sweep goes on
        import traceback

        where = traceback.extract_tb(exc.__traceback__)[-1]
        return ("error", tid, f"{type(exc).__name__}: {exc} ({where.filename}:{where.lineno})")


def run_chunk(chunk: list):
    """A chunk's events, one per trial, each as soon as it is known.

    Every executor (this process, the worker processes, a cluster's tasks) runs a chunk
    through here, so a way of running several trials at once lands in one place: trials
    that differ only in their seed train together in the many-model kernel
    (``batch.run_group``, rows bit for bit as alone), their events coming when the group is
    done; the others run one by one in the chunk's order."""
    from .batch import MIN_GROUP, plan, run_group

    for run in plan(chunk):
        if len(run) < MIN_GROUP:
            for tid, text, _ in run:
                yield run_one(tid, text)
        else:
            yield from run_group(run, run_one)


class Inline:
    """Trials run one by one in this process (``workers=1``)."""

    def __init__(self) -> None:
        self.queue: deque = deque()
        self.workers = 1

    def capacity(self) -> int:
        return 0 if self.queue else 1

    def busy(self) -> int:
        return len(self.queue)

    def submit(self, chunk: list) -> None:
        self.queue.append(run_chunk(chunk))

    def poll(self, timeout: float) -> list[tuple]:
        while self.queue:
            event = next(self.queue[0], None)
            if event is not None:
                return [event]
            self.queue.popleft()
        return []

    def close(self, wait: bool = True) -> None:
        self.queue.clear()


@dataclass
class _Slot:
    proc: object  # a subprocess.Popen running ``python -m backprop.sweep.worker``
    tasks: object  # the parent's end of the worker's task pipe (a Connection)
    results: object  # the parent's end of its result pipe
    pending: dict = field(default_factory=dict)  # trial id -> chunk number, handed but not back
    chunks: int = 0


def start_worker() -> _Slot:
    """A fresh interpreter running ``backprop.sweep.worker`` — not a fork (a forked child
    inherits locks held by the parent's threads, numba's and BLAS's, and can hang on them)
    and not multiprocessing's spawn (which runs the user's main script again, and cannot
    from ``python -`` or an unguarded script). Two pipes: chunks in, events out."""
    import subprocess
    from multiprocessing.connection import Connection

    task_r, task_w = os.pipe()
    res_r, res_w = os.pipe()
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH")) if p)
    try:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "backprop.sweep.worker",
                str(task_r),
                str(res_w),
                str(os.getpid()),
            ],
            pass_fds=(task_r, res_w),
            stdin=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": path},
        )
    except BaseException:
        for fd in (task_w, res_r):
            os.close(fd)
        raise
    finally:
        os.close(task_r)
        os.close(res_w)
    return _Slot(proc, Connection(task_w, readable=False), Connection(res_r, writable=False))


class Pool:
    """``workers`` processes, each with a task pipe and a result pipe."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.numbered = 0  # chunks handed out so far: each chunk's number
        self.slots: list[_Slot] = []
        for _ in range(workers):
            self.slots.append(start_worker())

    def capacity(self) -> int:
        return sum(max(0, PER_WORKER - s.chunks) for s in self.slots)

    def busy(self) -> int:
        return sum(s.chunks for s in self.slots)

    def submit(self, chunk: list) -> None:
        slot = min(self.slots, key=lambda s: s.chunks)
        slot.chunks += 1
        self.numbered += 1
        number = self.numbered
        for tid, _ in chunk:
            slot.pending[tid] = number
        slot.tasks.send(chunk)

    def poll(self, timeout: float) -> list[tuple]:
        from multiprocessing.connection import wait

        ready = set(wait([s.results for s in self.slots], timeout))
        events: list[tuple] = []
        for i, slot in enumerate(self.slots):
            ended = False
            if slot.results in ready:
                more, ended = self._drain(slot)
                events.extend(more)
            if ended or slot.proc.poll() is not None:
                more, _ = self._drain(slot)  # what it sent before it died
                events.extend(more)
                code = slot.proc.wait()
                why = f"its worker process died (exit code {code})"
                events.extend(("lost", tid, why) for tid in slot.pending)
                slot.results.close()
                slot.tasks.close()
                self.slots[i] = start_worker()
        return events

    def _drain(self, slot: _Slot) -> tuple[list[tuple], bool]:
        """The events waiting in a worker's pipe, and whether the pipe ended (it died)."""
        events = []
        try:
            while slot.results.poll():
                event = slot.results.recv()
                chunk = slot.pending.pop(event[1], None)
                if chunk is not None and chunk not in slot.pending.values():
                    slot.chunks -= 1
                events.append(event)
        except Exception:  # EOF, or a message half-written when the worker died
            return events, True
        return events, False

    def close(self, wait: bool = True) -> None:
        """Stop the workers: after their chunks (``wait``), or at once (an interrupt)."""
        import subprocess

        for slot in self.slots:
            with contextlib.suppress(OSError, ValueError):
                slot.tasks.send(None)
        for slot in self.slots:
            if not wait:
                slot.proc.kill()
            try:
                slot.proc.wait(timeout=5.0)
            except subprocess.TimeoutExpired:
                slot.proc.kill()
                slot.proc.wait()
            slot.tasks.close()
            slot.results.close()
        self.slots = []
