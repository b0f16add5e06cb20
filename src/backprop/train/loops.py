"""The loop behind the span protocol for engines without a compiled or buffered loop of their
own (floor 5), and what every loop shares: ``EngineChoice``, the L1/L2 penalty, finiteness.

``PerBatchLoop`` runs autograd's ``zero_grad``/``backward``/``step`` (or the δ engine's
``Plan.step``) one batch per Python iteration, with the same protocol as
``delta.fused_loop.FusedLoop`` and ``delta.numpy_loop.NumpyLoop`` (see ``train.spans``).
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass

import numpy as np

from .weights import WeightCopy, flat_base

__all__ = ["EngineChoice", "PerBatchLoop", "alpha_term", "batch_of", "penalize", "weight_arrays"]


@dataclass
class EngineChoice:
    """Which engine trains, and why, in words (``fit`` states it; ``--verbose`` prints it)."""

    name: str  # "fused", "delta" or "autograd"
    reason: str
    kernel_could: bool = False  # the compiled loop could take the run (it did not pay)
    numpy_seconds: float = 0.0  # then: the cost model's NumPy time of the whole run


class PerBatchLoop:
    """One batch per Python iteration behind the span protocol: autograd's
    ``zero_grad``/``backward``/``step``, or the δ engine's ``Plan.step`` when no faster loop
    takes the setup. ``step(xb, yb) -> loss`` leaves the gradients in ``.grad``."""

    def __init__(self, name, step, optimizer, params, x, y, size, penalty=("none", 0.0)):
        self.name, self.step, self.optimizer = name, step, optimizer
        self.params = [p for p in params if p.requires_grad]
        self.x, self.y, self.size = x, y, size
        self.n = x.shape[0]
        self.batches = math.ceil(self.n / size)
        self.penalty_kind, self.penalty_rate = penalty
        self.restored = False
        self._before: WeightCopy | None = None

    def session(self):
        return contextlib.nullcontext()

    def sync(self) -> None:
        """Nothing to write back: the loop works on the model's own tensors."""

    def reload(self) -> None:
        """Nothing to read again, for the same reason."""

    def run(self, perms, first_step, n_steps, losses, guard):
        x, y, size, nb = self.x, self.y, self.size, self.batches
        zero_grad, step, update = self.optimizer.zero_grad, self.step, self.optimizer.step
        for i in range(n_steps):
            _, xb, yb = batch_of(x, y, perms, first_step + i, size, nb)
            zero_grad()
            value = step(xb, yb)
            if self.penalty_kind == "alpha" and self.penalty_rate:
                value += alpha_term(self.params, self.penalty_rate, len(xb))
            losses[i] = value
            if guard:
                if not (math.isfinite(value) and _finite_grads(self.params)):
                    if self._before is not None and not _finite([p._data for p in self.params]):
                        self._before.restore()
                        self.restored = True
                    return i, i
                if self._before is None:
                    self._before = WeightCopy(self.params)
                else:
                    self._before.save()
            update()
            if self.penalty_kind in ("l1", "l2") and self.penalty_rate:
                penalize(
                    weight_arrays(self.params), self.penalty_kind, self._lr() * self.penalty_rate
                )
        return n_steps, None

    def _lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])


def batch_of(x, y, perms, step: int, size: int, batches: int):
    """(batch index b, x rows, y rows) of step ``step``: batch b = step mod ``batches`` of
    epoch step div ``batches``, in that epoch's row order ``perms[e]`` or the natural one."""
    e, b = divmod(step, batches)
    lo = b * size
    if perms is not None:
        rows = perms[e, lo : lo + size]
        return b, x[rows], y[rows]
    if size < x.shape[0]:
        return b, x[lo : lo + size], y[lo : lo + size]
    return b, x, y


def alpha_term(params, alpha: float, m: int) -> float:
    """scikit-learn's L2 term after the backward pass of a batch of ``m`` rows: α/m·W added
    to the ``.grad`` of each weight matrix (not the biases); returns α/2·Σ‖W‖²/m, the term
    the batch's loss gains (``fit(penalty=("alpha", α))``)."""
    square = 0.0
    for p in params:
        w = p._data
        if w.ndim < 2:
            continue
        flat = w.reshape(-1)
        square += float(np.dot(flat, flat))
        if p._grad is not None:
            p._grad._data += np.multiply(w, alpha / m)
    return 0.5 * alpha * square / m


def penalize(weights: list, kind: str, shrink: float) -> None:
    """TensorFlow Playground's penalty after an update, on weights only: L2 scales each by
    max(0, 1 − lr·rate); L1 moves each lr·rate towards 0 and stops at 0 (a proximal step)."""
    for w in weights:
        if kind == "l2":
            w *= max(0.0, 1.0 - shrink)
        else:
            np.copysign(np.maximum(np.abs(w) - shrink, 0.0), w, out=w)


def weight_arrays(params) -> list:
    """The arrays the penalty shrinks: the weight matrices, not the biases (read afresh, so
    a parameter given new storage between spans is still penalised)."""
    return [p._data for p in params if p._data.ndim >= 2]


def _finite(arrays) -> bool:
    base = flat_base(arrays)
    if base is not None:
        return bool(np.isfinite(base).all())
    return all(np.isfinite(a).all() for a in arrays)


def _finite_grads(params) -> bool:
    grads = [p._grad._data for p in params if p._grad is not None]
    return not grads or _finite(grads)
