"""Rows of the elementwise op table: binary and ternary maths with broadcasting (floor 1).

atan2, hypot, fmod, remainder, copysign, logaddexp, fmax/fmin, xlogy, lerp, addcmul, addcdiv,
clamp with tensor bounds and division with a rounding mode. Each row gives the forward on
NumPy arrays (already cast to the result dtype) and the gradient of each input, in the
notation ``g`` (the gradient at the output), ``a``, ``b``, ``c`` (the inputs) and ``y`` (the
output); ``unbroadcast`` in the template (``ops_elementwise.py``) sums the gradients back to
each input's shape. The ops that already had nodes (add, sub, mul, div, pow, maximum,
minimum) stay in ``ops.py``.
"""

from __future__ import annotations

import numpy as np

from .ops_elementwise import Elementwise, build_nodes


def _atan2_grads(g, inputs, out, needs):
    a, b = inputs
    r2 = a * a + b * b
    return (g * b / r2 if needs[0] else None, -g * a / r2 if needs[1] else None)


def _hypot_grads(g, inputs, y, needs):
    a, b = inputs
    return (g * a / y if needs[0] else None, g * b / y if needs[1] else None)


def _fmod_grads(g, inputs, out, needs):
    a, b = inputs
    return (g, -g * np.trunc(a / b) if needs[1] else None)


def _remainder_grads(g, inputs, out, needs):
    a, b = inputs
    return (g, -g * np.floor(a / b) if needs[1] else None)


def _copysign_grads(g, inputs, y, needs):
    a = inputs[0]
    ratio = np.where(a == 0, 0.0, y / np.where(a == 0, 1.0, a))
    return (g * ratio, np.zeros_like(g) if needs[1] else None)


def _logaddexp_grads(g, inputs, out, needs):
    a, b = inputs
    return (
        g / (1.0 + np.exp(b - a)) if needs[0] else None,
        g / (1.0 + np.exp(a - b)) if needs[1] else None,
    )


def _fmax_grads(g, inputs, out, needs, pick=np.greater_equal):
    a, b = inputs
    first = pick(a, b) | np.isnan(b)
    return (np.where(first, g, 0.0), np.where(first, 0.0, g))


def _xlogy(a, b):
    return np.where((a == 0) & ~np.isnan(b), 0.0, a * np.log(b)).astype(np.result_type(a, b))


def _xlogy_grads(g, inputs, out, needs):
    a, b = inputs
    ga = np.where((a == 0) & (b <= 0), 0.0, g * np.log(b)) if needs[0] else None
    return (ga, g * a / b if needs[1] else None)


def _lerp(a, b, weight=0.5):
    return a + weight * (b - a)


def _lerp_grads(g, inputs, out, needs, weight=0.5):
    return (g * (1.0 - weight), g * weight)


def _lerp3_grads(g, inputs, out, needs):
    a, b, w = inputs
    return (g * (1.0 - w), g * w, g * (b - a) if needs[2] else None)


def _addcmul_grads(g, inputs, out, needs, value=1):
    _, b, c = inputs
    return (g, g * value * c if needs[1] else None, g * value * b if needs[2] else None)


def _addcdiv_grads(g, inputs, out, needs, value=1):
    _, b, c = inputs
    return (
        g,
        g * value / c if needs[1] else None,
        -g * value * b / (c * c) if needs[2] else None,
    )


def _int_divisor(name: str, a, b) -> None:
    """Integer division by zero has no answer: torch raises, NumPy quietly gives 0."""
    if np.asarray(a).dtype.kind in "iub" and np.asarray(b).dtype.kind in "iub" and not np.all(b):
        from ..errors import IntegerDivisionError

        raise IntegerDivisionError(
            f"{name}: integer division by zero (the divisor holds a 0); integers have no "
            "infinity to give — divide floats (x.float()) or mask the zeros first."
        )


def _checked(name: str, ufunc):
    def forward(a, b, **options):
        _int_divisor(name, a, b)
        return ufunc(a, b, **options)

    forward.__name__ = ufunc.__name__
    return forward


def _div_rounding(a, b, rounding_mode="trunc"):
    _int_divisor("div", a, b)
    if a.dtype.kind in "iu":
        if rounding_mode == "floor":
            return np.floor_divide(a, b)
        q = np.abs(a) // np.abs(b)
        return np.where((a < 0) != (b < 0), -q, q)
    q = a / b
    return np.floor(q) if rounding_mode == "floor" else np.trunc(q)


