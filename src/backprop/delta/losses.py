"""Where the δ recursion starts: the output delta δ[L] from the loss registry (floor 3).

The loss owns its delta (``backprop.nn.losses``); this module asks it and joins it to the
output layer's activation:

- a loss that takes a prediction (MSE, ½MSE, L1, Huber, BCE on probabilities) gives ∂E/∂ŷ,
  and δ[L] = g'[L](f[L]) ∘ ∂E/∂ŷ;
- a loss that takes logits (CrossEntropy, BCEWithLogits) already gives ∂E/∂f[L] = p − y
  (scaled by the reduction) when the last layer is linear;
- a sigmoid output with BCE is fused the same way (BCE(σ(f)) is BCE-with-logits of f), so a
  saturated output gives δ = p − y, exact, instead of 0/0;
- a final softmax or log-softmax layer multiplies by its full Jacobian (not diagonal).
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from .network import DeltaEngineError, Layer


def resolve(loss):
    """(registry entry, reduction, options) for a loss module, registry name or entry."""
    from ..nn import losses as registry

    if isinstance(loss, registry.Loss):
        return loss, "mean", {}
    if isinstance(loss, str):
        return registry.get_loss(loss), "mean", {}
    name = getattr(type(loss), "loss", None)
    if not isinstance(name, str) or not name:
        raise DeltaEngineError(
            f"delta engine: {loss!r} is not a loss from backprop.nn (MSELoss, HalfMSELoss, "
            "L1Loss, HuberLoss, BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, NLLLoss); the "
            "engine needs the loss's output delta from the registry. Use autograd for custom "
            "losses: loss_fn(model(x), y).backward()."
        )
    entry = registry.get_loss(name)
    options = dict(getattr(loss, "options", {}))
    return entry, getattr(loss, "reduction", "mean"), options


def describe_loss(loss) -> str:
    """One line: which E, its reduction and what ∂E/∂ŷ is — the convention made explicit."""
    if loss is None:
        return "none — δ[l] = ∂ŷ/∂f[l], the lecture's derivatives of the output itself"
    entry, reduction, _ = resolve(loss)
    text = f"{entry.name}, {entry.formula}"
    if reduction == "mean":
        text += ";  E = mean of ℓ, so ∂E/∂ŷ = (∂ℓ/∂ŷ)/N"
        if entry.name == "mse":
            text += " = 2(ŷ − y)/N (PyTorch's MSELoss)"
    else:
        text += ";  E = sum of ℓ"
        if entry.name == "half_mse":
            text += ", so ∂E/∂ŷ = ŷ − y"  # the formula already names it the lecture's E
    return text


def _target(y, like: np.ndarray) -> np.ndarray:
    if y is None:
        raise ShapeError("delta engine: a loss needs a target y; pass y (or loss=None).")
    from .engine import as_numbers

    arr = as_numbers(y, "y")
    if arr.dtype.kind == "f":
        arr = arr.astype(like.dtype, copy=False)
    return arr


# One checked (target, options) pair, kept with a strong reference so that an identity
# match really is the same array: in a full-batch loop the target is checked once, not on
# every step. BCE is never cached: its check reads the prediction, which changes each step.
_checked: list = [None]


def _prepare(entry, x: np.ndarray, target: np.ndarray, options: dict):
    from ..nn.loss_ops import prepare

    c = _checked[0]
    if (
        c is not None
        and c[0] is entry
        and c[1] is target
        and c[2] is options
        and c[3] == (x.shape, x.dtype)
    ):
        y, opts, dtype = c[4]
        return x.astype(dtype, copy=False), y, opts
    x_checked, y, opts = prepare(entry, x, target, options)
    if entry.name != "bce":
        _checked[0] = (entry, target, options, (x.shape, x.dtype), (y, opts, x_checked.dtype))
    return x_checked, y, opts


def _value_and_grad(name, x: np.ndarray, target, reduction: str, options: dict):
    """E and ∂E/∂x for registry loss ``name`` (or its entry): one input check, then the
    entry's formulas."""
    from ..nn import losses as registry

    entry = registry.get_loss(name) if isinstance(name, str) else name
    x, y, opts = _prepare(entry, x, target, options)
    losses = entry.value(x, y, **opts)
    total = float(np.add.reduce(losses, axis=None))
    grad = entry.grad(x, y, **opts)
    if reduction == "mean":
        divisor = registry.denominator(entry, x, y, losses, opts)
        # every target ignored gives a zero divisor: PyTorch's result is NaN, and so is ours
        total = total / divisor if divisor else float("nan")
        grad = grad / divisor if divisor else np.full_like(grad, np.nan)
    return total, grad.astype(x.dtype, copy=False)


def loss_and_output_delta(loss, top: Layer, f: np.ndarray, a: np.ndarray, y, resolved=None):
    """(E, δ[L]) for the output layer ``top`` with pre-activation ``f`` and output ``a``."""
    if loss is None:
        if top.rowwise is not None:
            raise DeltaEngineError(
                "delta engine: loss=None differentiates ŷ itself, which needs one output; "
                "a softmax output has one per class. Pass a loss."
            )
        return float("nan"), top.activation.derivative(f, a, **top.options)

    entry, reduction, options = resolved or resolve(loss)
    if reduction == "none":
        raise DeltaEngineError(
            "delta engine: reduction='none' gives one loss per sample, not a scalar E to "
            "differentiate; use reduction='mean' or 'sum'."
        )
    target = _target(y, a)
    name = top.g_name
    if entry.name == "bce" and name == "sigmoid":
        # BCE(σ(f)) ≡ BCE-with-logits(f): exact δ = σ(f) − y even where σ saturates.
        value, _ = _value_and_grad("bce", a, target, reduction, options)
        _, delta = _value_and_grad("bce_with_logits", f, target, reduction, options)
        return value, delta
    if entry.name == "nll" and name == "log_softmax":
        value, _ = _value_and_grad("nll", a, target, reduction, options)
        _, delta = _value_and_grad("cross_entropy", f, target, reduction, options)
        return value, delta
    if entry.takes == "logits" and name != "identity":
        raise DeltaEngineError(
            f"delta engine: {entry.name} takes raw scores (logits), but the output layer "
            f"applies {name}. Remove the final activation (the loss applies "
            f"{'softmax' if entry.name == 'cross_entropy' else 'sigmoid'} itself) or pick a "
            "loss for probabilities."
        )
    value, grad = _value_and_grad(entry, a, target, reduction, options)
    if top.rowwise is not None:
        from .engine import _rowwise_vjp

        return value, _rowwise_vjp(top.rowwise, a, grad)
    if name == "identity":
        return value, grad
    return value, top.activation.chain(grad, f, a, **top.options)
