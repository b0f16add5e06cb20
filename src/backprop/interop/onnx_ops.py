"""ONNX graph pieces for ``to_onnx``: a small node builder and one emitter per activation.

Each emitter takes the builder, the name of its input f and the activation's options and
returns the name of a = g(f), built from ONNX operators so that ONNX Runtime's CPU kernels
exist for the model's dtype. Where ONNX has a native operator with the same formula and ONNX
Runtime has a kernel for the dtype, it is used (``Relu``, ``Sigmoid``, ``Tanh``; ``Elu`` and
``LeakyRelu`` in float32); everything else is composed from primitives:

- step: ``Where(f > 0, 1, −1)`` (the lecture's sgn, −1 at 0, unlike ONNX ``Sign``);
- SiLU: ``f · Sigmoid(f)``; softplus: ``(max(βf, 0) + log1p(e^−|βf|)) / β``, and f where
  βf > threshold; ELU and LeakyReLU in float64 with ``Where`` (ONNX Runtime has no double
  kernels for them);
- GELU: ``½ f (1 + erf(f/√2))`` with ONNX ``Erf`` in float32; ONNX Runtime has no double
  ``Erf``, so in float64 Φ(f) comes from erfc(z) = t·e^(−z²)·R(t), t = 2/(2 + z), with R a
  Chebyshev series fitted here to ``math.erfc`` (error ≈ 1e-14 relative, far below the
  float32 ``Erf``'s);
- log1p(u) and expm1(u) use Kahan's exact-rounding tricks, since ONNX has neither.

This module knows nothing about models; ``onnx_export`` walks the model and calls it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache

import numpy as np

__all__ = ["EMITTERS", "GraphBuilder"]


class GraphBuilder:
    """Collects nodes and constant initializers of one ONNX graph in dtype ``np_dtype``."""

    def __init__(self, np_dtype) -> None:
        from onnx import helper, numpy_helper

        self._helper = helper
        self._numpy_helper = numpy_helper
        self.dtype = np.dtype(np_dtype)
        self.nodes: list = []
        self.initializers: list = []
        self._constants: dict = {}
        self._count = 0

    def name(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def op(self, op_type: str, *inputs: str, out: str | None = None, **attrs) -> str:
        """Add one node; returns its output's name (``out`` or a fresh one)."""
        output = out or self.name(op_type.lower())
        self.nodes.append(
            self._helper.make_node(
                op_type, list(inputs), [output], name=self.name(op_type), **attrs
            )
        )
        return output

    def tensor(self, name: str, array: np.ndarray) -> str:
        """A named initializer (a weight), in the graph's dtype."""
        value = np.ascontiguousarray(array, dtype=self.dtype)
        self.initializers.append(self._numpy_helper.from_array(value, name))
        return name

    def const(self, value: float) -> str:
        """A scalar constant in the graph's dtype (shared between uses)."""
        key = float(value)
        if key not in self._constants:
            self._constants[key] = self.tensor(f"const_{len(self._constants)}", np.array(key))
        return self._constants[key]

    @property
    def is_double(self) -> bool:
        return self.dtype == np.float64

    # small compositions used by several emitters
    def where(self, condition: str, a: str, b: str) -> str:
        return self.op("Where", condition, a, b)

    def log1p(self, u: str) -> str:
        """log(1 + u) to full relative precision: u where 1 + u rounds to 1, else
        log(1 + u)·u / ((1 + u) − 1) (Kahan)."""
        w = self.op("Add", self.const(1.0), u)
        lost = self.op("Sub", w, self.const(1.0))
        ratio = self.op("Div", self.op("Mul", self.op("Log", w), u), lost)
        return self.where(self.op("Equal", w, self.const(1.0)), u, ratio)

    def expm1(self, u: str) -> str:
        """e^u − 1 to full relative precision for u ≤ 0: u where e^u rounds to 1, −1 where
        e^u − 1 rounds to −1, else (e^u − 1)·u / log(e^u) (Kahan)."""
        w = self.op("Exp", u)
        one = self.const(1.0)
        wm1 = self.op("Sub", w, one)
        ratio = self.op("Div", self.op("Mul", wm1, u), self.op("Log", w))
        inner = self.where(self.op("Equal", wm1, self.const(-1.0)), wm1, ratio)
        return self.where(self.op("Equal", w, one), u, inner)


# -- erfc in float64 (no double Erf kernel in ONNX Runtime) -----------------------------
_Z_MAX = 10.0  # erfc(10) ≈ 2e-45: beyond it Φ is 0 or 1 to far below double precision
_T_LOW = 2.0 / (2.0 + _Z_MAX)
_DEGREE = 24


@cache
def _erfc_series() -> tuple[float, ...]:
    """Chebyshev coefficients of R(t) = erfc(z)·e^(z²)/t, z = 2/t − 2, on t ∈ [t_low, 1].

    R is analytic there and tends to 1/(2√π) as z → ∞, so a short series is exact to
    rounding (fitted by interpolation at Chebyshev points of the first kind).
    """
    from numpy.polynomial import chebyshev

    def r(s):
        t = _T_LOW + (np.asarray(s) + 1.0) * (1.0 - _T_LOW) / 2.0
        z = 2.0 / t - 2.0
        values = [math.erfc(v) * math.exp(v * v) for v in np.atleast_1d(z)]
        return np.array(values) / t

    return tuple(float(c) for c in chebyshev.chebinterpolate(r, _DEGREE))


