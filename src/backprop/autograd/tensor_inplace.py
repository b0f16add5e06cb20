"""In-place methods of ``Tensor``: ``add_``, ``mul_``, ``+=``, ``clamp_``, ``fill_``, ``copy_``.

A mixin of ``Tensor`` (``tensor.py``), floor 1. The result goes into the tensor's own
storage (``_write`` checks its shape and dtype) and the version counter moves on. While
grad is recorded the op reads a snapshot of the old value (``_snapshot``) and the tensor
takes the op's node as its ``grad_fn``, as PyTorch's in-place ops do; a leaf that requires
grad, and a view of a tensor that does, are refused (``_check_inplace``, which index
assignment uses too). ``uniform_`` and ``normal_`` fill from a generator.
"""

from __future__ import annotations

import numpy as np

from ..errors import DTypeError, ShapeError
from . import dtypes as _dt
from . import grad_mode as _gm
from . import ops
from . import tensor as _t
from .tensor_math import _broadcast_error


class TensorInPlace:
    __slots__ = ()

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
        if len(others) == 1 and not options and self._data.dtype.kind == "f":
            done = self._inplace_untracked(cls, others[0])
            if done is not None:
                return done
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

    def _inplace_run(self, cls, tensors, arrays, *, what: str, **options):
        """Run ``cls`` into self: ``tensors`` (self first; None for a number) and their
        ``arrays`` already in the result dtype (the elementwise table's in-place forms)."""
        operands = list(tensors)
        arrays = list(arrays)
        if _gm._enabled and any(t is not None and t._requires_grad for t in operands):
            self._check_inplace(what)
            snap = self._snapshot()
            arrays[0] = snap._data.astype(arrays[0].dtype, copy=False)
            operands[0] = snap
        try:
            return _t.apply_op(cls, tuple(operands), arrays=arrays, into=self, **options)
        except ValueError as exc:
            if "broadcast" in str(exc):
                raise _broadcast_error(what, self._data, arrays[-1]) from None
            raise

    def _inplace_untracked(self, cls, other):
        """``self op= other`` straight into the storage, when nothing is recorded and both
        operands have self's float dtype (``p.data += -lr * p.grad``); None otherwise, and
        also when NumPy refuses (the general path then raises the explained error)."""
        ufunc = _UFUNCS.get(cls)
        if ufunc is None:
            return None
        if isinstance(other, _t.Tensor):
            if other._data.dtype != self._data.dtype:
                return None
            if _gm._enabled and (self._requires_grad or other._requires_grad):
                return None
            value = other._data
        elif type(other) is float or type(other) is int:
            if _gm._enabled and self._requires_grad:
                return None
            value = other
        else:
            return None
        try:
            ufunc(self._data, value, out=self._data)
        except (ValueError, TypeError, OverflowError):
            return None
        self._vc.value += 1
        return self

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
        from .random_factories import fill_uniform

        self._fill_random(fill_uniform(self._data, a, b, generator, "uniform_"), "uniform_")
        return self

    def normal_(self, mean=0.0, std=1.0, generator=None):
        from .random_factories import fill_normal

        self._fill_random(fill_normal(self._data, mean, std, generator, "normal_"), "normal_")
        return self

    def random_(self, from_=None, to=None, *, generator=None):
        from .random_factories import fill_random

        self._fill_random(fill_random(self._data, from_, to, generator, "random_"), "random_")
        return self

    def bernoulli_(self, p=0.5, *, generator=None):
        from .random_factories import fill_bernoulli

        values = fill_bernoulli(self._data, p, generator, "bernoulli_")
        self._fill_random(values, "bernoulli_")
        return self

    def exponential_(self, lambd=1.0, *, generator=None):
        from .random_factories import fill_exponential

        values = fill_exponential(self._data, lambd, generator, "exponential_")
        self._fill_random(values, "exponential_")
        return self

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
        return self._fill_other("cauchy", (median, sigma), generator, "cauchy_")

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
        return self._fill_other("log_normal", (mean, std), generator, "log_normal_")

    def geometric_(self, p, *, generator=None):
        return self._fill_other("geometric", (p,), generator, "geometric_")

    def _fill_other(self, kind, params, generator, what):
        from .random_factories import fill_other

        self._fill_random(fill_other(self._data, kind, params, generator, what), what)
        return self

    def bernoulli(self, p=None, *, generator=None):
        """0/1 draws with probabilities ``self`` (or the scalar ``p``), as ``torch.bernoulli``."""
        from .random_factories import bernoulli

        return bernoulli(self, p, generator=generator)

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        from .random_factories import multinomial

        return multinomial(self, num_samples, replacement, generator=generator)

    def _fill_random(self, values: np.ndarray, what: str) -> None:
        if _gm._enabled and self._requires_grad:
            self._check_inplace(what)
        self._data[...] = values
        self._vc.value += 1


_UFUNCS = {
    ops.AddBackward0: np.add,
    ops.SubBackward0: np.subtract,
    ops.MulBackward0: np.multiply,
    ops.DivBackward0: np.true_divide,
}
