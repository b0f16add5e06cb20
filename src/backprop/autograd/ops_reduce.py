"""Reductions and the softmaxes of the op table (floor 1).

sum, mean, max and min (of everything, or along ``dim`` with the indices), softmax and
log-softmax: ops that combine values along dimensions, so each backward rule spreads the
gradient back over what was combined. ``normalize_dims`` turns a ``dim`` argument into
axes. The elementwise ops and ``OP_TABLE`` are in ``ops.py``, which re-exports these nodes.
"""

from __future__ import annotations

import math

import numpy as np

from .. import stable
from ..errors import ShapeError
from ..stable import benign_underflow
from .node import Node

_add_reduce = np.add.reduce


def normalize_dims(dim, ndim: int) -> tuple[int, ...] | None:
    """Turn ``dim`` (None, int or sequence, negatives allowed) into sorted axes."""
    if dim is None:
        return None
    if type(dim) is int and -ndim <= dim < ndim:  # the common case: one valid dim
        return (dim % ndim,)
    dims = (dim,) if isinstance(dim, int | np.integer) else tuple(dim)
    if not dims:
        return None  # PyTorch: an empty dim list reduces over every dimension
    out = []
    for d in dims:
        lo, hi = (-ndim, ndim - 1) if ndim else (-1, 0)
        if isinstance(d, bool) or not isinstance(d, int | np.integer) or not lo <= d <= hi:
            raise ShapeError(
                f"dim: Dimension out of range (expected to be in range of [{lo}, {hi}], "
                f"but got {d}) for a tensor with {ndim} dimensions."
            )
        out.append(int(d) % max(ndim, 1))
    if not ndim:
        return None  # dim 0 (or -1) of a 0-d tensor: its one element, as in PyTorch
    return tuple(sorted(set(out)))


def _expand_back(g: np.ndarray, shape: tuple, axes, keepdim: bool) -> np.ndarray:
    if axes is None:
        return np.broadcast_to(g, shape)
    if not keepdim:
        g = np.expand_dims(g, axes)
    return np.broadcast_to(g, shape)


class SumBackward0(Node):
    """Sum of every element (``SumBackward1``: over ``dim``, as PyTorch names the two)."""

    __slots__ = ("axes", "keepdim", "shape")

    def forward(self, x, axes=None, keepdim=False):
        self.shape, self.axes, self.keepdim = x.shape, axes, keepdim
        return _add_reduce(x, axes, keepdims=keepdim)  # np.sum's own ufunc, without its wrapper

    def backward(self, g):
        return (np.array(_expand_back(g, self.shape, self.axes, self.keepdim)),)


class MeanBackward0(Node):
    """Mean of every element (``MeanBackward1``: over ``dim``)."""

    __slots__ = ("axes", "count", "keepdim", "shape")

    def forward(self, x, axes=None, keepdim=False):
        self.shape, self.axes, self.keepdim = x.shape, axes, keepdim
        count = x.size if axes is None else math.prod([x.shape[a] for a in axes])
        self.count = count
        total = _add_reduce(x, axes, keepdims=keepdim)  # np.mean's own steps: sum, then / n
        if count:
            return total / count  # a Python int keeps the array's float dtype (NEP 50)
        with np.errstate(invalid="ignore"):  # the mean of nothing is NaN, as in PyTorch
            return total / np.asarray(count, dtype=x.dtype)

    def backward(self, g):
        return (np.array(_expand_back(g, self.shape, self.axes, self.keepdim)) / self.count,)


class MaxBackward1(Node):
    """Full ``max()``/``min()``: the gradient is shared evenly among tied extremes."""

    __slots__ = ("op",)
    saved_inputs = (0,)
    saves_output = True

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


class SumBackward1(SumBackward0):
    __slots__ = ()


class MeanBackward1(MeanBackward0):
    __slots__ = ()


class MinBackward1(MaxBackward1):
    __slots__ = ()


class MinBackward0(MaxBackward0):
    __slots__ = ()


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