def _clamp(a, lo, hi):
    return np.minimum(np.maximum(a, lo), hi)


def _clamp_grads(g, inputs, out, needs):
    a, lo, hi = inputs
    return (
        g * ((a >= lo) & (a <= hi)),
        g * ((a < lo) & (lo <= hi)) if needs[1] else None,
        g * (np.maximum(a, lo) > hi) if needs[2] else None,
    )


def _clamp_min_grads(g, inputs, out, needs):
    a, lo = inputs
    return (g * (a >= lo), g * (a < lo) if needs[1] else None)


def _clamp_max_grads(g, inputs, out, needs):
    a, hi = inputs
    return (g * (a <= hi), g * (a > hi) if needs[1] else None)


def _fmin_grads(g, inputs, out, needs):
    return _fmax_grads(g, inputs, out, needs, np.less_equal)


E = Elementwise
BINARY = (
    E("atan2", "Atan2Backward0", np.arctan2, _atan2_grads, arity=2, doc="angle of (b, a)"),
    E("hypot", "HypotBackward0", np.hypot, _hypot_grads, ("input", "output"), arity=2,
      doc="√(a² + b²)"),
    E("fmod", "FmodBackward1", _checked("fmod", np.fmod), _fmod_grads, dtype_rule="same",
      arity=2, scalar_node="FmodBackward0", doc="remainder of a/b, sign of a (C's fmod)"),
    E("remainder", "RemainderBackward1", _checked("remainder", np.remainder), _remainder_grads,
      dtype_rule="same", arity=2, scalar_node="RemainderBackward0",
      doc="remainder of a/b, sign of b (Python's %)"),
    E("copysign", "CopysignBackward0", np.copysign, _copysign_grads, ("input", "output"),
      arity=2, scalar_node="CopysignBackward1", doc="|a| with the sign of b"),
    E("logaddexp", "LogaddexpBackward0", np.logaddexp, _logaddexp_grads, arity=2,
      doc="log(e^a + e^b), computed stably"),
    E("fmax", "FmaxBackward0", np.fmax, _fmax_grads, dtype_rule="same", arity=2,
      doc="maximum that ignores NaN"),
    E("fmin", "FminBackward0", np.fmin, _fmin_grads, dtype_rule="same", arity=2,
      doc="minimum that ignores NaN"),
    E("xlogy", "XlogyBackward0", _xlogy, _xlogy_grads, arity=2, scalar_node="XlogyBackward2",
      doc="a·log b, 0 where a = 0"),
    E("lerp", "LerpBackward0", _lerp, _lerp_grads, (), "same", arity=2,
      doc="a + weight·(b − a), weight a number"),
    E("lerp_tensor", "LerpBackward1", lambda a, b, w: a + w * (b - a), _lerp3_grads,
      dtype_rule="same", arity=3, doc="a + weight·(b − a), weight a tensor"),
    E("addcmul", "AddcmulBackward0", lambda a, b, c, value=1: a + value * (b * c),
      _addcmul_grads, dtype_rule="same", arity=3, doc="input + value·t1·t2"),
    E("addcdiv", "AddcdivBackward0", lambda a, b, c, value=1: a + value * (b / c),
      _addcdiv_grads, dtype_rule="same", arity=3, doc="input + value·t1/t2"),
    E("clamp_tensor", "ClampBackward0", _clamp, _clamp_grads, dtype_rule="same", arity=3,
      doc="min(max(x, lo), hi) with tensor bounds; ties pass the gradient to x"),
    E("clamp_min_tensor", "ClampMinBackward1", np.maximum, _clamp_min_grads, dtype_rule="same",
      arity=2, doc="max(x, lo) with a tensor bound; ties pass the gradient to x"),
    E("clamp_max_tensor", "ClampMaxBackward1", np.minimum, _clamp_max_grads, dtype_rule="same",
      arity=2, doc="min(x, hi) with a tensor bound; ties pass the gradient to x"),
    E("div_rounding", "DivBackward2", _div_rounding, None, (), "same", arity=2,
      doc="a/b rounded towards 0 ('trunc') or down ('floor')"),
)  # fmt: skip

BINARY_BY_NAME = {row.name: row for row in BINARY}
NODES = build_nodes(BINARY, globals())
