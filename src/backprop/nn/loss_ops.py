"""The autograd loss op: checks a loss's inputs, then runs the registry entry as one node.

``loss_op('mse', y_pred, y)`` validates where the values enter (shapes equal, dtypes,
class indices in range, probabilities in [0, 1], option values) with messages that name
both operands and the fix, then records a single node whose forward value and backward rule
both come from ``losses.LOSSES``. ``prepare`` is the checking half on NumPy arrays, shared
with ``losses.output_delta`` so the δ engine gets the same checks. No formulas live here.
"""

from __future__ import annotations

import numpy as np

from ..autograd.node import Node
from ..autograd.tensor import Tensor, apply_op, as_tensor_operand
from ..errors import AutogradError, ConfigError, DTypeError, ShapeError
from ..stable import benign_underflow
from .class_losses import plain_cross_entropy, plain_cross_entropy_grad, plain_indices
from .losses import Loss, check_reduction, denominator, get_loss, ordinary_divisor, reduce

__all__ = ["loss_op", "prepare"]

# The PyTorch function name of each entry, used in messages.
_WHO = {
    "mse": "mse_loss",
    "half_mse": "half_mse_loss",
    "l1": "l1_loss",
    "huber": "huber_loss",
    "bce": "binary_cross_entropy",
    "bce_with_logits": "binary_cross_entropy_with_logits",
    "cross_entropy": "cross_entropy",
    "nll": "nll_loss",
}


def _array(value, who: str, what: str) -> np.ndarray:
    if isinstance(value, Tensor):
        return value._data
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, int | float | list | tuple):
        return np.asarray(value)
    raise DTypeError(f"{who}: {what} must be a Tensor, got {type(value).__name__}.")


def _float_input(x: np.ndarray, who: str) -> None:
    if x.dtype.kind != "f":
        raise DTypeError(
            f"{who}: input must be a floating point tensor (the model's output), got dtype "
            f"{x.dtype}; convert it with .float()."
        )


def _shape_hint(xs: tuple, ys: tuple) -> str:
    if len(xs) == len(ys) + 1 and xs[-1] == 1 and xs[:-1] == ys:
        return "make the target a column with target.reshape(-1, 1) (or squeeze the input)"
    if len(ys) == len(xs) + 1 and ys[-1] == 1 and ys[:-1] == xs:
        return "make the target match with target.reshape(-1) (or unsqueeze the input)"
    return f"reshape the target to {list(xs)}"


def _check_same_shape(x, y, who: str) -> None:
    if x.shape != y.shape:
        raise ShapeError(
            f"{who}: input (prediction) has shape {list(x.shape)} but target has shape "
            f"{list(y.shape)}; they must be equal, since broadcasting them would compare every "
            f"prediction with every target. Fix: {_shape_hint(x.shape, y.shape)}."
        )


def _check_unit_interval(a: np.ndarray, who: str, what: str, fix: str) -> None:
    if a.size and not (np.all(a >= 0) and np.all(a <= 1)):
        raise ConfigError(
            f"{who}: all elements of {what} should be between 0 and 1, got values in "
            f"[{np.nanmin(a):.6g}, {np.nanmax(a):.6g}]{' (or NaN)' if np.isnan(a).any() else ''}. "
            f"{fix}"
        )


def _broadcastable(w, shape, who: str, what: str) -> None:
    try:
        ok = np.broadcast_shapes(w.shape, shape) == tuple(shape)
    except ValueError:
        ok = False
    if not ok:
        raise ShapeError(
            f"{who}: {what} of shape {list(w.shape)} cannot be broadcast to the input's shape "
            f"{list(shape)}."
        )


def _elementwise(entry: Loss, x, y, options: dict, who: str):
    _check_same_shape(x, y, who)
    dtype = np.result_type(x.dtype, y.dtype) if y.dtype.kind == "f" else x.dtype
    x, y = x.astype(dtype, copy=False), y.astype(dtype, copy=False)
    if entry.name == "huber":
        delta = options.get("delta", 1.0)
        number = isinstance(delta, int | float | np.number) and not isinstance(delta, bool)
        if not (number and delta > 0):
            raise ConfigError(f"{who}: delta must be positive, got {delta!r}; the default is 1.0.")
        options["delta"] = float(delta)
    if entry.name == "bce":
        _check_unit_interval(
            x,
            who,
            "input",
            "The input must be probabilities: apply sigmoid first, or better, give the raw "
            "scores to binary_cross_entropy_with_logits (BCEWithLogitsLoss), which is stable.",
        )
        _check_unit_interval(y, who, "target", "Targets are probabilities (0/1 labels).")
    for key in ("weight", "pos_weight"):
        if options.get(key) is not None:
            w = _array(options[key], who, key).astype(dtype, copy=False)
            _broadcastable(w, x.shape, who, key)
            options[key] = w
    return x, y, options


