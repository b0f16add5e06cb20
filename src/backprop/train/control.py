"""How ``fit``'s runner talks to callbacks (floor 5): which hooks each overrides, calling
them, the scheduler's step, and merging what callbacks want measured."""

from __future__ import annotations

import numbers

from ..errors import ConfigError
from .callbacks import Callback

__all__ = ["HOOKS", "call", "hooks_for", "more", "step_scheduler", "whole_epoch"]

HOOKS = (
    "on_train_begin",
    "on_epoch_begin",
    "on_after_backward",
    "on_batch_end",
    "on_epoch_end",
    "on_train_end",
    "on_progress",
)


def hooks_for(callbacks) -> dict[str, list]:
    """For each hook, the callbacks that override it (the others are never called);
    ``runs_last`` ones (BackupAndRestore) after the rest, so they see their work done.
    Per-batch hooks only of callbacks that want batch events (``batch_hooks``)."""
    for cb in callbacks:
        if not isinstance(cb, Callback):
            raise ConfigError(f"fit: callbacks must be Callback objects, got {cb!r}.")
    callbacks = sorted(callbacks, key=lambda cb: bool(getattr(cb, "runs_last", False)))
    hooks = {
        name: [cb for cb in callbacks if getattr(type(cb), name) is not getattr(Callback, name)]
        for name in HOOKS
    }
    for name in ("on_after_backward", "on_batch_end"):  # batch events asked for only
        hooks[name] = [cb for cb in hooks[name] if getattr(cb, "batch_hooks", True)]
    return hooks


def more(a, b):
    """The larger of two ``wants_metrics`` values: False < "validation" < True."""
    rank = {False: 0, None: 0, "validation": 1, True: 2}
    return a if rank.get(a, 2) >= rank.get(b, 2) else b


def step_scheduler(scheduler, logs, has_validation) -> None:
    if scheduler is None:
        return
    from ..optim.lr_scheduler import ReduceLROnPlateau

    if isinstance(scheduler, ReduceLROnPlateau):
        # it watches val_loss, measured every validation_freq epochs: only those count
        value = logs.get("val_loss") if has_validation else logs["loss"]
        if value is not None:
            scheduler.step(value)
    else:
        scheduler.step()


def call(hooks, name, state) -> None:
    for cb in hooks[name]:
        getattr(cb, name)(state)


def whole_epoch(value, cb) -> int:
    """A callback's ``next_epoch`` answer, checked: None or a whole epoch number (one not
    after ``state.done`` means the next epoch)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ConfigError(
            f"fit: {type(cb).__name__}.next_epoch must return None or a whole epoch number, "
            f"got {value!r}; e.g. return state.done + 1 for the end of the next epoch."
        )
    return int(value)
