"""Shape, indexing and copy ops of the op table, and ``unbroadcast`` (floor 1).

reshape, permute/transpose, expand, indexing and index assignment, cat/stack, where, clone
and dtype conversion: ops that move, select or copy values without arithmetic on them, so
each backward rule puts the gradient back where the value came from. ``unbroadcast`` (the
gradient of broadcasting) lives here and serves every op that broadcasts. The elementwise
ops and ``OP_TABLE`` are in ``ops.py``, which re-exports these nodes.
"""

from __future__ import annotations

import math

import numpy as np

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
    """permute and ``.T``; ``TransposeBackward0`` swaps two dims, ``TBackward0`` is ``.t()``."""

    __slots__ = ("axes",)

    def forward(self, x, axes):
        self.axes = axes
        return np.transpose(x, axes)

    def backward(self, g):
        return (np.transpose(g, np.argsort(self.axes)),)


class TransposeBackward0(PermuteBackward0):
    __slots__ = ()


class TBackward0(PermuteBackward0):
    __slots__ = ()


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
        index = self.index
        if (
            type(index) is np.ndarray
            and index.dtype.kind in "iu"
            and 0 < 4 * math.prod(self.shape) <= g.size  # many lookups per table row
        ):
            return (_add_rows(g, index, self.shape),)
        grad = np.zeros(self.shape, dtype=g.dtype)
        np.add.at(grad, index, g)
        return (grad,)


def _add_rows(g: np.ndarray, index: np.ndarray, shape: tuple) -> np.ndarray:
    """The gradient of ``x[index]`` for one integer array indexing axis 0 (an embedding
    lookup): row ``index[k]`` of the result is the sum of the rows ``g[k]``. One
    ``bincount`` over (row, column) cells instead of ``np.add.at``'s per-element loop: 3×
    faster for 768 lookups into a 27 × 10 table, but slower once the table is about as large
    as ``g`` (its full-table passes then cost more than they save), so the caller keeps
    ``add.at`` there. The sums are formed in float64, then rounded once to ``g``'s dtype."""
    n = shape[0]
    width = math.prod(shape[1:])
    rows = index.reshape(-1)
    if rows.min() < 0:
        rows = rows % n  # −1 is the last row, as in the forward pass
    cells = (rows[:, None] * width + np.arange(width)).reshape(-1)
    sums = np.bincount(cells, weights=g.reshape(-1), minlength=n * width).reshape(shape)
    if sums.dtype == g.dtype or np.abs(sums).max() <= np.finfo(g.dtype).max:
        return sums.astype(g.dtype, copy=False)
    with np.errstate(over="ignore"):  # a sum beyond float32's range is inf, as add.at gives
        return sums.astype(g.dtype)


class _BasicIndexBackward(IndexBackward0):
    """``x[i, 1:3, None]`` with ints, slices, None and ``...`` only: no element is picked
    twice, so the gradient is written, not added (no ``np.add.at``). PyTorch names the node
    after the last step of the index; these subclasses carry those names. One element
    (``x[i, j]``) comes back as a 0-d view, not a NumPy scalar, so ``x[i, j] += 1`` and
    in-place ops on it work as on PyTorch's view."""

    __slots__ = ()

    def forward(self, x, index):
        out = x[index]
        if type(out) is not np.ndarray:
            index = (*index, Ellipsis) if isinstance(index, tuple) else (index, Ellipsis)
            out = x[index]
        self.shape, self.index = x.shape, index
        return out

    def backward(self, g):
        grad = np.zeros(self.shape, dtype=g.dtype)
        grad[self.index] = g
        return (grad,)


class SelectBackward0(_BasicIndexBackward):
    __slots__ = ()


class SliceBackward0(_BasicIndexBackward):
    __slots__ = ()


class _UnsqueezeIndexBackward(_BasicIndexBackward):
    """``x[None]``, ``x[:, None]``: PyTorch's node is UnsqueezeBackward0."""

    __slots__ = ()


_UnsqueezeIndexBackward.__name__ = _UnsqueezeIndexBackward.__qualname__ = "UnsqueezeBackward0"


def basic_index_node(index) -> type:
    """The node of a basic index, named as PyTorch names it: after the last part that is not
    a full slice ``:`` (an int selects, a slice slices, None unsqueezes)."""
    parts = index if isinstance(index, tuple) else (index,)
    for part in reversed(parts):
        if part is None:
            return _UnsqueezeIndexBackward
        if isinstance(part, slice):
            if part != slice(None):
                return SliceBackward0
        elif part is not Ellipsis:
            return SelectBackward0
    return SliceBackward0 if any(isinstance(p, slice) for p in parts) else IndexBackward0


class SqueezeBackward0(ViewBackward0):
    """``squeeze()`` of every size-1 dimension (``SqueezeBackward1``: of one dim,
    ``SqueezeBackward2``: of several)."""

    __slots__ = ()


class SqueezeBackward1(ViewBackward0):
    __slots__ = ()


class SqueezeBackward2(ViewBackward0):
    __slots__ = ()


class UnsqueezeBackward0(ViewBackward0):
    __slots__ = ()


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
    """cat along an existing dim (``StackBackward0``: stack along a new one)."""

    __slots__ = ("axis", "sizes", "stack")

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


class StackBackward0(CatBackward0):
    __slots__ = ()


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
