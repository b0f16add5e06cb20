"""More reductions of ``Tensor``: prod, the cumulative ops, logsumexp, the NaN-skipping
reductions, median, sorting and selection, counting and histograms (floor 1).

A mixin of ``Tensor`` (``tensor.py``). Ops with arithmetic in their gradient run a node of
``ops_stats.py``; ops that pick elements (sort, topk, kthvalue, median, cummax …) compute the
indices with NumPy and run ``PickBackward`` of ``ops_select.py`` under PyTorch's node name,
so their values carry a gradient and their indices do not. Counting ops (``unique``,
``bincount``, ``histc``, ``histogram``, ``count_nonzero``) return tensors without history,
as PyTorch's do. Results of several tensors are named tuples (``values``/``indices``, …).
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..errors import ConfigError, DTypeError, ShapeError
from . import ops_select, ops_stats
from . import tensor as _t
from .ops_reduce import normalize_dims
from .ops_select import full_index
from .tensor_reduce import _alias_all

ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])
MinMax = namedtuple("MinMax", ["min", "max"])
Histogram = namedtuple("Histogram", ["hist", "bin_edges"])


def _plain(array) -> _t.Tensor:
    return _t.Tensor._wrap(np.asarray(array))


def _pick(self, name: str, index: tuple):
    return _t.apply_op(ops_select.PICK[name], (self,), index=index)


def _along(self, order: np.ndarray, axis: int, name: str):
    """(values, indices) for integer positions ``order`` along ``axis``."""
    idx = order.astype(np.int64, copy=False)
    return ValuesIndices(_pick(self, name, full_index(idx, axis)), _plain(idx))


class TensorStats:
    __slots__ = ()

    # -- products, sums, cumulative ------------------------------------------------------
    def prod(self, dim=None, keepdim=False, *, dtype=None):
        """Product of all elements, or along one ``dim``."""
        x = self if dtype is None else self.to(dtype)
        if x._data.dtype.kind in "bi":
            axis = None if dim is None else x._dim(dim)
            return _plain(np.prod(x._data, axis=axis, keepdims=keepdim).astype(np.int64))
        if dim is None:
            return _t.apply_op(ops_stats.ProdBackward0, (x,))
        axes = (x._dim(dim),)
        return _t.apply_op(ops_stats.ProdBackward1, (x,), axes=axes, keepdim=keepdim)

    def cumsum(self, dim, *, dtype=None):
        """Running sum along ``dim``."""
        x = self if dtype is None else self.to(dtype)
        axis = x._dim(dim)
        if x._data.dtype.kind in "bi":
            return _plain(np.cumsum(x._data, axis=axis, dtype=np.int64))

        def adjoint(g):  # each input reaches every later output: a reversed running sum
            return np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis)

        return _t.apply_op(
            ops_select.LINEAR["CumsumBackward0"], (x,),
            forward=lambda a: np.cumsum(a, axis=axis), adjoint=adjoint,
        )  # fmt: skip

    def cumprod(self, dim, *, dtype=None):
        """Running product along ``dim``."""
        x = self if dtype is None else self.to(dtype)
        axis = x._dim(dim)
        if x._data.dtype.kind in "bi":
            return _plain(np.cumprod(x._data, axis=axis, dtype=np.int64))
        return _t.apply_op(ops_stats.CumprodBackward0, (x,), axis=axis)

    def _cumulative_extreme(self, dim, better, name):
        axis = self._dim(dim)
        x = self._data
        n = x.shape[axis] if x.ndim else 1
        xm = np.moveaxis(x.reshape(1) if x.ndim == 0 else x, axis if x.ndim else 0, -1)
        best = np.empty(xm.shape, dtype=np.int64)
        cur = np.zeros(xm.shape[:-1], dtype=np.int64)
        vals = xm[..., 0].copy()
        for i in range(n):  # a new extreme (or a tie: PyTorch takes the later index)
            v = xm[..., i]
            take = better(v, vals) | (v == vals) | np.isnan(v)
            take &= ~np.isnan(vals) | np.isnan(v)
            cur = np.where(take, i, cur)
            vals = np.where(take, v, vals)
            best[..., i] = cur
        order = np.moveaxis(best, -1, axis if x.ndim else 0).reshape(x.shape)
        return _along(self, order, axis, name)

    def cummax(self, dim):
        return self._cumulative_extreme(dim, np.greater, "CummaxBackward0")

    def cummin(self, dim):
        return self._cumulative_extreme(dim, np.less, "CumminBackward0")

    def logsumexp(self, dim, keepdim=False):
        """log Σ exp over ``dim``, computed without overflow."""
        x = self._float_input("logsumexp")
        axes = normalize_dims(dim, x._data.ndim)
        return _t.apply_op(ops_stats.LogsumexpBackward0, (x,), axes=axes, keepdim=keepdim)

    def nansum(self, dim=None, keepdim=False, *, dtype=None):
        """Sum treating NaN as 0."""
        x = self if dtype is None else self.to(dtype)
        if x._data.dtype.kind in "bi":
            return x.sum(dim, keepdim)
        axes = normalize_dims(dim, x._data.ndim)
        return _t.apply_op(ops_stats.NansumBackward0, (x,), axes=axes, keepdim=keepdim)

    def nanmean(self, dim=None, keepdim=False, *, dtype=None):
        """Mean of the elements that are not NaN."""
        x = self if dtype is None else self.to(dtype)
        if x._data.dtype.kind != "f":
            raise DTypeError(
                f"nanmean: expected a floating point tensor, got {x.dtype!r}; use t.float()."
            )
        axes = normalize_dims(dim, x._data.ndim)
        count = np.sum(~np.isnan(x._data), axis=axes, keepdims=keepdim)
        return x.nansum(dim, keepdim) / _plain(count.astype(x._data.dtype))

    # -- order statistics ----------------------------------------------------------------
    def _median(self, dim, keepdim, skip_nan: bool):
        name = "Nanmedian" if skip_nan else "Median"
        x = self._data
        if x.size == 0:
            raise ShapeError(f"{name.lower()}: the tensor is empty; there is no median.")
        if dim is None:
            flat = x.reshape(-1)
            order = np.argsort(flat, kind="stable")  # NaN sorts last
            valid = int(np.sum(~np.isnan(flat)))
            pos = (valid - 1) // 2 if skip_nan else ((flat.size - 1) // 2 if valid == flat.size
                                                      else valid)  # fmt: skip
            index = (np.asarray(order[max(pos, 0)]),)
            flat_self = self.reshape(-1)
            return _t.apply_op(ops_select.PICK[name + "Backward0"], (flat_self,), index=index)
        axis = self._dim(dim)
        order = np.argsort(x, axis=axis, kind="stable")
        n = x.shape[axis]
        valid = np.sum(~np.isnan(x), axis=axis, keepdims=True)
        pos = (valid - 1) // 2 if skip_nan else np.where(valid == n, (n - 1) // 2, valid)
        pos = np.maximum(pos, 0)
        picked = np.take_along_axis(order, pos, axis=axis)
        index = full_index(picked, axis)
        if not keepdim:
            picked = np.squeeze(picked, axis)
            index = tuple(np.squeeze(i, axis) for i in index)
        values = _pick(self, name + "Backward1", index)
        return ValuesIndices(values, _plain(picked.astype(np.int64)))

    def median(self, dim=None, keepdim=False):
        """The lower median (the middle value; of two middles, the smaller), as PyTorch's."""
        return self._median(dim, keepdim, skip_nan=False)

    def nanmedian(self, dim=None, keepdim=False):
        return self._median(dim, keepdim, skip_nan=True)

    def mode(self, dim=-1, keepdim=False):
        """The most frequent value along ``dim`` (the smallest of equally frequent ones) and
        the index of its last occurrence, as PyTorch's."""
        if self._data.ndim == 0:
            self._dim(dim)
            return ValuesIndices(self.clone(), _plain(np.zeros((), dtype=np.int64)))
        x = self._data
        axis = self._dim(dim)
        if x.shape[axis] == 0:
            raise ShapeError(f"mode: dimension {dim} is empty; there is no most frequent value.")
        xm = np.moveaxis(x, axis, -1)
        n = xm.shape[-1]
        order = np.argsort(xm, axis=-1, kind="stable")  # equal values keep their order
        s = np.take_along_axis(xm, order, axis=-1)
        pos = np.arange(n)
        starts = np.ones(s.shape, dtype=bool)
        starts[..., 1:] = s[..., 1:] != s[..., :-1]
        ends = np.ones(s.shape, dtype=bool)
        ends[..., :-1] = starts[..., 1:]
        first = np.maximum.accumulate(np.where(starts, pos, 0), axis=-1)
        last = np.flip(np.minimum.accumulate(np.flip(np.where(ends, pos, n), -1), axis=-1), -1)
        best = np.argmax(last - first, axis=-1)[..., None]  # the first longest run: smallest
        where = np.take_along_axis(order, np.take_along_axis(last, best, -1), axis=-1)
        index = np.moveaxis(where, -1, axis)  # keepdim shape, in self's dimensions
        full = full_index(index, axis)
        if not keepdim:
            index = np.squeeze(index, axis)
            full = tuple(np.squeeze(i, axis) for i in full)
        return ValuesIndices(_pick(self, "ModeBackward0", full), _plain(index.astype(np.int64)))

    def sort(self, dim=-1, descending=False, stable=False):
        """(values, indices) sorted along ``dim``; equal values keep their order."""
        axis = self._dim(dim)
        order = _argsort(self._data, axis, descending)
        return _along(self, order, axis, "SortBackward1" if stable else "SortBackward0")

    def argsort(self, dim=-1, descending=False, stable=False):
        return _plain(_argsort(self._data, self._dim(dim), descending).astype(np.int64))

    def msort(self):
        return self.sort(dim=0).values

    def topk(self, k, dim=-1, largest=True, sorted=True):  # noqa: A002 - PyTorch's name
        """The ``k`` largest (or smallest) elements along ``dim`` and their indices."""
        axis = self._dim(dim)
        n = self._data.shape[axis] if self._data.ndim else 1
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 0 <= k <= n:
            raise ShapeError(
                f"topk: k must be a whole number in [0, {n}] (the size of dim {dim}), got {k!r}."
            )
        order = _argsort(self._data, axis, descending=largest)
        order = np.take(order, np.arange(k), axis=axis)
        return _along(self, order, axis, "TopkBackward0")

    def kthvalue(self, k, dim=-1, keepdim=False):
        """The ``k``-th smallest element along ``dim`` (k counts from 1) and its index."""
        axis = self._dim(dim)
        n = self._data.shape[axis] if self._data.ndim else 1
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 1 <= k <= n:
            raise ShapeError(f"kthvalue: k must be in [1, {n}] (the size of dim {dim}), got {k!r}.")
        order = np.take(_argsort(self._data, axis, False), [k - 1], axis=axis)
        index = full_index(order, axis)
        if not keepdim:
            order = np.squeeze(order, axis)
            index = tuple(np.squeeze(i, axis) for i in index)
        return ValuesIndices(_pick(self, "KthvalueBackward0", index), _plain(order))

    def amin(self, dim=None, keepdim=False):
        return self._amax(dim, keepdim, ops_stats.AminBackward0, "amin")

    def amax(self, dim=None, keepdim=False):
        return self._amax(dim, keepdim, ops_stats.AmaxBackward0, "amax")

    def _amax(self, dim, keepdim, node, name):
        if self._data.size == 0:
            raise ShapeError(f"{name}: the tensor is empty; there is no {name} of no elements.")
        axes = normalize_dims(dim, self._data.ndim)
        if self._data.dtype.kind != "f":
            return _plain(node.pick(self._data, axis=axes, keepdims=keepdim))
        return _t.apply_op(node, (self,), axes=axes, keepdim=keepdim)

    def aminmax(self, *, dim=None, keepdim=False):
        """(min, max) in one call."""
        return MinMax(self.amin(dim, keepdim), self.amax(dim, keepdim))

    # -- counting --------------------------------------------------------------------------
    def count_nonzero(self, dim=None):
        axes = normalize_dims(dim, self._data.ndim)
        return _plain(np.count_nonzero(self._data, axis=axes).astype(np.int64))

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
        """The distinct values (sorted), with where each element went and how many there are."""
        x = self._data
        axis = None if dim is None else self._dim(dim)
        values, inverse, counts = np.unique(
            x, return_inverse=True, return_counts=True, axis=axis, equal_nan=False
        )
        out = [_plain(values)]
        if return_inverse:
            shape = x.shape if axis is None else (x.shape[axis],)
            out.append(_plain(inverse.reshape(shape).astype(np.int64)))
        if return_counts:
            out.append(_plain(counts.astype(np.int64)))
        return out[0] if len(out) == 1 else tuple(out)

    def bincount(self, weights=None, minlength=0):
        """How many times each value 0, 1, … occurs (or the sum of its ``weights``)."""
        x = self._data
        if x.ndim != 1 or x.dtype.kind not in "iu" or (x.size and x.min() < 0):
            raise DTypeError(
                f"bincount: expects a 1-d tensor of non-negative integers, got a {self.dtype!r} "
                f"tensor of shape {list(self.shape)}."
            )
        if weights is None:
            return _plain(np.bincount(x, minlength=minlength).astype(np.int64))
        w = _t.as_tensor_operand(weights)._data
        out = np.bincount(x, weights=w, minlength=minlength)
        return _plain(out.astype(w.dtype if w.dtype.kind == "f" else np.float64))

    def histc(self, bins=100, min=0, max=0):  # noqa: A002 - PyTorch's names
        """Counts in ``bins`` equal bins over [min, max] (the data's range when both are 0);
        elements outside are ignored."""
        x = self._data
        if x.dtype.kind != "f":
            raise DTypeError(f"histc: expects a floating point tensor, got {self.dtype!r}.")
        lo, hi = float(min), float(max)
        if lo == hi and x.size:
            lo, hi = float(x.min()), float(x.max())
        if lo == hi:
            lo, hi = lo - 1, hi + 1
        if hi < lo:
            raise ConfigError(f"histc: max ({max}) must be larger than min ({min}).")
        counts, _ = np.histogram(x, bins=int(bins), range=(lo, hi))
        return _plain(counts.astype(x.dtype))

    def histogram(self, bins=100, *, range=None, weight=None, density=False):  # noqa: A002
        """(hist, bin_edges): counts (or ``weight`` sums, or a density) in ``bins`` (a number
        of equal bins, or a 1-d tensor of edges), as ``numpy.histogram``."""
        x = self._data
        if x.dtype.kind != "f":
            raise DTypeError(f"histogram: expects a floating point tensor, got {self.dtype!r}.")
        if isinstance(bins, _t.Tensor):
            edges = bins._data
        else:
            if range is not None:
                lo, hi = range
            else:
                lo, hi = (float(x.min()), float(x.max())) if x.size else (0.0, 1.0)
            if lo == hi:
                lo, hi = lo - 0.5, hi + 0.5
            edges = _linspace(lo, hi, int(bins), x.dtype)
        w = None if weight is None else _t.as_tensor_operand(weight)._data.reshape(-1)
        hist, edges = np.histogram(
            x.reshape(-1), bins=edges.astype(np.float64), weights=w, density=density
        )
        return Histogram(_plain(hist.astype(x.dtype)), _plain(edges.astype(x.dtype)))


