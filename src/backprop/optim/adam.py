"""Adam and AdamW, PyTorch's adaptive-moment optimizers (floor 2).

``Adam`` folds weight decay into the gradient (L2 penalty); ``AdamW`` decays the weights
directly, outside the moments. Both match ``torch.optim.Adam``/``AdamW`` in arguments,
defaults, state names (``step`` as a float32 scalar, ``exp_avg``, ``exp_avg_sq``,
``max_exp_avg_sq`` with AMSGrad) and trajectory. The arithmetic is in ``_functional.adam``
and ``_functional.adamw``; the classes only keep groups and state. Not a training loop.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from backprop.errors import ConfigError
from backprop.optim import _functional as F
from backprop.optim.optimizer import Optimizer, _state_tensor, _step_tensor

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    r"""Adam: θ_t = θ_{t-1} − γ m̂_t / (√v̂_t + ε).

    g_t = ∇f(θ_{t-1}) (negated when ``maximize``) + λ θ_{t-1};
    m_t = β₁ m_{t-1} + (1 − β₁) g_t; v_t = β₂ v_{t-1} + (1 − β₂) g_t²;
    m̂_t = m_t / (1 − β₁ᵗ); v̂_t = v_t / (1 − β₂ᵗ), or with ``amsgrad``
    v̂_t = max(v^max_{t-1}, v_t) / (1 − β₂ᵗ).

    Args:
        params: tensors, or dicts of tensors and per-group options.
        lr: learning rate γ (default 1e-3).
        betas: (β₁, β₂), the decay rates of the two moments, each in [0, 1).
        eps: ε added to the denominator (default 1e-8).
        weight_decay: L2 penalty λ (default 0).
        amsgrad: use the running maximum of v_t (AMSGrad).
        maximize: ascend the objective instead of descending it.

    Examples:
        The first step moves each weight by lr against the sign of its gradient
        (m̂₁/√v̂₁ = g₁/|g₁|):

        >>> import backprop as bp
        >>> from backprop import optim
        >>> w = bp.tensor([1.0, -2.0], requires_grad=True)
        >>> adam = optim.Adam([w], lr=0.1)
        >>> (w**2).sum().backward()
        >>> adam.step()
        >>> w
        tensor([ 0.9000, -1.9000], requires_grad=True)

        The lecture's optimizer for y = x²: Adam with lr 0.1 on the 1-8-8-1 ReLU network:

        >>> import backprop as bp
        >>> from backprop import nn, optim
        >>> _ = bp.manual_seed(0)
        >>> x = 5 * bp.randn(100, 1)
        >>> y = x**2 + bp.randn(100, 1)
        >>> model = nn.Sequential(
        ...     nn.Linear(1, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 1)
        ... )
        >>> adam = optim.Adam(model.parameters(), lr=0.1)
        >>> loss_function = nn.MSELoss()
        >>> for epoch in range(300):
        ...     adam.zero_grad()
        ...     loss = loss_function(model(x), y)
        ...     loss.backward()
        ...     adam.step()
        >>> loss.item() < 5  # from about 2,500 at the start; the noise's variance is 1
        True
    """

    _update = staticmethod(F.adam)

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        self._check_lr(group["lr"])
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ConfigError(
                f"{self._name}: betas must be a pair (beta1, beta2), got {betas!r}; pass e.g. "
                "betas=(0.9, 0.999)."
            )
        for i, beta in enumerate(betas):
            self._check_unit(
                f"betas[{i}]", beta, "pass e.g. betas=(0.9, 0.999); 1 would never forget."
            )
        self._check_nonneg("eps", group["eps"], "pass e.g. eps=1e-8.")
        self._check_nonneg(
            "weight_decay", group["weight_decay"], "pass weight_decay=0 or e.g. 1e-2."
        )

    def _update_group(self, group: dict[str, Any]) -> None:
        beta1, beta2 = group["betas"]
        for p, grad, state in self._params_with_grad(group):
            if not state:
                state["step"] = _step_tensor()
                state["exp_avg"] = _state_tensor(np.zeros_like(p._data))
                state["exp_avg_sq"] = _state_tensor(np.zeros_like(p._data))
                if group["amsgrad"]:
                    state["max_exp_avg_sq"] = _state_tensor(np.zeros_like(p._data))
            state["step"]._data += 1
            max_sq = state.get("max_exp_avg_sq") if group["amsgrad"] else None
            self._update(
                p._data,
                grad,
                state["exp_avg"]._data,
                state["exp_avg_sq"]._data,
                None if max_sq is None else max_sq._data,
                step=float(state["step"]._data),
                lr=group["lr"],
                beta1=beta1,
                beta2=beta2,
                eps=group["eps"],
                weight_decay=group["weight_decay"],
                maximize=group["maximize"],
            )


class AdamW(Adam):
    r"""AdamW: Adam with decoupled weight decay.

    θ_t = θ_{t-1} − γ λ θ_{t-1} first, then the Adam step with g_t = ∇f(θ_{t-1}) (negated
    when ``maximize``) and no λ inside the moments. Same arguments as ``Adam`` except the
    weight decay λ defaults to 1e-2.

    Examples:
        >>> import backprop as bp
        >>> from backprop import optim
        >>> w = bp.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = optim.AdamW([w], lr=0.1, weight_decay=0.5)
        >>> (w**2).sum().backward()
        >>> opt.step()  # w·(1 − 0.1·0.5), then Adam's step of 0.1
        >>> w
        tensor([ 0.8500, -1.8000], requires_grad=True)
    """

    _update = staticmethod(F.adamw)

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize)
