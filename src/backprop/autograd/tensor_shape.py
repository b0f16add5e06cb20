"""Shape and indexing methods of ``Tensor``: reshape, permute, expand, ``t[i]``, ``t[i] = v``.

A mixin of ``Tensor`` (``tensor.py``), floor 1. Each method runs a node of ``ops_shape.py``;
when NumPy's result shares the input's storage the result is marked a view of it
(``_maybe_view``) and shares its version counter, so an in-place change through either is
seen by autograd. Index errors name the index and the tensor's shape.
"""

from __future__ import annotations

import numpy as np

from ..errors import IndexingError, ShapeError
from . import grad_mode as _gm
from . import ops_shape
from . import tensor as _t


def _index_arrays(index):
    """Turn Tensors (and lists) inside an index into NumPy arrays."""
    if isinstance(index, tuple):
        return tuple(_index_arrays(i) for i in index)
    if isinstance(index, _t.Tensor):
        return index._data
    if isinstance(index, list):
        return np.asarray([i._data if isinstance(i, _t.Tensor) else i for i in index])
    return index


def _is_basic(index) -> bool:
    if type(index) is np.ndarray:
        return False
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, int | slice | type(None) | type(Ellipsis)) for p in parts)


class TensorShape:
    __slots__ = ()

    # -- shape ---------------------------------------------------------------------------
    def reshape(self, *shape, _node=ops_shape.ViewBackward0):
        shape = _shape_arg(shape)
        try:
            out = _t.apply_op(_node, (self,), shape=shape)
        except ValueError:
            raise ShapeError(
                f"reshape: shape {list(shape)} is invalid for a tensor of shape "
                f"{list(self.shape)} ({self._data.size} elements); the product of the new "
                "sizes must equal the number of elements (use -1 for one inferred size)."
            ) from None
        return _maybe_view(out, self)

    view = reshape

    def view_as(self, other):
        return self.reshape(other.shape)

    reshape_as = view_as

    def flatten(self, start_dim=0, end_dim=-1):
        if self._data.ndim == 0:
            return self.reshape(1)
        s, e = self._dim(start_dim), self._dim(end_dim)
        shape = self._data.shape
        return self.reshape(*shape[:s], -1, *shape[e + 1 :])

    def ravel(self):
        return self.reshape(-1)

    def squeeze(self, dim=None):
        shape = self._data.shape
        if dim is None:
            new = tuple(n for n in shape if n != 1)
            node = ops_shape.SqueezeBackward0
        else:
            one = isinstance(dim, int | np.integer)
            dims = {self._dim(d) for d in ((dim,) if one else dim)}
            new = tuple(n for i, n in enumerate(shape) if not (i in dims and n == 1))
            node = ops_shape.SqueezeBackward1 if one else ops_shape.SqueezeBackward2
        return self.reshape(new, _node=node)

    def unsqueeze(self, dim: int):
        nd = self._data.ndim + 1
        if not -nd <= dim < nd:
            raise ShapeError(
                f"unsqueeze: dim {dim} out of range [{-nd}, {nd - 1}] for a tensor of shape "
                f"{list(self.shape)}."
            )
        d = dim % nd
        shape = self._data.shape
        return self.reshape(*shape[:d], 1, *shape[d:], _node=ops_shape.UnsqueezeBackward0)

    def permute(self, *dims):
        dims = tuple(self._dim(d) for d in _shape_arg(dims))
        if sorted(dims) != list(range(self._data.ndim)):
            raise ShapeError(
                f"permute: dims {list(dims)} are not a permutation of the {self._data.ndim} "
                "dimensions."
            )
        return _maybe_view(_t.apply_op(ops_shape.PermuteBackward0, (self,), axes=dims), self)

    def transpose(self, dim0: int, dim1: int):
        axes = list(range(self._data.ndim))
        a, b = self._dim(dim0), self._dim(dim1)
        axes[a], axes[b] = axes[b], axes[a]
        out = _t.apply_op(ops_shape.TransposeBackward0, (self,), axes=tuple(axes))
        return _maybe_view(out, self)

    def t(self):
        if self._data.ndim > 2:
            raise ShapeError(
                f"t: expects a tensor with <= 2 dimensions, but it has {self._data.ndim} "
                f"(shape {list(self.shape)}); use transpose(dim0, dim1) or permute."
            )
        if self._data.ndim < 2:
            return self
        out = _t.apply_op(ops_shape.TBackward0, (self,), axes=(1, 0))
        return _maybe_view(out, self)

    @property
    def T(self):  # noqa: N802 - PyTorch's name
        axes = tuple(reversed(range(self._data.ndim)))
        return _maybe_view(_t.apply_op(ops_shape.PermuteBackward0, (self,), axes=axes), self)

    @property
    def mT(self):  # noqa: N802 - PyTorch's name
        return self.transpose(-2, -1)

    def expand(self, *sizes):
        sizes = _shape_arg(sizes)
        shape = self._data.shape
        lead = len(sizes) - len(shape)
        full = tuple(shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(sizes))
        try:
            out = _t.apply_op(ops_shape.ExpandBackward0, (self,), shape=full)
        except ValueError:
            raise ShapeError(
                f"expand: the expanded size {list(sizes)} must match the existing size "
                f"{list(shape)} at non-singleton dimensions."
            ) from None
        return _maybe_view(out, self)

    def expand_as(self, other):
        return self.expand(other.shape)

    # -- indexing -------------------------------------------------------------------------
    def __getitem__(self, index):
        idx = _index_arrays(index)
        basic = _is_basic(idx)
        if not (self._requires_grad and _gm._enabled):  # nothing to record: NumPy's index
            return _index_untracked(self, index, idx, basic)  # (a data loop's x[rows])
        node = ops_shape.basic_index_node(idx) if basic else ops_shape.IndexBackward0
        try:
            out = _t.apply_op(node, (self,), index=idx)
        except IndexError as exc:
            raise _index_error(index, self, exc) from None
        if type(out._data) is not np.ndarray:  # x[i, j]: a NumPy scalar; keep a 0-d array so
            out._data = np.asarray(out._data)  # ``x[i, j] += 1`` works (makemore's counts)
        return _maybe_view(out, self) if basic else out

    def __setitem__(self, index, value):
        idx = _index_arrays(index)
        v = _t.as_tensor_operand(value, dtype=self.dtype)
        varr = v._data.astype(self._data.dtype, copy=False)
        track = _gm._enabled and (self._requires_grad or v._requires_grad)
        try:
            if not track:
                try:
                    self._data[idx] = varr
                except ValueError as exc:
                    raise ShapeError(f"index assignment: {exc}") from None
                self._vc.value += 1
                return
            self._check_inplace("index assignment")
            snap = self._snapshot()
            _t.apply_op(
                ops_shape.CopySlices, (snap, v), arrays=(snap._data, varr), into=self, index=idx
            )
        except IndexError as exc:
            if isinstance(exc, IndexingError):
                raise
            raise _index_error(index, self, exc, "index assignment: ") from None


