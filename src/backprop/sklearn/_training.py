"""What the estimators add to ``backprop.train.fit``: weighted losses and weight penalties.

``fit`` trains on ``(x, y)`` and knows nothing of per-sample weights. With ``sample_weight``
the estimators append the weights to the targets as one more column and train with
``WeightedLoss``, which splits them off again batch by batch and computes

    E = Σᵢ wᵢ ℓᵢ / Σᵢ wᵢ + alpha/2·Σ‖W‖² / Σᵢ wᵢ   (over the batch's rows; ℓᵢ averaged over
                                                  the outputs; scikit-learn's penalty)

on the autograd tape; without weights the plain registry loss (mean) runs on the δ engine.
With all weights equal the two agree (both are the mean). ``Penalty`` adds the gradient of
``½ l2 Σ‖W‖² + l1 Σ|W|`` (weights of the Linear layers, not biases) to ``.grad`` after
each backward pass, before the optimizer step. Nothing here builds models or loops.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError
from ..train import Callback
from ..train.inputs import LOSS_KINDS

__all__ = ["LOSS_KINDS", "Penalty", "Scaled", "WeightedLoss", "loss_module"]


def loss_module(name: str, options: dict | None, reduction: str = "mean"):
    """The loss module of registry entry ``name`` with ``options`` and ``reduction``."""
    from ..nn.loss_modules import loss_class

    cls = loss_class(name)
    try:
        return cls(reduction=reduction, **(options or {}))
    except TypeError as err:
        raise ConfigError(f"loss_options: {options!r} do not fit {cls.__name__} ({err}).") from None


class WeightedLoss:
    """Σ wᵢ ℓᵢ / Σ wᵢ over a batch whose targets carry the weights in their last column."""

    def __init__(self, name, options, alpha=0.0, weights=(), sum_outputs=False) -> None:
        self.sum_outputs = sum_outputs  # multilabel: ℓᵢ summed over the labels (sklearn's)
        self.per_sample = loss_module(name, options, reduction="none")
        self.kind = LOSS_KINDS[self.per_sample.loss]
        self.alpha, self.weights = float(alpha), list(weights)

    def __call__(self, output, packed):
        from ..autograd.tensor import Tensor

        data = packed._data
        weights = data[:, -1]
        target = data[:, :-1]
        if self.kind == "class":
            target = target[:, 0].astype(np.int64)
        per = self.per_sample(output, Tensor._wrap(target))
        if per.ndim == 2:
            per = per.sum(dim=1) if self.sum_outputs else per.mean(dim=1)
        total = float(weights.sum())
        scale = 1.0 / total if total > 0 else 0.0
        loss = (per * Tensor._wrap(weights * scale)).sum()
        if self.alpha and total > 0:  # scikit-learn's: alpha/2·Σ‖W‖² / Σ wᵢ of the batch
            loss = loss + sum((w * w).sum() for w in self.weights) * (0.5 * self.alpha / total)
        return loss


class Scaled:
    """``factor`` times a loss module: a multilabel loss as scikit-learn's, summed over the
    k labels and averaged over rows, is k times the mean over all elements. A plain
    callable, so ``fit`` trains it on the autograd tape."""

    def __init__(self, loss, factor: float) -> None:
        self.inner, self.factor = loss, float(factor)

    def __call__(self, output, target):
        return self.inner(output, target) * self.factor


def pack(targets: np.ndarray, weights: np.ndarray, dtype) -> np.ndarray:
    """Targets (N,) or (N, k) with the weights appended as a last column, in ``dtype``."""
    column = targets.reshape(len(targets), -1)
    return np.hstack([column.astype(dtype), weights.reshape(-1, 1).astype(dtype)])


class Penalty(Callback):
    """Adds l2·W + l1·sign(W) to the gradient of every Linear weight W before each step."""

    def __init__(self, weights: list, l1: float, l2: float) -> None:
        self.weights, self.l1, self.l2 = weights, float(l1), float(l2)

    def on_after_backward(self, state) -> None:
        for w in self.weights:
            if w.grad is None:
                continue
            grad = w.grad._data
            if self.l2:
                grad += self.l2 * w._data
            if self.l1:
                grad += self.l1 * np.sign(w._data)
