"""The classic perceptron learning rule for one layer of step units (floor 3).

Backprop cannot train the lecture's step unit sgn(f): its derivative is zero wherever it
exists, so every δ through it vanishes. Rosenblatt's rule does not need a derivative: for a
misclassified sample (x, y) with y ∈ {−1, +1},

    w ← w + η·y·x,    b ← b + η·y

and on linearly separable data it stops after finitely many mistakes (Novikoff's theorem).
This module is that contrast, on NumPy arrays; it is not a general trainer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import ConfigError, ShapeError


def sgn(f: np.ndarray) -> np.ndarray:
    """The lecture's step unit: +1 where f > 0, −1 where f ≤ 0."""
    return np.where(f > 0, 1.0, -1.0)


@dataclass
class PerceptronResult:
    """Weights, bias, mistakes per epoch, and whether an epoch passed with none."""

    weight: np.ndarray
    bias: float
    mistakes: list[int] = field(default_factory=list)
    converged: bool = False

    def predict(self, x) -> np.ndarray:
        return sgn(np.asarray(x, dtype=np.float64) @ self.weight + self.bias)

    @property
    def epochs(self) -> int:
        return len(self.mistakes)


def perceptron(x, y, lr: float = 1.0, max_epochs: int = 100, seed: int | None = 0):
    """Train one step unit ŷ = sgn(wᵀx + b) with the perceptron rule.

    ``x`` is (N, d); ``y`` holds −1/+1 labels (0/1 labels are mapped to −1/+1). Samples are
    visited in a seeded random order each epoch; training stops after the first epoch
    without a mistake.
    """
    x = np.asarray(getattr(x, "_data", x), dtype=np.float64)
    y = np.asarray(getattr(y, "_data", y), dtype=np.float64).reshape(-1)
    if x.ndim != 2 or x.shape[0] != y.shape[0] or x.shape[0] == 0:
        raise ShapeError(
            f"perceptron: x must be (N, d) and y (N,) with N > 0; got x {list(x.shape)} and "
            f"y {list(y.shape)}."
        )
    labels = set(np.unique(y).tolist())
    if labels <= {0.0, 1.0}:
        y = 2 * y - 1
    elif not labels <= {-1.0, 1.0}:
        raise ConfigError(f"perceptron: labels must be −1/+1 (or 0/1), got {sorted(labels)[:5]}.")
    if lr <= 0:
        raise ConfigError(f"perceptron: lr must be > 0, got {lr}.")
    rng = np.random.default_rng(seed)
    w = np.zeros(x.shape[1])
    b = 0.0
    result = PerceptronResult(w, b)
    for _ in range(max_epochs):
        mistakes = 0
        for i in rng.permutation(x.shape[0]):
            if sgn(x[i] @ w + b) != y[i]:
                w += lr * y[i] * x[i]
                b += lr * y[i]
                mistakes += 1
        result.mistakes.append(mistakes)
        if mistakes == 0:
            result.converged = True
            break
    result.weight, result.bias = w, b
    return result
