"""The op table: every primitive operation with its forward and backward rule (floor 1).

Each op is a ``Node`` subclass named after PyTorch's backward node (``MulBackward0``), with
``forward(*arrays, **options) -> array`` and ``backward(grad) -> tuple`` of one gradient
array (or None) per input. Rules work on NumPy arrays; ``Tensor`` wraps them. Broadcasting
is undone in the backward rules by ``unbroadcast``. Anything not here is composed from these
in ``tensor.py`` (and so needs no backward rule of its own).

``OP_TABLE`` at the bottom lists the differentiable ops; the test-suite checks that each has
a float64 gradcheck and a PyTorch comparison.
"""

from __future__ import annotations

import numpy as np

from .. import stable
from ..stable import benign_underflow
from .activations import Activation
from .node import Node


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``grad`` over the axes broadcasting added, so it takes ``shape`` again."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


# -- binary, broadcasting ---------------------------------------------------------------
class AddBackward0(Node):
    __slots__ = ("shapes",)

    def forward(self, a, b):
        self.shapes = (a.shape, b.shape)
        return a + b

    def backward(self, g):
        sa, sb = self.shapes
        return unbroadcast(g, sa), unbroadcast(g, sb)


class SubBackward0(Node):
    __slots__ = ("shapes",)

    def forward(self, a, b):
        self.shapes = (a.shape, b.shape)
        return a - b

    def backward(self, g):
        sa, sb = self.shapes
        return unbroadcast(g, sa), unbroadcast(-g, sb)


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


class MmBackward0(Node):
    """Matrix product with NumPy's ``matmul`` rules (1-D operands, batches)."""

    __slots__ = ("kind",)
    saved_inputs = (0, 1)

    def name(self) -> str:
        return self.kind

    def forward(self, a, b):
        self.saved = (a, b)
        self.kind = (
            "DotBackward0"
            if a.ndim == 1 and b.ndim == 1
            else "MvBackward0"
            if a.ndim == 2 and b.ndim == 1
            else "MmBackward0"
            if a.ndim == 2 and b.ndim == 2
            else "BmmBackward0"
        )
        return a @ b

    def backward(self, g):
        a, b = self.saved
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = g
        if b.ndim == 1:  # restore the column first: a dot product's g is 0-d
            g2 = np.expand_dims(g2, -1)
        if a.ndim == 1:
            g2 = np.expand_dims(g2, -2)
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = unbroadcast(g2 @ np.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape)
        if self.needs_input_grad[1]:
            gb = unbroadcast(np.swapaxes(a2, -1, -2) @ g2, b2.shape).reshape(b.shape)
        return ga, gb


class AddmmBackward0(Node):
    """``x @ weight.T + bias``: the affine map of ``nn.Linear``, one node for three ops."""

    __slots__ = ("has_bias",)
    saved_inputs = (0, 1)

    def name(self) -> str:
        return "AddmmBackward0" if self.has_bias else "MmBackward0"

    def forward(self, x, w, b=None):
        self.saved = (x, w)
        self.has_bias = b is not None
        out = x @ w.T
        if b is not None:
            out += b
        return out

    def backward(self, g):
        x, w = self.saved
        need = self.needs_input_grad
        gx = g @ w if need[0] else None
        gw = gb = None
        if need[1]:
            gw = g.reshape(-1, g.shape[-1]).T @ x.reshape(-1, x.shape[-1])
        if len(need) > 2 and need[2]:
            gb = g.reshape(-1, g.shape[-1]).sum(axis=0)
        return (gx, gw, gb) if len(need) > 2 else (gx, gw)


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


