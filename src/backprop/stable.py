"""Numerically stable NumPy kernels shared by every floor (floor 0).

The exp-based functions (σ, softplus, softmax, log-softmax) are written so that no argument
of ``exp`` is positive: they never overflow, for any finite input, and they have the right
limits (σ(−1e4) = 0, softplus(1e4) = 1e4, log-softmax of a row with a 1e4 gap = −1e4).

**Underflow is the right answer here, not an error.** ``exp(−1e4)`` rounds to 0 and
``(1e-30)²`` rounds to 0 in float32; both are the correctly rounded results, and PyTorch
returns them silently. NumPy still *signals* them, so a user who runs with
``np.errstate(all="raise")`` to catch real problems would get a FloatingPointError from a
sigmoid. Kernels whose underflow is benign are therefore wrapped in ``benign_underflow``,
which ignores underflow inside them and leaves every other setting (overflow, division by
zero, invalid) as the caller set it. Values keep gradual underflow (subnormals), so results
equal PyTorch's bit for bit where they did before.

Used by the activation registry, the autograd softmax ops, the loss registry, the δ engine
and the scikit-learn estimators; one copy of each formula.
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["benign_underflow", "log_softmax", "sigmoid", "softmax", "softplus"]


# NumPy keeps its error settings in a context variable whose values are immutable objects.
# The wrapper remembers the last value it found ignoring underflow already (NumPy's default,
# or a caller's errstate(all="ignore") around a whole training run) and then skips the 1 µs
# ``errstate`` context: an identity test, 0.2 µs. The held reference keeps that object alive,
# so the identity cannot be reused by other settings. Private, so guarded: without it every
# call takes the ``errstate`` path, which is always correct.
try:
    from numpy._core.umath import _extobj_contextvar as _SETTINGS
except ImportError:  # pragma: no cover - a NumPy without it
    _SETTINGS = None
_ignoring: list = [None]  # the last settings object seen with underflow ignored


def benign_underflow(fn):
    """Run ``fn`` with NumPy's underflow signal ignored (other signals as the caller set)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if _SETTINGS is not None:
            current = _SETTINGS.get()
            if current is _ignoring[0]:
                return fn(*args, **kwargs)
            if np.geterr()["under"] == "ignore":
                _ignoring[0] = current
                return fn(*args, **kwargs)
        with np.errstate(under="ignore"):
            return fn(*args, **kwargs)

    return wrapper


@benign_underflow
def sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1/(1 + e⁻ˣ) in x's dtype; e^−|x| never overflows, both branches are exact."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)


@benign_underflow
def softplus(x: np.ndarray) -> np.ndarray:
    """log(1 + eˣ) = max(x, 0) + log1p(e^−|x|), exact and finite for every finite x."""
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


@benign_underflow
def log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """log softmax along ``axis``: z − max − log Σ e^(z − max); every exp argument is ≤ 0."""
    shifted = z - np.max(z, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


@benign_underflow
def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """softmax along ``axis``: e^(z − max) / Σ e^(z − max); the largest term is exactly 1."""
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)
