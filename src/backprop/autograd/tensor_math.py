"""Arithmetic and the core elementwise functions of ``Tensor`` (floor 1).

A mixin of ``Tensor`` (``tensor.py``): the operators (``+ - * / ** @``) and the elementwise
functions with nodes of their own in ``ops.py`` (``exp``, ``log``, ``sqrt``, ``abs``,
``clamp``, the activations, ``softmax``). Each method checks its operands (shapes, dtypes —
the message names both operands and the fix), decides the result dtype as PyTorch does, and
runs one op of the op table through ``apply_op``. Methods that have no row in the op table
are composed from methods that do (``square``, ``clamp`` with tensor bounds). The rest of the
elementwise family (``sin`` … ``digamma``, ``atan2`` …) is in ``tensor_elementwise.py``;
comparisons and logical operators in ``tensor_compare.py``; reductions, shape and indexing,
and in-place methods in ``tensor_reduce.py``, ``tensor_stats.py``, ``tensor_shape.py``,
``tensor_index.py``, ``tensor_layout.py`` and ``tensor_inplace.py``.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError, DTypeError, ShapeError
from . import dtypes as _dt
from . import ops, ops_matmul, ops_reduce
from . import tensor as _t
from .activations import get_activation

_ACTIVATION_NODES: dict = {}


_FLOATS = (float, int)


def _binary_arrays(a, b, op: str):
    """Both operands as Tensors plus their arrays cast to the promoted dtype.

    A Python number next to a float tensor comes back as None (a constant for ``apply_op``)
    with its 0-d array: no tensor is built for it.
    """
    # Fast paths: two tensors of one float dtype, or a float tensor and a Python number.
    Tensor = _t.Tensor
    if type(a) is not bool and type(b) is not bool:
        if isinstance(a, Tensor):
            xa = a._data
            if isinstance(b, Tensor):
                if xa.dtype == b._data.dtype and xa.dtype.kind == "f":
                    return a, b, xa, b._data
            elif type(b) in _FLOATS and xa.dtype.kind == "f":
                return a, None, xa, np.asarray(b, dtype=xa.dtype)
        elif isinstance(b, Tensor) and type(a) in _FLOATS and b._data.dtype.kind == "f":
            xb = b._data
            return None, b, np.asarray(a, dtype=xb.dtype), xb
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

    def __floordiv__(self, other):  # torch: a // b is floor_divide (rounds down)
        return self.floor_divide(other)

    def __rfloordiv__(self, other):
        return _t.as_tensor_operand(other, _dt.result_dtype([other, self])).floor_divide(self)

    def __mod__(self, other):  # torch: a % b is remainder (the sign of b, as Python's %)
        return self.remainder(other)

    def __rmod__(self, other):
        return _t.as_tensor_operand(other, _dt.result_dtype([other, self])).remainder(self)

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

    def div(self, other, *, rounding_mode=None):
        """a / b; ``rounding_mode`` "trunc" or "floor" rounds the quotient (no gradient)."""
        if rounding_mode is None:
            return self / other
        if rounding_mode not in ("trunc", "floor"):
            raise ConfigError(
                f"div: rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}."
            )
        from .tensor_elementwise import run

        return run("div_rounding", self, other, rounding_mode=rounding_mode)

    divide = true_divide = div
    multiply = mul
    subtract = sub

    def pow(self, exponent):
        return self**exponent

    def square(self):
        return self**2

    def neg(self):
        return -self

    negative = neg

    def maximum(self, other):
        return _binary(ops.MaximumBackward0, self, other, "maximum")

    def minimum(self, other):
        return _binary(ops.MinimumBackward0, self, other, "minimum")

    def matmul(self, other):
        """Matrix product with ``torch.matmul``'s rules; both operands must share a dtype."""
        other = _t.as_tensor_operand(other)
        a, b = self._data, other._data
        if a.ndim == 2 and b.ndim == 2 and a.shape[1] == b.shape[0] and a.dtype == b.dtype:
            return _t.apply_op(ops_matmul.MmBackward0, (self, other))  # checked: two matrices
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
            return _t.apply_op(ops_matmul.node_for(a.ndim, b.ndim), (self, other))
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

    __abs__ = absolute = abs

    def clamp(self, min=None, max=None, *, _node=ops.ClampBackward1):  # noqa: A002
        if min is None and max is None:
            raise ConfigError(
                "clamp: at least one of 'min' or 'max' must not be None; pass e.g. clamp(min=0.0)."
            )
        if isinstance(min, _t.Tensor) or isinstance(max, _t.Tensor):
            if _dt.result_dtype([b for b in (self, min, max) if b is not None]).is_floating_point:
                from .tensor_elementwise import run

                lo = -np.inf if min is None else min
                return run("clamp_tensor", self, lo, np.inf if max is None else max)
            out = self  # integer tensors: no infinite bound to stand in for a missing one
            if min is not None:
                out = out.maximum(min)
            if max is not None:
                out = out.minimum(max)
            return out
        bounds = [b for b in (min, max) if b is not None]
        res = _dt.result_dtype([self, *bounds])  # int tensor, float bound: a float result
        x = self._data if self._data.dtype == res.np else self._data.astype(res.np)
        return _t.apply_op(_node, (self,), arrays=(x,), lo=min, hi=max)

    clip = clamp

    def _activation(self, name: str, **options):
        node = _ACTIVATION_NODES.get(name)
        if node is None:
            node = _ACTIVATION_NODES[name] = ops.activation_node(get_activation(name))
        x = self if self._data.dtype.kind == "f" else self._float_input(name)
        return _t.apply_op(node, (x,), **options)

    def sigmoid(self):
        return self._activation("sigmoid")

    def tanh(self):
        return self._activation("tanh")

    def relu(self):
        return self._activation("relu")

    def softmax(self, dim: int):
        return _t.apply_op(
            ops_reduce.SoftmaxBackward0, (self._float_input("softmax"),), axis=self._dim(dim)
        )

    def log_softmax(self, dim: int):
        x = self._float_input("log_softmax")
        return _t.apply_op(ops_reduce.LogSoftmaxBackward0, (x,), axis=self._dim(dim))


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