def _shape_arg(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        shape = tuple(shape[0])
    if all(type(n) is int for n in shape):  # view(-1, 30): already what we return
        return tuple(shape)
    for n in shape:
        if isinstance(n, bool) or not isinstance(n, int | np.integer):
            raise ShapeError(
                f"shape: sizes must be whole numbers (-1 for one inferred size), got {n!r} in "
                f"{tuple(shape)}."
            )
    return tuple(int(n) for n in shape)


def _index_untracked(tensor, index, idx, basic: bool):
    """``tensor[index]`` with no graph to record: the same result as the recorded path (a
    basic index gives a view sharing the version counter, an int index a 0-d view), with
    none of a node's cost, which a batch loop's ``x[rows]`` pays twice per step."""
    try:
        out = tensor._data[idx]
        if basic and type(out) is not np.ndarray:  # x[i, j]: a 0-d view, not a scalar
            out = tensor._data[(*idx, Ellipsis) if isinstance(idx, tuple) else (idx, Ellipsis)]
    except IndexError as exc:
        raise _index_error(index, tensor, exc) from None
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    result = _t.Tensor._wrap(out)
    if basic:
        result._view_of(tensor)
    return result


def _maybe_view(out, base):
    """Give ``out`` its base's version counter when NumPy made it a view of the same storage."""
    if (
        np.shares_memory(out._data, base._data)
        if out._data.size < 64
        else np.may_share_memory(out._data, base._data)
    ):
        out._view_of(base)
    return out


def _index_error(index, tensor, exc: IndexError, what: str = "") -> IndexingError:
    """NumPy's indexing complaint, with the index and the tensor's shape named."""
    return IndexingError(
        f"{what}index {index!r} is invalid for a tensor of shape {list(tensor.shape)}: {exc}"
    )
