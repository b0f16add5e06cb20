"""Stochastic gradient descent with optional momentum, dampening and Nesterov (floor 2).

``SGD`` is PyTorch's ``torch.optim.SGD``: same arguments, defaults, state (``momentum_buffer``
when momentum is on) and trajectory. The arithmetic lives in ``_functional.sgd``; this class
only walks the parameter groups and keeps the state. It is not a training loop.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any

from backprop.errors import ConfigError
from backprop.optim import _functional as F
from backprop.optim.optimizer import Optimizer, _state_tensor

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent, θ_t = θ_{t-1} − γ g_t.

    With gradient g_t = ∇f(θ_{t-1}) (negated when ``maximize``) plus λ θ_{t-1}, and with
    momentum μ ≠ 0 the buffer b_t = μ b_{t-1} + (1 − τ) g_t (b_1 = g_1) replacing g_t, or
    g_t + μ b_t with ``nesterov``.

    Args:
        params: tensors, or dicts of tensors and per-group options.
        lr: learning rate γ (default 1e-3).
        momentum: momentum factor μ (default 0).
        dampening: dampening τ of the momentum (default 0).
        weight_decay: L2 penalty λ (default 0).
        nesterov: Nesterov momentum; needs μ > 0 and τ = 0.
        maximize: ascend the objective instead of descending it.

    Examples:
        E = w₁² + w₂², so ∂E/∂w = 2w = (2, −4) and a step of lr 0.1 gives w − 0.1·2w:

        >>> import backprop as bp
        >>> from backprop import optim
        >>> w = bp.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = optim.SGD([w], lr=0.1)
        >>> opt.zero_grad()
        >>> (w**2).sum().backward()
        >>> opt.step()
        >>> w
        tensor([ 0.8000, -1.6000], requires_grad=True)

        With momentum 0.9 the second step adds 0.9 × the first gradient (2, −4) to the new
        one (1.6, −3.2): w = (0.8, −1.6) − 0.1 · (3.4, −6.8):

        >>> w = bp.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = optim.SGD([w], lr=0.1, momentum=0.9)
        >>> for step in range(2):
        ...     opt.zero_grad()
        ...     (w**2).sum().backward()
        ...     opt.step()
        >>> w
        tensor([ 0.4600, -0.9200], requires_grad=True)
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        self._check_lr(group["lr"])
        self._check_nonneg("momentum", group["momentum"], "pass momentum=0 or e.g. 0.9.")
        self._check_nonneg(
            "weight_decay", group["weight_decay"], "pass weight_decay=0 or e.g. 1e-4."
        )
        if not isinstance(group["dampening"], numbers.Real):
            raise ConfigError(
                f"SGD: dampening must be a number, got {group['dampening']!r}; pass e.g. 0."
            )
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ConfigError(
                "SGD: nesterov=True needs momentum > 0 and dampening = 0, got "
                f"momentum={group['momentum']!r}, dampening={group['dampening']!r}; pass e.g. "
                "momentum=0.9, dampening=0, or nesterov=False."
            )

    def _update_group(self, group: dict[str, Any]) -> None:
        for p, grad, state in self._params_with_grad(group):
            buf = state.get("momentum_buffer")
            new_buf = F.sgd(
                p._data,
                grad,
                None if buf is None else buf._data,
                lr=group["lr"],
                momentum=group["momentum"],
                dampening=group["dampening"],
                weight_decay=group["weight_decay"],
                nesterov=group["nesterov"],
                maximize=group["maximize"],
            )
            if buf is None and new_buf is not None:
                state["momentum_buffer"] = _state_tensor(new_buf)
