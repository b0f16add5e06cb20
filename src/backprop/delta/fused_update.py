"""The optimizer step and the guard's checks of the fused kernel (``fused_kernels``).

``_update`` is ``optim._functional``'s SGD, Adam and AdamW written out elementwise over the
flat parameter group, in the same order of operations, so the kernel's numbers are the
optimizers' numbers; it also keeps the guard's copy of θ from before the step, in the same
pass. ``_all_finite`` is the guard's check of a gradient, and ``_penalize`` TensorFlow
Playground's weight penalty after an update. Compiled by numba when ``fused_kernels`` is.
"""

from __future__ import annotations

import math

from numba import njit

_FLAGS = {"contract", "nsz"}  # as fused_kernels (see there)

SGD, ADAM, ADAMW = 0, 1, 2
PENALTY_NONE, PENALTY_L2, PENALTY_L1 = 0, 1, 2
# Columns of the per-layer table ``meta`` that ``_penalize`` reads (see fused_kernels).
W_OFF, N_IN, N_OUT = 0, 2, 3
# Entries of ``hyper`` (float64).
LR, MOMENTUM, DAMPENING, WEIGHT_DECAY, BETA1, BETA2, EPS, NESTEROV, MAXIMIZE = range(9)


@njit(fastmath=_FLAGS, error_model="numpy")
def _update(code, hyper, theta, grad, s1, s2, step, has_buf, sc, keep, previous):
    """One optimizer step on the flat group (``optim._functional``'s formulas, in order);
    with ``keep``, θ from before the step is written to ``previous`` in the same pass.

    SGD: s1 is the momentum buffer. Adam/AdamW: s1 = exp_avg, s2 = exp_avg_sq, ``step`` is t
    after incrementing. Python-float scalars are rounded to θ's dtype first, as NumPy does
    with a float32 array and a Python float. The loops are branch-free so that they
    vectorise: an option that is off contributes an exact no-op (± 0·θ, × 1).
    """
    wd = hyper[WEIGHT_DECAY]
    sc[0] = hyper[LR]
    sc[1] = -1.0 if hyper[MAXIMIZE] != 0 else 1.0
    sc[2] = wd if code != ADAMW else 0.0  # L2 term folded into the gradient
    lr, sign, l2 = sc[0], sc[1], sc[2]
    n = theta.size
    if code == SGD:
        if keep:
            previous[:] = theta
        mu = hyper[MOMENTUM]
        sc[3] = mu
        sc[4] = 1 - hyper[DAMPENING]
        mu_t, keep = sc[3], sc[4]
        if mu == 0:
            for i in range(n):
                theta[i] -= lr * (sign * grad[i] + l2 * theta[i])
        elif not has_buf:
            for i in range(n):
                g = sign * grad[i] + l2 * theta[i]
                s1[i] = g
                theta[i] -= lr * (g + mu_t * g if hyper[NESTEROV] != 0 else g)
        elif hyper[NESTEROV] != 0:
            for i in range(n):
                g = sign * grad[i] + l2 * theta[i]
                b = mu_t * s1[i] + keep * g
                s1[i] = b
                theta[i] -= lr * (g + mu_t * b)
        else:
            for i in range(n):
                g = sign * grad[i] + l2 * theta[i]
                b = mu_t * s1[i] + keep * g
                s1[i] = b
                theta[i] -= lr * b
        return
    beta1, beta2 = hyper[BETA1], hyper[BETA2]
    sc[3] = 1 - beta1
    sc[4] = 1 - beta2
    sc[5] = hyper[LR] / (1 - beta1**step)
    sc[6] = math.sqrt(1 - beta2**step)
    sc[7] = hyper[EPS]
    one_b1, one_b2, step_size, sqrt_bc2, eps = sc[3], sc[4], sc[5], sc[6], sc[7]
    sc[8] = beta2
    sc[9] = 1 - hyper[LR] * wd if code == ADAMW else 1.0  # decoupled decay
    b2, decay = sc[8], sc[9]
    if keep:  # one pass over θ instead of a copy and an update
        for i in range(n):
            t = theta[i]
            previous[i] = t
            g = sign * grad[i] + l2 * t
            m = s1[i] + one_b1 * (g - s1[i])
            v = s2[i] * b2 + one_b2 * g * g
            s1[i] = m
            s2[i] = v
            theta[i] = t * decay - step_size * (m / (math.sqrt(v) / sqrt_bc2 + eps))
        return
    for i in range(n):
        g = sign * grad[i] + l2 * theta[i]
        m = s1[i] + one_b1 * (g - s1[i])
        v = s2[i] * b2 + one_b2 * g * g
        s1[i] = m
        s2[i] = v
        theta[i] = theta[i] * decay - step_size * (m / (math.sqrt(v) / sqrt_bc2 + eps))


@njit(fastmath=_FLAGS, error_model="numpy")
def _all_finite(v):
    """No NaN or ±inf in ``v``: x − x is 0 for every finite x and NaN otherwise. A branch-free
    OR over the whole array vectorises, where an early exit on the first bad value does not."""
    bad = False
    for j in range(v.size):
        x = v[j]
        bad |= (x - x) != 0
    return not bad


@njit(fastmath=_FLAGS, error_model="numpy")
def _penalize(code, shrink, meta, theta):
    """TensorFlow Playground's weight penalty after an update, on weights only (no biases):
    L2 scales each weight by max(0, 1 − lr·rate); L1 moves it lr·rate towards 0, stopping at
    0 (a proximal step). ``shrink`` is lr·rate."""
    zero = theta.dtype.type(0)
    keep = theta.dtype.type(max(0.0, 1.0 - shrink))
    cut = theta.dtype.type(shrink)
    for li in range(meta.shape[0]):
        lo = meta[li, W_OFF]
        hi = lo + meta[li, N_IN] * meta[li, N_OUT]
        if code == PENALTY_L2:
            for i in range(lo, hi):
                theta[i] *= keep
        else:
            for i in range(lo, hi):
                v = theta[i]
                m = abs(v) - cut
                theta[i] = zero if not m > zero else (m if v > zero else -m)
