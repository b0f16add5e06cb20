"""Learning-rate schedulers with PyTorch's semantics (floor 2).

A scheduler rewrites ``group["lr"]`` of an optimizer's parameter groups once per
``step()`` (call it after ``optimizer.step()``, once an epoch). On construction it stores
``initial_lr`` in each group (the base lr η₀), sets ``last_epoch`` to 0 and records the
current lrs, exactly like ``torch.optim.lr_scheduler``; the recursive forms (multiply the
current lr) are the ones PyTorch uses, so sequences agree number for number, including when
another scheduler or the user changes the lr in between. Schedules here depend only on the
epoch count, except ``ReduceLROnPlateau`` which reads a metric. Not supported: the
deprecated ``step(epoch)`` argument; warm restarts, cyclic and one-cycle schedules.
"""

from __future__ import annotations

import math
import numbers
import types
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from backprop.errors import ConfigError
from backprop.optim.optimizer import Optimizer

__all__ = [
    "CosineAnnealingLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "MultiStepLR",
    "ReduceLROnPlateau",
    "StepLR",
]


def _check_optimizer(name: str, optimizer: Any) -> None:
    if not isinstance(optimizer, Optimizer):
        raise ConfigError(
            f"{name}: optimizer must be a backprop.optim.Optimizer, got "
            f"{type(optimizer).__name__}; pass e.g. backprop.optim.SGD(model.parameters())."
        )


def _check_number(
    name: str,
    arg: str,
    value: Any,
    rule: str,
    fix: str,
    ok: Callable[[Any], bool] = lambda v: True,
    integer: bool = False,
) -> None:
    """Raise ``ConfigError`` unless ``value`` is a number (an int if ``integer``) passing ``ok``."""
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind) or not ok(value):
        raise ConfigError(f"{name}: {arg} must be {rule}, got {value!r}; {fix}")


class LRScheduler:
    """Base class: ``step()`` advances ``last_epoch`` and sets each group's lr to ``get_lr()``.

    Args:
        optimizer: the optimizer whose ``param_groups`` lrs are scheduled.
        last_epoch: index of the last epoch seen; -1 (the default) starts a new schedule and
            stores ``initial_lr`` in every group. Any other value resumes and needs
            ``initial_lr`` already present (restored with the optimizer's state).

    Subclasses implement ``get_lr()``, which may read ``self.last_epoch`` (already advanced),
    ``self.base_lrs`` and the current ``group["lr"]``.
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        _check_optimizer(type(self).__name__, optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise ConfigError(
                        f"{type(self).__name__}: last_epoch={last_epoch} resumes a schedule, "
                        f"but param_groups[{i}] has no 'initial_lr'; load the optimizer's "
                        "state dict first, or pass last_epoch=-1 to start a new schedule."
                    )
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        """The lr of each group for epoch ``last_epoch``; use ``get_last_lr()`` to read it."""
        raise NotImplementedError

    def get_last_lr(self) -> list[float]:
        """The lrs set by the last ``step()`` (one per parameter group)."""
        return list(self._last_lr)

    def step(self) -> None:
        """Advance one epoch and write the new lrs into the optimizer's groups."""
        self._step_count += 1
        self.last_epoch += 1
        values = self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _current_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimizer (which has its own state dict)."""
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore attributes saved by ``state_dict``."""
        self.__dict__.update(state_dict)


class StepLR(LRScheduler):
    """Multiply the lr by γ every ``step_size`` epochs: η_t = η₀ γ^⌊t / step_size⌋.

    Computed recursively (η_t = γ η_{t-1} when t is a nonzero multiple of ``step_size``).

    Args:
        optimizer: the scheduled optimizer.
        step_size: period of the decay, in epochs (a positive integer).
        gamma: multiplicative factor γ (default 0.1).
        last_epoch: see ``LRScheduler``.
    """

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        _check_number(
            "StepLR", "step_size", step_size, "a positive integer", "pass e.g. step_size=30.",
            lambda v: v > 0, integer=True,
        )  # fmt: skip
        _check_number("StepLR", "gamma", gamma, "a number", "pass e.g. gamma=0.1.")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]


