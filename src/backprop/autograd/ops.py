"""The op table: every primitive operation with its forward and backward rule (floor 1).

Each op is a ``Node`` subclass named after PyTorch's backward node (``MulBackward0``), with
``forward(*arrays, **options) -> array`` and ``backward(grad) -> tuple`` of one gradient
array (or None) per input. Rules work on NumPy arrays; ``Tensor`` wraps them. Broadcasting
is undone in the backward rules by ``unbroadcast``. Anything not here is composed from these
in the ``Tensor`` methods (and so needs no backward rule of its own).

This file holds the elementwise ops: binary with broadcasting, unary, and one node per
activation of the registry. The matrix products are in ``ops_matmul.py``, the reductions
and softmaxes in ``ops_reduce.py``, the shape, indexing and copy ops in ``ops_shape.py``;
all are re-exported here, so ``ops.<Node>`` names every op. ``OP_TABLE`` at the bottom lists
the differentiable ops; the test-suite checks that each has a float64 gradcheck and a
PyTorch comparison.
"""

from __future__ import annotations

import numpy as np

from ..stable import benign_underflow
from .activations import Activation
from .node import Node
from .ops_matmul import AddmmBackward0, MmBackward0
from .ops_reduce import (
    LogSoftmaxBackward0,
    MaxBackward0,
    MaxBackward1,
    MeanBackward0,
    SoftmaxBackward0,
    SumBackward0,
    normalize_dims,
)
from .ops_shape import (
    CatBackward0,
    CloneBackward0,
    CopySlices,
    ExpandBackward0,
    IndexBackward0,
    PermuteBackward0,
    ToCopyBackward0,
    ViewBackward0,
    WhereBackward0,
    unbroadcast,
)

__all__ = [
    "OP_TABLE", "AbsBackward0", "ActivationBackward", "AddBackward0", "AddmmBackward0",
    "CatBackward0", "ClampBackward1", "CloneBackward0", "CopySlices", "DivBackward0",
    "ExpBackward0", "ExpandBackward0", "IndexBackward0", "LogBackward0",
    "LogSoftmaxBackward0", "MaxBackward0", "MaxBackward1", "MaximumBackward0",
    "MeanBackward0", "MinimumBackward0", "MmBackward0", "MulBackward0", "NegBackward0",
    "PermuteBackward0", "PowBackward0", "PowBackward1", "PowBackward2", "SoftmaxBackward0",
    "SqrtBackward0", "SubBackward0", "SumBackward0", "ToCopyBackward0", "ViewBackward0",
    "WhereBackward0", "activation_node", "normalize_dims", "unbroadcast",
]  # fmt: skip


# -- binary, broadcasting ---------------------------------------------------------------
class AddBackward0(Node):
    __slots__ = ("shapes",)

    def forward(self, a, b):
        self.shapes = (a.shape, b.shape)
        return a + b

    def backward(self, g):
        sa, sb = self.shapes
        needs = self.needs_input_grad
        ga = unbroadcast(g, sa) if needs[0] else None
        gb = unbroadcast(g, sb) if needs[1] else None
        return ga, gb


class SubBackward0(Node):
    __slots__ = ("shapes",)

    def forward(self, a, b):
        self.shapes = (a.shape, b.shape)
        return a - b

    def backward(self, g):
        sa, sb = self.shapes
        needs = self.needs_input_grad
        ga = unbroadcast(g, sa) if needs[0] else None
        gb = unbroadcast(-g, sb) if needs[1] else None
        return ga, gb


