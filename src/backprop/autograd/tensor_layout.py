"""Layout methods of ``Tensor``: roll, flip, tril/triu, diagonals, repeat/tile,
repeat_interleave, movedim/swapaxes, broadcast_to, unfold, trace, and the small products
(outer, dot, mv, bmm, addmm, baddbmm, cross) (floor 1).

A mixin of ``Tensor`` (``tensor.py``). Maps that only move values run ``LinearBackward`` of
``ops_select.py`` with the map and its adjoint (flip ↔ flip, roll ↔ roll back, repeat ↔ sum
of the copies, unfold ↔ add the windows back …) under PyTorch's node name. The products are
composed from ``matmul``, ``*`` and ``+``, so they need no rule of their own.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from . import ops_select
from . import tensor as _t
from .tensor_shape import _shape_arg


def _linear(self, node: str, forward, adjoint):
    return _t.apply_op(ops_select.LINEAR[node], (self,), forward=forward, adjoint=adjoint)


def _dims(self, dims) -> tuple[int, ...]:
    dims = (dims,) if isinstance(dims, int | np.integer) else tuple(dims)
    return tuple(self._dim(d) for d in dims)


class TensorLayout:
    __slots__ = ()

    def roll(self, shifts, dims=None):
        """Shift elements along ``dims`` (or the flattened tensor), wrapping around."""
        if dims is None:
            shape = self._data.shape
            return _linear(
                self, "RollBackward0",
                lambda a: np.roll(a.reshape(-1), shifts).reshape(shape),
                lambda g: np.roll(g.reshape(-1), -np.asarray(shifts)).reshape(shape),
            )  # fmt: skip
        axes = _dims(self, dims)
        back = tuple(-s for s in shifts) if isinstance(shifts, tuple | list) else -shifts
        return _linear(
            self, "RollBackward0", lambda a: np.roll(a, shifts, axes),
            lambda g: np.roll(g, back, axes),
        )  # fmt: skip

    def flip(self, *dims):
        axes = _dims(self, _shape_arg(dims))
        return _linear(self, "FlipBackward0", lambda a: np.flip(a, axes).copy(),
                       lambda g: np.flip(g, axes).copy())  # fmt: skip

    def fliplr(self):
        return self.flip(1)

    def flipud(self):
        return self.flip(0)

    def tril(self, diagonal=0):
        """The lower triangle (on and below ``diagonal``); the rest 0."""
        return _linear(self, "TrilBackward0", lambda a: np.tril(a, diagonal),
                       lambda g: np.tril(g, diagonal))  # fmt: skip

    def triu(self, diagonal=0):
        return _linear(self, "TriuBackward0", lambda a: np.triu(a, diagonal),
                       lambda g: np.triu(g, diagonal))  # fmt: skip

    def diagonal(self, offset=0, dim1=0, dim2=1):
        """The diagonal of the matrices in dims ``dim1``, ``dim2``, as the last dimension."""
        d1, d2 = self._dim(dim1), self._dim(dim2)
        shape = self._data.shape

        def adjoint(g):
            grad = np.zeros(shape, dtype=g.dtype)
            view = np.moveaxis(grad, (d1, d2), (-2, -1))
            n = g.shape[-1]
            i = np.arange(n)
            rows, cols = (i, i + offset) if offset >= 0 else (i - offset, i)
            view[..., rows, cols] = g
            return grad

        return _linear(self, "DiagonalBackward0",
                       lambda a: np.diagonal(a, offset, d1, d2).copy(), adjoint)  # fmt: skip

    def diag_embed(self, offset=0, dim1=-2, dim2=-1):
        """Square matrices whose ``offset`` diagonal holds the last dimension."""
        if (dim1, dim2) not in ((-2, -1), (self._data.ndim - 1, self._data.ndim)):
            raise ShapeError("diag_embed: only dim1=-2, dim2=-1 (the default) is supported.")
        n = self._data.shape[-1]
        m = n + abs(offset)
        i = np.arange(n)
        rows, cols = (i, i + offset) if offset >= 0 else (i - offset, i)

        def forward(a):
            out = np.zeros((*a.shape[:-1], m, m), dtype=a.dtype)
            out[..., rows, cols] = a
            return out

        return _linear(self, "DiagEmbedBackward0", forward, lambda g: g[..., rows, cols].copy())

    def diag(self, diagonal=0):
        """A 1-d tensor's diagonal matrix, or a matrix's diagonal."""
        if self._data.ndim == 1:
            return self.diag_embed(diagonal)
        if self._data.ndim != 2:
            raise ShapeError(f"diag: expects a 1-d or 2-d tensor, got shape {list(self.shape)}.")
        return self.diagonal(diagonal)

    def trace(self):
        """Sum of the main diagonal of a matrix."""
        if self._data.ndim != 2:
            raise ShapeError(f"trace: expects a matrix, got shape {list(self.shape)}.")
        shape = self._data.shape

        def adjoint(g):
            grad = np.zeros(shape, dtype=g.dtype)
            k = min(shape)
            grad[np.arange(k), np.arange(k)] = g
            return grad

        return _linear(self, "TraceBackward0", lambda a: np.asarray(np.trace(a)), adjoint)

    def repeat(self, *sizes):
        """Tile the tensor ``sizes[d]`` times along each dimension d."""
        sizes = _shape_arg(sizes)
        shape = self._data.shape
        if len(sizes) < len(shape):
            raise ShapeError(
                f"repeat: the number of repeat dims ({len(sizes)}) can not be smaller than the "
                f"number of tensor dims ({len(shape)})."
            )
        full = (1,) * (len(sizes) - len(shape)) + shape

        def adjoint(g):
            split = []
            for r, n in zip(sizes, full):
                split += [r, n]
            g = g.reshape(split).sum(axis=tuple(range(0, len(split), 2)))
            return g.reshape(shape)

        return _linear(self, "RepeatBackward0", lambda a: np.tile(a.reshape(full), sizes), adjoint)

    def tile(self, *dims):
        dims = _shape_arg(dims)
        dims = (1,) * (self._data.ndim - len(dims)) + dims
        return self.repeat(*dims)

    def repeat_interleave(self, repeats, dim=None, *, output_size=None):
        """Each element (or slice along ``dim``) repeated ``repeats`` times in place."""
        x = self.reshape(-1) if dim is None else self
        axis = 0 if dim is None else x._dim(dim)
        if isinstance(repeats, _t.Tensor) and repeats._data.size != 1:
            index = np.repeat(np.arange(x._data.shape[axis]), repeats._data)
            return x.index_select(axis, _t.Tensor._wrap(index))
        r = int(repeats.item() if isinstance(repeats, _t.Tensor) else repeats)
        shape = list(x._data.shape)
        expanded = x.unsqueeze(axis + 1).expand(*shape[: axis + 1], r, *shape[axis + 1 :])
        shape[axis] *= r
        return expanded.reshape(shape)

    def broadcast_to(self, *size):
        return self.expand(*size)

    def movedim(self, source, destination):
        src = _dims(self, source)
        dst = _dims(self, destination)
        order = [d for d in range(self._data.ndim) if d not in src]
        for s, d in sorted(zip(dst, src)):
            order.insert(s, d)
        return self.permute(*order)

    moveaxis = movedim

    def swapaxes(self, axis0, axis1):
        return self.transpose(axis0, axis1)

    swapdims = swapaxes

    def unfold(self, dimension, size, step):
        """All windows of ``size`` elements, ``step`` apart, along ``dimension``: that
        dimension becomes the window count and the windows are a new last dimension."""
        axis = self._dim(dimension)
        n = self._data.shape[axis] if self._data.ndim else 1
        if size > n or size < 0 or step <= 0:
            raise ShapeError(
                f"unfold: size ({size}) must be at most the size of dimension {dimension} ({n})"
                f" and step ({step}) positive."
            )
        count = (n - size) // step + 1
        pos = np.arange(count)[:, None] * step + np.arange(size)[None, :]
        shape = self._data.shape

        def forward(a):
            return np.moveaxis(np.moveaxis(a, axis, -1)[..., pos], -2, axis).copy()

        def adjoint(g):
            gm = np.moveaxis(g, axis, -2)  # (..., count, size)
            grad = np.zeros((*gm.shape[:-2], n), dtype=g.dtype)
            np.add.at(grad, (Ellipsis, pos), gm)
            return np.moveaxis(grad, -1, axis).reshape(shape)

        return _linear(self, "UnfoldBackward0", forward, adjoint)

    # -- small products (composed) ------------------------------------------------------
    def outer(self, vec2):
        return self.reshape(-1, 1) * vec2.reshape(1, -1)

    ger = outer

    def dot(self, other):
        _vectors(self, other, "dot")
        return self.matmul(other)

    vdot = dot

    def mv(self, vec):
        if self._data.ndim != 2 or vec._data.ndim != 1:
            raise ShapeError(
                f"mv: expects a matrix and a vector, got shapes {list(self.shape)} and "
                f"{list(vec.shape)}."
            )
        return self.matmul(vec)

    def bmm(self, mat2):
        if self._data.ndim != 3 or mat2._data.ndim != 3:
            raise ShapeError(
                f"bmm: expects two 3-d tensors (batches of matrices), got shapes "
                f"{list(self.shape)} and {list(mat2.shape)}."
            )
        return self.matmul(mat2)

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        """beta·self + alpha·(mat1 @ mat2)."""
        prod = mat1.mm(mat2)
        return (self if beta == 1 else self * beta) + (prod if alpha == 1 else prod * alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        prod = batch1.bmm(batch2)
        return (self if beta == 1 else self * beta) + (prod if alpha == 1 else prod * alpha)

    def cross(self, other, dim=None):
        """The cross product of 3-vectors along ``dim`` (the first dimension of size 3)."""
        if dim is None:
            dim = next((d for d, n in enumerate(self._data.shape) if n == 3), None)
        if dim is None or self._data.shape[self._dim(dim)] != 3:
            raise ShapeError(f"cross: dimension {dim} must have size 3, shape {list(self.shape)}.")
        a0, a1, a2 = self.unbind(dim)
        b0, b1, b2 = other.unbind(dim)
        from .functional import stack

        return stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], dim=dim)


def _vectors(a, b, who):
    if a._data.ndim != 1 or b._data.ndim != 1 or a._data.shape != b._data.shape:
        raise ShapeError(
            f"{who}: expects two 1-d tensors of the same size, got shapes {list(a.shape)} and "
            f"{list(b.shape)}."
        )
