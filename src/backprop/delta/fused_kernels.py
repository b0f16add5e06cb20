"""The compiled half of ``backprop.delta.fused``: one numba kernel that trains an MLP.

``train_loop`` runs epochs × minibatches of the δ engine's recursion — forward, output delta
from the loss, δ[l] = g'[l](f[l]) ∘ (δ[l+1] W[l+1]), ∂E/∂W[l] = A[l−1]ᵀ δ[l], the optimizer's
update — without returning to Python. It works on flat arrays only: the parameters θ and
their gradient in one buffer each, the optimizer state in two more, and the per-layer
quantities F[l], A[l], δ[l] in three workspaces addressed by offsets, so one compiled
function serves every depth and width (one compilation per float dtype). The workspaces are
feature-major (one row per unit, one column per sample: the transpose of DESIGN's rows), so
the inner loops run along the batch even for the lecture's 8-unit layers. Small layers use
plain loops (no call overhead); large ones call BLAS through ``np.dot``.

Importing this module imports numba; ``fused`` does so only when the compiled path is used.
The formulas are the registries' (``autograd.activations``, ``nn.losses``,
``optim._functional``) written out elementwise, in the same order of operations; the tests
hold them equal to the NumPy engine and to autograd.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .fma import SMALL_GRAD, _grads_small, fma
from .fused_update import (  # noqa: F401 - the codes are part of the kernel's interface
    ADAM,
    ADAMW,
    PENALTY_L1,
    PENALTY_L2,
    PENALTY_NONE,
    SGD,
    _all_finite,
    _penalize,
    _update,
)

# numba keys train_loop's disk cache on this file alone: a change to fused_update.py would
# load a stale kernel. So this file names that file's digest; a test holds it current, and
# updating it here (a change to this file) invalidates the cache.
FUSED_UPDATE_SHA256 = "d82256643a2b0ba3"
FMA_SHA256 = "efc15d29768e9e9a"  # fma.py (the small weight gradients' loop), held current as above

# Let LLVM fuse multiply-adds; keep NaN and infinity semantics (no "nnan"/"ninf"), so a
# diverging run still shows up as NaN. No "reassoc": with it, the kernel compiled in a process
# and the same kernel loaded from numba's disk cache summed in different orders, so a run's
# numbers depended on whether the cache was warm (lecture job after 10k float32 Adam steps:
# 1.6255 vs 1.2183). Without it both give the same bits, for ~1 µs/step on the lecture job.
# NumPy's error model: x / 0 gives ±inf or NaN instead of a per-division check (which blocks
# SIMD).
_FLAGS = {"contract", "nsz"}

IDENTITY, RELU, TANH, SIGMOID, LEAKY_RELU = 0, 1, 2, 3, 4
PENALTY_ALPHA = 3  # scikit-learn's L2 term in the loss (after fused_update's three codes)
MSE, HALF_MSE, CROSS_ENTROPY, BCE_WITH_LOGITS = 0, 1, 2, 3

# Columns of the per-layer table ``meta`` (int64, one row per layer l = 1 … L).
W_OFF, B_OFF, N_IN, N_OUT, ACT, BLAS = 0, 1, 2, 3, 4, 5


@njit(fastmath=_FLAGS, error_model="numpy")
def _activate(code, slope, f, a):
    """a = g(f) elementwise (the activation registry's formulas)."""
    zero = f.dtype.type(0)
    one = f.dtype.type(1)
    if code == IDENTITY:
        a[:] = f
    elif code == RELU:
        for i in range(f.size):
            v = f[i]
            a[i] = zero if v < zero else v  # NaN stays NaN, as np.maximum(x, 0)
    elif code == TANH:
        for i in range(f.size):
            a[i] = math.tanh(f[i])
    elif code == SIGMOID:
        for i in range(f.size):
            v = f[i]
            e = math.exp(-abs(v))
            a[i] = one / (one + e) if v >= zero else e / (one + e)
    else:  # LEAKY_RELU
        s = f.dtype.type(slope)
        for i in range(f.size):
            v = f[i]
            a[i] = v if v > zero else v * s


@njit(fastmath=_FLAGS, error_model="numpy")
def _times_derivative(code, slope, f, a, d):
    """d ∘= g'(f), from the output a where the registry does (relu, tanh, sigmoid)."""
    zero = f.dtype.type(0)
    one = f.dtype.type(1)
    if code == RELU:  # select, not multiply: an off unit passes 0 even for d = ±inf
        for i in range(d.size):
            if not a[i] > zero:
                d[i] = zero
    elif code == TANH:
        for i in range(d.size):
            d[i] *= one - a[i] * a[i]
    elif code == SIGMOID:
        for i in range(d.size):
            d[i] *= a[i] * (one - a[i])
    elif code == LEAKY_RELU:
        s = f.dtype.type(slope)
        for i in range(d.size):
            d[i] *= one if f[i] > zero else s


@njit(fastmath=_FLAGS, error_model="numpy")
def _softplus(v):
    """log(1 + eᵛ) = max(v, 0) + log1p(e^−|v|), exact for every v."""
    return max(v, v * 0) + math.log1p(math.exp(-abs(v)))


@njit(fastmath=_FLAGS, error_model="numpy")
def _loss(code, reduce_sum, act, slope, f, a, y_real, y_index, rows, m, c, d):
    """E of the batch (float64) and δ[L] written into ``d`` (c × m, feature-major)."""
    dt = f.dtype.type
    total = 0.0
    if code == CROSS_ENTROPY:
        divisor = 1 if reduce_sum else m
        for n in range(m):
            top = f[n]
            for j in range(1, c):
                top = max(top, f[j * m + n])
            s = dt(0)
            for j in range(c):
                s += math.exp(f[j * m + n] - top)
            target = y_index[rows[n]]
            total += float(math.log(s) - (f[target * m + n] - top))
            for j in range(c):
                p = math.exp(f[j * m + n] - top) / s
                if j == target:
                    p -= dt(1)
                d[j * m + n] = p / dt(divisor)
        return total / divisor
    divisor = 1 if reduce_sum else m * c
    for j in range(c):
        for n in range(m):
            i = j * m + n
            y = y_real[rows[n], j]
            if code == BCE_WITH_LOGITS:
                v = f[i]
                total += float(y * _softplus(-v) + (dt(1) - y) * _softplus(v))
                e = math.exp(-abs(v))
                sig = dt(1) / (dt(1) + e) if v >= dt(0) else e / (dt(1) + e)
                d[i] = (sig - y) / dt(divisor)
            else:
                diff = a[i] - y
                if code == MSE:
                    total += float(diff * diff)
                    d[i] = (dt(2) * diff) / dt(divisor)
                else:  # HALF_MSE
                    total += float(dt(0.5) * diff * diff)
                    d[i] = diff / dt(divisor)
    if code in (MSE, HALF_MSE):
        _times_derivative(act, slope, f[: m * c], a[: m * c], d[: m * c])
    return total / divisor


@njit(fastmath=_FLAGS, error_model="numpy")
def _count_right(code, a, y_real, y_index, rows, m, c):
    """How many of the batch's ``m`` rows the output ``a`` (c × m, feature-major) classifies
    right, by ``train.metrics.accuracy``'s rule: the first largest output (the first NaN, as
    NumPy's argmax) against the class index for cross-entropy; one output column against a
    0/1 target (> 0.5): the logit > 0 for BCE with logits, the output > 0.5 otherwise."""
    right = 0
    if code == CROSS_ENTROPY:
        for n in range(m):
            top, at = a[n], 0
            if top == top:
                for j in range(1, c):
                    v = a[j * m + n]
                    if v != v:
                        at = j
                        break
                    if v > top:
                        top, at = v, j
            right += at == y_index[rows[n]]
        return right
    cut = 0.0 if code == BCE_WITH_LOGITS else 0.5
    for n in range(m):
        right += (a[n] > cut) == (y_real[rows[n], 0] > 0.5)
    return right


@njit(fastmath=_FLAGS, error_model="numpy")
def _affine(blas, m, n_in, n_out, a_in, w, bias_off, theta, f):
    """F[l] = A[l−1] W[l] + b[l], feature-major: f[j, n] = b[j] + Σ_k w[j, k] a_in[k, n].

    ``w`` is (n_out × n_in), PyTorch's orientation; ``a_in`` (n_in × m) and ``f``
    (n_out × m) hold one row per unit and one column per sample, so the loops run along
    the batch (long, contiguous, vectorised) even when layers are narrow.
    """
    if blas:
        np.dot(w.reshape((n_out, n_in)), a_in.reshape((n_in, m)), f.reshape((n_out, m)))
        _add_bias(m, n_out, bias_off, theta, f)
        return
    for j in range(n_out):
        row = j * m
        bj = theta[bias_off + j] if bias_off >= 0 else f.dtype.type(0)
        for n in range(m):
            f[row + n] = bj
        for k in range(n_in):
            wjk = w[j * n_in + k]
            col = k * m
            for n in range(m):
                f[row + n] += wjk * a_in[col + n]


@njit(fastmath=_FLAGS, error_model="numpy")
def _weight_grads(blas, m, n_in, n_out, a_in, d, gw, grad, bias_off):
    """∂E/∂W[l]ᵀ[j, k] = Σ_n δ[j, n] a[k, n] into gw (n_out × n_in); ∂E/∂b[l] = Σ_n δ[j, n]."""
    if blas and n_in <= SMALL_GRAD and n_out <= SMALL_GRAD:
        _grads_small(m, n_in, n_out, a_in, False, d, gw)
    elif blas:
        np.dot(d.reshape((n_out, m)), a_in.reshape((n_in, m)).T, gw.reshape((n_out, n_in)))
    else:
        for j in range(n_out):
            row = j * m
            for k in range(n_in):
                col = k * m
                s = gw.dtype.type(0)
                for n in range(m):
                    s = fma(d[row + n], a_in[col + n], s)  # explicit: see vectorising
                gw[j * n_in + k] = s
    _bias_grads(m, n_out, d, grad, bias_off)


@njit(fastmath=_FLAGS, error_model="numpy")
def _affine_rows(m, n_in, n_out, a_in, w, bias_off, theta, f):
    """``_affine`` for an input held one row per sample (m × n_in), through BLAS."""
    np.dot(w.reshape((n_out, n_in)), a_in.reshape((m, n_in)).T, f.reshape((n_out, m)))
    _add_bias(m, n_out, bias_off, theta, f)


@njit(fastmath=_FLAGS, error_model="numpy")
def _weight_grads_rows(m, n_in, n_out, a_in, d, gw, grad, bias_off):
    """``_weight_grads`` for an input held one row per sample: ∂E/∂Wᵀ = δ A (n_out × n_in)."""
    if n_in <= SMALL_GRAD and n_out <= SMALL_GRAD:
        _grads_small(m, n_in, n_out, a_in, True, d, gw)
    else:
        np.dot(d.reshape((n_out, m)), a_in.reshape((m, n_in)), gw.reshape((n_out, n_in)))
    _bias_grads(m, n_out, d, grad, bias_off)


@njit(fastmath=_FLAGS, error_model="numpy")
def _add_bias(m, n_out, bias_off, theta, f):
    """f[j, n] += b[j] (no bias: ``bias_off`` < 0)."""
    if bias_off >= 0:
        for j in range(n_out):
            bj = theta[bias_off + j]
            for n in range(j * m, (j + 1) * m):
                f[n] += bj


@njit(fastmath=_FLAGS, error_model="numpy")
def _bias_grads(m, n_out, d, grad, bias_off):
    """∂E/∂b[j] = Σ_n δ[j, n] (no bias: ``bias_off`` < 0)."""
    if bias_off >= 0:
        for j in range(n_out):
            s = grad.dtype.type(0)
            for n in range(j * m, (j + 1) * m):
                s += d[n]
            grad[bias_off + j] = s


@njit(fastmath=_FLAGS, error_model="numpy")
def _back(blas, m, n_in, n_out, d, w, d_prev):
    """(δ[l] W[l])[k, n] = Σ_j w[j, k] δ[j, n] (n_in × m): what g'[l−1] multiplies."""
    if blas:
        np.dot(w.reshape((n_out, n_in)).T, d.reshape((n_out, m)), d_prev.reshape((n_in, m)))
        return
    d_prev[:] = 0
    for j in range(n_out):
        row = j * m
        for k in range(n_in):
            wjk = w[j * n_in + k]
            col = k * m
            for n in range(m):
                d_prev[col + n] += wjk * d[row + n]


@njit(fastmath=_FLAGS, error_model="numpy")
def _square_weights(meta, theta):
    """Σ‖W[l]‖² over the layers' weights (not biases), summed in float64."""
    total = 0.0
    for li in range(meta.shape[0]):
        lo = meta[li, W_OFF]
        for i in range(lo, lo + meta[li, N_IN] * meta[li, N_OUT]):
            v = float(theta[i])
            total += v * v
    return total


@njit(cache=True, fastmath=_FLAGS, error_model="numpy")
def train_loop(
    x, y_real, y_index, perms, batch_size, first_step, n_steps, meta, offsets, slopes,
    loss_code, reduce_sum, opt_code, hyper, theta, grad, s1, s2, step, has_buf,
    f_ws, a_ws, d_ws, sc, losses, guard, previous, penalty, epoch_start, best, best_theta,
):  # fmt: skip
    """Take optimizer steps ``first_step`` … ``first_step + n_steps − 1``; return
    (steps completed, index of the step a guard stopped at or −1, the Adam step t).

    Step s is batch b = s mod B of epoch e = s div B (B batches per epoch); ``perms`` holds
    one row order per epoch from e = 0 (a 0 × 0 array: the natural order), and batch b of
    epoch e takes rows perms[e, b·bs : (b+1)·bs]. ``losses[i]`` receives step i's batch E
    (before its update). With ``guard`` the loop stops before the update of the first batch
    whose loss or gradient is not finite, θ and the state as they were before it, and
    ``previous`` holds θ from before the update before (to put back if that update
    overflowed). After each update ``penalty`` = (code, lr·rate) shrinks the weights; with
    code ``PENALTY_ALPHA``, ``penalty`` = (code, α) puts scikit-learn's L2 term in the loss
    instead: α/2·Σ‖W‖²/m joins each batch's E and α/m·W each weight's gradient (m rows,
    W as the batch found it), so ``losses`` and the rules below see it.

    Best epoch (``best[0] >= 0``): at each epoch's first step θ is copied to ``epoch_start``;
    ``best`` = [on, running Σ of the epoch's E·weight, lowest epoch E, its epoch (1-based, counted
    from ``best[4]``, the epoch before perms' first row)]; an
    epoch whose E is lower than the lowest so far copies ``epoch_start`` to ``best_theta``:
    the weights the epoch started with, whose loss its E is (exactly, for one full batch).

    Stopping rule (``best[5] > 0``): EarlyStopping on the loss, in the loop — best[6] the
    patience, best[7] min_delta, best[8] the lowest epoch E, best[9] epochs since, best[10]
    its epoch; when best[9] reaches the patience the loop returns after that epoch's last
    step with −2 in place of a guard's step. ``best[11] > 0`` is scikit-learn's form of the
    rule: the count grows when E > best[8] − best[7], else resets, and best[8] follows every
    new minimum whether or not it counted as an improvement.

    Rows right (``best[12] > 0``; cross-entropy, or one output column): each step counts the
    rows of its batch that its forward pass classified right (``_count_right``, before the
    update, as the loss); best[13] the epoch's count so far, best[14] its rows so far; at an
    epoch's last step best[15] is the count of an epoch whose every row was counted (else
    −1) and best[16] that epoch (counted from ``best[4]`` as above).
    """
    n_rows = x.shape[0]
    n_layers = meta.shape[0]
    n0 = meta[0, N_IN]
    c = meta[n_layers - 1, N_OUT]
    n_batches = (n_rows + batch_size - 1) // batch_size
    rows = np.empty(batch_size, np.int64)
    shuffled = perms.shape[0] > 0
    loaded = False
    track = best[0] > 0
    rule = best[5] > 0
    acc = track or rule
    counting = best[12] > 0
    penalty_code = int(penalty[0])
    alpha = penalty[1] if penalty_code == PENALTY_ALPHA else 0.0
    # A first layer that calls BLAS takes its input one row per sample (gathered by row
    # copies, and BLAS reads it transposed) instead of transposing every batch by hand.
    by_rows = meta[0, BLAS] != 0
    for i in range(n_steps):
        s = first_step + i
        e = s // n_batches
        b = s - e * n_batches
        lo = b * batch_size
        m = min(batch_size, n_rows - lo)
        if acc and b == 0:
            if track:
                epoch_start[:] = theta
            best[1] = 0.0
        if not loaded:
            for j in range(m):
                r = perms[e, lo + j] if shuffled else lo + j
                rows[j] = r
                if by_rows:
                    for k in range(n0):
                        a_ws[j * n0 + k] = x[r, k]  # one row per sample: a row copy
                else:
                    for k in range(n0):
                        a_ws[k * m + j] = x[r, k]  # feature-major: one row per input
            loaded = not shuffled and n_batches == 1  # full batch: load once
        for li in range(n_layers):
            n_in, n_out = meta[li, N_IN], meta[li, N_OUT]
            w_off = meta[li, W_OFF]
            a_in = a_ws[offsets[li] : offsets[li] + m * n_in]
            f = f_ws[offsets[li + 1] : offsets[li + 1] + m * n_out]
            a = a_ws[offsets[li + 1] : offsets[li + 1] + m * n_out]
            w = theta[w_off : w_off + n_out * n_in]
            if li == 0 and by_rows:
                _affine_rows(m, n_in, n_out, a_in, w, meta[li, B_OFF], theta, f)
            else:
                _affine(meta[li, BLAS], m, n_in, n_out, a_in, w, meta[li, B_OFF], theta, f)
            _activate(meta[li, ACT], slopes[li], f, a)
        top = offsets[n_layers]
        value = _loss(
            loss_code, reduce_sum, meta[n_layers - 1, ACT], slopes[n_layers - 1],
            f_ws[top:], a_ws[top:], y_real, y_index, rows, m, c, d_ws[top:],
        )  # fmt: skip
        if alpha != 0:
            value += 0.5 * alpha * _square_weights(meta, theta) / m
        losses[i] = value
        if guard and not math.isfinite(value):
            return i, i, step
        if counting:
            if b == 0:
                best[13] = best[14] = 0.0
            best[13] += _count_right(loss_code, a_ws[top:], y_real, y_index, rows, m, c)
            best[14] += m
            if b == n_batches - 1:
                best[15] = best[13] if best[14] == n_rows else -1.0
                best[16] = best[4] + e + 1
        for li in range(n_layers - 1, -1, -1):
            n_in, n_out = meta[li, N_IN], meta[li, N_OUT]
            w_off, blas = meta[li, W_OFF], meta[li, BLAS]
            d = d_ws[offsets[li + 1] : offsets[li + 1] + m * n_out]
            a_in = a_ws[offsets[li] : offsets[li] + m * n_in]
            gw = grad[w_off : w_off + n_out * n_in]
            if li == 0 and by_rows:
                _weight_grads_rows(m, n_in, n_out, a_in, d, gw, grad, meta[li, B_OFF])
            else:
                _weight_grads(blas, m, n_in, n_out, a_in, d, gw, grad, meta[li, B_OFF])
            if alpha != 0:
                decay = theta.dtype.type(alpha / m)
                for k in range(n_out * n_in):
                    gw[k] += decay * theta[w_off + k]
            if li > 0:
                w = theta[w_off : w_off + n_out * n_in]
                d_prev = d_ws[offsets[li] : offsets[li] + m * n_in]
                _back(blas, m, n_in, n_out, d, w, d_prev)
                f_prev = f_ws[offsets[li] : offsets[li] + m * n_in]
                a_prev = a_ws[offsets[li] : offsets[li] + m * n_in]
                _times_derivative(meta[li - 1, ACT], slopes[li - 1], f_prev, a_prev, d_prev)
        if guard and not _all_finite(grad):
            return i, i, step
        step += 1.0
        _update(opt_code, hyper, theta, grad, s1, s2, step, has_buf, sc, guard, previous)
        has_buf = True
        if penalty_code != PENALTY_NONE and alpha == 0 and penalty[1] != 0:
            _penalize(penalty_code, penalty[1], meta, theta)
        if acc:
            best[1] += value if reduce_sum else value * m  # in order, as spans sums them
            if b == n_batches - 1:
                ep = best[1] if reduce_sum else best[1] / n_rows
                if track and ep < best[2]:
                    best[2] = ep
                    best[3] = best[4] + e + 1
                    best_theta[:] = epoch_start
                if rule and best[11] > 0:  # scikit-learn's: count, then the best is the min
                    best[9] = best[9] + 1.0 if ep > best[8] - best[7] else 0.0
                    if ep < best[8]:
                        best[8] = ep
                        best[10] = best[4] + e + 1
                    if best[9] >= best[6]:
                        return i + 1, -2, step
                elif rule:  # EarlyStopping on the loss: patience best[6], min_delta best[7]
                    if ep < best[8] - best[7]:
                        best[8] = ep
                        best[9] = 0.0
                        best[10] = best[4] + e + 1
                    else:
                        best[9] += 1.0
                        if best[9] >= best[6]:
                            return i + 1, -2, step
    return n_steps, -1, step
