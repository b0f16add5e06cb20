"""Reductions with arithmetic in their backward rule: prod, cumprod, logsumexp, nansum,
var, std, amax/amin (floor 1).

Each node reduces over ``axes`` (a sorted tuple, or None for every dimension) with
``keepdim``; ``expand_back`` puts the output's gradient back to the input's shape before the
rule multiplies it by the derivative. The notation: ``x`` the input, ``y`` the output, ``g``
the gradient arriving at the output. Ops that only pick or move values (sort, cumsum, …) use
the templates of ``ops_select.py`` instead.
"""

from __future__ import annotations

import numpy as np

from .node import Node
from .ops_reduce import _expand_back


def _count(shape: tuple, axes) -> int:
    return int(np.prod(shape if axes is None else [shape[a] for a in axes], dtype=np.int64))


class _Reduction(Node):
    __slots__ = ("axes", "keepdim", "shape")

    def _setup(self, x, axes, keepdim):
        self.shape, self.axes, self.keepdim = x.shape, axes, keepdim

    def _back(self, a):
        """An output-shaped array broadcast back over the reduced dimensions."""
        return _expand_back(np.asarray(a), self.shape, self.axes, self.keepdim)


class ProdBackward0(_Reduction):
    """Product of all elements (``ProdBackward1``: over one dim). ∂y/∂x_i = Π_{j≠i} x_j,
    formed from products on each side of i, so a zero in x needs no division."""

    __slots__ = ()
    saved_inputs = (0,)

    def forward(self, x, axes=None, keepdim=False):
        self._setup(x, axes, keepdim)
        self.saved = (x,)
        return np.asarray(np.prod(x, axis=axes, keepdims=keepdim))

    def backward(self, g):
        (x,) = self.saved
        if self.axes is None:
            flat = x.reshape(-1)
            others = _product_of_others(flat, 0).reshape(x.shape)
        else:
            others = _product_of_others(x, self.axes[0])
        return (self._back(g) * others,)


class ProdBackward1(ProdBackward0):
    __slots__ = ()


def _product_of_others(x: np.ndarray, axis: int) -> np.ndarray:
    """Π_{j≠i} x_j along ``axis``: exclusive cumulative products from the left and right."""
    ones = np.ones_like(np.take(x, [0], axis=axis))
    left = np.cumprod(np.concatenate([ones, x], axis=axis), axis=axis)
    left = np.delete(left, -1, axis=axis)
    flipped = np.flip(x, axis=axis)
    right = np.cumprod(np.concatenate([ones, flipped], axis=axis), axis=axis)
    right = np.flip(np.delete(right, -1, axis=axis), axis=axis)
    return left * right


class CumprodBackward0(Node):
    """Running product along ``axis``. ∂L/∂x_i = Σ_{j≥i} g_j · Π_{k≤j, k≠i} x_k."""

    __slots__ = ("axis",)
    saved_inputs = (0,)

    def forward(self, x, axis):
        self.axis = axis
        self.saved = (x,)
        return np.cumprod(x, axis=axis)

    def backward(self, g):
        (x,) = self.saved
        axis = self.axis
        xm = np.moveaxis(x, axis, -1)
        gm = np.moveaxis(g, axis, -1)
        out = np.empty_like(xm)
        for i in range(xm.shape[-1]):
            without = xm.copy()
            without[..., i] = 1.0
            running = np.cumprod(without, axis=-1)
            out[..., i] = np.sum((gm * running)[..., i:], axis=-1)
        return (np.moveaxis(out, -1, axis),)


class LogsumexpBackward0(_Reduction):
    """y = log Σ e^x (shifted by the max for stability); ∂y/∂x = e^(x − y) = softmax(x)."""

    __slots__ = ()
    saved_inputs = (0,)
    saves_output = True

    def forward(self, x, axes=None, keepdim=False):
        self._setup(x, axes, keepdim)
        if x.size == 0:
            y = np.log(np.sum(np.exp(x), axis=axes, keepdims=keepdim))
        else:
            m = np.max(x, axis=axes, keepdims=True)
            m = np.where(np.isfinite(m), m, 0.0)
            with np.errstate(divide="ignore"):
                y = np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True)) + m
            if not keepdim:
                y = np.squeeze(y, axis=axes)
        y = np.asarray(y, dtype=x.dtype)
        self.saved = (x, y)
        return y

    def backward(self, g):
        x, y = self.saved
        return (self._back(g) * np.exp(x - self._back(y)),)


class NansumBackward0(_Reduction):
    """Sum that skips NaN; the gradient of a NaN element is 0."""

    __slots__ = ()
    saved_inputs = (0,)

    def forward(self, x, axes=None, keepdim=False):
        self._setup(x, axes, keepdim)
        self.saved = (x,)
        return np.asarray(np.nansum(x, axis=axes, keepdims=keepdim), dtype=x.dtype)

    def backward(self, g):
        (x,) = self.saved
        return (np.where(np.isnan(x), 0.0, self._back(g)).astype(g.dtype, copy=False),)


