"""Rows of the elementwise op table: the unary maths family (floor 1).

sin … atanh, exp2, expm1, log2/log10/log1p, rsqrt, reciprocal, sign/sgn, floor/ceil/round/
trunc, frac, erf/erfc/erfinv, logit, nan_to_num, deg2rad/rad2deg, lgamma, digamma: each row
is the op's forward on NumPy arrays and its derivative, in the notation ``g`` (the gradient
arriving at the output), ``x`` (the input) and ``y`` (the output). The template and the dtype
rules are in ``ops_elementwise.py``; ``exp``, ``log``, ``sqrt``, ``abs``, ``neg`` and the
activations keep their own nodes in ``ops.py``. Node names are PyTorch's (``Log1PBackward0``
with its capital P, ``RoundBackward1`` for ``round(decimals=)``).
"""

from __future__ import annotations

import math

import numpy as np

from . import special
from .ops_elementwise import Elementwise, build_nodes

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _x(fn):
    """A derivative that reads the input: ``fn(g, x, **options)``."""
    return lambda g, inputs, out, needs, **o: (fn(g, inputs[0], **o),)


def _y(fn):
    """A derivative that reads the output: ``fn(g, y)``."""
    return lambda g, inputs, out, needs, **o: (fn(g, out),)


def _cast(fn):
    """A float64 special function applied in the input's own float dtype."""
    return lambda x, **_: fn(x).astype(x.dtype, copy=False)


def _round(x, decimals=0):
    if decimals == 0 or x.dtype.kind != "f":
        return np.round(x)
    return np.round(x, decimals)


def _logit(x, eps=None):
    if eps is not None:
        x = np.clip(x, eps, 1.0 - eps)
    return np.log(x / (1.0 - x))


def _logit_grad(g, x, eps=None):
    d = g / (x * (1.0 - x))
    if eps is not None:
        d = np.where((x < eps) | (x > 1.0 - eps), 0.0, d)
    return d


def _nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    if x.dtype.kind != "f":
        return x.copy()
    info = np.finfo(x.dtype)
    hi = info.max if posinf is None else posinf
    lo = info.min if neginf is None else neginf
    return np.nan_to_num(x, nan=nan, posinf=hi, neginf=lo)


def _sgn(x):
    return np.sign(x)


