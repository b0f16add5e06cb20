"""``ReduceLROnPlateau``: the one scheduler that reads a metric (floor 2).

Importable from ``backprop.optim.lr_scheduler`` as in PyTorch; kept in its own file because
its state (best value, bad-epoch count, cooldown) and its checks are as long as all the
epoch-count schedules together.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from backprop.errors import ConfigError
from backprop.optim.lr_scheduler import LRScheduler, _check_number, _check_optimizer
from backprop.optim.optimizer import Optimizer

__all__ = ["ReduceLROnPlateau"]


class ReduceLROnPlateau(LRScheduler):
    """Multiply the lr by ``factor`` when a metric stops improving for ``patience`` epochs.

    Each ``step(metric)``: the metric is an improvement when it beats ``best`` by the
    threshold (mode min, rel: ``metric < best·(1 − threshold)``; abs:
    ``metric < best − threshold``; mode max mirrors these with ``>`` and ``+``); otherwise
    it is a bad epoch. Bad epochs during the cooldown after a reduction are not counted.
    When the count of bad epochs exceeds ``patience`` each group's lr becomes
    ``max(lr·factor, min_lr)`` (unchanged when that lowers it by ``eps`` or less), the
    cooldown restarts and the count resets.

    Args:
        optimizer: the scheduled optimizer.
        mode: ``"min"`` (lower metric is better) or ``"max"``.
        factor: multiplicative factor, in [0, 1) (default 0.1).
        patience: bad epochs tolerated before a reduction (default 10).
        threshold: how much better counts as better (default 1e-4).
        threshold_mode: ``"rel"`` or ``"abs"``.
        cooldown: epochs to wait after a reduction before counting again (default 0).
        min_lr: lower bound of the lr, one number or one per group (default 0).
        eps: smallest change of lr that is applied (default 1e-8).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | Sequence[float] = 0,
        eps: float = 1e-8,
    ) -> None:
        name = "ReduceLROnPlateau"
        _check_optimizer(name, optimizer)
        if mode not in ("min", "max"):
            raise ConfigError(f"{name}: mode must be 'min' or 'max', got {mode!r}.")
        if threshold_mode not in ("rel", "abs"):
            raise ConfigError(
                f"{name}: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}."
            )
        _check_number(
            name, "factor", factor, "in [0, 1)",
            "pass e.g. factor=0.1 (the new lr is lr * factor).", lambda v: 0 <= v < 1,
        )  # fmt: skip
        _check_number(
            name, "patience", patience, "an integer >= 0", "pass e.g. patience=10.",
            lambda v: v >= 0, integer=True,
        )  # fmt: skip
        _check_number(
            name, "cooldown", cooldown, "an integer >= 0", "pass e.g. cooldown=0.",
            lambda v: v >= 0, integer=True,
        )  # fmt: skip
        _check_number(
            name, "threshold", threshold, "a number >= 0", "pass e.g. threshold=1e-4.",
            lambda v: v >= 0,
        )  # fmt: skip
        _check_number(name, "eps", eps, "a number >= 0", "pass e.g. eps=1e-8.", lambda v: v >= 0)
        n_groups = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n_groups:
                raise ConfigError(
                    f"{name}: min_lr has {len(min_lr)} values but the optimizer has {n_groups} "
                    "parameter groups; pass one number, or one per group."
                )
            self.default_min_lr = None
            self.min_lrs = list(min_lr)
        else:
            self.default_min_lr = min_lr
            self.min_lrs = [min_lr] * n_groups
        self.optimizer = optimizer
        self.mode = mode
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.threshold_mode = threshold_mode
        self.cooldown = cooldown
        self.eps = eps
        self.last_epoch = 0
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self._last_lr = self._current_lrs()

    def _is_better(self, current: float) -> bool:
        best, th = self.best, self.threshold
        if self.mode == "min":
            return current < (best * (1 - th) if self.threshold_mode == "rel" else best - th)
        return current > (best * (1 + th) if self.threshold_mode == "rel" else best + th)

    def step(self, metrics: Any) -> None:  # type: ignore[override]
        """Record this epoch's metric (a number or a scalar tensor) and maybe lower the lr."""
        data = getattr(metrics, "_data", metrics)
        current = float(data)
        self.last_epoch += 1
        if self._is_better(current):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self._current_lrs()

    def _reduce_lr(self) -> None:
        groups = self.optimizer.param_groups
        if len(self.min_lrs) != len(groups):
            if self.default_min_lr is None:
                raise ConfigError(
                    f"ReduceLROnPlateau: min_lr has {len(self.min_lrs)} values but the "
                    f"optimizer now has {len(groups)} parameter groups; set min_lrs to one "
                    "value per group."
                )
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs, strict=True):
            old = float(group["lr"])
            new = max(old * self.factor, min_lr)
            if old - new > self.eps:
                group["lr"] = new
