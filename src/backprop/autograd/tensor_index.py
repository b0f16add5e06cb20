"""Indexing methods of ``Tensor``: gather and scatter, index_select/index_add, masks,
nonzero, take, and the splitting family (split, chunk, tensor_split, unbind, narrow) (floor 1).

A mixin of ``Tensor`` (``tensor.py``). Reading ops build a full index (one integer array per
dimension) and run ``PickBackward`` of ``ops_select.py`` under PyTorch's node name; writing
ops run the nodes of ``ops_scatter.py``; pieces of a split are each a ``LinearBackward`` node
(the piece, and zeros around it on the way back). Every index is checked against the
tensor's shape first, and the error names the dimension, the bound and the index.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from ..errors import DTypeError, IndexingError, ShapeError
from . import ops_scatter, ops_select, ops_shape
from . import tensor as _t
from .ops_select import full_index
from .tensor_shape import _maybe_view


def _index_array(index, who: str) -> np.ndarray:
    arr = index._data if isinstance(index, _t.Tensor) else np.asarray(index)
    if arr.dtype.kind not in "iu":
        raise DTypeError(f"{who}: the index must be an int64 tensor, got dtype {arr.dtype}.")
    return arr.astype(np.int64, copy=False)


def _check_bounds(idx: np.ndarray, size: int, dim: int, who: str) -> np.ndarray:
    """``idx`` if every entry is in [0, size) — as torch's gather, scatter, index_select and
    index_add require (NumPy would wrap a negative index silently); ``take`` alone counts
    from the end for negatives, as torch.take does."""
    low = -size if who == "take" else 0
    if idx.size and (idx.min() < low or idx.max() >= size):
        bad = idx.max() if idx.max() >= size else idx.min()
        raise IndexingError(
            f"{who}: index {int(bad)} is out of bounds for dimension {dim} with size {size}"
            + ("; negative indices are refused here, as in torch." if bad < 0 else ".")
        )
    return np.where(idx < 0, idx + size, idx) if low < 0 else idx


def _slice_piece(self, axis: int, start: int, stop: int, node: str):
    """One piece ``self[..., start:stop, ...]`` along ``axis`` as its own node (a view)."""
    sl = (slice(None),) * axis + (slice(start, stop),)
    if node == "SliceBackward0":
        cls = ops_shape.SliceBackward0
        out = _t.apply_op(cls, (self,), index=sl)
    else:
        shape = self._data.shape

        def adjoint(g):
            grad = np.zeros(shape, dtype=g.dtype)
            grad[sl] = g
            return grad

        out = _t.apply_op(
            ops_select.LINEAR[node], (self,), forward=lambda a: a[sl], adjoint=adjoint
        )
    return _maybe_view(out, self)


class TensorIndexing:
    __slots__ = ()

    # -- reading ---------------------------------------------------------------------------
    def gather(self, dim, index):
        """out[i][j] = self[index[i][j]][j] (dim 0), and so on: values picked along dim."""
        axis = self._dim(dim)
        idx = _index_array(index, "gather")
        if idx.ndim != self._data.ndim or any(
            n > m for d, (n, m) in enumerate(zip(idx.shape, self._data.shape)) if d != axis
        ):
            raise ShapeError(
                f"gather: index of shape {list(idx.shape)} does not fit input of shape "
                f"{list(self.shape)}: same number of dimensions, and no larger except in dim "
                f"{dim}."
            )
        idx = _check_bounds(idx, self._data.shape[axis], axis, "gather")
        pick = full_index(idx, axis)
        return _t.apply_op(ops_select.PICK["GatherBackward0"], (self,), index=pick)

    def take_along_dim(self, indices, dim=None):
        if dim is None:
            return self.reshape(-1).gather(0, indices.reshape(-1))
        return self.gather(dim, indices)

    def index_select(self, dim, index):
        """The slices at ``index`` (1-d) along ``dim``."""
        axis = self._dim(dim)
        idx = _index_array(index, "index_select").reshape(-1)
        idx = _check_bounds(idx, self._data.shape[axis], axis, "index_select")
        shape = list(self._data.shape)
        shape[axis] = idx.size
        grids = list(np.indices(shape, sparse=True))
        grids[axis] = idx.reshape([-1 if d == axis else 1 for d in range(len(shape))])
        return _t.apply_op(ops_select.PICK["IndexSelectBackward0"], (self,), index=tuple(grids))

    def take(self, index):
        """Elements at flat positions ``index`` (as if the tensor were 1-d)."""
        idx = _index_array(index, "take")
        idx = _check_bounds(idx, self._data.size, 0, "take")
        pick = np.unravel_index(idx, self._data.shape) if self._data.ndim else (idx * 0,)
        x = self if self._data.ndim else self.reshape(1)
        return _t.apply_op(ops_select.PICK["TakeBackward0"], (x,), index=tuple(pick))

    def masked_select(self, mask):
        """The elements where ``mask`` (bool, broadcast to self) is True, as a 1-d tensor."""
        m = _bool_mask(mask, self, "masked_select")
        return _t.apply_op(ops_select.PICK["MaskedSelectBackward0"], (self,), index=np.nonzero(m))

    def nonzero(self, *, as_tuple=False):
        """Indices of the nonzero elements: an (n, ndim) int64 tensor, or one per dim."""
        where = np.nonzero(self._data.reshape(1) if self._data.ndim == 0 else self._data)
        if as_tuple:
            return tuple(_t.Tensor._wrap(w.astype(np.int64)) for w in where)
        stacked = np.stack(where, axis=1) if where else np.zeros((0, 0))
        if self._data.ndim == 0:
            stacked = stacked[:, :0]
        return _t.Tensor._wrap(stacked.astype(np.int64))

    def argwhere(self):
        return self.nonzero()

    def where(self, condition, other):
        """``self`` where ``condition`` is True, ``other`` elsewhere."""
        from .functional import where

        return where(condition, self, other)

    # -- writing ---------------------------------------------------------------------------
    def _index_mask(self, dim, index, who: str):
        """A bool tensor, True on the ``index`` rows along ``dim``, broadcastable to self."""
        axis = self._dim(dim) if self._data.ndim else 0
        size = self._data.shape[axis] if self._data.ndim else 1
        idx = _check_bounds(_index_array(index, who).reshape(-1), size, axis, who)
        mask = np.zeros(size, dtype=bool)
        mask[idx] = True
        shape = [1] * self._data.ndim
        if shape:
            shape[axis] = size
        return _t.Tensor._wrap(mask.reshape(shape))

    def index_fill(self, dim, index, value):
        """A copy with ``value`` in the rows ``index`` along ``dim`` (torch's index_fill)."""
        return self.masked_fill(self._index_mask(dim, index, "index_fill"), value)

    def index_fill_(self, dim, index, value):
        return self.masked_fill_(self._index_mask(dim, index, "index_fill_"), value)

    def masked_fill(self, mask, value):
        """``value`` where ``mask`` is True, self elsewhere."""
        return self._masked_fill(mask, value, None)

    def masked_fill_(self, mask, value):
        return self._masked_fill(mask, value, self)

    def _masked_fill(self, mask, value, into):
        m = _bool_mask(mask, self, "masked_fill")
        if isinstance(value, _t.Tensor):
            if value._data.size != 1:
                raise ShapeError(
                    "masked_fill: only a 0-d tensor or a number can be the value, got shape "
                    f"{list(value.shape)}; use torch.where(mask, values, t) for many values."
                )
            value = value.item()
        fill = np.asarray(value, dtype=self._data.dtype)
        return self._run_linear(
            "MaskedFillBackward0", into, "masked_fill_",
            forward=lambda a: np.where(m, fill, a), adjoint=lambda g: np.where(m, 0, g),
        )  # fmt: skip

    def _run_linear(self, node, into, what, forward, adjoint):
        cls = ops_select.LINEAR[node]
        if into is None:
            return _t.apply_op(cls, (self,), forward=forward, adjoint=adjoint)
        return self._inplace_run(
            cls, [self], [self._data], what=what, forward=forward, adjoint=adjoint
        )

    def _scatter_index(self, dim, index, who):
        axis = self._dim(dim)
        idx = _index_array(index, who)
        if idx.ndim != self._data.ndim:
            raise ShapeError(
                f"{who}: index must have as many dimensions as self ({self._data.ndim}), got "
                f"shape {list(idx.shape)}."
            )
        idx = _check_bounds(idx, self._data.shape[axis], axis, who)
        return full_index(idx, axis)

    def scatter(self, dim, index, src=None, *, value=None, reduce=None):
        """self with ``src`` (or ``value``) written at ``index`` along ``dim``."""
        return self._scatter(dim, index, src, value, reduce, None)

    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        return self._scatter(dim, index, src, value, reduce, self)

    def _scatter(self, dim, index, src, value, reduce, into):
        if reduce is not None:
            raise DTypeError(
                "scatter: reduce= is not supported; use scatter_add for 'add' (or "
                "scatter_reduce through backprop.interop.to_torch)."
            )
        if src is None:
            src = value
        full = self._scatter_index(dim, index, "scatter")
        if not isinstance(src, _t.Tensor):
            fill = np.asarray(src, dtype=self._data.dtype)

            def forward(a):
                out = a.copy()
                out[full] = fill
                return out

            def adjoint(g):
                out = g.copy()
                out[full] = 0
                return out

            return self._run_linear("ScatterBackward1", into, "scatter_", forward, adjoint)
        return self._write_two(ops_scatter.ScatterBackward0, src, full, into, "scatter_")

    def _write_two(self, cls, src, full, into, what, **options):
        shape = np.broadcast_shapes(*(i.shape for i in full))
        if not isinstance(src, _t.Tensor):
            src = _t.as_tensor_operand(np.broadcast_to(np.asarray(src), shape))
        if src._data.shape != shape:  # PyTorch reads only the index-shaped corner of src
            src = src[tuple(slice(0, k) for k in shape)]
        s = src._data.astype(self._data.dtype, copy=False)
        if into is not None:
            return self._inplace_run(cls, [self, src], [self._data, s], what=what, index=full,
                                     **options)  # fmt: skip
        return _t.apply_op(cls, (self, src), arrays=(self._data, s), index=full, **options)

    def scatter_add(self, dim, index, src):
        """self with ``src`` added at ``index`` along ``dim`` (repeats add up)."""
        full = self._scatter_index(dim, index, "scatter_add")
        return self._write_two(ops_scatter.ScatterAddBackward0, src, full, None, "scatter_add")

    def scatter_add_(self, dim, index, src):
        full = self._scatter_index(dim, index, "scatter_add_")
        return self._write_two(ops_scatter.ScatterAddBackward0, src, full, self, "scatter_add_")

    def index_add(self, dim, index, source, *, alpha=1):
        """self with the slices of ``source`` added at ``index`` (1-d) along ``dim``."""
        return self._index_add(dim, index, source, alpha, None)

    def index_add_(self, dim, index, source, *, alpha=1):
        return self._index_add(dim, index, source, alpha, self)

    def _index_add(self, dim, index, source, alpha, into):
        axis = self._dim(dim)
        idx = _check_bounds(
            _index_array(index, "index_add").reshape(-1), self._data.shape[axis], axis, "index_add"
        )
        shape = source._data.shape
        if len(shape) != self._data.ndim or shape[axis] != idx.size:
            raise ShapeError(
                f"index_add: source of shape {list(shape)} must match self {list(self.shape)} "
                f"except in dim {dim}, where it must have {idx.size} slices (one per index)."
            )
        grids = list(np.indices(shape, sparse=True))
        grids[axis] = idx.reshape([-1 if d == axis else 1 for d in range(len(shape))])
        return self._write_two(
            ops_scatter.IndexAddBackward0, source, tuple(grids), into, "index_add_", alpha=alpha
        )

    # -- splitting ---------------------------------------------------------------------------
    def narrow(self, dim, start, length):
        axis = self._dim(dim)
        n = self._data.shape[axis]
        start = start + n if start < 0 else start
        if not 0 <= start <= n or length < 0 or start + length > n:
            raise ShapeError(
                f"narrow: start ({start}) + length ({length}) exceeds dimension {dim} of size {n}."
            )
        return _slice_piece(self, axis, start, start + length, "SliceBackward0")

    def split(self, split_size_or_sections, dim=0):
        """Pieces of ``split_size`` along dim (the last may be smaller), or of the listed sizes."""
        axis = self._dim(dim)
        n = self._data.shape[axis]
        if isinstance(split_size_or_sections, int | np.integer):
            size = int(split_size_or_sections)
            if size <= 0 and n:
                raise ShapeError(f"split: split_size must be positive, got {size}.")
            bounds = [*range(0, n, size), n] if n else [0, 0]
            node = "SplitBackward0"
        else:
            sizes = [int(s) for s in split_size_or_sections]
            if sum(sizes) != n or min(sizes, default=0) < 0:
                raise ShapeError(
                    f"split: sizes {sizes} must be non-negative and add up to {n}, the size of "
                    f"dimension {dim}."
                )
            bounds = [0, *np.cumsum(sizes).tolist()]
            node = "SplitWithSizesBackward0"
        return tuple(_slice_piece(self, axis, a, b, node) for a, b in itertools.pairwise(bounds))

    def chunk(self, chunks, dim=0):
        """At most ``chunks`` pieces of equal size (the last may be smaller)."""
        if chunks <= 0:
            raise ShapeError(f"chunk: chunks must be positive, got {chunks}.")
        n = self._data.shape[self._dim(dim)]
        return self.split(max(math.ceil(n / chunks), 1), dim)

    def tensor_split(self, indices_or_sections, dim=0):
        """``sections`` pieces as equal as possible, or pieces cut at the given indices."""
        axis = self._dim(dim)
        n = self._data.shape[axis]
        if isinstance(indices_or_sections, int | np.integer):
            k = int(indices_or_sections)
            if k <= 0:
                raise ShapeError(f"tensor_split: sections must be positive, got {k}.")
            sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
            cuts = np.cumsum(sizes)[:-1].tolist()
        else:
            cuts = [int(c) for c in indices_or_sections]
        bounds = [0, *(min(max(c, 0), n) for c in cuts), n]
        return tuple(
            _slice_piece(self, axis, a, max(a, b), "SliceBackward0")
            for a, b in itertools.pairwise(bounds)
        )

    def unbind(self, dim=0):
        """The slices along ``dim``, each without that dimension."""
        axis = self._dim(dim)
        shape = self._data.shape

        def piece(i):
            sl = (slice(None),) * axis + (i,)

            def adjoint(g):
                grad = np.zeros(shape, dtype=g.dtype)
                grad[sl] = g
                return grad

            out = _t.apply_op(
                ops_select.LINEAR["UnbindBackward0"], (self,), forward=lambda a: a[sl],
                adjoint=adjoint,
            )  # fmt: skip
            return _maybe_view(out, self)

        return tuple(piece(i) for i in range(shape[axis]))


def _bool_mask(mask, x, who: str) -> np.ndarray:
    m = mask._data if isinstance(mask, _t.Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise DTypeError(f"{who}: mask must be a bool tensor, got dtype {m.dtype}; compare first.")
    try:
        return np.broadcast_to(m, x._data.shape)
    except ValueError:
        raise ShapeError(
            f"{who}: mask of shape {list(m.shape)} cannot be broadcast to the tensor's shape "
            f"{list(x.shape)}."
        ) from None
