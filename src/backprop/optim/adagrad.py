"""Adagrad, the per-coordinate accumulated-gradient optimizer (floor 2).

``Adagrad`` is PyTorch's ``torch.optim.Adagrad``: same arguments, defaults, state (``step``
as a float32 scalar and ``sum``) and trajectory. Unlike PyTorch, which fills the state in the
constructor, the state is created at a parameter's first update (the numbers are the same).
The arithmetic is in ``_functional.adagrad``. Not a training loop.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from backprop.optim import _functional as F
from backprop.optim.optimizer import Optimizer, _state_tensor, _step_tensor

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad: θ_t = θ_{t-1} − γ̃ g_t / (√state_sum_t + ε).

    γ̃ = γ / (1 + (t − 1) η); g_t = ∇f(θ_{t-1}) (negated when ``maximize``) + λ θ_{t-1};
    state_sum_t = state_sum_{t-1} + g_t², state_sum_0 = the initial accumulator value.

    Args:
        params: tensors, or dicts of tensors and per-group options.
        lr: learning rate γ (default 1e-2).
        lr_decay: learning-rate decay η (default 0).
        weight_decay: L2 penalty λ (default 0).
        initial_accumulator_value: state_sum_0 (default 0).
        eps: ε added to the denominator (default 1e-10).
        maximize: ascend the objective instead of descending it.

    Examples:
        The first step is lr against the gradient's sign (g₁/√g₁²); later steps shrink as the
        squared gradients add up:

        >>> import backprop as bp
        >>> from backprop import optim
        >>> w = bp.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = optim.Adagrad([w], lr=0.1)
        >>> for step in range(2):
        ...     opt.zero_grad()
        ...     (w**2).sum().backward()
        ...     opt.step()
        >>> w
        tensor([ 0.8331, -1.8311], requires_grad=True)
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        self._check_lr(group["lr"])
        self._check_nonneg("lr_decay", group["lr_decay"], "pass lr_decay=0 or e.g. 1e-4.")
        self._check_nonneg(
            "weight_decay", group["weight_decay"], "pass weight_decay=0 or e.g. 1e-4."
        )
        self._check_nonneg(
            "initial_accumulator_value",
            group["initial_accumulator_value"],
            "pass initial_accumulator_value=0 or e.g. 0.1.",
        )
        self._check_nonneg("eps", group["eps"], "pass e.g. eps=1e-10.")

    def _update_group(self, group: dict[str, Any]) -> None:
        for p, grad, state in self._params_with_grad(group):
            if not state:
                init = group["initial_accumulator_value"]
                state["step"] = _step_tensor()
                state["sum"] = _state_tensor(np.full_like(p._data, init))
            state["step"]._data += 1
            F.adagrad(
                p._data,
                grad,
                state["sum"]._data,
                step=float(state["step"]._data),
                lr=group["lr"],
                lr_decay=group["lr_decay"],
                weight_decay=group["weight_decay"],
                eps=group["eps"],
                maximize=group["maximize"],
            )
