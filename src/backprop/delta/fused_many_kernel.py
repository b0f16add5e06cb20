"""The compiled half of ``fused_many``: one numba loop that trains K networks of one shape.

``many_loop`` takes the steps of ``fused_kernels.train_loop`` (full batch) for K = ``LANES``
models at once. Every array holds the K models side by side, model index fastest:
parameter p of model k is ``theta[p·K + k]``, and each workspace entry of the one-model
kernel's layout (``fused_kernels``, feature-major) is followed by its K copies. Each
model's sums run in the one-model kernel's order, the K independent sums side by side
(``fused_many_lanes``): the same numbers per model, without the wait of one chain of
dependent additions. The elementwise steps (activation, its derivative, the optimizer's
update) are the one-model kernel's own functions run over all K·P entries, so their numbers
are its numbers by construction.

A layer the one-model kernel hands to BLAS (``fused_kernels``' ``BLAS`` column) runs its
forward and backward products in lanes where ``probe`` finds BLAS summing as the lanes do
on this machine (else model by model through BLAS). Its weight gradient: a narrow layer's
(``fma.SMALL_GRAD``) is the one-model kernel's own fixed-order loop (``fma._grads_small``),
which the lanes repeat; a wider one keeps BLAS, model by model on contiguous copies with the
same ``np.dot`` call (OpenBLAS splits that long sum its own way).

Each model has its own NaN guard: a model whose loss or gradient is not finite stops at
that step exactly as ``train_loop`` does (its state as it was, recorded in ``out``), and the
others go on. Importing this module imports numba.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .fused_kernels import (
    _activate,
    _affine,
    _affine_rows,
    _back,
    _times_derivative,
    _weight_grads,
    _weight_grads_rows,
)
from .fused_many_lanes import (  # noqa: F401 - LANES is part of the kernel's interface
    LANES,
    K,
    _affine_lanes,
    _back_lanes,
    _grads_lanes,
    _loss_lanes,
)
from .fused_update import _update

# numba keys this file's disk cache on this file alone, so it names the digests of the files
# whose functions it compiles in; a test holds them current (see fused_kernels).
FUSED_KERNELS_SHA256 = "ce48dc3eaeaabdcc"
FUSED_UPDATE_SHA256 = "d82256643a2b0ba3"
FUSED_MANY_LANES_SHA256 = "c991ee051f406543"
FMA_SHA256 = "efc15d29768e9e9a"

_FLAGS = {"contract", "nsz"}  # as fused_kernels (see there)

W_OFF, B_OFF, N_IN, N_OUT, ACT, BLAS = 0, 1, 2, 3, 4, 5
# The record of each model when it stopped (or at the end): rows of ``out[k]``.
THETA, GRAD, S1, S2, PREVIOUS, BEST_THETA = range(6)
# How a layer's products run (``modes``): all in lanes; a BLAS layer whose weight gradient
# goes to BLAS model by model; everything model by model through BLAS; a BLAS layer narrow
# enough for ``fma._grads_small`` (its gradient in that order) all in lanes, BLAS's F order.
LANES_ONLY, BLAS_GRADS, BLAS_ALL, SMALL_LANES = 0, 1, 2, 3


@njit(fastmath=_FLAGS, error_model="numpy")
def _gather(src, lo, count, K, k, dst):
    for t in range(count):
        dst[t] = src[(lo + t) * K + k]


@njit(fastmath=_FLAGS, error_model="numpy")
def _scatter(src, count, dst, lo, K, k):
    for t in range(count):
        dst[(lo + t) * K + k] = src[t]


@njit(fastmath=_FLAGS, error_model="numpy")
def _blas_forward(m, li, meta, offsets, x_rows, a_ws, f_ws, theta, sa, sw, sb, sf):
    """Layer ``li``'s F for each model through the one-model kernel's BLAS call."""
    n_in, n_out = meta[li, N_IN], meta[li, N_OUT]
    w_off, b_off = meta[li, W_OFF], meta[li, B_OFF]
    by_rows = li == 0
    for k in range(K):
        _gather(theta, w_off, n_out * n_in, K, k, sw)
        if b_off >= 0:
            _gather(theta, b_off, n_out, K, k, sb)
        bias = 0 if b_off >= 0 else -1
        if by_rows:
            _affine_rows(m, n_in, n_out, x_rows[k], sw[: n_out * n_in], bias, sb, sf[: n_out * m])
        else:
            _gather(a_ws, offsets[li], n_in * m, K, k, sa)
            _affine(
                1, m, n_in, n_out, sa[: n_in * m], sw[: n_out * n_in], bias, sb, sf[: n_out * m]
            )
        _scatter(sf, n_out * m, f_ws, offsets[li + 1], K, k)


@njit(fastmath=_FLAGS, error_model="numpy")
def _blas_backward(m, li, meta, offsets, x_rows, a_ws, d_ws, theta, grad, back, sa, sw, sb, sf,
                   sp):  # fmt: skip
    """Layer ``li``'s gradients (and, ``back``, δ for the layer below) model by model
    through BLAS."""
    n_in, n_out = meta[li, N_IN], meta[li, N_OUT]
    w_off, b_off = meta[li, W_OFF], meta[li, B_OFF]
    bias = 0 if b_off >= 0 else -1
    gw = sw[n_out * n_in : 2 * n_out * n_in]
    for k in range(K):
        _gather(d_ws, offsets[li + 1], n_out * m, K, k, sf)
        d = sf[: n_out * m]
        if li == 0:
            _weight_grads_rows(m, n_in, n_out, x_rows[k], d, gw, sb, bias)
        else:
            _gather(a_ws, offsets[li], n_in * m, K, k, sa)
            _weight_grads(1, m, n_in, n_out, sa[: n_in * m], d, gw, sb, bias)
        _scatter(gw, n_out * n_in, grad, w_off, K, k)
        if b_off >= 0:
            _scatter(sb, n_out, grad, b_off, K, k)
        if back and li > 0:
            _gather(theta, w_off, n_out * n_in, K, k, sw)
            _back(1, m, n_in, n_out, d, sw[: n_out * n_in], sp[: n_in * m])
            _scatter(sp, n_in * m, d_ws, offsets[li], K, k)


@njit(fastmath=_FLAGS, error_model="numpy")
def _record(k, K, theta, grad, s1, s2, previous, out):
    """Model k's state into ``out[k]`` (its best weights are kept there all along)."""
    for p in range(out.shape[2]):
        i = p * K + k
        out[k, THETA, p] = theta[i]
        out[k, GRAD, p] = grad[i]
        out[k, S1, p] = s1[i]
        out[k, S2, p] = s2[i]
        out[k, PREVIOUS, p] = previous[i]


