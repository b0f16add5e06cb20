"""Runs paused at their first kernel call, for a group to train at once (floor 3): ``Paused``.

``fused_many.capture`` stops a run at its first kernel call by raising out of it, so the
run's code must run again from the start to use the group's result (``replaying``): its
spec read, data made, model built twice. A ``Paused`` run instead runs in a thread of its
own and *waits* at that call: the caller gathers a group's calls (``start``), trains them
together (``fused_many.train_many``) and hands each run its ``Track`` (``resume``); the run
goes on from where it waited, with the recorded steps in place of the kernel
(``fused_many._Recorded``), and finishes. Its code runs once, the same code as alone.

Only one thread runs at a time (the caller waits while a run runs, and a run waits while
the caller does), and the runs are resumed in the reverse of the order they started
(``resume_all``): context managers that save and restore process-wide state (warnings'
``catch_warnings``, BLAS thread limits) then nest as they would one run inside the other.
The global random generators are kept per run across the wait (the runs started after it
drew from them), so what a run draws after its kernel call is what it would draw alone.
"""

from __future__ import annotations

import contextvars
import random
import threading
import time

import numpy as np

from . import fused_many
from .fused_many import ARGS, Captured, _copy, _Recorded


def _rng_state():
    from ..autograd.random import get_rng_state

    return get_rng_state(), np.random.get_state(), random.getstate()


def _set_rng_state(state) -> None:
    from ..autograd.random import set_rng_state

    set_rng_state(state[0])
    np.random.set_state(state[1])
    random.setstate(state[2])


ALONE = "alone"  # ``resume``'s answer for a run left out of the group: its own kernel


class _Waiting:
    """The kernel stand-in of a paused run: waits at the first call for its ``Track``
    (or ``ALONE``: the loop's own kernel, as if it had never waited)."""

    def __init__(self, run: Paused, loop) -> None:
        self.run, self.loop, self.recorded = run, loop, None
        self.own = loop.kernels  # ``adopt`` replaces it with this stand-in after this

    def train_loop(self, *args):
        if self.recorded is not None:
            return self.recorded.train_loop(*args)
        run = self.run
        call = {name: _copy(v) for name, v in zip(ARGS, args)}
        call["small"] = bool(getattr(self.loop, "small", False))
        track = run._wait(call)
        if track is None:
            raise Captured(call)  # unwind: the caller runs it again or not at all
        self.recorded = self.own if track is ALONE else _Recorded(track, self.loop)
        return self.recorded.train_loop(*args)


class Paused:
    """``fn()`` run in its own thread up to its first fused kernel call (``start``).

    After ``start``: ``call`` is that call (a dict, as ``capture`` gives), or None if the
    run ended without one (``result``/``error`` then hold how). ``resume(track)`` lets it
    go on with ``track``'s steps (``ALONE``: with its own kernel, from the call it waited
    at; None: it unwinds, its ``error`` a ``Captured``) and returns when it has finished;
    ``waited`` is the seconds it spent waiting."""

    def __init__(self, fn) -> None:
        self.fn = fn
        self.call = None
        self.result = self.error = None
        self.finished = False
        self.waited = 0.0
        self._answer = None
        self._turn = threading.Event()  # the caller's turn
        self._go = threading.Event()  # the run's turn
        self._rng = None

    def start(self) -> Paused:
        context = contextvars.copy_context()
        thread = threading.Thread(target=context.run, args=(self._main,), daemon=True)
        thread.start()
        self._turn.wait()
        return self

    def _main(self) -> None:
        fused_many._slot.makers[:] = [lambda loop: _Waiting(self, loop)]
        try:
            self.result = self.fn()
        except BaseException as error:  # handed to the caller, who decides
            self.error = error
        finally:
            fused_many._slot.makers.clear()
            self.finished = True
            self._turn.set()

    def _wait(self, call: dict):
        self.call = call
        self._rng = _rng_state()
        began = time.perf_counter()
        self._turn.set()
        self._go.wait()
        self.waited = time.perf_counter() - began
        _set_rng_state(self._rng)
        return self._answer

    def resume(self, track) -> None:
        if self.finished:
            return
        self._answer = track
        self._turn.clear()
        self._go.set()
        self._turn.wait()


def resume_all(runs: list[Paused], tracks: dict[int, object]) -> None:
    """Resume ``runs`` (in the order they started) last first, each with its track by
    position in ``tracks`` (missing: unwound)."""
    for at in range(len(runs) - 1, -1, -1):
        runs[at].resume(tracks.get(at))