class MulBackward0(Node):
    __slots__ = ()
    saved_inputs = (0, 1)

    def forward(self, a, b):
        self.saved = (a, b)
        return a * b

    def backward(self, g):
        a, b = self.saved
        ga = unbroadcast(g * b, a.shape) if self.needs_input_grad[0] else None
        gb = unbroadcast(g * a, b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class DivBackward0(Node):
    __slots__ = ()
    saved_inputs = (0, 1)

    def forward(self, a, b):
        self.saved = (a, b)
        return a / b

    def backward(self, g):
        a, b = self.saved
        ga = unbroadcast(g / b, a.shape) if self.needs_input_grad[0] else None
        gb = unbroadcast(-g * a / (b * b), b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class PowBackward0(Node):
    """``x ** p`` for a Python number p."""

    __slots__ = ("p",)
    saved_inputs = (0,)

    def forward(self, x, p):
        self.p = p
        self.saved = (x,)
        return np.power(x, p).astype(x.dtype, copy=False)

    def backward(self, g):
        (x,) = self.saved
        p = self.p
        if p == 0:
            return (np.zeros_like(x),)
        return ((g * p * np.power(x, p - 1)).astype(x.dtype, copy=False),)


class PowBackward1(Node):
    """``a ** b`` for two tensors."""

    __slots__ = ()
    saved_inputs = (0, 1)
    saves_output = True

    def forward(self, a, b):
        out = np.power(a, b)
        self.saved = (a, b, out)
        return out

    def backward(self, g):
        a, b, out = self.saved
        ga = gb = None
        if self.needs_input_grad[0]:
            safe = np.where(b == 0, 0.0, b * np.power(a, np.where(b == 0, 1.0, b - 1)))
            ga = unbroadcast(g * safe, a.shape)
        if self.needs_input_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                log_a = np.where((a == 0) & (b >= 0), 0.0, np.log(a))
            gb = unbroadcast(g * out * log_a, b.shape)
        return ga, gb


class PowBackward2(PowBackward1):
    """``number ** tensor``: the base is a Python number (PyTorch names this node apart)."""

    __slots__ = ()


class MaximumBackward0(Node):
    """Elementwise maximum; ties split the gradient evenly, as PyTorch does."""

    __slots__ = ()
    saved_inputs = (0, 1)
    pick = staticmethod(np.maximum)

    def forward(self, a, b):
        self.saved = (a, b)
        return self.pick(a, b)

    def backward(self, g):
        a, b = self.saved
        first = self.pick(a, b) == a
        tie = a == b
        wa = np.where(tie, 0.5, first.astype(g.dtype))
        return unbroadcast(g * wa, a.shape), unbroadcast(g * (1 - wa), b.shape)


class MinimumBackward0(MaximumBackward0):
    __slots__ = ()
    pick = staticmethod(np.minimum)


# -- unary ---------------------------------------------------------------------------------
class NegBackward0(Node):
    __slots__ = ()

    def forward(self, x):
        return -x

    def backward(self, g):
        return (-g,)


class ExpBackward0(Node):
    __slots__ = ()
    saves_output = True

    def forward(self, x):
        out = np.exp(x)
        self.saved = (out,)
        return out

    def backward(self, g):
        return (g * self.saved[0],)


class LogBackward0(Node):
    __slots__ = ()
    saved_inputs = (0,)

    def forward(self, x):
        self.saved = (x,)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(x)

    def backward(self, g):
        with np.errstate(divide="ignore"):
            return (g / self.saved[0],)


class SqrtBackward0(Node):
    __slots__ = ()
    saves_output = True

    def forward(self, x):
        with np.errstate(invalid="ignore"):
            out = np.sqrt(x)
        self.saved = (out,)
        return out

    def backward(self, g):
        with np.errstate(divide="ignore"):
            return (g / (2 * self.saved[0]),)


class AbsBackward0(Node):
    __slots__ = ()
    saved_inputs = (0,)

    def forward(self, x):
        self.saved = (x,)
        return np.abs(x)

    def backward(self, g):
        return (g * np.sign(self.saved[0]),)


class ClampBackward1(Node):
    """``clamp(min, max)`` with Python numbers; gradient 1 inside [min, max], 0 outside."""

    __slots__ = ()
    saved_inputs = (0,)

    def forward(self, x, lo=None, hi=None):
        out = x
        mask = np.ones(x.shape, dtype=bool)
        if lo is not None:
            mask &= x >= lo
            out = np.maximum(out, np.asarray(lo, dtype=x.dtype))
        if hi is not None:
            mask &= x <= hi
            out = np.minimum(out, np.asarray(hi, dtype=x.dtype))
        self.saved = (mask,)
        return out if out is not x else x.copy()

    def backward(self, g):
        return (g * self.saved[0],)


class ClampMinBackward0(ClampBackward1):
    """``clamp_min(number)`` (``ClampMaxBackward0``: ``clamp_max``), as PyTorch names them."""

    __slots__ = ()


class ClampMaxBackward0(ClampBackward1):
    __slots__ = ()


class ActivationBackward(Node):
    """Backward of an elementwise activation from the registry: ``g * g'(f)``."""

    __slots__ = ("options",)
    activation: Activation

    def forward(self, x, **options):
        act = self.activation
        self.options = options
        out = act.fn(x, **options)
        if act.uses == "input":
            self.saved = (x, None)
        elif act.uses == "output":
            self.saved = (None, out)
        return out

    @benign_underflow  # g·g'(f) of a saturated unit rounds to 0: the right answer
    def backward(self, g):
        if self.activation.uses == "none" or self.saved is None:
            return (np.zeros_like(g),)
        x, a = self.saved
        return (self.activation.chain(g, x, a, **self.options),)


_ACTIVATION_NODES: dict[str, type] = {}


def activation_node(act: Activation) -> type:
    """The Node class of one activation (created once, named like PyTorch's)."""
    cls = _ACTIVATION_NODES.get(act.name)
    if cls is None:
        attrs = {"__slots__": (), "activation": act}
        if act.uses == "input":
            attrs["saved_inputs"] = (0,)
        elif act.uses == "output":
            attrs["saves_output"] = True
        cls = type(act.node, (ActivationBackward,), attrs)
        _ACTIVATION_NODES[act.name] = cls
    return cls


# The differentiable ops; tests/test_ops.py checks each has a gradcheck and a torch
# comparison. Keys are the op names the tests use.
OP_TABLE = (
    "add", "sub", "mul", "div", "pow_scalar", "pow_tensor", "rpow", "maximum", "minimum",
    "matmul", "linear", "neg", "exp", "log", "sqrt", "abs", "clamp",
    "sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "softplus", "silu", "step",
    "sum", "mean", "max", "min", "max_dim", "min_dim", "softmax", "log_softmax",
    "reshape", "transpose", "permute", "expand", "getitem", "setitem", "cat", "stack",
    "where", "clone", "to_dtype",
)  # fmt: skip