def _class_target(entry: Loss, x, y, options: dict, who: str):
    if x.ndim == 0:
        raise ShapeError(
            f"{who}: input must have a class dimension, shape (C,) or (N, C, ...), got a 0-d "
            "tensor."
        )
    axis = 0 if x.ndim == 1 else 1
    n_classes = x.shape[axis]
    index_shape = x.shape[:axis] + x.shape[axis + 1 :]
    probabilities = entry.name == "cross_entropy" and y.shape == x.shape
    if probabilities:
        if y.dtype.kind != "f":
            raise DTypeError(
                f"{who}: a target of the input's shape {list(x.shape)} holds class "
                f"probabilities and must be floating point, got {y.dtype}; for class indices "
                f"give an int64 target of shape {list(index_shape)}."
            )
        return y.astype(np.result_type(x.dtype, y.dtype), copy=False), n_classes
    if y.dtype.kind not in "iu":
        kind = "bool" if y.dtype.kind == "b" else str(y.dtype)
        raise DTypeError(
            f"{who}: target holds class indices and must be int64 (long), got {kind} of "
            f"shape {list(y.shape)}; convert with target.long()"
            + (
                ". For class probabilities give a float target of the input's shape "
                f"{list(x.shape)}."
                if entry.name == "cross_entropy"
                else "."
            )
        )
    if y.shape != index_shape:
        raise ShapeError(
            f"{who}: input of shape {list(x.shape)} (classes on axis {axis}) needs a target "
            f"of class indices of shape {list(index_shape)}, got {list(y.shape)}. Fix: "
            + (
                "target.reshape(-1)."
                if y.size == int(np.prod(index_shape))
                else "check that input and target come from the same batch."
            )
        )
    ignore = options.get("ignore_index", -100)
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        bad = ((y < 0) | (y >= n_classes)) & (y != ignore)
    else:
        bad = None
    if bad is not None and bad.any():
        value = int(y[bad].flat[0])
        raise ConfigError(
            f"{who}: Target {value} is out of bounds: class indices must be in [0, "
            f"{n_classes - 1}] for an input with {n_classes} classes (or equal ignore_index="
            f"{ignore}). Check the labels, or the model's output width."
        )
    return (y if y.dtype == np.int64 else y.astype(np.int64)), n_classes


def _classes(entry: Loss, x, y, options: dict, who: str):
    y, n_classes = _class_target(entry, x, y, options, who)  # x: float, checked by prepare
    dtype = np.result_type(x.dtype, y.dtype) if y.dtype.kind == "f" else x.dtype
    x = x.astype(dtype, copy=False)
    if options.get("weight") is not None:
        w = _array(options["weight"], who, "weight")
        if w.shape != (n_classes,):
            raise ShapeError(
                f"{who}: weight must hold one value per class, shape [{n_classes}], got "
                f"{list(w.shape)}."
            )
        options["weight"] = w.astype(dtype, copy=False)
    if "ignore_index" in options:
        ignore = options["ignore_index"]
        if type(ignore) is not int and (
            not isinstance(ignore, int | np.integer) or isinstance(ignore, bool)
        ):
            raise ConfigError(f"{who}: ignore_index must be an integer, got {ignore!r}.")
        options["ignore_index"] = int(ignore)
    smoothing = options.get("label_smoothing", 0.0)
    if not 0.0 <= smoothing <= 1.0:
        raise ConfigError(f"{who}: label_smoothing must be between 0.0 and 1.0, got {smoothing!r}.")
    return x, y, options


