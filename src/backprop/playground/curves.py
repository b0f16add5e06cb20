"""What one tab's training records and when it stops: its curves, status and stop conditions.

The playground trains on ``train.spans.SpanRunner``, ``fit``'s loop (see ``training``). What
the page draws comes out of that loop as callbacks that say when they need control
(``Callback.next_epoch``), so the engine runs uninterrupted in between:

- ``LossCurve``: the loss curve, a ``Series`` thinned to ``HISTORY_MAX`` points; it asks for
  the next epoch the thinned series keeps and records there the epoch's training loss as
  the engine computed it (the mean of the epoch's batch losses, each before its update,
  as ``History`` defines ``loss``) and the test loss measured after the epoch (the test
  part is the run's validation data);
- ``GradCurve``: ‖∂E/∂W[l]‖ of every layer on the whole training set, at epoch ends at least
  ``GRAD_STEPS`` steps apart, where its thinned series keeps the point;
- ``StopAtLoss``: the page's "stop at loss" condition, checked at every epoch end (the
  playground's data are small); "stop after N epochs" is the run's number of epochs.

``Status`` is what the page shows of the run (running, stopped and why, diverged).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

import numpy as np

from ..train.callbacks import Callback

HISTORY_MAX = 400  # points kept per curve (older ones thinned out)
GRAD_STEPS = 4  # ‖∂E/∂W‖ is recorded at the end of an epoch at least this many steps apart


@dataclass
class Status:
    running: bool = False
    stopped: str = ""  # why training stopped on its own ("" if it did not)
    diverged: bool = False


class Series:
    """A bounded time series: keeps at most ``limit`` points by halving its resolution."""

    def __init__(self, limit: int = HISTORY_MAX) -> None:
        self.limit, self.stride = limit, 1
        self.x: list[int] = []
        self.rows: list = []

    def wants(self, x: int) -> bool:
        """Whether ``add(x, …)`` would keep the point (so it is worth computing)."""
        return x % self.stride == 0 and (not self.x or x > self.x[-1])

    def next_wanted(self, after: int) -> int:
        """The first x > ``after`` that ``add`` would keep."""
        return (after // self.stride + 1) * self.stride

    def add(self, x: int, row) -> None:
        if not self.wants(x):
            return
        self.x.append(x)
        self.rows.append(row)
        if len(self.x) > self.limit:
            self.stride *= 2
            keep = [i for i, v in enumerate(self.x) if v % self.stride == 0]
            self.x = [self.x[i] for i in keep]
            self.rows = [self.rows[i] for i in keep]

    def start(self, after: int | None) -> int:
        """Index of the first point past x = ``after`` (0 for None): what a page holding
        the points up to ``after`` lacks. Thinning keeps the order, so the page, thinning
        its own points by ``stride``, holds exactly ``x[:start]``."""
        return 0 if after is None else bisect.bisect_right(self.x, after)


class LossCurve(Callback):
    """The loss curve: (training loss, test loss) at the epochs the thinned series keeps;
    the test loss is measured there (``wants_metrics = "validation"``), nowhere else."""

    wants_metrics = "validation"

    def __init__(self, series: Series, every_epoch=None) -> None:
        self.series = series
        self.plan = None

    def next_epoch(self, state) -> int:
        return self.series.next_wanted(state.done)

    def on_epoch_end(self, state) -> None:
        epoch, logs = state.done, state.logs
        if self.series.wants(epoch) and "time" in logs:
            self.series.add(epoch, (logs["loss"], logs.get("val_loss")))


class GradCurve(Callback):
    """‖∂E/∂W[l]‖ on the training set at epoch ends ``GRAD_STEPS`` steps apart or more.

    Recorded by the training, not by the snapshots, so a tab whose snapshots come rarely
    still gets a full chart: every epoch for minibatches, every 4th with the whole set as one
    batch (where the extra backward pass would cost about a fifth of the training), and only
    where the thinned series keeps the point. ``compute()`` returns the δ engine's gradients.
    """

    wants_metrics = False

    def __init__(self, series: Series, compute) -> None:
        self.series, self.compute = series, compute

    def _every(self, batches: int) -> int:
        every = 1
        while every * batches < GRAD_STEPS:
            every *= 2
        return every

    def next_epoch(self, state) -> int:
        step = max(self._every(state.batches), self.series.stride)  # both powers of 2
        return (state.done // step + 1) * step

    def on_epoch_end(self, state) -> None:
        epoch = state.done
        if epoch % self._every(state.batches) == 0 and self.series.wants(epoch):
            with np.errstate(all="ignore"):
                self.series.add(epoch, grad_norms(self.compute()))


class StopAtLoss(Callback):
    """Stop once the watched loss — the test loss, or without a test part the training
    loss — is at or below ``target()`` (0: no target), checked after every epoch.

    ``changed`` (set when the page changes a stop condition) asks the runner for the end of
    the epoch under way, so a new condition takes effect there (``Callback.due``).
    """

    def __init__(self, target, has_test: bool) -> None:
        self.target, self.has_test = target, has_test
        self.changed = False
        self.passed = False  # Play after it stopped here: met, so trains on (until changed)

    @property
    def wants_metrics(self):
        # the test loss is measured; the training loss is the engine's
        return "validation" if self.has_test else False

    def next_epoch(self, state) -> int | None:
        return state.done + 1 if self.target() and not self.passed else None

    def due(self, state) -> bool:
        changed, self.changed = self.changed, False
        return changed

    def on_epoch_end(self, state) -> None:
        goal = self.target()
        if not goal or self.passed:
            return
        key = "val_loss" if self.has_test else "loss"
        watched = state.logs.get(key)
        if watched is not None and watched <= goal:
            which = "test" if self.has_test else "training"
            state.request_stop(
                f"Stopped: the {which} loss {watched:.4g} reached the target {goal:g} "
                f"in epoch {state.done}.",
                self,
            )


def grad_norms(grads) -> list:
    """‖∂E/∂W[l]‖ (Frobenius) of every layer, as 6-digit floats; None where not finite."""
    out = []
    for g in grads.weight_grads[1:]:
        norm = float(np.sqrt(np.sum(np.square(g, dtype=np.float64))))
        out.append(float(f"{norm:.6g}") if math.isfinite(norm) else None)
    return out
