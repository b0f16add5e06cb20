"""Special functions on NumPy arrays, without SciPy: erf, erfc, erfinv, lgamma, digamma and
trigamma (floor 1).

The elementwise op table (``ops_unary.py``) needs these for ``torch.erf``, ``torch.lgamma``
and friends and for their derivatives (lgamma' = digamma, digamma' = trigamma). erf, erfc and
lgamma come from Python's ``math`` module, element by element (correctly rounded to about one
ulp); erfinv refines a closed-form first guess by Newton steps on erf; digamma and trigamma
shift the argument up by their recurrences, then sum the asymptotic series, and use the
reflection formulas below 1/2. Every function takes and returns float64 arrays; callers cast.
This module holds no graph code.
"""

from __future__ import annotations

import math

import numpy as np

_ERF: list = []


def erf(x: np.ndarray) -> np.ndarray:
    """The error function (SciPy's ufunc when SciPy happens to be installed, else ``math``)."""
    from .activations import _erf

    return _erf(x)


def _lgamma_one(v: float) -> float:
    try:
        return math.lgamma(v)
    except ValueError:  # the poles 0, -1, -2, ...
        return math.inf


_erfc = np.vectorize(math.erfc, otypes=[np.float64])
_lgamma = np.vectorize(_lgamma_one, otypes=[np.float64])


def erfc(x: np.ndarray) -> np.ndarray:
    """1 − erf(x), accurate in the tail (where 1 − erf would cancel to 0)."""
    x = np.asarray(x, dtype=np.float64)
    return _erfc(x) if x.size else x.copy()


def lgamma(x: np.ndarray) -> np.ndarray:
    """log |Γ(x)|; +inf at the poles 0, −1, −2, …, as PyTorch gives."""
    x = np.asarray(x, dtype=np.float64)
    if not x.size:
        return x.copy()
    out = _lgamma(np.where(np.isnan(x), 1.0, x))
    return np.where(np.isnan(x), np.nan, out)


def erfinv(y: np.ndarray) -> np.ndarray:
    """The inverse of erf on (−1, 1); ±inf at ±1, NaN outside."""
    y = np.asarray(y, dtype=np.float64)
    inside = np.abs(y) < 1
    t = np.where(inside, y, 0.0)
    # first guess: Giles' single-precision approximation (two polynomials in w = −log(1 − y²))
    w = -np.log((1.0 - t) * (1.0 + t))
    small = w < 5.0
    ws = w - 2.5
    p = 2.81022636e-08
    for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
              -0.00417768164, 0.246640727, 1.50140941):  # fmt: skip
        p = c + p * ws
    wl = np.sqrt(np.maximum(w, 5.0)) - 3.0
    q = -0.000200214257
    for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
              0.00943887047, 1.00167406, 2.83297682):  # fmt: skip
        q = c + q * wl
    x = np.where(small, p, q) * t
    # Newton on erf(x) = y: three steps take 1e-7 to float64's rounding
    scale = 2.0 / math.sqrt(math.pi)
    for _ in range(3):
        x = x - (erf(x) - t) / (scale * np.exp(-x * x))
    out = np.where(inside, x, np.nan)
    out = np.where(y == 1, np.inf, out)
    return np.where(y == -1, -np.inf, out)


# Bernoulli numbers B2k / (2k), for the asymptotic series of digamma
_DIGAMMA_SERIES = (1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132, -691 / 32760, 1 / 12)
# B2k, for trigamma's series  1/x + 1/(2x²) + Σ B2k / x^(2k+1)
_TRIGAMMA_SERIES = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6)


def _shift_up(x: np.ndarray, term) -> tuple[np.ndarray, np.ndarray]:
    """Move every x to at least 10 by x → x + 1, summing ``term(x)`` of each step taken."""
    acc = np.zeros_like(x)
    x = x.copy()
    low = x < 10.0
    while low.any():
        acc[low] += term(x[low])
        x[low] += 1.0
        low = x < 10.0
    return x, acc


def digamma(x: np.ndarray) -> np.ndarray:
    """ψ(x) = Γ'(x)/Γ(x): −inf at 0 (PyTorch's choice), NaN at the negative integers."""
    x = np.asarray(x, dtype=np.float64)
    finite = np.isfinite(x)
    reflect = finite & (x < 0.5)
    z = np.where(reflect, 1.0 - x, np.where(finite, x, 10.0))
    z, acc = _shift_up(z, lambda v: -1.0 / v)  # ψ(x) = ψ(x + 1) − 1/x
    inv2 = 1.0 / (z * z)
    series = 0.0
    for c in reversed(_DIGAMMA_SERIES):
        series = c + series * inv2
    psi = np.log(z) - 0.5 / z - inv2 * series + acc
    with np.errstate(divide="ignore", invalid="ignore"):
        psi = np.where(reflect, psi - math.pi / np.tan(math.pi * x), psi)  # ψ(1−x) − π cot πx
    psi = np.where(reflect & (x == np.floor(x)), np.nan, psi)
    psi = np.where(x == 0, -np.inf, psi)
    return np.where(finite, psi, np.where(x == np.inf, np.inf, np.nan))


def trigamma(x: np.ndarray) -> np.ndarray:
    """ψ₁(x) = ψ'(x), the derivative of digamma (the gradient of digamma needs it)."""
    x = np.asarray(x, dtype=np.float64)
    finite = np.isfinite(x)
    reflect = finite & (x < 0.5)
    z = np.where(reflect, 1.0 - x, np.where(finite, x, 10.0))
    z, acc = _shift_up(z, lambda v: 1.0 / (v * v))  # ψ₁(x) = ψ₁(x + 1) + 1/x²
    inv = 1.0 / z
    inv2 = inv * inv
    series = 0.0
    for c in reversed(_TRIGAMMA_SERIES):
        series = c + series * inv2
    psi1 = inv + 0.5 * inv2 + inv * inv2 * series + acc
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.sin(math.pi * x)
        psi1 = np.where(reflect, (math.pi * math.pi) / (s * s) - psi1, psi1)
    psi1 = np.where(reflect & (x == np.floor(x)), np.inf, psi1)
    return np.where(finite, psi1, np.where(x == np.inf, 0.0, np.nan))