class VarBackward0(_Reduction):
    """Variance Σ(x − x̄)²/(n − correction); ∂/∂x = 2(x − x̄)/(n − correction)."""

    __slots__ = ("correction",)
    saved_inputs = (0,)

    def forward(self, x, axes=None, keepdim=False, correction=1):
        self._setup(x, axes, keepdim)
        self.correction = correction
        self.saved = (x,)
        centred = x - np.mean(x, axis=axes, keepdims=True)
        dof = max(_count(x.shape, axes) - correction, 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            total = np.sum(centred * centred, axis=axes, keepdims=keepdim)
            return np.asarray(total / np.asarray(dof, dtype=x.dtype), dtype=x.dtype)

    def backward(self, g):
        (x,) = self.saved
        centred = x - np.mean(x, axis=self.axes, keepdims=True)
        dof = max(_count(self.shape, self.axes) - self.correction, 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (self._back(g) * (2.0 / np.asarray(dof, dtype=x.dtype)) * centred,)


class StdBackward0(VarBackward0):
    """Standard deviation √var; ∂/∂x = (x − x̄) / ((n − correction)·y)."""

    __slots__ = ()
    saves_output = True

    def forward(self, x, axes=None, keepdim=False, correction=1):
        with np.errstate(invalid="ignore"):
            y = np.sqrt(super().forward(x, axes, keepdim, correction))
        self.saved = (x, y)
        return y

    def backward(self, g):
        x, y = self.saved
        centred = x - np.mean(x, axis=self.axes, keepdims=True)
        dof = max(_count(self.shape, self.axes) - self.correction, 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = self._back(g) / (np.asarray(dof, dtype=x.dtype) * self._back(y))
        return (scale * centred,)


class AmaxBackward0(_Reduction):
    """Largest value over ``axes``; the gradient is shared evenly among tied maxima."""

    __slots__ = ()
    saved_inputs = (0,)
    saves_output = True
    pick = staticmethod(np.max)

    def forward(self, x, axes=None, keepdim=False):
        self._setup(x, axes, keepdim)
        y = np.asarray(self.pick(x, axis=axes, keepdims=keepdim))
        self.saved = (x, y)
        return y

    def backward(self, g):
        x, y = self.saved
        mask = x == self._back(y)
        ties = np.sum(mask, axis=self.axes, keepdims=True)
        return (mask * (self._back(g) / ties),)


class AminBackward0(AmaxBackward0):
    __slots__ = ()
    pick = staticmethod(np.min)


class LinalgVectorNormBackward0(_Reduction):
    """The p-norm ‖x‖_p = (Σ|x|^p)^(1/p) over ``axes``; ∂/∂x = x·|x|^(p−2) / ‖x‖^(p−1),
    with 0 where the norm is 0 (PyTorch's subgradient). p = ±inf picks the largest (smallest)
    |x| and shares the gradient among ties; p = 0 counts the nonzero elements (gradient 0)."""

    __slots__ = ("p",)
    saved_inputs = (0,)
    saves_output = True

    def forward(self, x, axes=None, keepdim=False, p=2.0):
        self._setup(x, axes, keepdim)
        self.p = p
        a = np.abs(x)
        if p == np.inf:
            y = np.max(a, axis=axes, keepdims=keepdim)
        elif p == -np.inf:
            y = np.min(a, axis=axes, keepdims=keepdim)
        elif p == 0:
            y = np.sum(a != 0, axis=axes, keepdims=keepdim)
        elif p == 2:
            y = np.sqrt(np.sum(x * x, axis=axes, keepdims=keepdim))
        elif p == 1:
            y = np.sum(a, axis=axes, keepdims=keepdim)
        else:
            y = np.sum(a**p, axis=axes, keepdims=keepdim) ** (1.0 / p)
        y = np.asarray(y, dtype=x.dtype)
        self.saved = (x, y)
        return y

    def backward(self, g):
        x, y = self.saved
        p = self.p
        gb, yb = self._back(g), self._back(y)
        if p == 0:
            return (np.zeros_like(x),)
        if p in (np.inf, -np.inf):
            mask = np.abs(x) == yb
            ties = np.sum(mask, axis=self.axes, keepdims=True)
            return (np.sign(x) * mask * (gb / ties),)
        if p == 1:
            return (np.sign(x) * gb,)
        with np.errstate(divide="ignore", invalid="ignore"):
            d = x / yb if p == 2 else x * np.abs(x) ** (p - 2) / yb ** (p - 1)
        return (np.where(yb == 0, 0.0, d * gb).astype(x.dtype, copy=False),)
