"""The class losses of the registry: cross-entropy on logits and negative log-likelihood.

Kept apart from ``losses.py`` (which holds the registry and the elementwise losses) because
they carry a class axis: inputs are (N, C, d1, ...) or unbatched (C,), targets are class
indices (int, the input's shape without C) or, for cross-entropy, class probabilities. The
general rule is ℓ = −Σ_c q_c·log p_c with q the (weighted, smoothed) target distribution;
plain class indices (no weights, no smoothing) take a path that picks one entry per row
instead of building the one-hot q — the same numbers. NumPy arrays in, arrays out; no
checking (``loss_ops.py`` does that) and no graph.
"""

from __future__ import annotations

import numpy as np

from .. import stable
from ..stable import benign_underflow


# -- class losses ------------------------------------------------------------------------------
# Inputs are (N, C, d1, ...) or unbatched (C,); the class axis is moved last for the maths.
def _to_last(x):
    return x if x.ndim <= 2 else np.moveaxis(x, 1, -1)


def _from_last(x, ndim):
    return x if ndim <= 2 else np.moveaxis(x, -1, 1)


def _class_weights(x, target, weight, ignore_index, label_smoothing):
    """q with ℓ = −Σ_c q_c·log p_c (class-last layout), for index or probability targets."""
    n_classes = x.shape[-1]
    w = np.ones(n_classes, dtype=x.dtype) if weight is None else weight
    eps = label_smoothing
    if target.dtype.kind == "f":  # class probabilities, same shape as the input
        return w * ((1 - eps) * _to_last(target) + eps / n_classes)
    valid = target != ignore_index
    safe = np.where(valid, target, 0)
    onehot = (np.arange(n_classes) == safe[..., None]).astype(x.dtype)  # q keeps x's dtype
    return (valid[..., None] * w) * ((1 - eps) * onehot + eps / n_classes)


def _index_denominator(x, target, weight=None, ignore_index=-100, **_):
    if target.dtype.kind == "f":
        return x.size / x.shape[0 if x.ndim == 1 else 1]
    valid = target != ignore_index
    if weight is None:
        return x.dtype.type(np.count_nonzero(valid))  # exact: a count, as Σ valid
    return np.sum(weight[np.where(valid, target, 0)] * valid, dtype=x.dtype)


def plain_indices(target, weight=None, label_smoothing=0.0, **_) -> bool:
    """Class-index targets with no class weights and no smoothing: q is one-hot, so the
    sums over q reduce to picking one entry per row (same numbers, no (N, C) one-hot)."""
    return weight is None and label_smoothing == 0 and target.dtype.kind != "f"


def _pick(z, safe):
    """z[..., safe] per row, class-last layout."""
    if z.ndim == 2:
        return z[np.arange(z.shape[0]), safe]
    if z.ndim == 1:
        return z[safe]
    return np.take_along_axis(z, safe[..., None], -1)[..., 0]


@benign_underflow
def plain_cross_entropy(x, target, ignore_index=-100, **_):
    """ℓ, the 'mean' divisor and what the gradient needs, for ``plain_indices`` targets.

    ℓ = log Σ_c e^(z_c − max) − (z_t − max), i.e. −log softmax(z)_t, 0 where the target is
    ``ignore_index``; the divisor is the number of targets that are not. The saved
    (z − max, log Σ e^(z − max)) give softmax(z) = e^(z − max − log Σ) exactly as
    ``stable.log_softmax`` forms it, so ``plain_cross_entropy_grad`` needs two operations.
    """
    z = _to_last(x)
    if ignore_index < 0 and target.size:  # no target below 0: none is a negative ignore_index
        every = bool(target.min() >= 0)
    else:
        every = not (target == ignore_index).any()
    valid = None if every else target != ignore_index
    safe = target if every else np.where(valid, target, 0)
    shifted = z - z.max(axis=-1, keepdims=True)
    lse = np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    losses = lse[..., 0] - _pick(shifted, safe)  # −log softmax at the target class
    if not every:
        losses = np.where(valid, losses, 0).astype(z.dtype, copy=False)
    count = target.size if every else np.count_nonzero(valid)
    return losses, z.dtype.type(count), (shifted, lse, safe, valid)


@benign_underflow
def plain_cross_entropy_grad(saved, ndim: int):
    """∂ℓ/∂x = softmax(x) − onehot(target) (0 on ignored rows), from ``plain_cross_entropy``'s
    saved values; shaped like x."""
    shifted, lse, safe, valid = saved
    g = np.exp(shifted - lse)
    if g.ndim == 2:
        g[np.arange(g.shape[0]), safe] -= 1
    elif g.ndim == 1:
        g[safe] -= 1
    else:
        idx = safe[..., None]
        np.put_along_axis(g, idx, np.take_along_axis(g, idx, -1) - 1, -1)
    if valid is not None:
        g[~valid] = 0
    return _from_last(g, ndim)


@benign_underflow
def _cross_entropy(x, target, weight=None, ignore_index=-100, label_smoothing=0.0):
    if plain_indices(target, weight, label_smoothing):
        return plain_cross_entropy(x, target, ignore_index)[0]
    z = _to_last(x)
    q = _class_weights(z, target, weight, ignore_index, label_smoothing)
    return -np.sum(q * stable.log_softmax(z), axis=-1)


@benign_underflow
def _cross_entropy_grad(x, target, weight=None, ignore_index=-100, label_smoothing=0.0):
    if plain_indices(target, weight, label_smoothing):
        return plain_cross_entropy_grad(plain_cross_entropy(x, target, ignore_index)[2], x.ndim)
    z = _to_last(x)
    q = _class_weights(z, target, weight, ignore_index, label_smoothing)
    p = np.exp(stable.log_softmax(z))
    return _from_last(p * np.sum(q, axis=-1, keepdims=True) - q, x.ndim)


@benign_underflow
def _cross_entropy_target_grad(x, target, weight=None, ignore_index=-100, label_smoothing=0.0):
    z = _to_last(x)
    w = 1.0 if weight is None else weight
    return _from_last(-(1 - label_smoothing) * w * stable.log_softmax(z), x.ndim)


def _nll(x, target, weight=None, ignore_index=-100):
    z = _to_last(x)
    q = _class_weights(z, target, weight, ignore_index, 0.0)
    return -np.sum(q * z, axis=-1)


def _nll_grad(x, target, weight=None, ignore_index=-100):
    z = _to_last(x)
    return _from_last(-_class_weights(z, target, weight, ignore_index, 0.0), x.ndim)
