"""The elementwise maths family as ``Tensor`` methods, in-place forms and dtype rules (floor 1).

A mixin of ``Tensor`` (``tensor.py``). ``t.sin()``, ``t.log10()``, ``t.round(decimals=2)``,
``a.atan2(b)``, ``a.lerp(b, 0.3)``, ``x.addcmul(t1, t2, value=0.5)`` … each run one row of the
elementwise op table (``ops_unary.py``, ``ops_binary.py``) through ``apply_op``: this file
only checks the operands, applies the row's dtype rule and picks the node (a Python number as
second operand has its own node name in PyTorch for some ops, e.g. ``FmodBackward0``). The
in-place forms (``sin_``, ``fmod_`` …) run the same node into the tensor's storage through
``_inplace`` of ``tensor_inplace.py``. The methods are generated from the table, one per row,
so adding a row adds its method, its function form and its in-place form.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError, DTypeError
from . import dtypes as _dt
from . import ops, ops_binary, ops_unary
from . import tensor as _t
from .tensor_math import _broadcast_error

_ROWS = {**ops_unary.UNARY_BY_NAME, **ops_binary.BINARY_BY_NAME}
_NODES = {**ops_unary.NODES, **ops_binary.NODES}


def _result_dtype(row, operands) -> _dt.dtype:
    res = _dt.result_dtype(operands)
    if row.dtype_rule == "float64":
        return _dt.float64
    if row.dtype_rule == "float" and not res.is_floating_point:
        return _dt.get_default_dtype()
    return res


def run(name: str, *operands, into=None, **options):
    """Run row ``name`` on ``operands`` (Tensors or numbers); ``into`` = in place."""
    row = _ROWS[name]
    cls = _NODES[name]
    if name == "round" and options.get("decimals", 0):
        cls = ops_unary.RoundBackward1
    elif name == "round":
        options.pop("decimals", None)
    first = operands[0]
    if not row.int_ok and first._data.dtype.kind != "f":
        raise DTypeError(
            f"{name}: not implemented for {first.dtype!r} tensors; convert first, e.g. "
            f"t.float().{name}()."
        )
    res = _result_dtype(row, operands)
    npd = res.np
    tensors, arrays = [], []
    for i, x in enumerate(operands):
        if isinstance(x, _t.Tensor):
            tensors.append(x)
            data = x._data
        else:
            data = _t.as_tensor_operand(x, dtype=res)._data
            tensors.append(None)  # a constant: no edge
            if i == 1 and row.scalar_node:
                cls = _NODES[name + "/scalar"]
        arrays.append(data if data.dtype == npd else data.astype(npd))
    if into is not None:
        return into._inplace_run(cls, tensors, arrays, what=name + "_", **options)
    try:
        return _t.apply_op(cls, tuple(tensors), arrays=arrays, **options)
    except ValueError as exc:
        if "broadcast" in str(exc) and len(arrays) > 1:
            raise _broadcast_error(name, arrays[0], arrays[1]) from None
        raise


def _unary_method(name: str):
    cls = _NODES[name]

    def method(self):
        if self._data.dtype.kind == "f":  # the common case: a float tensor, nothing to cast
            return _t.apply_op(cls, (self,))
        return run(name, self)

    def method_(self):
        return run(name, self, into=self)

    return method, method_


def _binary_method(name: str):
    def method(self, other):
        return run(name, self, _operand(other, name))

    def method_(self, other):
        return run(name, self, _operand(other, name), into=self)

    return method, method_


def _operand(x, name):
    if isinstance(x, _t.Tensor | bool | int | float | np.number):
        return x
    if isinstance(x, np.ndarray | list | tuple):
        return _t.as_tensor_operand(np.asarray(x))
    raise DTypeError(f"{name}: the other operand must be a Tensor or a number, got {x!r}.")


class TensorElementwise:
    __slots__ = ()

    def round(self, decimals: int = 0):
        """Round to the nearest integer (halves to even), or to ``decimals`` places."""
        return run("round", self, decimals=_decimals(decimals))

    def round_(self, decimals: int = 0):
        return run("round", self, into=self, decimals=_decimals(decimals))

    def logit(self, eps=None):
        """log(x / (1 − x)); with ``eps``, x is first clamped to [eps, 1 − eps]."""
        return run("logit", self, eps=eps)

    def logit_(self, eps=None):
        return run("logit", self, into=self, eps=eps)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        """NaN → ``nan``; ±inf → ``posinf``/``neginf`` (default: the dtype's extremes)."""
        return run("nan_to_num", self, nan=nan, posinf=posinf, neginf=neginf)

    def nan_to_num_(self, nan=0.0, posinf=None, neginf=None):
        return run("nan_to_num", self, into=self, nan=nan, posinf=posinf, neginf=neginf)

    def positive(self):
        return self

    def lerp(self, end, weight):
        """start + weight·(end − start); ``weight`` a number or a tensor."""
        if isinstance(weight, _t.Tensor):
            return run("lerp_tensor", self, end, weight)
        return run("lerp", self, _operand(end, "lerp"), weight=weight)

    def lerp_(self, end, weight):
        if isinstance(weight, _t.Tensor):
            return run("lerp_tensor", self, end, weight, into=self)
        return run("lerp", self, _operand(end, "lerp"), weight=weight, into=self)

    def addcmul(self, tensor1, tensor2, *, value=1):
        """self + value·tensor1·tensor2."""
        return run("addcmul", self, tensor1, tensor2, value=value)

    def addcmul_(self, tensor1, tensor2, *, value=1):
        return run("addcmul", self, tensor1, tensor2, value=value, into=self)

    def addcdiv(self, tensor1, tensor2, *, value=1):
        """self + value·tensor1/tensor2."""
        return run("addcdiv", self, tensor1, tensor2, value=value)

    def addcdiv_(self, tensor1, tensor2, *, value=1):
        return run("addcdiv", self, tensor1, tensor2, value=value, into=self)

    def float_power(self, exponent):
        """self ** exponent computed in float64 (the result is float64)."""
        base = self.double()
        if isinstance(exponent, _t.Tensor):
            exponent = exponent.double()
        return base**exponent

    def floor_divide(self, other):
        """a / b rounded down; no gradient (PyTorch has none for it either)."""
        from .grad_mode import no_grad

        with no_grad():
            return self.div(other, rounding_mode="floor")

    def clamp_min(self, min):  # noqa: A002 - PyTorch's name
        if isinstance(min, _t.Tensor):
            return run("clamp_min_tensor", self, min)
        return self.clamp(min=min, _node=ops.ClampMinBackward0)

    def clamp_max(self, max):  # noqa: A002 - PyTorch's name
        if isinstance(max, _t.Tensor):
            return run("clamp_max_tensor", self, max)
        return self.clamp(max=max, _node=ops.ClampMaxBackward0)

    # in-place forms of the ops with nodes of their own in ops.py
    def exp_(self):
        return self._inplace_run(ops.ExpBackward0, [self], [self._data], what="exp_")

    def log_(self):
        return self._inplace_run(ops.LogBackward0, [self], [self._data], what="log_")

    def sqrt_(self):
        return self._inplace_run(ops.SqrtBackward0, [self], [self._data], what="sqrt_")

    def abs_(self):
        return self._inplace_run(ops.AbsBackward0, [self], [self._data], what="abs_")

    def neg_(self):
        return self._inplace_run(ops.NegBackward0, [self], [self._data], what="neg_")

    negative_ = neg_
    absolute_ = abs_

    def pow_(self, exponent):
        if isinstance(exponent, _t.Tensor):
            x = exponent._data.astype(self._data.dtype, copy=False)
            return self._inplace_run(
                ops.PowBackward1, [self, exponent], [self._data, x], what="pow_"
            )
        return self._inplace_run(ops.PowBackward0, [self], [self._data], what="pow_", p=exponent)

    def square_(self):
        return self.pow_(2)

    def _activation_(self, name: str):
        from .tensor_math import _ACTIVATION_NODES, get_activation

        node = _ACTIVATION_NODES.get(name)
        if node is None:
            node = _ACTIVATION_NODES[name] = ops.activation_node(get_activation(name))
        return self._inplace_run(node, [self], [self._data], what=name + "_")

    def relu_(self):
        return self._activation_("relu")

    def sigmoid_(self):
        return self._activation_("sigmoid")

    def tanh_(self):
        return self._activation_("tanh")

    def clip_(self, min=None, max=None):  # noqa: A002
        return self.clamp_(min, max)

    def clamp_min_(self, min):  # noqa: A002
        return self.clamp_(min=min)

    def clamp_max_(self, max):  # noqa: A002
        return self.clamp_(max=max)


def _decimals(decimals) -> int:
    if isinstance(decimals, bool) or not isinstance(decimals, int | np.integer):
        raise ConfigError(
            f"round: 'decimals' must be a whole number, got {decimals!r}; e.g. round(decimals=2)."
        )
    return int(decimals)


_SPECIAL = {"round", "logit", "nan_to_num", "lerp", "lerp_tensor", "addcmul", "addcdiv",
            "div_rounding", "clamp_tensor", "clamp_min_tensor", "clamp_max_tensor"}  # fmt: skip
for _name, _row in _ROWS.items():
    if _name in _SPECIAL:
        continue
    _make = _unary_method if _row.arity == 1 else _binary_method
    _m, _m_ = _make(_name)
    _m.__name__, _m_.__name__ = _name, _name + "_"
    _m.__doc__ = _m_.__doc__ = _row.doc
    setattr(TensorElementwise, _name, _m)
    setattr(TensorElementwise, _name + "_", _m_)

# PyTorch's aliases
for _alias, _name in {
    "arcsin": "asin", "arccos": "acos", "arctan": "atan", "arcsinh": "asinh",
    "arccosh": "acosh", "arctanh": "atanh", "fix": "trunc", "arctan2": "atan2",
}.items():  # fmt: skip
    setattr(TensorElementwise, _alias, getattr(TensorElementwise, _name))
    setattr(TensorElementwise, _alias + "_", getattr(TensorElementwise, _name + "_"))
