"""RMSprop, optionally centered and with momentum (floor 2).

``RMSprop`` is PyTorch's ``torch.optim.RMSprop``: same arguments, defaults, state
(``step``, ``square_avg``, ``momentum_buffer`` when momentum > 0, ``grad_avg`` when centered)
and trajectory; ε is added after the square root, as in PyTorch (TensorFlow differs). The
arithmetic is in ``_functional.rmsprop``. Not a training loop.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from backprop.optim import _functional as F
from backprop.optim.optimizer import Optimizer, _state_tensor, _step_tensor

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop: θ_t = θ_{t-1} − γ g_t / (√ṽ_t + ε).

    g_t = ∇f(θ_{t-1}) (negated when ``maximize``) + λ θ_{t-1};
    v_t = α v_{t-1} + (1 − α) g_t²; ṽ_t = v_t, or with ``centered``
    ṽ_t = v_t − (g^ave_t)² where g^ave_t = α g^ave_{t-1} + (1 − α) g_t. With momentum μ > 0:
    b_t = μ b_{t-1} + g_t / (√ṽ_t + ε) and θ_t = θ_{t-1} − γ b_t.

    Args:
        params: tensors, or dicts of tensors and per-group options.
        lr: learning rate γ (default 1e-2).
        alpha: smoothing constant α of the square average, in [0, 1) (default 0.99).
        eps: ε added to the denominator (default 1e-8).
        weight_decay: L2 penalty λ (default 0).
        momentum: momentum factor μ (default 0).
        centered: divide by an estimate of the gradient's variance instead of its second moment.
        maximize: ascend the objective instead of descending it.

    Examples:
        >>> import backprop as bp
        >>> from backprop import optim
        >>> w = bp.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = optim.RMSprop([w], lr=0.01)
        >>> (w**2).sum().backward()
        >>> opt.step()  # g/√(0.01·g²) = 10·sign(g): a step of 0.1
        >>> w
        tensor([ 0.9000, -1.9000], requires_grad=True)
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        self._check_lr(group["lr"])
        self._check_unit("alpha", group["alpha"], "pass e.g. alpha=0.99.")
        self._check_nonneg("eps", group["eps"], "pass e.g. eps=1e-8.")
        self._check_nonneg("momentum", group["momentum"], "pass momentum=0 or e.g. 0.9.")
        self._check_nonneg(
            "weight_decay", group["weight_decay"], "pass weight_decay=0 or e.g. 1e-4."
        )

    def _update_group(self, group: dict[str, Any]) -> None:
        for p, grad, state in self._params_with_grad(group):
            if not state:
                state["step"] = _step_tensor()
                state["square_avg"] = _state_tensor(np.zeros_like(p._data))
                if group["momentum"] > 0:
                    state["momentum_buffer"] = _state_tensor(np.zeros_like(p._data))
                if group["centered"]:
                    state["grad_avg"] = _state_tensor(np.zeros_like(p._data))
            state["step"]._data += 1
            grad_avg = state.get("grad_avg") if group["centered"] else None
            buf = state.get("momentum_buffer") if group["momentum"] > 0 else None
            F.rmsprop(
                p._data,
                grad,
                state["square_avg"]._data,
                None if grad_avg is None else grad_avg._data,
                None if buf is None else buf._data,
                lr=group["lr"],
                alpha=group["alpha"],
                eps=group["eps"],
                weight_decay=group["weight_decay"],
                momentum=group["momentum"],
                maximize=group["maximize"],
            )
