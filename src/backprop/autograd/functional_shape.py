"""Functions that take several tensors or build new ones: hstack, vstack, column_stack,
dstack, meshgrid, einsum (floor 1).

Stacking is ``cat`` after bringing each tensor to the needed rank (so the node is
``CatBackward0``, as PyTorch's); ``meshgrid`` is views made by ``expand``; ``einsum`` runs
``EinsumBackward0`` of ``ops_scatter.py``.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from . import ops_scatter
from .functional import cat
from .tensor import Tensor, apply_op, as_tensor_operand


def _ranked(tensors, rank: int, who: str) -> list:
    out = []
    for t in tensors:
        t = as_tensor_operand(t)
        nd = t._data.ndim
        if nd < rank:
            shape = t._data.shape
            if rank == 2:
                new = (1, *shape) if nd == 1 else (1, 1)
            else:  # numpy's atleast_3d: (n,) → (1, n, 1), (m, n) → (m, n, 1)
                new = {0: (1, 1, 1), 1: (1, *shape, 1), 2: (*shape, 1)}[nd]
            t = t.reshape(new)
        out.append(t)
    if not out:
        raise ShapeError(f"{who}: expects a non-empty sequence of tensors.")
    return out


def hstack(tensors) -> Tensor:
    """The tensors joined along their first dimension (1-D) or second (2-D and more).

    Examples:
        >>> import backprop as bp
        >>> a = bp.tensor([1, 2])
        >>> b = bp.tensor([3, 4])
        >>> bp.hstack((a, b))
        tensor([1, 2, 3, 4])
    """
    ts = [as_tensor_operand(t) for t in tensors]
    ts = [t.reshape(1) if t._data.ndim == 0 else t for t in ts]
    return cat(ts, dim=0 if ts and ts[0]._data.ndim == 1 else 1)


def vstack(tensors) -> Tensor:
    """The tensors, made at least 2-D, stacked as rows (``row_stack`` is the same function).

    Examples:
        >>> import backprop as bp
        >>> a = bp.tensor([1, 2])
        >>> b = bp.tensor([3, 4])
        >>> bp.vstack((a, b))
        tensor([[1, 2],
                [3, 4]])
        >>> bp.row_stack((a, b)).shape
        backprop.Size([2, 2])
    """
    return cat(_ranked(tensors, 2, "vstack"), dim=0)


row_stack = vstack


def dstack(tensors) -> Tensor:
    """The tensors, made at least 3-D, joined along the third dimension.

    Examples:
        >>> import backprop as bp
        >>> a = bp.tensor([1, 2])
        >>> b = bp.tensor([3, 4])
        >>> bp.dstack((a, b))
        tensor([[[1, 3],
                 [2, 4]]])
    """
    return cat(_ranked(tensors, 3, "dstack"), dim=2)


def column_stack(tensors) -> Tensor:
    """The tensors as columns: 1-D ones become columns, then joined along dimension 1.

    Examples:
        >>> import backprop as bp
        >>> a = bp.tensor([1, 2])
        >>> b = bp.tensor([3, 4])
        >>> bp.column_stack((a, b))
        tensor([[1, 3],
                [2, 4]])
    """
    ts = [as_tensor_operand(t) for t in tensors]
    ts = [t.reshape(-1, 1) if t._data.ndim < 2 else t for t in ts]
    return cat(ts, dim=1)


def meshgrid(*tensors, indexing: str = "ij") -> tuple:
    """Coordinate grids: with ``indexing='ij'`` output i varies along dimension i; with
    ``'xy'`` the first two dimensions are swapped (NumPy's and MATLAB's convention).

    Examples:
        >>> import backprop as bp
        >>> xs, ys = bp.meshgrid(bp.tensor([1, 2, 3]), bp.tensor([4, 5]), indexing='xy')
        >>> xs
        tensor([[1, 2, 3],
                [1, 2, 3]])
        >>> ys
        tensor([[4, 4, 4],
                [5, 5, 5]])
    """
    if len(tensors) == 1 and isinstance(tensors[0], list | tuple):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ShapeError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}.")
    ts = [as_tensor_operand(t).reshape(-1) for t in tensors]
    sizes = [t._data.shape[0] for t in ts]
    order = list(range(len(ts)))
    if indexing == "xy" and len(ts) >= 2:
        order[0], order[1] = 1, 0
    shape = [sizes[order[d]] for d in range(len(ts))]
    out = []
    for i, t in enumerate(ts):
        where = order.index(i)
        view = [1] * len(ts)
        view[where] = -1
        out.append(t.reshape(view).expand(*shape))
    return tuple(out)


def einsum(equation: str, *operands) -> Tensor:
    """Sums of products over the letters of ``equation`` ("ij,jk->ik"); each letter at most
    once per operand, no '...'.

    Examples:
        >>> import backprop as bp
        >>> a = bp.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> b = bp.tensor([1.0, -1.0])
        >>> bp.einsum('ij,j->i', a, b)
        tensor([-1., -1.])
    """
    if len(operands) == 1 and isinstance(operands[0], list | tuple):
        operands = tuple(operands[0])
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    inputs = lhs.split(",")
    if "." in eq or any(len(set(s)) != len(s) for s in inputs):
        raise ShapeError(
            f"einsum: {equation!r} uses '...' or repeats a letter within an operand; only "
            "plain subscripts are supported (take a diagonal with .diagonal() first)."
        )
    if not arrow:
        letters = "".join(inputs)
        rhs = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    ts = [as_tensor_operand(t) for t in operands]
    if len(ts) != len(inputs):
        raise ShapeError(f"einsum: {equation!r} names {len(inputs)} operands, got {len(ts)}.")
    dtype = np.result_type(*(t._data for t in ts))
    arrays = [t._data.astype(dtype, copy=False) for t in ts]
    try:
        return apply_op(ops_scatter.EinsumBackward0, tuple(ts), arrays=arrays,
                        inputs_letters=tuple(inputs), output_letters=rhs)  # fmt: skip
    except ValueError as exc:
        raise ShapeError(f"einsum: {equation!r} does not fit the operands' shapes: {exc}") from None
