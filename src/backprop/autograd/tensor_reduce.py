"""Reductions of ``Tensor``: sum, mean, max/min, argmax/argmin, var, std, norm (floor 1).

A mixin of ``Tensor`` (``tensor.py``). ``sum``, ``mean``, ``max`` and ``min`` run a node of
``ops_reduce.py`` (``max(dim)`` returns ``(values, indices)``, as PyTorch's does); tensors
of integers and booleans reduce without a graph. ``var``, ``std`` and ``norm`` are composed
from the others, so they need no backward rule of their own.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..errors import ConfigError, DTypeError, ShapeError
from . import ops_reduce, ops_stats
from . import tensor as _t

ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


class TensorReductions:
    __slots__ = ()

    # -- reductions ------------------------------------------------------------------------
    def sum(self, dim=None, keepdim=False, dtype=None, *, keepdims=None, axis=None):
        """Sum of all elements, or over ``dim`` (``keepdims``/``axis``: NumPy's spellings)."""
        if keepdims is not None or axis is not None:  # the hot path skips numpy_names
            keepdim = keepdim if keepdims is None else keepdims
            dim = dim if axis is None else axis
        x = self if dtype is None else self.to(dtype)
        if x._data.dtype.kind in "bi":
            return _t.Tensor._wrap(
                np.asarray(np.sum(x._data, axis=_axes(x, dim), keepdims=keepdim))
            )
        axes = _axes(x, dim)
        node = ops_reduce.SumBackward0 if dim is None else ops_reduce.SumBackward1
        return _t.apply_op(node, (x,), axes=axes, keepdim=keepdim)

    def mean(self, dim=None, keepdim=False, dtype=None, *, keepdims=None, axis=None):
        """Mean of all elements, or over ``dim`` (``keepdims``/``axis``: NumPy's spellings)."""
        if keepdims is not None or axis is not None:
            keepdim = keepdim if keepdims is None else keepdims
            dim = dim if axis is None else axis
        x = self if dtype is None else self.to(dtype)
        if x._data.dtype.kind != "f":
            raise DTypeError(
                f"mean: could not infer output dtype; input dtype must be floating point, got "
                f"{x.dtype!r}. Use t.float().mean() or pass dtype=backprop.float32."
            )
        axes = _axes(x, dim)
        node = ops_reduce.MeanBackward0 if dim is None else ops_reduce.MeanBackward1
        return _t.apply_op(node, (x,), axes=axes, keepdim=keepdim)

    def _extreme(self, dim, keepdim, full, arg, name):
        if isinstance(dim, _t.Tensor):
            return self.maximum(dim) if name == "max" else self.minimum(dim)
        if self._data.size == 0:
            raise ShapeError(f"{name}: the tensor is empty; there is no {name} of no elements.")
        if dim is None:
            if self._data.dtype.kind != "f":
                return _t.Tensor._wrap(np.asarray(full(self._data)))
            node = ops_reduce.MaxBackward1 if name == "max" else ops_reduce.MinBackward1
            return _t.apply_op(node, (self,), op=full)
        axis = self._dim(dim)
        idx = _t.Tensor._wrap(arg(self._data, axis=axis, keepdims=keepdim).astype(np.int64))
        if self._data.dtype.kind != "f":
            vals = np.take_along_axis(self._data, arg(self._data, axis=axis, keepdims=True), axis)
            values = _t.Tensor._wrap(vals if keepdim else np.squeeze(vals, axis))
        else:
            node = ops_reduce.MaxBackward0 if name == "max" else ops_reduce.MinBackward0
            values = _t.apply_op(node, (self,), axis=axis, keepdim=keepdim, op=arg)
        return ValuesIndices(values, idx)

    def max(self, dim=None, keepdim=False):
        """``max()`` of all elements, ``max(dim)`` → (values, indices), or ``max(other)``."""
        return self._extreme(dim, keepdim, np.max, np.argmax, "max")

    def min(self, dim=None, keepdim=False):
        return self._extreme(dim, keepdim, np.min, np.argmin, "min")

    def argmax(self, dim=None, keepdim=False):
        self._not_empty("argmax", dim)
        if dim is None:
            return _t.Tensor._wrap(np.asarray(np.argmax(self._data), dtype=np.int64))
        return _t.Tensor._wrap(np.argmax(self._data, axis=self._dim(dim), keepdims=keepdim))

    def argmin(self, dim=None, keepdim=False):
        self._not_empty("argmin", dim)
        if dim is None:
            return _t.Tensor._wrap(np.asarray(np.argmin(self._data), dtype=np.int64))
        return _t.Tensor._wrap(np.argmin(self._data, axis=self._dim(dim), keepdims=keepdim))

    def _not_empty(self, name: str, dim) -> None:
        size = self._data.size if dim is None else self._data.shape[self._dim(dim)]
        if size == 0:
            where = "the tensor is" if dim is None else f"dimension {dim} is"
            raise ShapeError(
                f"{name}: {where} empty (shape {list(self.shape)}); there is no {name} of no "
                "elements."
            )

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """Variance with Bessel's correction by default (``correction=1``), like PyTorch."""
        return self._spread(ops_stats.VarBackward0, dim, unbiased, keepdim, correction)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """Standard deviation with Bessel's correction by default (``correction=1``)."""
        return self._spread(ops_stats.StdBackward0, dim, unbiased, keepdim, correction)

    def _spread(self, node, dim, unbiased, keepdim, correction):
        if isinstance(dim, bool):  # var(False): the old positional ``unbiased``
            dim, unbiased = None, dim
        if correction is None:
            correction = 1 if unbiased is None or unbiased else 0
        x = self._float_input("var")
        axes = _axes(x, dim)
        return _t.apply_op(node, (x,), axes=axes, keepdim=keepdim, correction=correction)

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        """The p-norm (default: Euclidean) over all elements or over ``dim``."""
        if p == "fro" or p is None:
            p = 2
        if isinstance(p, bool) or not isinstance(p, int | float):
            raise ConfigError(
                f"norm: p must be a number (2, 1, float('inf') …) or 'fro', got {p!r}; the "
                "nuclear norm is outside backprop's scope."
            )
        x = self._float_input("norm") if dtype is None else self.to(dtype)
        axes = _axes(x, dim)
        return _t.apply_op(ops_stats.LinalgVectorNormBackward0, (x,), axes=axes,
                           keepdim=keepdim, p=float(p))  # fmt: skip


def _axes(x, dim):
    return ops_reduce.normalize_dims(dim, x._data.ndim)


def numpy_names(fn):
    """Let a reduction take NumPy's spellings too: ``keepdims=`` for ``keepdim=`` and
    ``axis=`` for ``dim=`` (PyTorch accepts both; real scripts use them)."""

    def method(self, *args, keepdims=None, axis=None, **kwargs):
        if keepdims is not None:
            kwargs["keepdim"] = keepdims
        if axis is not None:
            kwargs["dim"] = axis
        return fn(self, *args, **kwargs)

    method.__name__, method.__qualname__, method.__doc__ = fn.__name__, fn.__qualname__, fn.__doc__
    method.__wrapped__ = fn
    return method


def _alias_all(cls, names: str) -> None:
    for name in names.split():
        setattr(cls, name, numpy_names(cls.__dict__[name]))


_alias_all(TensorReductions, "max min argmax argmin var std norm")
