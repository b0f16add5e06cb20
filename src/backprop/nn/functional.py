"""``backprop.nn.functional`` (``F``): activations and losses as plain functions.

The stateless forms of the ``nn`` modules, with PyTorch's names and signatures
(``F.relu(x)``, ``F.cross_entropy(logits, labels, label_smoothing=0.1)``). Activations go
through the activation registry (``backprop.autograd.activations``), losses through the
loss registry (``backprop.nn.losses``), so each has one forward and one derivative in the
whole project. Nothing here holds state or parameters; ``inplace=True`` is accepted for
compatibility but the result is always a new tensor (the input is left unchanged).

Shapes: activations keep the input's shape. Elementwise losses take ``input`` and
``target`` of the *same* shape (a mismatch is a ShapeError, never a broadcast); class
losses take ``input`` (N, C, d1, …) or (C,) and a target of class indices (N, d1, …) or of
class probabilities shaped like ``input``. ``reduction`` is ``'mean'`` (default), ``'sum'``
or ``'none'``.
"""

from __future__ import annotations

import warnings

from ..autograd.functional import linear
from ..autograd.tensor import Tensor
from ..errors import ConfigError, DTypeError
from .loss_ops import loss_op

__all__ = [
    "batch_norm",  # noqa: F822 - imported on first use (_LATER)
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "dropout",  # noqa: F822 - imported on first use (_LATER)
    "elu",
    "embedding",  # noqa: F822 - imported on first use (_LATER)
    "gelu",
    "half_mse_loss",
    "huber_loss",
    "l1_loss",
    "layer_norm",  # noqa: F822 - imported on first use (_LATER)
    "leaky_relu",
    "linear",
    "log_softmax",
    "mse_loss",
    "nll_loss",
    "normalize",
    "one_hot",
    "relu",
    "sigmoid",
    "silu",
    "smooth_l1_loss",
    "softmax",
    "softplus",
    "step",
    "tanh",
]


def _tensor(input, who: str) -> Tensor:  # noqa: A002 - PyTorch's name
    if not isinstance(input, Tensor):
        raise DTypeError(
            f"{who}(): argument 'input' must be a Tensor, got {type(input).__name__}; wrap it "
            "with backprop.tensor(...)."
        )
    return input


# -- activations (elementwise, shape preserved) --------------------------------------------
def relu(input, inplace: bool = False) -> Tensor:  # noqa: A002
    """max(0, x)."""
    return _tensor(input, "relu")._activation("relu")


def sigmoid(input) -> Tensor:  # noqa: A002
    """σ(x) = 1 / (1 + e^−x)."""
    return _tensor(input, "sigmoid")._activation("sigmoid")


def tanh(input) -> Tensor:  # noqa: A002
    """tanh(x)."""
    return _tensor(input, "tanh")._activation("tanh")


def step(input) -> Tensor:  # noqa: A002
    """The lecture's sgn: +1 where x > 0, −1 elsewhere; its gradient is 0 (see ``nn.Step``)."""
    return _tensor(input, "step")._activation("step")


