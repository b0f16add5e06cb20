"""Comparisons, logical and bitwise operators and tests of ``Tensor`` (floor 1).

A mixin of ``Tensor`` (``tensor.py``): ``== != < <= > >=`` and their names (``eq`` …
``greater_equal``), ``isclose``/``allclose``/``equal``, ``logical_*``, ``& | ^ ~`` and
``bitwise_*``, ``isnan``/``isinf``/``isfinite``/``isneginf``/``isposinf``/``signbit``, and
``any``/``all``. None of them has a gradient: each returns a bool tensor (or a Python bool)
without history. Operands are promoted as for arithmetic (``tensor_math._binary_arrays``),
and shapes that do not broadcast get the same message.
"""

from __future__ import annotations

import numpy as np

from ..errors import DTypeError
from . import tensor as _t
from .tensor_math import _binary_arrays, _broadcast_error


class TensorCompare:
    __slots__ = ()

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
    greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne

    def isclose(self, other, rtol=1e-5, atol=1e-8, equal_nan=False):
        """Elementwise |a − b| ≤ atol + rtol·|b| (a bool tensor)."""
        _, _, xa, xb = _binary_arrays(self, other, "isclose")
        return _t.Tensor._wrap(np.isclose(xa, xb, rtol=rtol, atol=atol, equal_nan=equal_nan))

    def _truth(self, other, fn):
        o = _t.as_tensor_operand(other)
        try:
            return _t.Tensor._wrap(fn(self._data.astype(bool), o._data.astype(bool)))
        except ValueError:
            raise _broadcast_error("logical op", self._data, o._data) from None

    def logical_and(self, other):
        return self._truth(other, np.logical_and)

    def logical_or(self, other):
        return self._truth(other, np.logical_or)

    def logical_xor(self, other):
        return self._truth(other, np.logical_xor)

    def logical_not(self):
        return _t.Tensor._wrap(np.logical_not(self._data))

    def bitwise_not(self):
        if self._data.dtype.kind not in "bi":
            raise DTypeError(f"bitwise_not needs a bool or integer tensor, got {self.dtype!r}")
        return _t.Tensor._wrap(~self._data)

    def isneginf(self):
        return _t.Tensor._wrap(np.isneginf(self._data))

    def isposinf(self):
        return _t.Tensor._wrap(np.isposinf(self._data))

    def signbit(self):
        return _t.Tensor._wrap(np.signbit(self._data))

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

    def bitwise_and(self, other):
        return self._logic(other, np.bitwise_and)

    def bitwise_or(self, other):
        return self._logic(other, np.bitwise_or)

    def bitwise_xor(self, other):
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