def _argsort(x: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """Stable argsort; descending keeps equal values in their original order, NaN first
    when descending and last when ascending (PyTorch puts NaN above every number)."""
    if x.ndim == 0:
        return np.zeros((), dtype=np.int64)
    if not descending:
        return np.argsort(x, axis=axis, kind="stable")
    n = x.shape[axis]
    flipped = np.flip(x, axis)
    order = np.argsort(flipped, axis=axis, kind="stable")
    order = np.flip(order, axis)
    return n - 1 - order


def _linspace(lo: float, hi: float, n: int, dtype) -> np.ndarray:
    """n + 1 edges from lo to hi as PyTorch's linspace forms them: a step rounded to the
    dtype, added from the low end for the first half and taken from the high end after."""
    lo_d, hi_d = np.asarray(lo, dtype), np.asarray(hi, dtype)
    step = ((hi_d - lo_d) / np.asarray(n, dtype)).astype(np.float64)
    i = np.arange(n + 1)
    low = lo_d.astype(np.float64) + i * step
    high = hi_d.astype(np.float64) - (n - i) * step
    return np.where(i < (n + 1) // 2, low, high).astype(dtype)


def std_mean(input, dim=None, *, correction=1, keepdim=False):  # noqa: A002
    """``(std, mean)`` over ``dim`` (all elements by default), Bessel-corrected unless
    ``correction=0``.

    Examples:
        >>> import backprop as bp
        >>> x = bp.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        >>> std, mean = bp.std_mean(x, dim=1)
        >>> std
        tensor([1., 1.])
        >>> mean
        tensor([2., 5.])
    """
    return input.std(dim, keepdim=keepdim, correction=correction), input.mean(dim, keepdim)


def var_mean(input, dim=None, *, correction=1, keepdim=False):  # noqa: A002
    """``(var, mean)`` over ``dim`` (all elements by default), Bessel-corrected unless
    ``correction=0``.

    Examples:
        >>> import backprop as bp
        >>> x = bp.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        >>> var, mean = bp.var_mean(x, dim=1)
        >>> var
        tensor([1., 1.])
        >>> mean
        tensor([2., 5.])
    """
    return input.var(dim, keepdim=keepdim, correction=correction), input.mean(dim, keepdim)


_alias_all(
    TensorStats, "prod nansum nanmean logsumexp median nanmedian amin amax count_nonzero kthvalue"
)
