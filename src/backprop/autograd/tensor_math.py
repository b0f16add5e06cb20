"""Arithmetic, reductions, shape and indexing methods of ``Tensor`` (floor 1).

Each method checks its operands (shapes, dtypes, dims — the message names both operands
and the fix), decides the result dtype as PyTorch does, and runs one op of the op table
through ``apply_op``. Methods that have no row in the op table are composed from methods
that do (``square``, ``var``, ``norm``, ``softmax`` on top of ``exp`` … no: softmax is
fused for stability), so they need no backward rule of their own.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..errors import ConfigError, DTypeError, IndexingError, ShapeError
from . import dtypes as _dt
from . import grad_mode as _gm
from . import ops
from . import tensor as _t
from .activations import get_activation

ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])
_ACTIVATION_NODES: dict = {}


_FLOATS = (float, int)


def _binary_arrays(a, b, op: str):
    """Both operands as Tensors plus their arrays cast to the promoted dtype."""
    # Fast paths: two tensors of one float dtype, or a float tensor and a Python number.
    Tensor = _t.Tensor
    if type(a) is not bool and type(b) is not bool:
        if isinstance(a, Tensor):
            xa = a._data
            if isinstance(b, Tensor):
                if xa.dtype == b._data.dtype and xa.dtype.kind == "f":
                    return a, b, xa, b._data
            elif type(b) in _FLOATS and xa.dtype.kind == "f":
                tb = Tensor._wrap(np.asarray(b, dtype=xa.dtype))
                return a, tb, xa, tb._data
        elif isinstance(b, Tensor) and type(a) in _FLOATS and b._data.dtype.kind == "f":
            ta = Tensor._wrap(np.asarray(a, dtype=b._data.dtype))
            return ta, b, ta._data, b._data
    ta = _t.as_tensor_operand(a)
    tb = _t.as_tensor_operand(b)
    res = _dt.result_dtype([a, b])
    if op == "div" and not res.is_floating_point:
        res = _dt.get_default_dtype()
    npd = res.np
    xa = ta._data if ta._data.dtype == npd else ta._data.astype(npd)
    xb = tb._data if tb._data.dtype == npd else tb._data.astype(npd)
    return ta, tb, xa, xb


def _broadcast_error(op: str, a, b) -> ShapeError:
    return ShapeError(
        f"{op}: operand shapes {list(a.shape)} and {list(b.shape)} cannot be broadcast "
        "together (trailing dimensions must be equal or 1). Reshape one operand, e.g. "
        "y.reshape(-1, 1) or y.squeeze()."
    )


def _binary(cls, a, b, op: str):
    ta, tb, xa, xb = _binary_arrays(a, b, op)
    try:
        return _t.apply_op(cls, (ta, tb), arrays=(xa, xb))
    except ValueError as exc:
        if "broadcast" in str(exc):
            raise _broadcast_error(op, xa, xb) from None
        raise


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
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, int | slice | type(None) | type(Ellipsis)) for p in parts)


class TensorMath:
    __slots__ = ()

    # -- arithmetic operators -----------------------------------------------------------
    def __add__(self, other):
        return _binary(ops.AddBackward0, self, other, "add")

    def __radd__(self, other):
        return _binary(ops.AddBackward0, other, self, "add")

    def __sub__(self, other):
        return _binary(ops.SubBackward0, self, other, "sub")

    def __rsub__(self, other):
        return _binary(ops.SubBackward0, other, self, "sub")

    def __mul__(self, other):
        return _binary(ops.MulBackward0, self, other, "mul")

    def __rmul__(self, other):
        return _binary(ops.MulBackward0, other, self, "mul")

    def __truediv__(self, other):
        return _binary(ops.DivBackward0, self, other, "div")

    def __rtruediv__(self, other):
        return _binary(ops.DivBackward0, other, self, "div")

    def __neg__(self):
        return _t.apply_op(ops.NegBackward0, (self,))

    def __pos__(self):
        return self

    def __pow__(self, exponent):
        if isinstance(exponent, _t.Tensor | np.ndarray):
            _check_int_power(self, exponent)
            return _binary(ops.PowBackward1, self, exponent, "pow")
        if not isinstance(exponent, int | float | np.number) or isinstance(exponent, complex):
            raise DTypeError(
                f"pow: the exponent must be a number or a Tensor, got "
                f"{type(exponent).__name__} {exponent!r}."
            )
        res = _dt.result_dtype([self, exponent])
        _check_int_power(self, exponent, res)
        x = self._data if self._data.dtype == res.np else self._data.astype(res.np)
        return _t.apply_op(ops.PowBackward0, (self,), arrays=(x,), p=exponent)

    def __rpow__(self, base):
        node = ops.PowBackward1 if isinstance(base, _t.Tensor | np.ndarray) else ops.PowBackward2
        _check_int_power(base, self)
        return _binary(node, base, self, "pow")

    def __matmul__(self, other):
        return self.matmul(other)

    def __rmatmul__(self, other):
        return _t.as_tensor_operand(other).matmul(self)

    def add(self, other, *, alpha=1):
        return self + (other * alpha if alpha != 1 else other)

    def sub(self, other, *, alpha=1):
        return self - (other * alpha if alpha != 1 else other)

    def mul(self, other):
        return self * other

    def div(self, other):
        return self / other

    def pow(self, exponent):
        return self**exponent

    def square(self):
        return self**2

    def reciprocal(self):
        return 1.0 / self

    def neg(self):
        return -self

    def maximum(self, other):
        return _binary(ops.MaximumBackward0, self, other, "maximum")

    def minimum(self, other):
        return _binary(ops.MinimumBackward0, self, other, "minimum")

    def matmul(self, other):
        """Matrix product with ``torch.matmul``'s rules; both operands must share a dtype."""
        other = _t.as_tensor_operand(other)
        a, b = self._data, other._data
        if a.dtype != b.dtype:
            raise DTypeError(
                f"matmul: both operands must have the same dtype, got {self.dtype!r} and "
                f"{other.dtype!r}. Convert one: b = b.to(a.dtype) (or .float() / .double())."
            )
        if a.ndim == 0 or b.ndim == 0:
            raise ShapeError(
                f"matmul: both arguments need at least 1 dimension, got shapes {list(a.shape)} "
                f"and {list(b.shape)}; use * for multiplying by a scalar."
            )
        inner_a = a.shape[-1]
        inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
        if inner_a != inner_b:
            raise ShapeError(
                f"matmul: shapes {list(a.shape)} and {list(b.shape)} cannot be multiplied: the "
                f"last dimension of the first ({inner_a}) must equal the "
                f"{'first' if b.ndim == 1 else 'second-to-last'} dimension of the second "
                f"({inner_b}). Transpose an operand (.T) or check the layer sizes."
            )
        try:
            return _t.apply_op(ops.MmBackward0, (self, other))
        except ValueError as exc:
            raise _broadcast_error("matmul (batch dimensions)", a, b) from exc

    def mm(self, other):
        other = _t.as_tensor_operand(other)
        if self._data.ndim != 2 or other._data.ndim != 2:
            raise ShapeError(
                f"mm: both operands must be 2-D matrices, got shapes {list(self.shape)} and "
                f"{list(other.shape)}; use matmul for other ranks."
            )
        return self.matmul(other)

    # -- comparisons (no gradient) ----------------------------------------------------------
    def _compare(self, other, fn):
        _, _, xa, xb = _binary_arrays(self, other, "compare")
        try:
            return _t.Tensor._wrap(fn(xa, xb))
        except ValueError:
            raise _broadcast_error("comparison", xa, xb) from None

    def __eq__(self, other):
        return self._compare(other, np.equal)

    def __ne__(self, other):
        return self._compare(other, np.not_equal)

    def __lt__(self, other):
        return self._compare(other, np.less)

    def __le__(self, other):
        return self._compare(other, np.less_equal)

    def __gt__(self, other):
        return self._compare(other, np.greater)

    def __ge__(self, other):
        return self._compare(other, np.greater_equal)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def _logic(self, other, fn):
        if self._data.dtype.kind not in "bi":
            raise DTypeError(f"logical operators need bool or integer tensors, got {self.dtype!r}")
        return self._compare(other, fn)

    def __and__(self, other):
        return self._logic(other, np.bitwise_and)

    def __or__(self, other):
        return self._logic(other, np.bitwise_or)

    def __xor__(self, other):
        return self._logic(other, np.bitwise_xor)

    def __invert__(self):
        if self._data.dtype != np.bool_:
            raise DTypeError(f"~ needs a bool tensor, got {self.dtype!r}")
        return _t.Tensor._wrap(~self._data)

    def isnan(self):
        return _t.Tensor._wrap(np.isnan(self._data))

    def isinf(self):
        return _t.Tensor._wrap(np.isinf(self._data))

    def isfinite(self):
        return _t.Tensor._wrap(np.isfinite(self._data))

    def any(self, dim=None, keepdim=False):
        return _t.Tensor._wrap(np.asarray(np.any(self._data, axis=dim, keepdims=keepdim)))

    def all(self, dim=None, keepdim=False):
        return _t.Tensor._wrap(np.asarray(np.all(self._data, axis=dim, keepdims=keepdim)))

    def allclose(self, other, rtol=1e-5, atol=1e-8, equal_nan=False) -> bool:
        o = _t.as_tensor_operand(other)
        return bool(np.allclose(self._data, o._data, rtol=rtol, atol=atol, equal_nan=equal_nan))

    def equal(self, other) -> bool:
        o = _t.as_tensor_operand(other)
        return self._data.shape == o._data.shape and bool(np.array_equal(self._data, o._data))

    # -- elementwise functions ----------------------------------------------------------
    def _float_input(self, op: str):
        if self._data.dtype.kind == "f":
            return self
        return self.to(_dt.get_default_dtype())

    def exp(self):
        return _t.apply_op(ops.ExpBackward0, (self._float_input("exp"),))

    def log(self):
        return _t.apply_op(ops.LogBackward0, (self._float_input("log"),))

    def sqrt(self):
        return _t.apply_op(ops.SqrtBackward0, (self._float_input("sqrt"),))

    def abs(self):
        return _t.apply_op(ops.AbsBackward0, (self,))

    __abs__ = abs

    def clamp(self, min=None, max=None):  # noqa: A002 - PyTorch's names
        if min is None and max is None:
            raise ConfigError(
                "clamp: at least one of 'min' or 'max' must not be None; pass e.g. clamp(min=0.0)."
            )
        if isinstance(min, _t.Tensor) or isinstance(max, _t.Tensor):
            out = self
            if min is not None:
                out = out.maximum(min)
            if max is not None:
                out = out.minimum(max)
            return out
        bounds = [b for b in (min, max) if b is not None]
        res = _dt.result_dtype([self, *bounds])  # int tensor, float bound: a float result
        x = self._data if self._data.dtype == res.np else self._data.astype(res.np)
        return _t.apply_op(ops.ClampBackward1, (self,), arrays=(x,), lo=min, hi=max)

    clip = clamp

    def _activation(self, name: str, **options):
        node = _ACTIVATION_NODES.get(name)
        if node is None:
            node = _ACTIVATION_NODES[name] = ops.activation_node(get_activation(name))
        return _t.apply_op(node, (self._float_input(name),), **options)

    def sigmoid(self):
        return self._activation("sigmoid")

    def tanh(self):
        return self._activation("tanh")

    def relu(self):
        return self._activation("relu")

    def softmax(self, dim: int):
        return _t.apply_op(
            ops.SoftmaxBackward0, (self._float_input("softmax"),), axis=self._dim(dim)
        )

    def log_softmax(self, dim: int):
        x = self._float_input("log_softmax")
        return _t.apply_op(ops.LogSoftmaxBackward0, (x,), axis=self._dim(dim))

    # -- reductions ------------------------------------------------------------------------
    def sum(self, dim=None, keepdim=False, dtype=None):
        x = self if dtype is None else self.to(dtype)
        if x._data.dtype.kind in "bi":
            return _t.Tensor._wrap(
                np.asarray(np.sum(x._data, axis=_axes(x, dim), keepdims=keepdim))
            )
        return _t.apply_op(ops.SumBackward0, (x,), axes=_axes(x, dim), keepdim=keepdim)

    def mean(self, dim=None, keepdim=False, dtype=None):
        x = self if dtype is None else self.to(dtype)
        if x._data.dtype.kind != "f":
            raise DTypeError(
                f"mean: could not infer output dtype; input dtype must be floating point, got "
                f"{x.dtype!r}. Use t.float().mean() or pass dtype=backprop.float32."
            )
        return _t.apply_op(ops.MeanBackward0, (x,), axes=_axes(x, dim), keepdim=keepdim)

    def _extreme(self, dim, keepdim, full, arg, name):
        if isinstance(dim, _t.Tensor):
            return self.maximum(dim) if name == "max" else self.minimum(dim)
        if self._data.size == 0:
            raise ShapeError(f"{name}: the tensor is empty; there is no {name} of no elements.")
        if dim is None:
            if self._data.dtype.kind != "f":
                return _t.Tensor._wrap(np.asarray(full(self._data)))
            return _t.apply_op(ops.MaxBackward1, (self,), op=full)
        axis = self._dim(dim)
        idx = _t.Tensor._wrap(arg(self._data, axis=axis, keepdims=keepdim).astype(np.int64))
        if self._data.dtype.kind != "f":
            vals = np.take_along_axis(self._data, arg(self._data, axis=axis, keepdims=True), axis)
            values = _t.Tensor._wrap(vals if keepdim else np.squeeze(vals, axis))
        else:
            values = _t.apply_op(ops.MaxBackward0, (self,), axis=axis, keepdim=keepdim, op=arg)
        return ValuesIndices(values, idx)

    def max(self, dim=None, keepdim=False):
        """``max()`` of all elements, ``max(dim)`` → (values, indices), or ``max(other)``."""
        return self._extreme(dim, keepdim, np.max, np.argmax, "max")

    def min(self, dim=None, keepdim=False):
        return self._extreme(dim, keepdim, np.min, np.argmin, "min")

    def amax(self, dim=None, keepdim=False):
        return self.max() if dim is None else self.max(dim, keepdim).values

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
        if correction is None:
            correction = 1 if unbiased is None or unbiased else 0
        axes = _axes(self, dim)
        n = self._data.size if axes is None else int(np.prod([self._data.shape[a] for a in axes]))
        centred = self - self.mean(dim=dim, keepdim=True)
        return (centred * centred).sum(dim=dim, keepdim=keepdim) / max(n - correction, 0)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return self.var(dim, unbiased, keepdim, correction=correction).sqrt()

    def norm(self, p=2, dim=None, keepdim=False):
        """The p-norm (default: Euclidean) over all elements or over ``dim``."""
        if p == 2 or p == "fro":
            return (self * self).sum(dim=dim, keepdim=keepdim).sqrt()
        if p == 1:
            return self.abs().sum(dim=dim, keepdim=keepdim)
        if p == float("inf"):
            return self.abs().amax(dim=dim, keepdim=keepdim)
        return (self.abs() ** p).sum(dim=dim, keepdim=keepdim) ** (1.0 / p)

    # -- shape ---------------------------------------------------------------------------
    def reshape(self, *shape):
        shape = _shape_arg(shape)
        try:
            out = _t.apply_op(ops.ViewBackward0, (self,), shape=shape)
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

    def squeeze(self, dim=None):
        shape = self._data.shape
        if dim is None:
            new = tuple(n for n in shape if n != 1)
        else:
            dims = {self._dim(d) for d in ((dim,) if isinstance(dim, int) else dim)}
            new = tuple(n for i, n in enumerate(shape) if not (i in dims and n == 1))
        return self.reshape(new)

    def unsqueeze(self, dim: int):
        nd = self._data.ndim + 1
        if not -nd <= dim < nd:
            raise ShapeError(
                f"unsqueeze: dim {dim} out of range [{-nd}, {nd - 1}] for a tensor of shape "
                f"{list(self.shape)}."
            )
        d = dim % nd
        shape = self._data.shape
        return self.reshape(*shape[:d], 1, *shape[d:])

    def permute(self, *dims):
        dims = tuple(self._dim(d) for d in _shape_arg(dims))
        if sorted(dims) != list(range(self._data.ndim)):
            raise ShapeError(
                f"permute: dims {list(dims)} are not a permutation of the {self._data.ndim} "
                "dimensions."
            )
        return _maybe_view(_t.apply_op(ops.PermuteBackward0, (self,), axes=dims), self)

    def transpose(self, dim0: int, dim1: int):
        axes = list(range(self._data.ndim))
        a, b = self._dim(dim0), self._dim(dim1)
        axes[a], axes[b] = axes[b], axes[a]
        out = _t.apply_op(
            ops.PermuteBackward0, (self,), axes=tuple(axes), label="TransposeBackward0"
        )
        return _maybe_view(out, self)

    def t(self):
        if self._data.ndim > 2:
            raise ShapeError(
                f"t: expects a tensor with <= 2 dimensions, but it has {self._data.ndim} "
                f"(shape {list(self.shape)}); use transpose(dim0, dim1) or permute."
            )
        if self._data.ndim < 2:
            return self
        out = _t.apply_op(ops.PermuteBackward0, (self,), axes=(1, 0), label="TBackward0")
        return _maybe_view(out, self)

    @property
    def T(self):  # noqa: N802 - PyTorch's name
        axes = tuple(reversed(range(self._data.ndim)))
        return _maybe_view(_t.apply_op(ops.PermuteBackward0, (self,), axes=axes), self)

    @property
    def mT(self):  # noqa: N802 - PyTorch's name
        return self.transpose(-2, -1)

    def expand(self, *sizes):
        sizes = _shape_arg(sizes)
        shape = self._data.shape
        lead = len(sizes) - len(shape)
        full = tuple(shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(sizes))
        try:
            out = _t.apply_op(ops.ExpandBackward0, (self,), shape=full)
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
        try:
            out = _t.apply_op(ops.IndexBackward0, (self,), index=idx)
        except IndexError as exc:
            raise _index_error(index, self, exc) from None
        return _maybe_view(out, self) if _is_basic(idx) else out

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
            _t.apply_op(ops.CopySlices, (snap, v), arrays=(snap._data, varr), into=self, index=idx)
        except IndexError as exc:
            if isinstance(exc, IndexingError):
                raise
            raise _index_error(index, self, exc, "index assignment: ") from None

    # -- in-place -------------------------------------------------------------------------
    def _check_inplace(self, what: str) -> None:
        from ..errors import AutogradError

        if self.grad_fn is None and self._requires_grad:
            raise AutogradError(
                f"{what}: a leaf Variable that requires grad is being used in an in-place "
                "operation. Update parameters inside `with backprop.no_grad():` (or through "
                "p.data), as optimizers do."
            )
        if self._base is not None and (self._requires_grad or self._base._requires_grad):
            raise AutogradError(
                f"{what}: in-place operations on a view of a tensor that requires grad are "
                "not supported while recording; apply it to the base tensor or to a .clone()."
            )

    def _snapshot(self):
        """A copy of self that stands for its current value and history in the graph."""
        t = _t.Tensor._make(self._data.copy(), self.grad_fn, self._requires_grad)
        t._output_nr = self._output_nr
        if self.grad_fn is None and self._requires_grad:
            t._accum = self._accumulator()
        return t

    def _write(self, out: np.ndarray) -> None:
        """Store an op's result into self's storage (dtype and shape checked)."""
        if out.shape != self._data.shape:
            raise ShapeError(
                f"in-place operation: the result has shape {list(out.shape)} but the tensor "
                f"being changed has shape {list(self.shape)}; in-place results cannot grow "
                "by broadcasting. Use the out-of-place form."
            )
        if out.dtype != self._data.dtype and not np.can_cast(
            out.dtype, self._data.dtype, "same_kind"
        ):
            raise DTypeError(
                f"in-place operation: result type {_dt.from_numpy_dtype(out.dtype)!r} can't be "
                f"cast to the desired output type {self.dtype!r}. Use the out-of-place form."
            )
        try:
            self._data[...] = out
        except ValueError as exc:
            raise ShapeError(f"in-place operation: {exc}") from None
        self._vc.value += 1

    def _inplace(self, cls, *others, what: str, **options):
        arrays = [self._data]
        operands = [self]
        res = _dt.result_dtype([self, *others])
        for o in others:
            to = _t.as_tensor_operand(o, dtype=self.dtype)
            operands.append(to)
            arrays.append(to._data)
        arrays = [a if a.dtype == res.np else a.astype(res.np) for a in arrays]
        if _gm._enabled and any(t._requires_grad for t in operands):
            self._check_inplace(what)
            snap = self._snapshot()
            arrays[0] = snap._data if snap._data.dtype == res.np else snap._data.astype(res.np)
            operands[0] = snap
        try:
            return _t.apply_op(cls, tuple(operands), arrays=arrays, into=self, **options)
        except ValueError as exc:
            if "broadcast" in str(exc):
                raise _broadcast_error(what, self._data, arrays[-1]) from None
            raise

    def add_(self, other, *, alpha=1):
        return self._inplace(ops.AddBackward0, other * alpha if alpha != 1 else other, what="add_")

    def sub_(self, other, *, alpha=1):
        return self._inplace(ops.SubBackward0, other * alpha if alpha != 1 else other, what="sub_")

    def mul_(self, other):
        return self._inplace(ops.MulBackward0, other, what="mul_")

    def div_(self, other):
        return self._inplace(ops.DivBackward0, other, what="div_")

    __iadd__ = add_
    __isub__ = sub_
    __imul__ = mul_
    __itruediv__ = div_

    def clamp_(self, min=None, max=None):  # noqa: A002
        return self._inplace(ops.ClampBackward1, what="clamp_", lo=min, hi=max)

    def fill_(self, value):
        if _gm._enabled and self._requires_grad:
            self._check_inplace("fill_")
            return self.mul_(0.0).add_(value)
        self._data.fill(value.item() if isinstance(value, _t.Tensor) else value)
        self._vc.value += 1
        return self

    def zero_(self):
        return self.fill_(0)

    def copy_(self, src):
        src = _t.as_tensor_operand(src)
        if _gm._enabled and (self._requires_grad or src._requires_grad):
            self._check_inplace("copy_")
            return self.mul_(0.0).add_(src)
        self._write(np.broadcast_to(src._data, self._data.shape).astype(self._data.dtype))
        return self

    def uniform_(self, a=0.0, b=1.0, generator=None):
        from .random import rng

        self._fill_random(rng(generator).uniform(a, b, self._data.shape), "uniform_")
        return self

    def normal_(self, mean=0.0, std=1.0, generator=None):
        from .random import rng

        self._fill_random(rng(generator).normal(mean, std, self._data.shape), "normal_")
        return self

    def _fill_random(self, values: np.ndarray, what: str) -> None:
        if _gm._enabled and self._requires_grad:
            self._check_inplace(what)
        self._data[...] = values
        self._vc.value += 1

    def clone(self):
        return _t.apply_op(ops.CloneBackward0, (self,))

    def new_tensor(self, data):
        from .factories import tensor

        return tensor(data, dtype=self.dtype)

    def new_zeros(self, *size):
        return _t.Tensor._wrap(np.zeros(_shape_arg(size), dtype=self._data.dtype))

    def new_ones(self, *size):
        return _t.Tensor._wrap(np.ones(_shape_arg(size), dtype=self._data.dtype))

    def new_full(self, size, fill_value):
        return _t.Tensor._wrap(np.full(_shape_arg((size,)), fill_value, dtype=self._data.dtype))


def _axes(x, dim):
    return ops.normalize_dims(dim, x._data.ndim)


def _shape_arg(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        shape = tuple(shape[0])
    for n in shape:
        if isinstance(n, bool) or not isinstance(n, int | np.integer):
            raise ShapeError(
                f"shape: sizes must be whole numbers (-1 for one inferred size), got {n!r} in "
                f"{tuple(shape)}."
            )
    return tuple(int(n) for n in shape)


def _check_int_power(base, exponent, res=None) -> None:
    """PyTorch's rule: integers to negative integer powers are not allowed (NumPy raises a
    bare ValueError for them)."""
    if res is None:
        res = _dt.result_dtype([base, exponent])
    if res.is_floating_point or res is _dt.bool_:
        return
    e = exponent._data if isinstance(exponent, _t.Tensor) else np.asarray(exponent)
    if e.dtype.kind in "iu" and e.size and e.min() < 0:
        raise DTypeError(
            f"pow: integers to negative integer powers are not allowed (exponent {e.min()}); "
            "make the base a float tensor first, e.g. t.float() ** -1."
        )


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
