"""The eight-model loops of ``fused_many_kernel`` (floor 3): sums of eight networks at once.

Every array holds eight models side by side, model index fastest (``fused_many_kernel``'s
layout). Each function is the one-model kernel's (``fused_kernels``) sum for each model, in
its order — over the batch, the inputs, the units, from 0 upwards — with the eight models'
partial sums in one tuple, so the eight independent sums run as one vector operation
instead of eight chains of dependent additions. Compiled into ``many_loop``.
"""

from __future__ import annotations

import math

from numba import njit

from .fma import _put8, _row8, fma
from .fused_kernels import _softplus, _times_derivative

_FLAGS = {"contract", "nsz"}  # as fused_kernels (see there)
LANES = 8  # models a kernel call trains: the tuples below hold 8
K = LANES
MSE, HALF_MSE, BCE_WITH_LOGITS = 0, 1, 3  # fused_kernels' loss codes these loops know


# Eight models' values as one tuple (numba keeps it in registers): each loop below loads
# into tuples, computes and stores, so LLVM's SLP vectoriser makes each line one vector
# operation over the eight models (``many_loop`` is compiled with it: ``fused_many``).
# The loads and stores are fma.py's ``_row8`` and ``_put8``: offsets as unsigned integers, so
# numba indexes without a negative-index check and the eight loads are consecutive (a slice
# instead would count references to its array).


@njit(fastmath=_FLAGS, error_model="numpy")
def _fma8(s, x, xo, y, yo):
    """s + x·y lane by lane (one multiply-add each, ``fma``, as fused_kernels' loops)."""
    a = _row8(x, xo)
    b = _row8(y, yo)
    return (
        fma(a[0], b[0], s[0]), fma(a[1], b[1], s[1]), fma(a[2], b[2], s[2]),
        fma(a[3], b[3], s[3]), fma(a[4], b[4], s[4]), fma(a[5], b[5], s[5]),
        fma(a[6], b[6], s[6]), fma(a[7], b[7], s[7]),
    )  # fmt: skip


@njit(fastmath=_FLAGS, error_model="numpy")
def _add8(s, x, xo):
    a = _row8(x, xo)
    return (
        s[0] + a[0], s[1] + a[1], s[2] + a[2], s[3] + a[3],
        s[4] + a[4], s[5] + a[5], s[6] + a[6], s[7] + a[7],
    )  # fmt: skip


@njit(fastmath=_FLAGS, error_model="numpy")
def _zero8(x):
    z = x.dtype.type(0)
    return (z, z, z, z, z, z, z, z)


@njit(fastmath=_FLAGS, error_model="numpy")
def _mad8(s, w, y, yo):
    """s + w·y lane by lane (``fma``), ``w`` a tuple already loaded."""
    b = _row8(y, yo)
    return (
        fma(w[0], b[0], s[0]), fma(w[1], b[1], s[1]), fma(w[2], b[2], s[2]),
        fma(w[3], b[3], s[3]), fma(w[4], b[4], s[4]), fma(w[5], b[5], s[5]),
        fma(w[6], b[6], s[6]), fma(w[7], b[7], s[7]),
    )  # fmt: skip


# The loops over units go four at a time with the four written out (then one at a time for
# the rest): a loop over a run-time count of units around the eight-model tuples was not
# vectorised (8x slower), four written-out ones are.
@njit(fastmath=_FLAGS, error_model="numpy")
def _affine_lanes(m, n_in, n_out, a_in, w_off, b_off, theta, f, bias_last):
    """F = A W + b of the models: ``fused_kernels._affine``'s sum for each (bias first,
    then the inputs in order) or, ``bias_last``, BLAS's (the inputs from 0, then the bias:
    used where ``probe`` found BLAS summing so)."""
    for j in range(n_out):
        first = b_off >= 0 and not bias_last
        start = _row8(theta, (b_off + j) * K) if first else _zero8(theta)
        for n in range(m):
            _put8(f, (j * m + n) * K, start)
        wb = (w_off + j * n_in) * K
        i = 0
        while i + 4 <= n_in:
            w0, w1 = _row8(theta, wb + i * K), _row8(theta, wb + (i + 1) * K)
            w2, w3 = _row8(theta, wb + (i + 2) * K), _row8(theta, wb + (i + 3) * K)
            for n in range(m):
                fb = (j * m + n) * K
                s = _mad8(_row8(f, fb), w0, a_in, (i * m + n) * K)
                s = _mad8(s, w1, a_in, ((i + 1) * m + n) * K)
                s = _mad8(s, w2, a_in, ((i + 2) * m + n) * K)
                _put8(f, fb, _mad8(s, w3, a_in, ((i + 3) * m + n) * K))
            i += 4
        while i < n_in:
            w0 = _row8(theta, wb + i * K)
            for n in range(m):
                fb = (j * m + n) * K
                _put8(f, fb, _mad8(_row8(f, fb), w0, a_in, (i * m + n) * K))
            i += 1
        if b_off >= 0 and bias_last:
            bias = _row8(theta, (b_off + j) * K)
            for n in range(m):
                fb = (j * m + n) * K
                _put8(f, fb, _add8(bias, f, fb))


