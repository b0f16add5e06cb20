"""One fused multiply-add as numba code (floor 3), and the small weight gradients summed with it.

``fma(a, b, c)`` = a·b + c rounded once (LLVM's ``llvm.fma``, float32 and float64). The
kernels' small weight gradients (``_grads_small`` below) sum with it in an order they fix
themselves — one chain of multiply-adds over the batch per weight — so the many-model kernel
(``fused_many_lanes``, whose ``s + x·y`` LLVM contracts to the same instruction) can take the
same sums model by model in lanes, bit for bit. Importing this module imports numba.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit
from numba.extending import intrinsic

__all__ = ["SMALL_GRAD", "fma"]

_FLAGS = {"contract", "nsz"}  # as fused_kernels (see there)


@intrinsic
def fma(typingctx, a, b, c):
    """a·b + c with one rounding (all three of one float type)."""
    sig = a(a, b, c)

    def codegen(context, builder, signature, args):
        ty = args[0].type
        f = builder.module.declare_intrinsic("llvm.fma", [ty], ir.FunctionType(ty, [ty, ty, ty]))
        return builder.call(f, args)

    return sig, codegen


# A BLAS layer this narrow (n_in and n_out) sums its weight gradient in ``_grads_small``'s
# order instead of BLAS's: an order the many-model kernel can take in lanes (OpenBLAS's for
# δ·Aᵀ matched no simple order), for ~0.25 µs a step more on the lecture's 8×8 layer.
SMALL_GRAD = 16

# Offsets as unsigned integers (as fused_many_lanes): no negative-index check, so the eight
# loads of a tuple are consecutive and LLVM's SLP vectoriser makes them one.
_U = tuple(np.uint64(i) for i in range(8))


@njit(fastmath=_FLAGS, error_model="numpy")
def _fma8(v, a, s):
    """s + v·a, eight multiply-adds (``fma``) with one v."""
    return (
        fma(v, a[0], s[0]), fma(v, a[1], s[1]), fma(v, a[2], s[2]), fma(v, a[3], s[3]),
        fma(v, a[4], s[4]), fma(v, a[5], s[5]), fma(v, a[6], s[6]), fma(v, a[7], s[7]),
    )  # fmt: skip


@njit(fastmath=_FLAGS, error_model="numpy")
def _row8(x, o):
    """x[o … o+7] as one tuple."""
    u = np.uint64(o)
    return (x[u], x[u + _U[1]], x[u + _U[2]], x[u + _U[3]],
            x[u + _U[4]], x[u + _U[5]], x[u + _U[6]], x[u + _U[7]])  # fmt: skip


@njit(fastmath=_FLAGS, error_model="numpy")
def _put8(x, o, s):
    """x[o … o+7] = s."""
    u = np.uint64(o)
    x[u], x[u + _U[1]], x[u + _U[2]], x[u + _U[3]] = s[0], s[1], s[2], s[3]
    x[u + _U[4]], x[u + _U[5]], x[u + _U[6]], x[u + _U[7]] = s[4], s[5], s[6], s[7]


@njit(fastmath=_FLAGS, error_model="numpy")
def _grads_small(m, n_in, n_out, a_in, rows, d, gw):
    """gw[j, k] = Σ_n δ[j, n] a[k, n] as ONE chain of multiply-adds over n = 0, 1, …, m−1
    from 0 (``fma``), for each weight: the order ``fused_many_lanes._grads_lanes`` takes
    per model. ``a_in`` one row per unit (``rows`` False: copied to one row per sample
    first, so eight inputs are one load) or per sample. Eight inputs k and four units j at
    a time (32 independent chains, vectors under the SLP switch: ``fused_setup.vectorising``);
    the rest one weight at a time, in the same order. 8×100·100×8 float32: 0.50 µs against
    BLAS's 0.26 (the copy is half of it), and it takes BLAS's two other products' order off
    the many-model kernel's back."""
    if rows:
        _grads_rows(m, n_in, n_out, a_in, d, gw)
        return
    at = np.empty(m * n_in, a_in.dtype)
    for n in range(m):
        for k in range(n_in):
            at[n * n_in + k] = a_in[k * m + n]
    _grads_rows(m, n_in, n_out, at, d, gw)


@njit(fastmath=_FLAGS, error_model="numpy")
def _grads_rows(m, n_in, n_out, at, d, gw):
    """``_grads_small`` for an input one row per sample."""
    z = gw.dtype.type(0)
    zz = (z, z, z, z, z, z, z, z)
    k = 0
    while k + 8 <= n_in:
        j = 0
        while j + 4 <= n_out:
            s0 = s1 = s2 = s3 = zz
            for n in range(m):
                av = _row8(at, n * n_in + k)
                s0 = _fma8(d[j * m + n], av, s0)
                s1 = _fma8(d[(j + 1) * m + n], av, s1)
                s2 = _fma8(d[(j + 2) * m + n], av, s2)
                s3 = _fma8(d[(j + 3) * m + n], av, s3)
            _put8(gw, j * n_in + k, s0)
            _put8(gw, (j + 1) * n_in + k, s1)
            _put8(gw, (j + 2) * n_in + k, s2)
            _put8(gw, (j + 3) * n_in + k, s3)
            j += 4
        while j < n_out:
            s0 = zz
            for n in range(m):
                s0 = _fma8(d[j * m + n], _row8(at, n * n_in + k), s0)
            _put8(gw, j * n_in + k, s0)
            j += 1
        k += 8
    for kk in range(k, n_in):
        for j in range(n_out):
            s = z
            for n in range(m):
                s = fma(d[j * m + n], at[n * n_in + kk], s)
            gw[j * n_in + kk] = s