def leaky_relu(input, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:  # noqa: A002
    """x if x > 0 else negative_slope · x."""
    x = _tensor(input, "leaky_relu")
    return x._activation("leaky_relu", negative_slope=float(negative_slope))


def elu(input, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """x if x > 0 else α(eˣ − 1)."""
    return _tensor(input, "elu")._activation("elu", alpha=float(alpha))


def gelu(input, approximate: str = "none") -> Tensor:  # noqa: A002
    """x·Φ(x) (Φ the standard normal CDF); ``approximate='tanh'`` uses the tanh formula."""
    if approximate not in ("none", "tanh"):
        raise ConfigError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}.")
    return _tensor(input, "gelu")._activation("gelu", approximate=approximate)


def softplus(input, beta: float = 1.0, threshold: float = 20.0) -> Tensor:  # noqa: A002
    """log(1 + e^(βx)) / β, and x itself where βx > threshold (for stability)."""
    x = _tensor(input, "softplus")
    return x._activation("softplus", beta=float(beta), threshold=float(threshold))


def silu(input, inplace: bool = False) -> Tensor:  # noqa: A002
    """x · σ(x) (also called swish)."""
    return _tensor(input, "silu")._activation("silu")


def _softmax_dim(x: Tensor, dim, who: str) -> int:
    if dim is not None:
        return dim
    warnings.warn(
        f"Implicit dimension choice for {who} has been deprecated. Change the call to include "
        "dim=X as an argument.",
        stacklevel=3,
    )
    return 0 if x.ndim in (0, 1, 3) else 1


def softmax(input, dim=None, dtype=None) -> Tensor:  # noqa: A002
    """exp(xᵢ) / Σⱼ exp(xⱼ) along ``dim`` (computed after subtracting the max)."""
    x = _tensor(input, "softmax")
    x = x if dtype is None else x.to(dtype)
    return x.softmax(_softmax_dim(x, dim, "softmax"))


def log_softmax(input, dim=None, dtype=None) -> Tensor:  # noqa: A002
    """log softmax(x) along ``dim``, computed stably as x − max − log Σ exp(x − max)."""
    x = _tensor(input, "log_softmax")
    x = x if dtype is None else x.to(dtype)
    return x.log_softmax(_softmax_dim(x, dim, "log_softmax"))


def one_hot(tensor, num_classes: int = -1) -> Tensor:
    """Integer labels (any shape) → int64 one-hot vectors (shape + (num_classes,));
    ``num_classes=-1`` takes the largest label + 1."""
    import numpy as np

    labels = _tensor(tensor, "one_hot")._data
    if labels.dtype.kind not in "iu":
        raise DTypeError(
            f"one_hot: class values must be an integer tensor (int64), got dtype {labels.dtype}; "
            "convert with .long()."
        )
    if labels.size and labels.min() < 0:
        raise ConfigError(f"one_hot: Class values must be non-negative, got {labels.min()}.")
    if num_classes == -1:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    if labels.size and labels.max() >= num_classes:
        raise ConfigError(
            f"one_hot: Class values must be smaller than num_classes: got {labels.max()} with "
            f"num_classes={num_classes}."
        )
    return Tensor._wrap((labels[..., None] == np.arange(num_classes)).astype(np.int64))


# -- losses ---------------------------------------------------------------------------------
def legacy_reduction(size_average, reduce, reduction: str, who: str) -> str:
    """The ``reduction`` that PyTorch's deprecated ``size_average``/``reduce`` pair stands for
    (either None means True): both true → 'mean', only ``reduce`` → 'sum', else 'none'.
    Warns as torch 2.13 does when either is given; returns ``reduction`` otherwise."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    mapped = ("mean" if size_average else "sum") if reduce else "none"
    warnings.warn(
        f"{who}: size_average and reduce args will be deprecated, please use "
        f"reduction='{mapped}' instead.",
        UserWarning,
        stacklevel=_user_level(),
    )
    return mapped


def _user_level() -> int:
    """The ``stacklevel`` of the first caller outside ``backprop.nn`` (the user's line)."""
    import os
    import sys

    here = os.path.dirname(__file__)
    frame, level = sys._getframe(2), 2
    while frame is not None and frame.f_code.co_filename.startswith(here):
        frame, level = frame.f_back, level + 1
    return level


def _no_weight(weight, who: str) -> None:
    if weight is not None:
        raise ConfigError(
            f"{who}: weight= is not supported by backprop for this loss; multiply the "
            "reduction='none' losses by your weights and reduce them yourself."
        )


def mse_loss(  # noqa: A002
    input,  # noqa: A002
    target,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    weight=None,
) -> Tensor:
    """Mean squared error: ℓ = (ŷ − y)²; ∂E/∂ŷ = 2(ŷ − y)/N for 'mean' (no ½, as PyTorch)."""
    _no_weight(weight, "mse_loss")
    reduction = legacy_reduction(size_average, reduce, reduction, "mse_loss")
    return loss_op("mse", input, target, reduction)


def half_mse_loss(input, target, size_average=None, reduce=None, reduction="mean") -> Tensor:  # noqa: A002
    """The lecture's E = ½(ŷ − y)²: ℓ = ½(ŷ − y)², ∂ℓ/∂ŷ = ŷ − y.

    'mean' gives ½·mean (half of ``mse_loss``, gradient (ŷ − y)/N); 'sum' gives Σ½(ŷ − y)²,
    the lecture's E summed over the samples, whose gradient is ŷ − y per sample.
    """
    reduction = legacy_reduction(size_average, reduce, reduction, "half_mse_loss")
    return loss_op("half_mse", input, target, reduction)


def l1_loss(  # noqa: A002
    input,  # noqa: A002
    target,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    weight=None,
) -> Tensor:
    """Mean absolute error: ℓ = |ŷ − y|; ∂ℓ/∂ŷ = sign(ŷ − y)."""
    _no_weight(weight, "l1_loss")
    reduction = legacy_reduction(size_average, reduce, reduction, "l1_loss")
    return loss_op("l1", input, target, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None) -> Tensor:  # noqa: A002
    """ℓ = ½d² if |d| < δ else δ(|d| − ½δ), d = ŷ − y; ∂ℓ/∂ŷ = clip(d, −δ, δ)."""
    _no_weight(weight, "huber_loss")
    return loss_op("huber", input, target, reduction, delta=delta)


def smooth_l1_loss(  # noqa: A002
    input,  # noqa: A002
    target,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    """ℓ = ½d²/β where |d| < β, |d| − ½β elsewhere (d = ŷ − y): Huber's loss divided by β
    (``huber_loss(..., delta=β) / β``); β = 0 is the L1 loss."""
    reduction = legacy_reduction(size_average, reduce, reduction, "smooth_l1_loss")
    if beta < 0:
        raise ConfigError(
            f"smooth_l1_loss: beta must be non-negative, got {beta}; it is the width of the "
            "quadratic part (1.0 by default)."
        )
    if beta == 0:
        return loss_op("l1", input, target, reduction)
    return loss_op("huber", input, target, reduction, delta=beta) / beta


def binary_cross_entropy(  # noqa: A002
    input,  # noqa: A002
    target,
    weight=None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """ℓ = −w[y·log p + (1 − y)·log(1 − p)] for probabilities p = ``input`` in [0, 1].

    Logs are clamped at −100 as in PyTorch. Prefer ``binary_cross_entropy_with_logits``
    on raw scores: it is exact where this saturates.
    """
    reduction = legacy_reduction(size_average, reduce, reduction, "binary_cross_entropy")
    return loss_op("bce", input, target, reduction, weight=weight)


def binary_cross_entropy_with_logits(
    input,  # noqa: A002
    target,
    weight=None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    pos_weight=None,
) -> Tensor:
    """Sigmoid + binary cross-entropy on logits x, fused: ∂ℓ/∂x = σ(x) − y (unweighted).

    ℓ = −w[p_w·y·log σ(x) + (1 − y)·log(1 − σ(x))]; ``pos_weight`` p_w (shape (C,), the
    last axis) weighs the positive examples. Finite for any |x|.
    """
    who = "binary_cross_entropy_with_logits"
    reduction = legacy_reduction(size_average, reduce, reduction, who)
    return loss_op(
        "bce_with_logits", input, target, reduction, weight=weight, pos_weight=pos_weight
    )


def cross_entropy(
    input,  # noqa: A002
    target,
    weight=None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Softmax + negative log-likelihood on logits, fused: ∂ℓ/∂x = softmax(x) − y.

    ``input`` (N, C, …) or (C,) are logits. ``target`` is class indices (int64, shape
    (N, …)) or class probabilities (float, the input's shape). ℓ = −Σ_c q_c log softmax(x)_c
    with q = w·((1 − ε)·y + ε/C) (y one-hot for indices). 'mean' divides by Σ w_{y_n} over
    the non-ignored samples for indices, by the number of samples for probabilities.
    """
    reduction = legacy_reduction(size_average, reduce, reduction, "cross_entropy")
    return loss_op(
        "cross_entropy",
        input,
        target,
        reduction,
        weight=weight,
        ignore_index=ignore_index,
        label_smoothing=label_smoothing,
    )


def nll_loss(
    input,  # noqa: A002
    target,
    weight=None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood on log-probabilities: ℓ = −w_y·x_y; 'mean' divides by Σw_y."""
    reduction = legacy_reduction(size_average, reduce, reduction, "nll_loss")
    return loss_op("nll", input, target, reduction, weight=weight, ignore_index=ignore_index)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):  # noqa: A002 - PyTorch's names
    """``input / max(‖input‖_p, eps)`` along ``dim`` (torch's F.normalize): unit vectors."""
    x = _tensor(input, "normalize")
    result = x / x.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(x)
    if out is not None:
        from ..autograd.functional import _write_out

        return _write_out(result, out, "normalize")
    return result


# Functions for layers the lecture's models do not use, imported on first use (so that
# `import backprop.nn` stays cheap); PyTorch's convolution, pooling and attention functions
# are present by name, and calling one raises OutOfScopeError (see out_of_scope.py; not in
# __all__).
_LATER = {
    "dropout": ".dropout",
    "embedding": ".embedding",
    "batch_norm": ".normalization",
    "layer_norm": ".normalization",
}


def __getattr__(name: str):
    import importlib

    module_name = _LATER.get(name)
    if module_name is None:
        out_of_scope = importlib.import_module(".out_of_scope", __package__)
        if name not in out_of_scope.FUNCTIONS:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        module_name = ".out_of_scope"
    value = getattr(importlib.import_module(module_name, __package__), name)
    globals()[name] = value
    return value