U = Elementwise
UNARY = (
    U("sin", "SinBackward0", np.sin, _x(lambda g, x: g * np.cos(x)), doc="sin x"),
    U("cos", "CosBackward0", np.cos, _x(lambda g, x: -g * np.sin(x)), doc="cos x"),
    U("tan", "TanBackward0", np.tan, _y(lambda g, y: g * (1.0 + y * y)), ("output",), doc="tan x"),
    U("asin", "AsinBackward0", np.arcsin, _x(lambda g, x: g / np.sqrt(1.0 - x * x)),
      doc="arcsin x"),
    U("acos", "AcosBackward0", np.arccos, _x(lambda g, x: -g / np.sqrt(1.0 - x * x)),
      doc="arccos x"),
    U("atan", "AtanBackward0", np.arctan, _x(lambda g, x: g / (1.0 + x * x)), doc="arctan x"),
    U("sinh", "SinhBackward0", np.sinh, _x(lambda g, x: g * np.cosh(x)), doc="sinh x"),
    U("cosh", "CoshBackward0", np.cosh, _x(lambda g, x: g * np.sinh(x)), doc="cosh x"),
    U("asinh", "AsinhBackward0", np.arcsinh, _x(lambda g, x: g / np.sqrt(x * x + 1.0)),
      doc="arsinh x"),
    U("acosh", "AcoshBackward0", np.arccosh,
      _x(lambda g, x: g / np.sqrt((x - 1.0) * (x + 1.0))), doc="arcosh x"),
    U("atanh", "AtanhBackward0", np.arctanh, _x(lambda g, x: g / (1.0 - x * x)), doc="artanh x"),
    U("exp2", "Exp2Backward0", np.exp2, _y(lambda g, y: g * y * _LN2), ("output",), doc="2^x"),
    U("expm1", "Expm1Backward0", np.expm1, _y(lambda g, y: g * (y + 1.0)), ("output",),
      doc="e^x − 1, accurate near 0"),
    U("log2", "Log2Backward0", np.log2, _x(lambda g, x: g / (x * _LN2)), doc="log₂ x"),
    U("log10", "Log10Backward0", np.log10, _x(lambda g, x: g / (x * _LN10)), doc="log₁₀ x"),
    U("log1p", "Log1PBackward0", np.log1p, _x(lambda g, x: g / (1.0 + x)),
      doc="log(1 + x), accurate near 0"),
    U("rsqrt", "RsqrtBackward0", lambda x: 1.0 / np.sqrt(x),
      _y(lambda g, y: -0.5 * g * y * y * y), ("output",), doc="1/√x"),
    U("reciprocal", "ReciprocalBackward0", lambda x: 1.0 / x, _y(lambda g, y: -g * y * y),
      ("output",), doc="1/x"),
    U("sign", "SignBackward0", np.sign, None, (), "same", doc="−1, 0 or +1"),
    U("sgn", "SgnBackward0", _sgn, None, (), "same", doc="x/|x| (sign for real numbers)"),
    U("floor", "FloorBackward0", np.floor, None, (), "same", doc="largest integer ≤ x"),
    U("ceil", "CeilBackward0", np.ceil, None, (), "same", doc="smallest integer ≥ x"),
    U("round", "RoundBackward0", _round, None, (), "same",
      doc="nearest integer, halves to even"),
    U("trunc", "TruncBackward0", np.trunc, None, (), "same", doc="integer part, towards 0"),
    U("frac", "FracBackward0", lambda x: x - np.trunc(x), lambda g, *_: (g,), (), "same",
      doc="x − trunc(x)", int_ok=False),
    U("erf", "ErfBackward0", _cast(special.erf),
      _x(lambda g, x: g * _TWO_OVER_SQRT_PI * np.exp(-x * x)), doc="the error function"),
    U("erfc", "ErfcBackward0", _cast(special.erfc),
      _x(lambda g, x: -g * _TWO_OVER_SQRT_PI * np.exp(-x * x)), doc="1 − erf x"),
    U("erfinv", "ErfinvBackward0", _cast(special.erfinv),
      _y(lambda g, y: g * (0.5 * math.sqrt(math.pi)) * np.exp(y * y)), ("output",),
      doc="the inverse of erf"),
    U("logit", "LogitBackward0", _logit, _x(_logit_grad), doc="log(x/(1 − x))",
      defaults={"eps": None}),
    U("nan_to_num", "NanToNumBackward0", _nan_to_num,
      _x(lambda g, x, **_: np.where(np.isfinite(x), g, 0.0)), dtype_rule="same",
      doc="NaN and ±inf replaced by finite numbers",
      defaults={"nan": 0.0, "posinf": None, "neginf": None}),
    U("deg2rad", "Deg2RadBackward0", lambda x: x * (math.pi / 180.0),
      lambda g, *_: (g * (math.pi / 180.0),), (), doc="degrees to radians"),
    U("rad2deg", "Rad2DegBackward0", lambda x: x * (180.0 / math.pi),
      lambda g, *_: (g * (180.0 / math.pi),), (), doc="radians to degrees"),
    U("lgamma", "LgammaBackward0", _cast(special.lgamma),
      _x(lambda g, x: g * special.digamma(x)), doc="log |Γ(x)|"),
    U("digamma", "DigammaBackward0", _cast(special.digamma),
      _x(lambda g, x: g * special.trigamma(x)), doc="ψ(x) = d/dx log Γ(x)"),
)  # fmt: skip

UNARY_BY_NAME = {row.name: row for row in UNARY}
NODES = build_nodes(UNARY, globals())
# round(decimals=) is a node of its own in PyTorch
RoundBackward1 = NODES["round/decimals"] = type(
    "RoundBackward1", (NODES["round"],), {"__slots__": ()}
)
