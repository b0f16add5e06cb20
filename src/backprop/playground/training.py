"""How one tab's session trains: the minibatch step, epochs, regularisation, stopping.

``Training`` is the step loop of ``session.Session`` (which inherits it): the δ engine's
fast path (``delta.Plan`` on flat parameters) in the same order as ``train.fit`` — a seeded
permutation per epoch, minibatches, ``zero_grad``/``step``, the loss and metrics measured on
the whole training and test sets after each epoch — plus TensorFlow Playground's L1/L2
penalty, divergence (a NaN or infinite loss or weight stops training and restores the last
finite weights) and the stop conditions. It uses what ``Session._build_network`` sets up:
``x``, ``y``, ``x_test``, ``y_test``, ``model``, ``plan``, ``optimizer``, ``flat``, ``good``,
``weights``, ``rng``, the counters, ``history`` and ``status``. ``Status`` and ``Series``
are what it records.
"""

from __future__ import annotations

import bisect
import math
import time
from dataclasses import dataclass

import numpy as np

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


class Training:
    """The step loop; mixed into ``Session``, whose settings are ``self.state``."""

    @property
    def batch_size(self) -> int:
        return min(self.state["batch_size"], self.x.shape[0])

    def step_batch(self) -> float | None:
        """One minibatch: zero_grad, δ-engine backward, optimizer step, regularisation."""
        if self.status.diverged:
            return None
        n, size = self.x.shape[0], self.batch_size
        if self.cursor == 0:
            self.order = self.rng.permutation(n) if size < n else None
        lo = self.cursor
        if self.order is not None:
            rows = self.order[lo : lo + size]
            xb, yb = self.x[rows], self.y[rows]
        else:
            xb, yb = self.x, self.y
        self.optimizer.zero_grad()
        with np.errstate(all="ignore"):  # overflow is caught below, as divergence
            value = self.plan.step(xb, yb)
            if math.isfinite(value):
                self.optimizer.step()
                self._regularize()
        if not math.isfinite(value) or not np.isfinite(self.flat).all():
            self._diverged(value)
            return None
        self.steps += 1
        self.cursor = lo + size
        if self.cursor >= n:
            self.cursor = 0
            self.epoch += 1
            self.metrics = self._evaluate()
            self._record()
            self._check_stop()
        return value

    def step_epoch(self) -> None:
        """Minibatches up to the end of the current epoch."""
        start = self.epoch
        while self.epoch == start and not self.status.diverged:
            self.step_batch()

    def steps_per_epoch(self) -> int:
        return math.ceil(self.x.shape[0] / self.batch_size)

    def train(self, seconds: float, max_epochs: float | None = None, max_steps=None) -> int:
        """Train for about ``seconds``, at most ``max_epochs`` / ``max_steps``; returns steps."""
        end = time.perf_counter() + seconds
        limit = max_steps
        if max_epochs is not None:
            limit = max(1, round(max_epochs * self.steps_per_epoch()))
        done = 0
        while not self.status.stopped and (limit is None or done < limit):
            self.step_batch()
            done += 1
            if self.status.stopped or time.perf_counter() >= end:
                break
        return done

    def _regularize(self) -> None:
        """TF Playground's weight penalty, on weights only, after the optimizer's update.

        L2 shrinks every weight by lr·rate·w; L1 moves it lr·rate towards 0 and stops at 0
        (a proximal step), which is how L1 makes weights exactly zero.
        """
        kind, rate = self.state["regularization"], self.state["reg_rate"]
        if kind == "none" or rate == 0:
            return
        shrink = self.state["lr"] * rate
        for w in self.weights:
            if kind == "l2":
                w *= max(0.0, 1.0 - shrink)
            else:
                np.copysign(np.maximum(np.abs(w) - shrink, 0.0), w, out=w)

    def _diverged(self, value: float) -> None:
        self.flat[...] = self.good  # back to the last finite weights
        what = "NaN" if math.isnan(value) else ("infinite" if math.isinf(value) else "overflowed")
        self.status.running = False
        self.status.diverged = True
        self.status.stopped = (
            f"Training diverged in epoch {self.epoch + 1}: the loss became {what} with "
            f"learning rate {self.state['lr']:g}. The weights shown are those of epoch "
            f"{self.epoch}. Lower the learning rate and press Reset."
        )

    def _check_stop(self) -> None:
        s = self.state
        self.good[...] = self.flat
        if s["stop_epochs"] and self.epoch >= s["stop_epochs"]:
            self.status.stopped = f"Stopped: reached {s['stop_epochs']} epochs."
        watched = self.metrics.get("test_loss", self.metrics["loss"])
        if s["stop_loss"] and watched is not None and watched <= s["stop_loss"]:
            which = "test" if "test_loss" in self.metrics else "training"
            self.status.stopped = (
                f"Stopped: the {which} loss {watched:.4g} reached the target {s['stop_loss']:g} "
                f"in epoch {self.epoch}."
            )
        if self.status.stopped:
            self.status.running = False

    def _evaluate(self) -> dict:
        """Loss and accuracy / RMSE on the training and test sets, as ``fit`` reports them."""
        from ..delta import forward
        from ..nn.losses import loss_value
        from ..train import metrics

        entry, reduction, options = self.plan.resolved
        out = {}
        pairs = [("", self.x, self.y)]
        if self.x_test is not None:
            pairs.append(("test_", self.x_test, self.y_test))
        for prefix, x, y in pairs:
            with np.errstate(all="ignore"):
                pred = forward(self.model, x, self.plan.net).output
                value = float(loss_value(entry.name, pred, y, reduction, **options))
            out[prefix + "loss"] = value if math.isfinite(value) else None
            if self.raw.task == "classification":
                out[prefix + "accuracy"] = metrics.accuracy(pred, y, entry.name)
            else:
                rmse, _ = metrics.regression_scores(pred.reshape(y.shape), y)
                out[prefix + "rmse"] = rmse if math.isfinite(rmse) else None
        return out

    def _record(self) -> None:
        """The epoch's losses, and every few steps the layers' ‖∂E/∂W‖ on the training set.

        The gradient norms are recorded here, by the training and not by the snapshots, so
        a tab whose snapshots come rarely still gets a full chart: at the end of an epoch
        when at least ``GRAD_STEPS`` steps have run since the last point (every epoch for
        minibatches; every 4th with the whole set as one batch, where the extra backward
        pass would cost about a fifth of the training), and only where the thinned series
        keeps the point.
        """
        m = self.metrics
        self.history.add(self.epoch, (m["loss"], m.get("test_loss")))
        every = 1
        while every * self.steps_per_epoch() < GRAD_STEPS:
            every *= 2
        if self.epoch % every == 0 and self.grad_history.wants(self.epoch):
            with np.errstate(all="ignore"):
                grads = self.plan.compute(self.x, self.y)
            self.grad_history.add(self.epoch, grad_norms(grads))


def grad_norms(grads) -> list:
    """‖∂E/∂W[l]‖ (Frobenius) of every layer, as 6-digit floats; None where not finite."""
    out = []
    for g in grads.weight_grads[1:]:
        norm = float(np.sqrt(np.sum(np.square(g, dtype=np.float64))))
        out.append(float(f"{norm:.6g}") if math.isfinite(norm) else None)
    return out
