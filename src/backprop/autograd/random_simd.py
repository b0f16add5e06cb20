"""PyTorch's float32 Box-Muller for 16 numbers at a time, operation by operation in NumPy.

For float32 tensors of 16 or more elements PyTorch (2.13, x86 CPU) fills ``normal_`` with
an AVX2 kernel whose logarithm, sine and cosine are the Cephes polynomials of
``avx_mathfun.h`` (Pommier's SSE/AVX math functions), not the C library's. Every step of
those functions is an ordinary float32 multiply, add, compare or bit operation, so the same
steps in NumPy float32 give the same bits, once one knows that the compiler fused each
multiply feeding an add into one fused multiply-add (checked against PyTorch's output: with
plain multiply-then-add about 1 in 100 samples is 1-2 ulp off; with the fusions, none of
32768). This module writes them out: ``log_ps`` and
``sincos_ps`` follow the published Cephes single-precision algorithms (range reduction by
pi/4 in three parts, two minimax polynomials), and ``box_muller16`` combines them as the
kernel does. ``fma32`` is a fused multiply-add rounded once, as ``_mm256_fmadd_ps`` rounds.
"""

from __future__ import annotations

import numpy as np

f32 = np.float32
_LOG_P = [f32(c) for c in (
    7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1,
    -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1,
)]  # fmt: skip
_LOG_Q1, _LOG_Q2 = f32(-2.12194440e-4), f32(0.693359375)
_SQRTHF = f32(0.707106781186547524)
_DP = (f32(-0.78515625), f32(-2.4187564849853515625e-4), f32(-3.77489497744594108e-8))
_SIN_P = (f32(-1.9515295891e-4), f32(8.3321608736e-3), f32(-1.6666654611e-1))
_COS_P = (f32(2.443315711809948e-005), f32(-1.388731625493765e-003), f32(4.166664568298827e-002))
_FOPI = f32(1.27323954473516)  # 4 / pi
_ONE, _HALF = f32(1.0), f32(0.5)
_TWO_PI = f32(2.0 * np.pi)
_MIN_NORM = np.uint32(0x00800000)


def log_ps(x: np.ndarray) -> np.ndarray:
    """Natural logarithm of positive float32s, as ``log256_ps`` computes it."""
    bits = np.maximum(x, _MIN_NORM.view(f32)).view(np.uint32)
    e = ((bits >> np.uint32(23)).astype(np.int32) - 0x7F).astype(f32) + _ONE
    m = ((bits & np.uint32(~0x7F800000 & 0xFFFFFFFF)) | np.uint32(0x3F000000)).view(f32)
    small = m < _SQRTHF  # then e -= 1 and m = m + m - 1, else m = m - 1
    x = (m - _ONE) + np.where(small, m, f32(0))
    e = e - np.where(small, _ONE, f32(0))
    z = x * x
    y = np.full_like(x, _LOG_P[0])
    for c in _LOG_P[1:]:
        y = fma32(y, x, c)
    y = fma32(y * x, z, e * _LOG_Q1)
    y = fma32(-z, _HALF, y)
    x = fma32(e, _LOG_Q2, x + y)
    return x  # the kernel's inputs 1 - u lie in (0, 1]: no NaN mask needed


def sincos_ps(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sin x, cos x) of float32s, as ``sincos256_ps`` computes them."""
    sign_sin = x.view(np.uint32) & np.uint32(0x80000000)
    x = np.abs(x)
    j = (x * _FOPI).astype(np.int32)  # truncation, as cvttps
    j = (j + 1) & ~1
    y = j.astype(f32)
    swap_sin = ((j & 4) << 29).astype(np.uint32)
    use_sin_poly = (j & 2) == 0
    for part in _DP:
        x = fma32(y, part, x)
    sign_cos = ((~(j - 2) & 4) << 29).astype(np.uint32)
    sign_sin = sign_sin ^ swap_sin
    z = x * x
    c = fma32(fma32(z, _COS_P[0], _COS_P[1]), z, _COS_P[2])
    c = fma32(c * z, z, -(z * _HALF)) + _ONE
    s = fma32(fma32(z, _SIN_P[0], _SIN_P[1]), z, _SIN_P[2])
    s = fma32(s * z, x, x)
    zero = f32(0)
    sin_part = np.where(use_sin_poly, s, zero) + np.where(use_sin_poly, zero, c)
    cos_part = np.where(use_sin_poly, c, zero) + np.where(use_sin_poly, zero, s)
    sin_out = (sin_part.view(np.uint32) ^ sign_sin).view(f32)
    cos_out = (cos_part.view(np.uint32) ^ sign_cos).view(f32)
    return sin_out, cos_out


def fma32(a: np.ndarray, b, c) -> np.ndarray:
    """``a * b + c`` in float32, rounded once, as ``_mm256_fmadd_ps`` rounds.

    The product of two float32s is exact in float64, and rounding the float64 sum ``s`` to
    float32 is right unless ``s`` sits exactly half-way between two float32s (its low 29
    mantissa bits are 1 followed by zeros) while the exact sum is not: then the remainder
    the float64 addition lost (TwoSum, exact) says on which side the exact value lies.
    Those rare elements alone are recomputed.
    """
    s = a.astype(np.float64)
    s *= b
    s += c
    out = s.astype(f32)
    half_way = (s.view(np.uint64) & np.uint64(0x1FFFFFFF)) == np.uint64(0x10000000)
    if half_way.any():
        at = np.flatnonzero(half_way)
        ps = a.reshape(-1)[at].astype(np.float64) * _pick(b, at)
        ss, cs = s.reshape(-1)[at], _pick(c, at)
        t = ss - cs
        lost = (ps - t) + (cs - (ss - t))
        near = out.ravel()[at]
        wrong_side = (lost != 0) & ((near.astype(np.float64) > ss) != (lost > 0))
        toward = np.where(lost > 0, f32(np.inf), f32(-np.inf))
        flat = out.reshape(-1)
        flat[at] = np.where(wrong_side, np.nextafter(near, toward), near)
    return out


def _pick(value, at: np.ndarray):
    """``value`` (a number or an array shaped like the result) at flat positions ``at``."""
    if np.ndim(value) == 0:
        return np.float64(value)
    return np.asarray(value, dtype=np.float64).reshape(-1)[at]


def box_muller16(u: np.ndarray, mean: float, std: float) -> np.ndarray:
    """Rows of 16 float32 uniforms on [0, 1) -> rows of 16 normals, as the AVX2 kernel."""
    u1 = _ONE - u[:, :8]
    u2 = u[:, 8:]
    radius = np.sqrt(f32(-2.0) * log_ps(u1))
    sin, cos = sincos_ps(_TWO_PI * u2)
    out = np.empty_like(u)
    n1, n2 = radius * cos, radius * sin
    if mean == 0.0:  # fma(n, std, 0) is the rounded product
        out[:, :8], out[:, 8:] = n1 * f32(std), n2 * f32(std)
    else:
        out[:, :8], out[:, 8:] = fma32(n1, f32(std), f32(mean)), fma32(n2, f32(std), f32(mean))
    return out
