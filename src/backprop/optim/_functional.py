"""Pure NumPy update rules of the optimizers (floor 2).

One function per algorithm, each updating one parameter array ``param`` **in place** from
its gradient ``grad`` and its state arrays, following PyTorch's documented algorithm step
for step (same order of weight decay, maximize, bias correction and epsilon), so a float64
trajectory matches PyTorch's to rounding. The functions know nothing about tensors, groups
or autograd: the optimizer classes in this package own those and call these. ``grad`` is
never modified. Notation follows the PyTorch docs: γ learning rate, λ weight decay, μ
momentum, τ dampening, β₁ β₂ moment decays, α smoothing constant, ε epsilon, t the step
number starting at 1.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["adagrad", "adam", "adamw", "rmsprop", "sgd"]


def _direction(param: np.ndarray, grad: np.ndarray, weight_decay: float, maximize: bool):
    """g_t = ±∇f(θ_{t-1}) (+ λ θ_{t-1}): the gradient the algorithms start from (a new array)."""
    g = np.negative(grad) if maximize else grad
    if weight_decay != 0:
        g = g + weight_decay * param
    elif not maximize:
        g = g.copy()
    return g


def sgd(
    param: np.ndarray,
    grad: np.ndarray,
    momentum_buffer: np.ndarray | None,
    *,
    lr: float,
    momentum: float,
    dampening: float,
    weight_decay: float,
    nesterov: bool,
    maximize: bool,
) -> np.ndarray | None:
    """Stochastic gradient descent, optionally with (Nesterov) momentum.

    ``g_t = ±∇f(θ_{t-1}) + λ θ_{t-1}``; with μ ≠ 0:
    ``b_t = g_t`` at the first step, else ``b_t = μ b_{t-1} + (1 − τ) g_t``, then
    ``g_t = g_t + μ b_t`` (Nesterov) or ``g_t = b_t``; finally ``θ_t = θ_{t-1} − γ g_t``.

    Returns the momentum buffer (created from ``g_t`` when ``momentum_buffer`` is None and
    μ ≠ 0, updated in place otherwise), or None when μ = 0.
    """
    g = _direction(param, grad, weight_decay, maximize)
    if momentum != 0:
        if momentum_buffer is None:
            momentum_buffer = g.copy()
        else:
            momentum_buffer *= momentum
            momentum_buffer += (1 - dampening) * g
        if nesterov:
            g += momentum * momentum_buffer
        else:
            g = momentum_buffer
    param -= lr * g
    return momentum_buffer


def _adam_moments(
    param: np.ndarray,
    g: np.ndarray,
    exp_avg: np.ndarray,
    exp_avg_sq: np.ndarray,
    max_exp_avg_sq: np.ndarray | None,
    *,
    step: float,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
) -> None:
    """The part Adam and AdamW share: moments, bias correction and the parameter update.

    ``m_t = β₁ m_{t-1} + (1 − β₁) g_t``, ``v_t = β₂ v_{t-1} + (1 − β₂) g_t²``,
    ``v_t^max = max(v_{t-1}^max, v_t)`` with AMSGrad (``max_exp_avg_sq`` not None), and
    ``θ_t = θ_t − γ/(1 − β₁ᵗ) · m_t / (√v_t / √(1 − β₂ᵗ) + ε)``.
    """
    exp_avg += (1 - beta1) * (g - exp_avg)  # m ← m + (1 − β₁)(g − m) = β₁ m + (1 − β₁) g
    exp_avg_sq *= beta2
    exp_avg_sq += (1 - beta2) * g * g
    bias_correction1 = 1 - beta1**step
    bias_correction2 = 1 - beta2**step
    step_size = lr / bias_correction1
    if max_exp_avg_sq is not None:
        np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        second = max_exp_avg_sq
    else:
        second = exp_avg_sq
    denom = np.sqrt(second) / math.sqrt(bias_correction2)
    denom += eps
    param -= step_size * (exp_avg / denom)


def adam(
    param: np.ndarray,
    grad: np.ndarray,
    exp_avg: np.ndarray,
    exp_avg_sq: np.ndarray,
    max_exp_avg_sq: np.ndarray | None,
    *,
    step: float,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    maximize: bool,
) -> None:
    """Adam with L2 weight decay folded into the gradient (PyTorch's ``Adam``).

    ``g_t = ±∇f(θ_{t-1}) + λ θ_{t-1}``; then the shared moment update
    ``m_t``, ``v_t`` (``v_t^max`` when ``max_exp_avg_sq`` is given, i.e. AMSGrad) and
    ``θ_t = θ_{t-1} − γ m̂_t / (√v̂_t + ε)`` with ``m̂_t = m_t/(1 − β₁ᵗ)``,
    ``v̂_t = v_t/(1 − β₂ᵗ)``. ``step`` is t after incrementing (1 at the first step).
    """
    g = _direction(param, grad, weight_decay, maximize)
    _adam_moments(
        param, g, exp_avg, exp_avg_sq, max_exp_avg_sq,
        step=step, lr=lr, beta1=beta1, beta2=beta2, eps=eps,
    )  # fmt: skip


def adamw(
    param: np.ndarray,
    grad: np.ndarray,
    exp_avg: np.ndarray,
    exp_avg_sq: np.ndarray,
    max_exp_avg_sq: np.ndarray | None,
    *,
    step: float,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    maximize: bool,
) -> None:
    """AdamW: Adam with decoupled weight decay (PyTorch's ``AdamW``).

    ``θ_t = θ_{t-1} − γ λ θ_{t-1}`` first, so the decay never enters the moments; then
    with ``g_t = ±∇f(θ_{t-1})`` the shared update ``θ_t = θ_t − γ m̂_t / (√v̂_t + ε)``.
    """
    g = _direction(param, grad, 0.0, maximize)
    if weight_decay != 0:
        param *= 1 - lr * weight_decay
    _adam_moments(
        param, g, exp_avg, exp_avg_sq, max_exp_avg_sq,
        step=step, lr=lr, beta1=beta1, beta2=beta2, eps=eps,
    )  # fmt: skip


def rmsprop(
    param: np.ndarray,
    grad: np.ndarray,
    square_avg: np.ndarray,
    grad_avg: np.ndarray | None,
    momentum_buffer: np.ndarray | None,
    *,
    lr: float,
    alpha: float,
    eps: float,
    weight_decay: float,
    momentum: float,
    maximize: bool,
) -> None:
    """RMSprop, optionally centered and with momentum (PyTorch's ``RMSprop``).

    ``g_t = ±∇f(θ_{t-1}) + λ θ_{t-1}``, ``v_t = α v_{t-1} + (1 − α) g_t²``, ``ṽ_t = v_t``;
    centered (``grad_avg`` given): ``g^ave_t = α g^ave_{t-1} + (1 − α) g_t``,
    ``ṽ_t = v_t − (g^ave_t)²``. With momentum (``momentum_buffer`` given, μ > 0):
    ``b_t = μ b_{t-1} + g_t/(√ṽ_t + ε)``, ``θ_t = θ_{t-1} − γ b_t``; otherwise
    ``θ_t = θ_{t-1} − γ g_t/(√ṽ_t + ε)``. Note ε is added after the square root.
    """
    g = _direction(param, grad, weight_decay, maximize)
    square_avg *= alpha
    square_avg += (1 - alpha) * g * g
    if grad_avg is not None:
        grad_avg += (1 - alpha) * (g - grad_avg)  # = α g^ave + (1 − α) g
        avg = np.sqrt(square_avg - grad_avg * grad_avg)
    else:
        avg = np.sqrt(square_avg)
    avg += eps
    if momentum_buffer is not None and momentum > 0:
        momentum_buffer *= momentum
        momentum_buffer += g / avg
        param -= lr * momentum_buffer
    else:
        param -= lr * (g / avg)


def adagrad(
    param: np.ndarray,
    grad: np.ndarray,
    state_sum: np.ndarray,
    *,
    step: float,
    lr: float,
    lr_decay: float,
    weight_decay: float,
    eps: float,
    maximize: bool,
) -> None:
    """Adagrad (PyTorch's ``Adagrad``).

    ``γ̃ = γ / (1 + (t − 1) η)`` (η the lr decay), ``g_t = ±∇f(θ_{t-1}) + λ θ_{t-1}``,
    ``state_sum_t = state_sum_{t-1} + g_t²``, ``θ_t = θ_{t-1} − γ̃ g_t/(√state_sum_t + ε)``.
    ``step`` is t after incrementing; ``state_sum`` starts at the initial accumulator value.
    """
    g = _direction(param, grad, weight_decay, maximize)
    clr = lr / (1 + (step - 1) * lr_decay)
    state_sum += g * g
    std = np.sqrt(state_sum)
    std += eps
    param -= clr * (g / std)