@njit(fastmath=_FLAGS, error_model="numpy")
def _grads_lanes(m, n_in, n_out, a_in, d, w_off, b_off, grad):
    """∂E/∂W, ∂E/∂b of the models: ``_weight_grads``' sums over the batch, from 0, in order
    (the batch is the outer loop: a sum's next term waits for no store of the last)."""
    grad[w_off * K : (w_off + n_out * n_in) * K] = 0
    if b_off >= 0:
        grad[b_off * K : (b_off + n_out) * K] = 0
    for n in range(m):
        for j in range(n_out):
            db = (j * m + n) * K
            dv = _row8(d, db)
            gb = (w_off + j * n_in) * K
            i = 0
            while i + 4 <= n_in:
                for q in range(4):
                    g = gb + (i + q) * K
                    _put8(grad, g, _mad8(_row8(grad, g), dv, a_in, ((i + q) * m + n) * K))
                i += 4
            while i < n_in:
                g = gb + i * K
                _put8(grad, g, _mad8(_row8(grad, g), dv, a_in, (i * m + n) * K))
                i += 1
            if b_off >= 0:
                bb = (b_off + j) * K
                _put8(grad, bb, _add8(_row8(grad, bb), d, db))


@njit(fastmath=_FLAGS, error_model="numpy")
def _back_lanes(m, n_in, n_out, d, w_off, theta, d_prev):
    """δW of the models: ``_back``'s sums over the units of layer l, from 0, in order."""
    d_prev[:] = 0
    for i in range(n_in):
        j = 0
        while j + 4 <= n_out:
            w0 = _row8(theta, (w_off + j * n_in + i) * K)
            w1 = _row8(theta, (w_off + (j + 1) * n_in + i) * K)
            w2 = _row8(theta, (w_off + (j + 2) * n_in + i) * K)
            w3 = _row8(theta, (w_off + (j + 3) * n_in + i) * K)
            for n in range(m):
                pb = (i * m + n) * K
                s = _mad8(_row8(d_prev, pb), w0, d, (j * m + n) * K)
                s = _mad8(s, w1, d, ((j + 1) * m + n) * K)
                s = _mad8(s, w2, d, ((j + 2) * m + n) * K)
                _put8(d_prev, pb, _mad8(s, w3, d, ((j + 3) * m + n) * K))
            j += 4
        while j < n_out:
            w0 = _row8(theta, (w_off + j * n_in + i) * K)
            for n in range(m):
                pb = (i * m + n) * K
                _put8(d_prev, pb, _mad8(_row8(d_prev, pb), w0, d, (j * m + n) * K))
            j += 1


@njit(fastmath=_FLAGS, error_model="numpy")
def _loss_lanes(code, reduce_sum, act, slope, f, a, y, m, c, d, totals):
    """E of each model's batch into ``totals`` and δ[L] into ``d`` (``fused_kernels._loss``
    with its sums per model, in its order)."""
    dt = f.dtype.type
    divisor = 1 if reduce_sum else m * c
    for k in range(K):
        totals[k] = 0.0
    for j in range(c):
        for n in range(m):
            ib = (j * m + n) * K
            yb = (n * c + j) * K
            if code == BCE_WITH_LOGITS:
                for k in range(K):
                    v = f[ib + k]
                    yv = y[yb + k]
                    totals[k] += float(yv * _softplus(-v) + (dt(1) - yv) * _softplus(v))
                    e = math.exp(-abs(v))
                    sig = dt(1) / (dt(1) + e) if v >= dt(0) else e / (dt(1) + e)
                    d[ib + k] = (sig - yv) / dt(divisor)
            elif code == MSE:
                for k in range(K):
                    diff = a[ib + k] - y[yb + k]
                    totals[k] += float(diff * diff)
                    d[ib + k] = (dt(2) * diff) / dt(divisor)
            else:
                for k in range(K):
                    diff = a[ib + k] - y[yb + k]
                    totals[k] += float(dt(0.5) * diff * diff)
                    d[ib + k] = diff / dt(divisor)
    if code != BCE_WITH_LOGITS:
        _times_derivative(act, slope, f[: m * c * K], a[: m * c * K], d[: m * c * K])
    for k in range(K):
        totals[k] = totals[k] / divisor
