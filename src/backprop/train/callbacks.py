"""Callbacks: code that ``fit`` calls at fixed points of training, and the usual ones.

A ``Callback`` overrides any of ``on_train_begin``, ``on_epoch_begin``,
``on_after_backward`` (gradients ready, optimizer step not yet taken), ``on_batch_end``,
``on_epoch_end`` and ``on_train_end``; each receives the ``TrainState`` and may ask to stop
with ``state.request_stop(reason)``. Provided here: ``EarlyStopping`` (restores the best
weights whether or not it stopped), ``ModelCheckpoint`` (saves through ``backprop.io``),
``ReduceLROnPlateau`` (wraps ``optim.lr_scheduler.ReduceLROnPlateau``); ``ProgressEvents``
lives in ``events.py``, the NaN guard in ``guard.py``. A callback whose state
must survive a crash returns it from ``state_dict`` (JSON values and NumPy arrays) and takes
it back in ``load_state_dict``; ``BackupAndRestore`` (``backup.py``) stores it between
epochs. Nothing here prints.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import BackpropError, ConfigError
from .weights import WeightCopy

__all__ = [
    "Callback",
    "EarlyStopping",
    "ModelCheckpoint",
    "ReduceLROnPlateau",
    "TrainState",
    "TrainingStopped",
]


class TrainingStopped(BackpropError, RuntimeError):
    """Raised by ``fit(..., guard="raise")`` when the NaN guard stops training.

    The model already holds the last good weights; ``history`` is the run so far.
    """

    def __init__(self, message: str, history=None) -> None:
        super().__init__(message)
        self.history = history


@dataclass
class TrainState:
    """What callbacks see. ``epoch`` and ``batch`` are 1-based; ``step`` counts updates."""

    model: Any
    optimizer: Any
    history: Any
    epochs: int
    batches: int
    parameters: list
    loss_fn: Any
    loss_name: str | None
    engine: str
    task: str
    x: np.ndarray
    y: np.ndarray
    has_validation: bool
    scheduler: Any = None
    validation_freq: int = 1  # validation metrics every this many epochs (and the last)
    penalty: tuple = ("none", 0.0)  # fit's L1/L2 penalty (kind, rate)
    shuffle: bool = True
    callbacks: list = field(default_factory=list)  # every callback of the run, guard included
    rng: Any = None  # the np.random.Generator that draws each epoch's row order
    done: int = 0  # epochs finished: their losses are in the history
    epoch: int = 0
    batch: int = 0
    step: int = 0
    batch_loss: float | None = None
    logs: dict = field(default_factory=dict)
    stop: bool = False
    stop_reason: str | None = None
    stopped_by: Any = None

    def request_stop(self, reason: str, by: Any = None) -> None:
        """Stop after the current hook (the first reason given is kept)."""
        if not self.stop:
            self.stop, self.stop_reason, self.stopped_by = True, reason, by


class Callback:
    """Base class; every hook does nothing. Hooks run in the order callbacks were given."""

    def on_train_begin(self, state: TrainState) -> None:
        """Before the first epoch (after the data were checked)."""

    def on_epoch_begin(self, state: TrainState) -> None:
        """Before the first batch of ``state.epoch``."""

    def on_after_backward(self, state: TrainState) -> None:
        """Gradients of ``state.batch`` are in ``.grad``; a stop request skips the step."""

    def on_batch_end(self, state: TrainState) -> None:
        """After the optimizer step of ``state.batch`` (``state.batch_loss`` is its loss)."""

    def on_epoch_end(self, state: TrainState) -> None:
        """``state.logs`` holds the epoch's metrics, already appended to the history; the
        scheduler given to ``fit`` has already stepped."""

    def on_train_end(self, state: TrainState) -> None:
        """After the last epoch, or after a stop."""

    def on_progress(self, state: TrainState) -> None:
        """While the engine runs, about every ``spans.TICK`` seconds: ``state.epoch`` (the
        epoch under way), ``batch``, ``step`` and ``batch_loss`` say where training is."""

    # -- when a callback needs control (fit runs the engine in spans between these) ----------

    def next_epoch(self, state: TrainState) -> int | None:
        """The first epoch after ``state.done`` at whose end this callback needs its epoch
        hooks, with the full-set metrics measured; None: none before the last epoch.

        ``fit`` asks again after every epoch end it stops at. The default keeps callbacks
        written for an epoch-by-epoch loop exact: every epoch for a callback that overrides
        ``on_epoch_begin`` or ``on_epoch_end``, none otherwise. A callback that needs fewer
        (a log every 1,000 epochs) says so here, and the engine runs uninterrupted between.
        Epoch hooks also run at the epochs other callbacks need (a backup by time), so a
        callback that acts every N epochs checks ``state.epoch`` as well.
        """
        kind = type(self)
        if (
            kind.on_epoch_end is not Callback.on_epoch_end
            or kind.on_epoch_begin is not Callback.on_epoch_begin
        ):
            return state.done + 1
        return None

    #: what the epochs this callback asks for need measured: True for the training set's
    #: full-set metrics (``accuracy``, ``r2``), ``"validation"`` for the validation set's
    #: (also measured every ``validation_freq`` epochs anyway), False for nothing (a backup
    #: needs the epoch's end only; the engine's ``loss`` is always there)
    wants_metrics = True

    def due(self, state: TrainState) -> bool:
        """A need by time (a backup every second): True asks for the end of the epoch under
        way. Asked between spans, about every ``spans.TICK`` seconds; the epoch hooks then see
        the loss, lr and time, not full-set metrics."""
        return False

    def state_dict(self) -> dict:
        """What a backup must keep for a resumed run to go on exactly as this one would:
        JSON values and NumPy arrays ({} when the callback keeps nothing across epochs)."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        """Take back what ``state_dict`` returned (called after ``on_train_begin``)."""


def resolve_monitor(monitor: str, state: TrainState) -> str:
    """``val_…`` without validation data falls back to the training metric (``loss``)."""
    if monitor.startswith("val_") and not state.has_validation:
        return monitor[4:]
    return monitor


def resolve_mode(mode: str, monitor: str, who: str) -> str:
    if mode not in ("auto", "min", "max"):
        raise ConfigError(f"{who}: mode must be 'auto', 'min' or 'max', got {mode!r}.")
    if mode != "auto":
        return mode
    return "max" if ("acc" in monitor or "r2" in monitor) else "min"


def monitored(state: TrainState, key: str, who: str) -> float | None:
    """The value of ``key`` this epoch; None when it is measured at other epochs only (a
    ``val_`` metric between ``validation_freq`` epochs): the callback skips the epoch."""
    if key not in state.logs:
        names = {"loss", *(("accuracy",) if state.task == "classification" else ("rmse", "r2"))}
        if key in state.history.history or (
            key.startswith("val_") and state.has_validation and key[4:] in names
        ):
            return None
        raise ConfigError(
            f"{who}: monitor {key!r} is not among this run's metrics "
            f"({', '.join(sorted(state.logs))}); pick one of those."
        )
    return float(state.logs[key])


def _check_int(value, name: str, who: str, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"{who}: {name} must be a whole number >= {low}, got {value!r}.")


class _Monitor(Callback):
    """Shared bookkeeping: which metric, which direction, the best value so far."""

    who = "callback"

    def __init__(self, monitor: str, mode: str, min_delta: float = 0.0) -> None:
        if not isinstance(monitor, str):
            raise ConfigError(f"{self.who}: monitor must be a metric name, got {monitor!r}.")
        if isinstance(min_delta, bool) or not isinstance(min_delta, int | float) or min_delta < 0:
            raise ConfigError(f"{self.who}: min_delta must be a number >= 0, got {min_delta!r}.")
        resolve_mode(mode, monitor, self.who)
        self.monitor, self.mode, self.min_delta = monitor, mode, float(min_delta)

    @property
    def wants_metrics(self):
        """What its epochs need measured: nothing for the engine's ``loss``, the validation
        set for a ``val_`` metric, the training set's metrics otherwise."""
        watched = getattr(self, "monitor_used", self.monitor)
        if watched == "loss":
            return False
        return "validation" if watched.startswith("val_") else True

    def next_epoch(self, state: TrainState) -> int | None:
        """Every epoch; watching a ``val_`` metric, the epochs it is measured at."""
        watched = getattr(self, "monitor_used", self.monitor)
        if watched.startswith("val_") and state.has_validation:
            freq = state.validation_freq
            return min((state.done // freq + 1) * freq, state.epochs)
        return state.done + 1

    def _begin(self, state: TrainState) -> None:
        self.monitor_used = resolve_monitor(self.monitor, state)
        self.direction = resolve_mode(self.mode, self.monitor_used, self.who)
        self.best = math.inf if self.direction == "min" else -math.inf
        self.best_epoch: int | None = None

    def _monitor_state(self) -> dict:
        return {"monitor": self.monitor_used, "best": self.best, "best_epoch": self.best_epoch}

    def _load_monitor(self, state: dict) -> None:
        self._check_monitor(state["monitor"])
        self.best, self.best_epoch = state["best"], state["best_epoch"]

    def _check_monitor(self, saved: str) -> None:
        if saved != self.monitor_used:
            raise ConfigError(
                f"{self.who}: the backup watched {saved!r}, this run watches "
                f"{self.monitor_used!r}; give it the same monitor as the interrupted run."
            )

    def _improved(self, value: float) -> bool:
        if self.direction == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta


class EarlyStopping(_Monitor):
    """Stop when ``monitor`` has not improved for ``patience`` epochs; keep the best weights.

    Args:
        monitor: metric to watch; ``"val_loss"`` falls back to ``"loss"`` when ``fit`` has no
            validation data (and any ``val_x`` to ``x``).
        patience: epochs without improvement before stopping (as Keras counts them).
        min_delta: an improvement must beat the best value by more than this.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (max for accuracy and r2, min otherwise).
        restore_best_weights: at the end of training put back the weights of the best
            epoch — whether training stopped early or ran all its epochs (Keras restores
            only when it stops early).

    ``history.best_epoch`` records the best epoch; ``best`` its value.
    """

    who = "EarlyStopping"

    def __init__(
        self, monitor="val_loss", patience=10, min_delta=0.0, mode="auto", restore_best_weights=True
    ) -> None:
        super().__init__(monitor, mode, min_delta)
        _check_int(patience, "patience", self.who, 0)
        self.patience = patience
        self.restore_best_weights = bool(restore_best_weights)

    def on_train_begin(self, state: TrainState) -> None:
        self._begin(state)
        self.wait = 0
        self.stopped_epoch: int | None = None
        self._weights = WeightCopy(state.parameters) if self.restore_best_weights else None

    def on_epoch_end(self, state: TrainState) -> None:
        value = monitored(state, self.monitor_used, self.who)
        if value is None:
            return
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, state.epoch, 0
            if self._weights is not None:
                self._weights.save()
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self._stop(state)
        state.history.best_epoch = self.best_epoch

    def _stop(self, state: TrainState) -> None:
        self.stopped_epoch = state.epoch
        state.request_stop(
            f"early stopping: {self.monitor_used} did not improve for {self.wait} "
            f"epochs (best {self.best:.6g} at epoch {self.best_epoch})",
            self,
        )

    def loss_rule(self):
        """(patience, min_delta, best, wait, best_epoch) when the rule can be judged by the
        engine itself at each epoch's end — the engine's own ``loss``, minimised, no best
        weights to keep — else None; ``fit`` then needs no control between epochs for it."""
        if self.monitor_used != "loss" or self.direction != "min" or self._weights is not None:
            return None
        return self.patience, self.min_delta, self.best, self.wait, self.best_epoch

    def take_rule(self, state: TrainState, rule_state, fired: bool) -> None:
        """The engine's counters of the rule (``loss_rule``), and its stop if it fired."""
        self.best, self.wait, self.best_epoch = rule_state
        state.history.best_epoch = self.best_epoch
        if fired:
            self._stop(state)

    def state_dict(self) -> dict:
        weights = None if self._weights is None else self._weights.arrays()
        extra = {"wait": self.wait, "stopped_epoch": self.stopped_epoch, "weights": weights}
        return {**self._monitor_state(), **extra}

    def load_state_dict(self, state: dict) -> None:
        self._load_monitor(state)
        self.wait, self.stopped_epoch = state["wait"], state["stopped_epoch"]
        if self._weights is not None:
            self._weights.load(state["weights"])

    def on_train_end(self, state: TrainState) -> None:
        if self._weights is not None and self.best_epoch is not None:
            self._weights.restore()
        state.history.best_epoch = self.best_epoch


class ModelCheckpoint(_Monitor):
    """Save the model with ``backprop.io.save`` (atomic) when ``monitor`` improves.

    Args:
        path: file to write; may contain ``{epoch}`` or any metric name (``{val_loss:.4f}``).
        monitor: as in ``EarlyStopping`` (``val_loss``, falling back to ``loss``).
        save_best_only: save only on improvement (default); False saves every epoch.
        mode: ``"min"``, ``"max"`` or ``"auto"``.
        spec: the experiment spec's model part, stored in the file so it rebuilds the model.

    The file's metadata holds ``epoch`` and the monitored value; ``saved`` lists the
    ``(epoch, path)`` of every file written.
    """

    who = "ModelCheckpoint"

    def __init__(
        self, path, monitor="val_loss", save_best_only=True, mode="auto", spec=None
    ) -> None:
        super().__init__(monitor, mode)
        self.path = str(path)
        self.save_best_only = bool(save_best_only)
        self.spec = spec

    def on_train_begin(self, state: TrainState) -> None:
        from .. import io  # floor 5 neighbour; imported when used

        self._save = io.save
        self._begin(state)
        self.saved: list[tuple[int, str]] = []

    def on_epoch_end(self, state: TrainState) -> None:
        value = monitored(state, self.monitor_used, self.who)
        if value is None:
            return
        if self.save_best_only and not self._improved(value):
            return
        if self._improved(value):
            self.best, self.best_epoch = value, state.epoch
        try:
            path = self.path.format(epoch=state.epoch, **state.logs)
        except (KeyError, IndexError, ValueError) as err:
            raise ConfigError(
                f"ModelCheckpoint: path {self.path!r} names a field it cannot fill ({err}); "
                f"use {{epoch}} or a metric: {', '.join(sorted(state.logs))}."
            ) from err
        metadata = {
            "epoch": state.epoch,
            self.monitor_used: value if math.isfinite(value) else None,
        }
        self._save(state.model, path, spec=self.spec, metadata=metadata)
        self.saved.append((state.epoch, path))

    def state_dict(self) -> dict:
        return {**self._monitor_state(), "saved": self.saved}

    def load_state_dict(self, state: dict) -> None:
        self._load_monitor(state)
        self.saved = [(int(epoch), str(path)) for epoch, path in state["saved"]]


class ReduceLROnPlateau(_Monitor):
    """Multiply the learning rate by ``factor`` when ``monitor`` stops improving.

    A wrapper around ``optim.lr_scheduler.ReduceLROnPlateau`` (PyTorch's rule: better means
    better than best·(1 − threshold) for ``threshold_mode="rel"``), except that
    ``patience`` counts as in ``EarlyStopping`` and Keras: the lr drops at the end of the
    ``patience``-th epoch in a row without improvement (PyTorch's scheduler waits one
    epoch more for the same number). ``min_lr`` bounds the lr from below.
    """

    who = "ReduceLROnPlateau"

    def __init__(
        self,
        monitor="val_loss",
        factor=0.1,
        patience=10,
        min_lr=0.0,
        mode="auto",
        threshold=1e-4,
        threshold_mode="rel",
        cooldown=0,
        eps=1e-8,
    ) -> None:
        super().__init__(monitor, mode)
        _check_int(patience, "patience", self.who, 0)
        self.options = dict(
            factor=factor,
            patience=max(patience - 1, 0),
            min_lr=min_lr,
            threshold=threshold,
            threshold_mode=threshold_mode,
            cooldown=cooldown,
            eps=eps,
        )
        self.patience = patience

    def on_train_begin(self, state: TrainState) -> None:
        from ..optim import lr_scheduler

        self._begin(state)
        self.scheduler = lr_scheduler.ReduceLROnPlateau(
            state.optimizer, mode=self.direction, **self.options
        )

    def on_epoch_end(self, state: TrainState) -> None:
        value = monitored(state, self.monitor_used, self.who)
        if value is not None:
            self.scheduler.step(value)

    def state_dict(self) -> dict:
        return {"monitor": self.monitor_used, "scheduler": self.scheduler.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self._check_monitor(state["monitor"])
        self.scheduler.load_state_dict(state["scheduler"])