def prepare(entry: Loss, input, target, options: dict):  # noqa: A002 - PyTorch's name
    """Check and convert a loss's arrays and options; returns ``(input, target, options)``.

    The target is cast to the computation dtype (an int target of a regression loss, as
    PyTorch promotes it); option tensors become arrays. Raises ShapeError, DTypeError or
    ConfigError with the operands' shapes and values and a fix.
    """
    who = _WHO.get(entry.name, entry.name)
    x = _array(input, who, "input")
    y = _array(target, who, "target")
    unknown = options.keys() - entry.defaults.keys()
    if unknown:
        raise ConfigError(
            f"{who}: unknown option(s) {sorted(unknown)}; it takes {sorted(entry.defaults)}."
        )
    options = {k: v for k, v in options.items() if v is not None}
    _float_input(x, who)
    if entry.class_axis:
        return _classes(entry, x, y, options, who)
    return _elementwise(entry, x, y, options, who)


class LossBackward(Node):
    """The node of one registry loss: forward ``reduce(ℓ)``, backward ``g · ∂ℓ/∂input``."""

    __slots__ = ("divisor", "label", "options", "reduction")
    saved_inputs = (0, 1)
    loss: Loss

    def name(self) -> str:
        return self.label

    @benign_underflow  # a tiny ℓ or ∂ℓ/∂x divided by N rounds to 0: the right answer
    def forward(self, x, y, reduction="mean", options=None):
        entry = self.loss
        self.options = options or {}
        self.reduction = reduction
        self.label = entry.node
        if entry.name == "nll" and x.ndim > 2:
            self.label = "NllLoss2DBackward0"
        if entry.name == "cross_entropy" and plain_indices(y, **self.options):
            # the registry's own arithmetic, with the softmax kept for backward
            losses, self.divisor, kept = plain_cross_entropy(x, y, **self.options)
            self.saved = (x, y, kept)
            return reduce(losses, reduction, self.divisor)
        losses = entry.value(x, y, **self.options)
        self.divisor = denominator(entry, x, y, losses, self.options)
        self.saved = (x, y)
        return reduce(losses, reduction, self.divisor)

    def _scale(self, g, x):
        if self.reduction == "none":
            if self.loss.class_axis:
                g = np.expand_dims(g, 0 if x.ndim == 1 else 1)
            return g
        if self.reduction == "mean":
            if ordinary_divisor(self.divisor):
                return g / self.divisor
            with np.errstate(invalid="ignore", divide="ignore"):
                return g / self.divisor
        return g

    @benign_underflow
    def backward(self, g):
        x, y = self.saved[:2]
        scale = self._scale(g, x)
        need = self.needs_input_grad
        gx = None
        if need[0]:
            if len(self.saved) == 3:
                gx = plain_cross_entropy_grad(self.saved[2], x.ndim) * scale
            else:
                gx = self.loss.grad(x, y, **self.options) * scale
        gy = None
        if need[1]:
            gy = self.loss.target_grad(x, y, **self.options) * scale
        return gx, gy


_NODES: dict[str, type] = {}


def _node_class(entry: Loss) -> type:
    cls = _NODES.get(entry.name)
    if cls is None:
        cls = type(entry.node, (LossBackward,), {"__slots__": (), "loss": entry})
        _NODES[entry.name] = cls
    return cls


def loss_op(name: str, input, target, reduction: str = "mean", **options) -> Tensor:  # noqa: A002
    """Run registry loss ``name`` on tensors and record it as one autograd node."""
    entry = get_loss(name)
    who = _WHO.get(entry.name, entry.name)
    if not isinstance(input, Tensor):
        raise DTypeError(
            f"{who}: input must be a Tensor (the model's output), got {type(input).__name__}."
        )
    try:
        target_t = as_tensor_operand(target)
    except DTypeError:
        raise DTypeError(
            f"{who}: target must be a Tensor, got {type(target).__name__}; wrap it with "
            "backprop.tensor(...)."
        ) from None
    check_reduction(reduction)
    x, y, opts = prepare(entry, input._data, target_t._data, options)
    if target_t.requires_grad and entry.target_grad is None:
        raise AutogradError(
            f"{who}: the derivative with respect to 'target' is not implemented; detach the "
            "target (target.detach())."
        )
    return apply_op(
        _node_class(entry), (input, target_t), arrays=(x, y), reduction=reduction, options=opts
    )
