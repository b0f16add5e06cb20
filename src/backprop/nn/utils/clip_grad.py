"""Gradient clipping: rescale or clamp the ``.grad`` of parameters in place, as
``torch.nn.utils.clip_grad_norm_`` and ``clip_grad_value_`` do.

``clip_grad_norm_`` measures the total norm ‖(‖g₁‖_p, ‖g₂‖_p, …)‖_p of all gradients
(p = ``norm_type``; ``inf`` takes the largest |g|), multiplies every gradient by
``min(1, max_norm / (total + 1e-6))`` and returns the total norm (before clipping) as a
0-d tensor.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ...autograd.tensor import Tensor
from ...errors import AutogradError, ConfigError

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_"]


def _grads(parameters) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def _norm_type(norm_type) -> float:
    if isinstance(norm_type, str) and norm_type in ("inf", "-inf"):
        return float(norm_type)
    try:
        return float(norm_type)
    except (TypeError, ValueError):
        raise ConfigError(
            f"clip_grad_norm_: norm_type must be a number or 'inf', got {norm_type!r}."
        ) from None


def _vector_norm(a: np.ndarray, p: float) -> float:
    a = np.abs(a.astype(np.float64, copy=False)).reshape(-1)
    if a.size == 0:
        return 0.0
    if p == math.inf:
        return float(a.max())
    if p == -math.inf:
        return float(a.min())
    if p == 0:
        return float(np.count_nonzero(a))
    if p == 1:
        return float(a.sum())
    if p == 2:
        return float(np.sqrt(np.dot(a, a)))
    return float((a**p).sum() ** (1.0 / p))


def clip_grad_norm_(
    parameters, max_norm, norm_type=2.0, error_if_nonfinite: bool = False, foreach=None
) -> Tensor:
    """Scale the gradients so their total ``norm_type``-norm is at most ``max_norm``; returns
    the total norm measured before scaling (a 0-d tensor of the gradients' dtype)."""
    grads = _grads(parameters)
    max_norm, p = float(max_norm), _norm_type(norm_type)
    if not grads:
        return Tensor._wrap(np.asarray(0.0, dtype=np.float32))
    dtype = grads[0]._data.dtype
    per_grad = np.array([_vector_norm(g._data, p) for g in grads])
    total = np.asarray(_vector_norm(per_grad, p), dtype=dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise AutogradError(
            f"clip_grad_norm_: The total norm of order {p} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the gradients "
            "by the non-finite norm anyway, set `error_if_nonfinite=False`."
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        coef = np.minimum(np.asarray(max_norm, dtype=dtype) / (total + dtype.type(1e-6)), 1.0)
        for g in grads:  # a non-finite total makes NaNs and zeros, as in torch
            g._data *= coef.astype(g._data.dtype)
            g._bump_version()
    return Tensor._wrap(total)


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated spelling of ``clip_grad_norm_`` (warns, then does the same)."""
    warnings.warn(
        "nn.utils.clip_grad_norm is now deprecated in favor of nn.utils.clip_grad_norm_.",
        FutureWarning,
        stacklevel=2,
    )
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None) -> None:
    """Clamp every gradient element into [−clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        np.clip(g._data, -clip_value, clip_value, out=g._data)
        g._bump_version()