@njit(fastmath=_FLAGS, error_model="numpy")
def _quiet(k, K, theta, grad, s1, s2):
    """A stopped model's lane set to 0, so it computes zeros (no NaN, no denormals)."""
    for p in range(theta.size // K):
        i = p * K + k
        theta[i] = 0
        grad[i] = 0
        s1[i] = 0
        s2[i] = 0


@njit(fastmath=_FLAGS, error_model="numpy")
def _lane_finite(v, K, k):
    bad = False
    for p in range(v.size // K):
        x = v[p * K + k]
        bad |= (x - x) != 0
    return not bad


@njit(cache=True, fastmath=_FLAGS, error_model="numpy")
def probe(m, n_in, n_out, theta, a_in, d):
    """Whether BLAS's F = A W (+ b after) and δW for these shapes sum as the lanes do, on
    the models' values given (``theta``: W then b; ``a_in``, ``d``: lanes), bit for bit."""
    w_n = n_out * n_in
    f = np.zeros(n_out * m * K, theta.dtype)
    p = np.zeros(n_in * m * K, theta.dtype)
    _affine_lanes(m, n_in, n_out, a_in, 0, w_n, theta, f, True)
    _back_lanes(m, n_in, n_out, d, 0, theta, p)
    sa, sw, sb = (
        np.zeros(n_in * m, theta.dtype),
        np.zeros(w_n, theta.dtype),
        np.zeros(n_out, theta.dtype),
    )
    sf, sd, sp = (
        np.zeros(n_out * m, theta.dtype),
        np.zeros(n_out * m, theta.dtype),
        np.zeros(n_in * m, theta.dtype),
    )
    for k in range(K):
        _gather(a_in, 0, n_in * m, K, k, sa)
        _gather(theta, 0, w_n, K, k, sw)
        _gather(theta, w_n, n_out, K, k, sb)
        _gather(d, 0, n_out * m, K, k, sd)
        _affine(1, m, n_in, n_out, sa, sw, 0, sb, sf)
        _back(1, m, n_in, n_out, sd, sw, sp)
        for t in range(n_out * m):
            if sf[t] != f[t * K + k]:
                return False
        for t in range(n_in * m):
            if sp[t] != p[t * K + k]:
                return False
    return True


@njit(cache=True, fastmath=_FLAGS, error_model="numpy")
def many_loop(
    x_lanes, x_rows, y, n_steps, meta, offsets, slopes, loss_code, reduce_sum, opt_code, hyper,
    theta, grad, s1, s2, step, has_buf, f_ws, a_ws, d_ws, sc, losses, previous, guard,
    track, epoch_start, best, stop, out, steps, scratch, modes,
):  # fmt: skip
    """``n_steps`` full-batch steps of K models; each model's record as ``train_loop``'s.

    ``x_lanes``: the inputs feature-major with K lanes (n0·m·K); ``x_rows``: each model's
    rows (K × m·n0), for a first layer on BLAS; ``y``: targets (m·c·K). ``losses[k, i]``:
    model k's loss at step i (before its update). ``stop[k]``: the step its guard stopped
    at, or −1; ``steps[k]``: its Adam step count then; ``out[k]``: its θ, gradient, state,
    θ before the last update and best weights (rows ``THETA`` … ``BEST_THETA``) at its
    stop or the end. ``best[k]``: ``train_loop``'s best[0:5] (``track``: the lowest epoch
    loss and its weights, epochs counted from best[k, 4]). ``modes[l]``: ``LANES_ONLY``,
    ``BLAS_GRADS`` (a BLAS layer whose products other than the gradient sum as the lanes
    do: ``probe``), ``BLAS_ALL`` or ``SMALL_LANES`` (as ``BLAS_GRADS``, its gradient in
    lanes too: ``fma._grads_small``'s order).
    """
    n_layers = meta.shape[0]
    n0 = meta[0, N_IN]
    m = x_rows.shape[1] // n0
    c = meta[n_layers - 1, N_OUT]
    by_rows = meta[0, BLAS] != 0
    totals = np.zeros(K)
    active = np.ones(K, np.bool_)
    alive = K
    sa, sw, sb, sf, sp = scratch[0], scratch[1], scratch[2], scratch[3], scratch[4]
    if not by_rows:
        a_ws[: n0 * m * K] = x_lanes
    top = offsets[n_layers]
    for i in range(n_steps):
        if track:
            epoch_start[:] = theta
        for li in range(n_layers):
            n_in, n_out = meta[li, N_IN], meta[li, N_OUT]
            lo, hi = offsets[li + 1] * K, (offsets[li + 1] + m * n_out) * K
            if modes[li] == BLAS_ALL:
                _blas_forward(m, li, meta, offsets, x_rows, a_ws, f_ws, theta, sa, sw, sb, sf)
            else:
                a_in = a_ws[offsets[li] * K : (offsets[li] + m * n_in) * K]
                _affine_lanes(m, n_in, n_out, a_in, meta[li, W_OFF], meta[li, B_OFF], theta,
                              f_ws[lo:hi], modes[li] != LANES_ONLY)  # fmt: skip
            _activate(meta[li, ACT], slopes[li], f_ws[lo:hi], a_ws[lo:hi])
        _loss_lanes(
            loss_code, reduce_sum, meta[n_layers - 1, ACT], slopes[n_layers - 1],
            f_ws[top * K :], a_ws[top * K :], y, m, c, d_ws[top * K :], totals,
        )  # fmt: skip
        for k in range(K):
            if active[k]:
                losses[k, i] = totals[k]
                if guard and not math.isfinite(totals[k]):
                    stop[k], steps[k] = i, step
                    _record(k, K, theta, grad, s1, s2, previous, out)
                    active[k] = False
                    alive -= 1
        for li in range(n_layers - 1, -1, -1):
            n_in, n_out = meta[li, N_IN], meta[li, N_OUT]
            d = d_ws[offsets[li + 1] * K : (offsets[li + 1] + m * n_out) * K]
            if modes[li] == BLAS_GRADS or modes[li] == BLAS_ALL:
                _blas_backward(m, li, meta, offsets, x_rows, a_ws, d_ws, theta, grad,
                               modes[li] == BLAS_ALL, sa, sw, sb, sf, sp)  # fmt: skip
            else:
                a_in = a_ws[offsets[li] * K : (offsets[li] + m * n_in) * K]
                _grads_lanes(m, n_in, n_out, a_in, d, meta[li, W_OFF], meta[li, B_OFF], grad)
            if modes[li] != BLAS_ALL and li > 0:
                d_prev = d_ws[offsets[li] * K : (offsets[li] + m * n_in) * K]
                _back_lanes(m, n_in, n_out, d, meta[li, W_OFF], theta, d_prev)
            if li > 0:
                lo, hi = offsets[li] * K, (offsets[li] + m * n_in) * K
                _times_derivative(
                    meta[li - 1, ACT], slopes[li - 1], f_ws[lo:hi], a_ws[lo:hi], d_ws[lo:hi]
                )
        for k in range(K):
            if active[k] and guard and not _lane_finite(grad, K, k):
                stop[k], steps[k] = i, step
                _record(k, K, theta, grad, s1, s2, previous, out)
                active[k] = False
                alive -= 1
        for k in range(K):
            if not active[k] and stop[k] >= i:  # stopped at this step: quiet from here
                _quiet(k, K, theta, grad, s1, s2)
        if alive == 0:
            return
        step += 1.0
        _update(opt_code, hyper, theta, grad, s1, s2, step, has_buf, sc, guard, previous)
        has_buf = True
        if track:
            for k in range(K):
                if not active[k]:
                    continue
                best[k, 1] = totals[k] if reduce_sum else totals[k] * m
                ep = best[k, 1] if reduce_sum else best[k, 1] / m
                if ep < best[k, 2]:
                    best[k, 2] = ep
                    best[k, 3] = best[k, 4] + i + 1
                    for p in range(out.shape[2]):
                        out[k, BEST_THETA, p] = epoch_start[p * K + k]
    for k in range(K):
        if active[k]:
            steps[k] = step
            _record(k, K, theta, grad, s1, s2, previous, out)