# -- reductions -------------------------------------------------------------------------
def normalize_dims(dim, ndim: int) -> tuple[int, ...] | None:
    """Turn ``dim`` (None, int or sequence, negatives allowed) into sorted axes."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, int | np.integer) else tuple(dim)
    if not dims:
        return None  # PyTorch: an empty dim list reduces over every dimension
    from ..errors import ShapeError

    out = []
    for d in dims:
        lo, hi = (-ndim, ndim - 1) if ndim else (-1, 0)
        if isinstance(d, bool) or not isinstance(d, int | np.integer) or not lo <= d <= hi:
            raise ShapeError(
                f"dim: Dimension out of range (expected to be in range of [{lo}, {hi}], "
                f"but got {d}) for a tensor with {ndim} dimensions."
            )
        out.append(int(d) % max(ndim, 1))
    return tuple(sorted(set(out)))


def _expand_back(g: np.ndarray, shape: tuple, axes, keepdim: bool) -> np.ndarray:
    if axes is None:
        return np.broadcast_to(g, shape)
    if not keepdim:
        g = np.expand_dims(g, axes)
    return np.broadcast_to(g, shape)


class SumBackward0(Node):
    __slots__ = ("axes", "keepdim", "shape")

    def name(self) -> str:
        return "SumBackward0" if self.axes is None else "SumBackward1"

    def forward(self, x, axes=None, keepdim=False):
        self.shape, self.axes, self.keepdim = x.shape, axes, keepdim
        return np.sum(x, axis=axes, keepdims=keepdim)

    def backward(self, g):
        return (np.array(_expand_back(g, self.shape, self.axes, self.keepdim)),)


class MeanBackward0(Node):
    __slots__ = ("axes", "count", "keepdim", "shape")

    def name(self) -> str:
        return "MeanBackward0" if self.axes is None else "MeanBackward1"

    def forward(self, x, axes=None, keepdim=False):
        self.shape, self.axes, self.keepdim = x.shape, axes, keepdim
        self.count = x.size if axes is None else int(np.prod([x.shape[a] for a in axes]))
        with np.errstate(invalid="ignore"):
            return np.mean(x, axis=axes, keepdims=keepdim).astype(x.dtype, copy=False)

    def backward(self, g):
        return (np.array(_expand_back(g, self.shape, self.axes, self.keepdim)) / self.count,)


class MaxBackward1(Node):
    """Full ``max()``/``min()``: the gradient is shared evenly among tied extremes."""

    __slots__ = ("op",)
    saved_inputs = (0,)
    saves_output = True

    def name(self) -> str:
        return "MaxBackward1" if self.op is np.max else "MinBackward1"

    def forward(self, x, op=np.max):
        self.op = op
        out = op(x)
        self.saved = (x, out)
        return np.asarray(out)

    def backward(self, g):
        x, out = self.saved
        mask = x == out
        return (mask * (g / mask.sum()),)


class MaxBackward0(Node):
    """``max(dim)``/``min(dim)``: values (differentiable) and indices; grad to the index."""

    __slots__ = ("axis", "indices", "keepdim", "op", "shape")

    def name(self) -> str:
        return "MaxBackward0" if self.op is np.argmax else "MinBackward0"

    def forward(self, x, axis, keepdim=False, op=np.argmax):
        self.shape, self.axis, self.keepdim, self.op = x.shape, axis, keepdim, op
        idx = op(x, axis=axis, keepdims=True)
        self.indices = idx
        values = np.take_along_axis(x, idx, axis=axis)
        return values if keepdim else np.squeeze(values, axis=axis)

    def backward(self, g):
        grad = np.zeros(self.shape, dtype=g.dtype)
        gk = g if self.keepdim else np.expand_dims(g, self.axis)
        np.put_along_axis(grad, self.indices, gk, axis=self.axis)
        return (grad,)


class SoftmaxBackward0(Node):
    __slots__ = ("axis",)
    saves_output = True

    def forward(self, x, axis):
        self.axis = axis
        out = stable.softmax(x, axis)
        self.saved = (out,)
        return out

    @benign_underflow
    def backward(self, g):
        (p,) = self.saved
        return (p * (g - np.sum(g * p, axis=self.axis, keepdims=True)),)


class LogSoftmaxBackward0(Node):
    __slots__ = ("axis",)
    saves_output = True

    def forward(self, x, axis):
        self.axis = axis
        out = stable.log_softmax(x, axis)
        self.saved = (out,)
        return out

    @benign_underflow
    def backward(self, g):
        (logp,) = self.saved
        return (g - np.exp(logp) * np.sum(g, axis=self.axis, keepdims=True),)


# -- shape and indexing -------------------------------------------------------------------
class ViewBackward0(Node):
    """reshape / view / flatten / squeeze / unsqueeze: the gradient takes the old shape."""

    __slots__ = ("shape",)

    def forward(self, x, shape):
        self.shape = x.shape
        return x.reshape(shape)

    def backward(self, g):
        return (g.reshape(self.shape),)


class PermuteBackward0(Node):
    __slots__ = ("axes", "label")

    def name(self) -> str:
        return self.label

    def forward(self, x, axes, label="PermuteBackward0"):
        self.axes, self.label = axes, label
        return np.transpose(x, axes)

    def backward(self, g):
        return (np.transpose(g, np.argsort(self.axes)),)


class ExpandBackward0(Node):
    __slots__ = ("shape",)

    def forward(self, x, shape):
        self.shape = x.shape
        return np.broadcast_to(x, shape)

    def backward(self, g):
        return (unbroadcast(g, self.shape),)


class IndexBackward0(Node):
    """``x[index]``, basic or advanced; repeated indices add up."""

    __slots__ = ("index", "shape")

    def forward(self, x, index):
        self.shape, self.index = x.shape, index
        return x[index]

    def backward(self, g):
        grad = np.zeros(self.shape, dtype=g.dtype)
        np.add.at(grad, self.index, g)
        return (grad,)


class CopySlices(Node):
    """``x[index] = v`` recorded as an operation: out = x with out[index] = v."""

    __slots__ = ("index", "vshape")

    def forward(self, x, v, index):
        self.index, self.vshape = index, v.shape
        out = x.copy()
        out[index] = v
        return out

    def backward(self, g):
        gx = None
        if self.needs_input_grad[0]:
            gx = g.copy()
            gx[self.index] = 0
        gv = unbroadcast(g[self.index], self.vshape) if self.needs_input_grad[1] else None
        return gx, gv


class CatBackward0(Node):
    __slots__ = ("axis", "sizes", "stack")

    def name(self) -> str:
        return "StackBackward0" if self.stack else "CatBackward0"

    def forward(self, *arrays, axis=0, stack=False):
        self.axis, self.stack = axis, stack
        if stack:
            self.sizes = None
            return np.stack(arrays, axis=axis)
        self.sizes = [a.shape[axis] for a in arrays]
        return np.concatenate(arrays, axis=axis)

    def backward(self, g):
        if self.stack:
            return tuple(np.take(g, i, axis=self.axis) for i in range(g.shape[self.axis]))
        bounds = np.cumsum(self.sizes)[:-1]
        return tuple(np.split(g, bounds, axis=self.axis))


class WhereBackward0(Node):
    __slots__ = ("cond", "shapes")

    def forward(self, a, b, cond):
        self.cond, self.shapes = cond, (a.shape, b.shape)
        return np.where(cond, a, b)

    def backward(self, g):
        sa, sb = self.shapes
        zero = np.zeros((), dtype=g.dtype)
        return unbroadcast(np.where(self.cond, g, zero), sa), unbroadcast(
            np.where(self.cond, zero, g), sb
        )


class CloneBackward0(Node):
    __slots__ = ()

    def forward(self, x):
        return x.copy()

    def backward(self, g):
        return (g,)


class ToCopyBackward0(Node):
    """A dtype conversion; the gradient goes back in the input's dtype."""

    __slots__ = ()

    def forward(self, x, dtype):
        return x.astype(dtype)

    def backward(self, g):
        return (g,)


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
