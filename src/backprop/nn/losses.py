"""The loss registry: each loss E(ŷ, y) with its output delta ∂E/∂ŷ, on NumPy arrays.

One table serves the whole project. The autograd loss ops (``backprop.nn.functional``,
the ``nn.*Loss`` modules) take their forward value *and* their backward rule from here, and
the δ engine asks the same entry for the output delta δ = ∂E/∂ŷ that starts its recursion,
so the two engines cannot drift apart. Losses that PyTorch fuses take raw scores:
``cross_entropy`` takes logits (δ = softmax(x) − y) and ``bce_with_logits`` takes logits
(δ = σ(x) − y), both exact and finite for any |x|. This file does no input checking (see
``loss_ops.py``) and records no graph.

Conventions: ``value`` returns the *unreduced* losses ℓ (elementwise losses: the input's
shape; class losses: the input's shape without the class axis); ``grad`` returns ∂ℓᵢ/∂ŷ
shaped like the input, so that for E = Σℓ the delta is ``grad`` and for E = mean ℓ it is
``grad / denominator``. The lecture's E = ½(ŷ − y)² is ``half_mse``; PyTorch's ``MSELoss``
(no ½) is ``mse``: their deltas differ by a factor of 2.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .. import stable
from ..errors import ConfigError
from ..stable import benign_underflow
from .class_losses import (
    _cross_entropy,
    _cross_entropy_grad,
    _cross_entropy_target_grad,
    _index_denominator,
    _nll,
    _nll_grad,
)

__all__ = [
    "LOSSES",
    "REDUCTIONS",
    "Loss",
    "get_loss",
    "loss_value",
    "output_delta",
    "reduce",
    "value_and_delta",
]

REDUCTIONS = ("mean", "sum", "none")


@dataclass(frozen=True)
class Loss:
    """One loss function.

    Attributes:
        name: registry key (``"mse"``).
        value: ``value(input, target, **options) -> ℓ``, the unreduced losses.
        grad: ``grad(input, target, **options) -> ∂ℓ/∂input``, shaped like ``input``.
        target_grad: the same with respect to the target, or None where PyTorch has none.
        denominator: ``denominator(input, target, **options) -> float`` that ``'mean'``
            divides by; None means the number of elements of ℓ.
        node: name of the autograd node (PyTorch's ``grad_fn`` name where one node does it).
        takes: what ``input`` is: ``"prediction"``, ``"probabilities"``, ``"logits"`` or
            ``"log_probabilities"``; for logits the delta is with respect to the logits.
        class_axis: True for losses that reduce over the class axis (axis 1, or 0 for an
            unbatched input): ℓ then lacks that axis.
        defaults: the options and their default values.
        formula: the loss and its delta, for documentation and the CLI.
    """

    name: str
    value: Callable
    grad: Callable
    target_grad: Callable | None
    node: str
    takes: str = "prediction"
    class_axis: bool = False
    denominator: Callable | None = None
    defaults: dict = field(default_factory=dict)
    formula: str = ""


# -- elementwise regression losses ---------------------------------------------------------
@benign_underflow
def _mse(x, y):
    d = x - y
    return d * d


@benign_underflow
def _half_mse(x, y):
    d = x - y
    return 0.5 * d * d


@benign_underflow
def _huber(x, y, delta=1.0):
    d = np.abs(x - y)
    return np.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta))


def _huber_grad(x, y, delta=1.0):
    return np.clip(x - y, -delta, delta)


# -- binary cross-entropy --------------------------------------------------------------------
_BCE_EPS = 1e-12  # PyTorch's floor on x(1 − x) in the BCE gradient


def _log_floor(p):
    with np.errstate(divide="ignore"):
        return np.maximum(np.log(p), -100.0)  # PyTorch clamps log at −100: finite losses


@benign_underflow
def _bce(x, y, weight=None):
    loss = -(y * _log_floor(x) + (1 - y) * _log_floor(1 - x))
    return loss if weight is None else loss * weight


@benign_underflow
def _bce_grad(x, y, weight=None):
    g = (x - y) / np.maximum((1 - x) * x, _BCE_EPS)
    return g if weight is None else g * weight


@benign_underflow
def _bce_target_grad(x, y, weight=None):
    g = _log_floor(1 - x) - _log_floor(x)
    return g if weight is None else g * weight


@benign_underflow
def _bce_logits(x, y, weight=None, pos_weight=None):
    # −[p·y·log σ(x) + (1 − y)·log(1 − σ(x))], with −log σ(x) = softplus(−x) and
    # −log(1 − σ(x)) = softplus(x).
    pw = 1.0 if pos_weight is None else pos_weight
    loss = pw * y * stable.softplus(-x) + (1 - y) * stable.softplus(x)
    return loss if weight is None else loss * weight


@benign_underflow
def _bce_logits_grad(x, y, weight=None, pos_weight=None):
    pw = 1.0 if pos_weight is None else pos_weight
    s = stable.sigmoid(x)
    g = s - y if pos_weight is None else s * (pw * y + 1 - y) - pw * y
    return g if weight is None else g * weight


@benign_underflow
def _bce_logits_target_grad(x, y, weight=None, pos_weight=None):
    pw = 1.0 if pos_weight is None else pos_weight
    g = pw * stable.softplus(-x) - stable.softplus(x)
    return g if weight is None else g * weight


# -- class losses: cross-entropy and NLL are in class_losses.py ------------------------------

LOSSES: dict[str, Loss] = {
    entry.name: entry
    for entry in (
        Loss(
            "mse",
            lambda x, y: _mse(x, y),
            lambda x, y: 2 * (x - y),
            lambda x, y: 2 * (y - x),
            "MseLossBackward0",
            formula="ℓ = (ŷ − y)²;  ∂ℓ/∂ŷ = 2(ŷ − y)",
        ),
        Loss(
            "half_mse",
            lambda x, y: _half_mse(x, y),
            lambda x, y: x - y,
            lambda x, y: y - x,
            "HalfMseLossBackward0",
            formula="ℓ = ½(ŷ − y)² (the lecture's E);  ∂ℓ/∂ŷ = ŷ − y",
        ),
        Loss(
            "l1",
            lambda x, y: np.abs(x - y),
            lambda x, y: np.sign(x - y),
            lambda x, y: np.sign(y - x),
            "L1LossBackward0",
            formula="ℓ = |ŷ − y|;  ∂ℓ/∂ŷ = sign(ŷ − y)",
        ),
        Loss(
            "huber",
            _huber,
            _huber_grad,
            lambda x, y, delta=1.0: -_huber_grad(x, y, delta),
            "HuberLossBackward0",
            defaults={"delta": 1.0},
            formula="ℓ = ½d² if |d| < δ else δ(|d| − ½δ), d = ŷ − y;  ∂ℓ/∂ŷ = clip(d, −δ, δ)",
        ),
        Loss(
            "bce",
            _bce,
            _bce_grad,
            _bce_target_grad,
            "BinaryCrossEntropyBackward0",
            takes="probabilities",
            defaults={"weight": None},
            formula="ℓ = −w[y·log p + (1 − y)·log(1 − p)] (logs ≥ −100);  "
            "∂ℓ/∂p = w(p − y)/max(p(1 − p), 1e-12)",
        ),
        Loss(
            "bce_with_logits",
            _bce_logits,
            _bce_logits_grad,
            _bce_logits_target_grad,
            "BinaryCrossEntropyWithLogitsBackward0",
            takes="logits",
            defaults={"weight": None, "pos_weight": None},
            formula="ℓ = −w[p_w·y·log σ(x) + (1 − y)·log(1 − σ(x))];  "
            "∂ℓ/∂x = w[σ(x)(p_w·y + 1 − y) − p_w·y] (= σ(x) − y without weights)",
        ),
        Loss(
            "cross_entropy",
            _cross_entropy,
            _cross_entropy_grad,
            _cross_entropy_target_grad,
            "NllLossBackward0",  # torch: log_softmax then nll_loss
            takes="logits",
            class_axis=True,
            denominator=_index_denominator,
            defaults={"weight": None, "ignore_index": -100, "label_smoothing": 0.0},
            formula="ℓ = −Σ_c q_c·log softmax(x)_c, q = w·((1 − s)·y + s/C), s = label_smoothing;  "
            "∂ℓ/∂x = softmax(x)·Σq − q (= p − y without weights or smoothing)",
        ),
        Loss(
            "nll",
            _nll,
            _nll_grad,
            None,
            "NllLossBackward0",
            takes="log_probabilities",
            class_axis=True,
            denominator=_index_denominator,
            defaults={"weight": None, "ignore_index": -100},
            formula="ℓ = −w_y·x_y;  ∂ℓ/∂x_c = −w_y·[c = y]",
        ),
    )
}

ALIASES = {
    "mse_loss": "mse",
    "mseloss": "mse",
    "half_mse_loss": "half_mse",
    "halfmseloss": "half_mse",
    "l1_loss": "l1",
    "l1loss": "l1",
    "mae": "l1",
    "huber_loss": "huber",
    "huberloss": "huber",
    "binary_cross_entropy": "bce",
    "bceloss": "bce",
    "binary_cross_entropy_with_logits": "bce_with_logits",
    "bcewithlogitsloss": "bce_with_logits",
    "crossentropyloss": "cross_entropy",
    "ce": "cross_entropy",
    "nll_loss": "nll",
    "nllloss": "nll",
}


def get_loss(name: str) -> Loss:
    """Look a loss up by name: ``'mse'``, ``'cross_entropy'``, ``'MSELoss'``, ``'bce'`` …"""
    if type(name) is str and name in LOSSES:  # the registry's own spelling
        return LOSSES[name]
    key = str(name).lower()
    entry = LOSSES.get(ALIASES.get(key, key))
    if entry is None:
        from ..errors import did_you_mean

        raise ConfigError(
            f"loss: unknown name {name!r}; choose one of {', '.join(sorted(LOSSES))}."
            + did_you_mean(name, LOSSES)
        )
    return entry


def check_reduction(reduction) -> str:
    if reduction not in REDUCTIONS:
        raise ConfigError(
            f"reduction: {reduction!r} is not a valid value; choose 'mean', 'sum' or 'none'."
        )
    return reduction


def denominator(entry: Loss, x, target, losses, options) -> float:
    """What ``'mean'`` divides Σℓ by: the element count, or the loss's own rule."""
    if entry.denominator is None:
        return losses.size
    return entry.denominator(x, target, **options)


def reduce(losses: np.ndarray, reduction: str, divisor) -> np.ndarray:
    """Apply a reduction to unreduced losses ℓ: ``'none'`` → ℓ, ``'sum'`` → Σℓ, ``'mean'`` →
    Σℓ / divisor."""
    if reduction == "none":
        return losses
    total = losses.sum()
    if reduction == "sum":
        return np.asarray(total, dtype=losses.dtype)
    if ordinary_divisor(divisor):  # no 0/0 or x/0 to hush: skip errstate's 3 µs
        return np.asarray(total / divisor, dtype=losses.dtype)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(total / divisor, dtype=losses.dtype)


def ordinary_divisor(divisor) -> bool:
    """True for a finite nonzero divisor (a count, a sum of finite class weights)."""
    return 0 < abs(divisor) < np.inf


def loss_value(name: str, input, target, reduction: str = "mean", **options) -> np.ndarray:  # noqa: A002
    """E for NumPy arrays, reduced as asked (inputs checked as the autograd op checks them)."""
    from .loss_ops import prepare

    entry = get_loss(name)
    x, y, opts = prepare(entry, input, target, options)
    losses = entry.value(x, y, **opts)
    return reduce(losses, check_reduction(reduction), denominator(entry, x, y, losses, opts))


def value_and_delta(name: str, input, target, reduction: str = "mean", **options):  # noqa: A002
    """``(E, δ)``: the scalar loss E = reduction(ℓ) and δ = ∂E/∂input, from NumPy arrays.

    This is where the δ recursion starts: for losses that take a ``prediction`` δ is
    ∂E/∂ŷ (multiply by g'(f[L]) for the output layer's δ[L]); for losses that take
    ``logits`` it already is δ[L] with respect to the output layer's f[L] (identity output).
    ``reduction`` is ``'mean'`` (divide by the loss's denominator) or ``'sum'``. Inputs are
    checked as the autograd op checks them. E is a float, δ an array shaped like ``input``.
    """
    from .loss_ops import prepare

    entry = get_loss(name)
    if check_reduction(reduction) == "none":
        raise ConfigError(
            "output_delta: reduction='none' gives one loss per element, not a scalar E; "
            "use 'sum' (each element's own gradient) or 'mean'."
        )
    x, y, opts = prepare(entry, input, target, options)
    losses = entry.value(x, y, **opts)
    divisor = denominator(entry, x, y, losses, opts)
    grad = entry.grad(x, y, **opts)
    if reduction == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            grad = grad / divisor
    return float(reduce(losses, reduction, divisor)), grad.astype(x.dtype, copy=False)


def output_delta(name: str, input, target, reduction: str = "mean", **options) -> np.ndarray:  # noqa: A002
    """δ = ∂E/∂input for E = reduction(ℓ) ('mean' or 'sum'); see ``value_and_delta``."""
    return value_and_delta(name, input, target, reduction, **options)[1]