class MultiStepLR(LRScheduler):
    """Multiply the lr by γ at each milestone epoch: η_t = η₀ γ^(number of milestones ≤ t).

    A milestone listed n times multiplies by γⁿ, as in PyTorch.

    Args:
        optimizer: the scheduled optimizer.
        milestones: epoch indices (non-negative integers, increasing).
        gamma: multiplicative factor γ (default 0.1).
        last_epoch: see ``LRScheduler``.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        milestones: Sequence[int],
        gamma: float = 0.1,
        last_epoch: int = -1,
    ) -> None:
        milestones = list(milestones)
        if any(isinstance(m, bool) or not isinstance(m, int) or m < 0 for m in milestones):
            raise ConfigError(
                f"MultiStepLR: milestones must be non-negative integers, got {milestones!r}; "
                "pass e.g. milestones=[30, 80]."
            )
        if milestones != sorted(milestones):
            raise ConfigError(
                f"MultiStepLR: milestones must be increasing, got {milestones!r}; "
                f"pass {sorted(milestones)!r}."
            )
        _check_number("MultiStepLR", "gamma", gamma, "a number", "pass e.g. gamma=0.1.")
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch not in self.milestones:
            return self._current_lrs()
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [lr * factor for lr in self._current_lrs()]


class ExponentialLR(LRScheduler):
    """Multiply the lr by γ every epoch: η_t = η₀ γᵗ (computed as η_t = γ η_{t-1}).

    Args:
        optimizer: the scheduled optimizer.
        gamma: multiplicative factor γ.
        last_epoch: see ``LRScheduler``.
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        _check_number("ExponentialLR", "gamma", gamma, "a number", "pass e.g. gamma=0.95.")
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]


class CosineAnnealingLR(LRScheduler):
    r"""Cosine annealing from η₀ down to η_min over ``T_max`` epochs (no restarts).

    The closed form is η_t = η_min + ½ (η₀ − η_min)(1 + cos(π t / T_max)); like PyTorch it is
    computed recursively,
    η_{t+1} = η_min + (η_t − η_min) (1 + cos(π (t+1) / T_max)) / (1 + cos(π t / T_max)),
    except at t + 1 = T_max + 1 (mod 2 T_max), where that ratio is 0/0 and the lr climbs
    by (η₀ − η_min)(1 − cos(π / T_max)) / 2 instead. Past T_max the lr rises again.

    Args:
        optimizer: the scheduled optimizer.
        T_max: half-period, in epochs (a positive integer).
        eta_min: the lowest lr η_min (default 0).
        last_epoch: see ``LRScheduler``.
    """

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        _check_number(
            "CosineAnnealingLR", "T_max", T_max, "a positive integer",
            "pass the number of epochs, e.g. T_max=100.", lambda v: v > 0, integer=True,
        )  # fmt: skip
        _check_number(
            "CosineAnnealingLR", "eta_min", eta_min, "a number >= 0", "pass e.g. eta_min=0.",
            lambda v: v >= 0,
        )  # fmt: skip
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self._current_lrs()
        t, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        if (t - 1 - T) % (2 * T) == 0:
            rise = (1 - math.cos(math.pi / T)) / 2
            return [
                lr + (base - eta_min) * rise
                for lr, base in zip(self._current_lrs(), self.base_lrs, strict=True)
            ]
        ratio = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
        return [ratio * (lr - eta_min) + eta_min for lr in self._current_lrs()]


class LambdaLR(LRScheduler):
    """η_t = η₀ · λ(t) for a user function λ of the epoch (one for all groups, or one each).

    Args:
        optimizer: the scheduled optimizer.
        lr_lambda: a function of the epoch index returning a factor, or a list of such
            functions, one per parameter group.
        last_epoch: see ``LRScheduler``.

    ``state_dict`` saves the attributes of callable objects, not plain functions or lambdas.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        _check_optimizer("LambdaLR", optimizer)
        n_groups = len(optimizer.param_groups)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != n_groups:
                raise ConfigError(
                    f"LambdaLR: lr_lambda has {len(lr_lambda)} functions but the optimizer has "
                    f"{n_groups} parameter groups; pass one function per group, or a single one."
                )
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * n_groups
        for fn in self.lr_lambdas:
            if not callable(fn):
                raise ConfigError(
                    f"LambdaLR: lr_lambda must be callable, got {fn!r}; pass e.g. "
                    "lr_lambda=lambda epoch: 0.95 ** epoch."
                )
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [
            base * fn(self.last_epoch)
            for fn, base in zip(self.lr_lambdas, self.base_lrs, strict=True)
        ]

    def state_dict(self) -> dict[str, Any]:
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [
            None if isinstance(fn, types.FunctionType) else dict(getattr(fn, "__dict__", {}))
            for fn in self.lr_lambdas
        ]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        saved = state.pop("lr_lambdas", [])
        self.__dict__.update(state)
        for fn, attrs in zip(self.lr_lambdas, saved):
            if attrs is not None:
                fn.__dict__.update(attrs)


# Defined beside the others in PyTorch; here in its own file, which imports this one.
from backprop.optim.plateau import ReduceLROnPlateau  # noqa: E402