def erfc_nonnegative(b: GraphBuilder, z: str) -> str:
    """erfc(z) for z ≥ 0 (ONNX graph), evaluated by Clenshaw's recurrence."""
    zc = b.op("Min", z, b.const(_Z_MAX))
    t = b.op("Div", b.const(2.0), b.op("Add", b.const(2.0), zc))
    # s in [-1, 1]: s = 2 (t − t_low) / (1 − t_low) − 1
    s = b.op(
        "Sub",
        b.op("Mul", b.op("Sub", t, b.const(_T_LOW)), b.const(2.0 / (1.0 - _T_LOW))),
        b.const(1.0),
    )
    two_s = b.op("Mul", s, b.const(2.0))
    coeffs = _erfc_series()
    # Clenshaw: b_k = c_k + 2s·b_{k+1} − b_{k+2}, from b_n = c_n down to b_1
    b1, b2 = b.const(coeffs[-1]), None
    for c in reversed(coeffs[1:-1]):
        term = b.op("Mul", two_s, b1)
        if b2 is not None:
            term = b.op("Sub", term, b2)
        b1, b2 = b.op("Add", term, b.const(c)), b1
    series = b.op("Add", b.op("Sub", b.op("Mul", s, b1), b2), b.const(coeffs[0]))
    gauss = b.op("Exp", b.op("Neg", b.op("Mul", z, z)))
    return b.op("Mul", b.op("Mul", t, gauss), series)


# -- the activations ------------------------------------------------------------------
def _identity(b: GraphBuilder, x: str, **_) -> str:
    return x


def _step(b: GraphBuilder, x: str, **_) -> str:
    return b.where(b.op("Greater", x, b.const(0.0)), b.const(1.0), b.const(-1.0))


def _native(op_type: str) -> Callable:
    def emit(b: GraphBuilder, x: str, **_) -> str:
        return b.op(op_type, x)

    return emit


def _leaky_relu(b: GraphBuilder, x: str, negative_slope: float = 0.01) -> str:
    if not b.is_double:
        return b.op("LeakyRelu", x, alpha=float(negative_slope))
    scaled = b.op("Mul", x, b.const(negative_slope))
    return b.where(b.op("Greater", x, b.const(0.0)), x, scaled)


def _elu(b: GraphBuilder, x: str, alpha: float = 1.0) -> str:
    if not b.is_double:
        return b.op("Elu", x, alpha=float(alpha))
    negative = b.op("Mul", b.const(alpha), b.expm1(b.op("Min", x, b.const(0.0))))
    return b.where(b.op("Greater", x, b.const(0.0)), x, negative)


def _softplus(b: GraphBuilder, x: str, beta: float = 1.0, threshold: float = 20.0) -> str:
    u = b.op("Mul", x, b.const(beta))
    tail = b.log1p(b.op("Exp", b.op("Neg", b.op("Abs", u))))
    soft = b.op("Div", b.op("Add", b.op("Relu", u), tail), b.const(beta))
    return b.where(b.op("Greater", u, b.const(threshold)), x, soft)


def _silu(b: GraphBuilder, x: str, **_) -> str:
    return b.op("Mul", x, b.op("Sigmoid", x))


def _gelu(b: GraphBuilder, x: str, approximate: str = "none") -> str:
    if approximate == "tanh":
        cube = b.op("Mul", b.op("Mul", x, x), x)
        inner = b.op("Add", x, b.op("Mul", cube, b.const(0.044715)))
        t = b.op("Tanh", b.op("Mul", inner, b.const(math.sqrt(2.0 / math.pi))))
        cdf = b.op("Mul", b.op("Add", t, b.const(1.0)), b.const(0.5))
        return b.op("Mul", x, cdf)
    if not b.is_double:
        erf = b.op("Erf", b.op("Mul", x, b.const(1.0 / math.sqrt(2.0))))
        cdf = b.op("Mul", b.op("Add", erf, b.const(1.0)), b.const(0.5))
        return b.op("Mul", x, cdf)
    # Φ(x) = ½ erfc(|x|/√2) for x < 0, 1 − ½ erfc(|x|/√2) otherwise
    half_tail = b.op(
        "Mul",
        erfc_nonnegative(b, b.op("Mul", b.op("Abs", x), b.const(1.0 / math.sqrt(2.0)))),
        b.const(0.5),
    )
    upper = b.op("Sub", b.const(1.0), half_tail)
    cdf = b.where(b.op("Less", x, b.const(0.0)), half_tail, upper)
    return b.op("Mul", x, cdf)


EMITTERS: dict[str, Callable] = {
    "identity": _identity,
    "step": _step,
    "sigmoid": _native("Sigmoid"),
    "tanh": _native("Tanh"),
    "relu": _native("Relu"),
    "leaky_relu": _leaky_relu,
    "elu": _elu,
    "gelu": _gelu,
    "softplus": _softplus,
    "silu": _silu,
}
"""Registry name → emitter ``(builder, input_name, **options) -> output_name``."""
