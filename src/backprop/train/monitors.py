"""The callbacks that watch a metric: ``EarlyStopping`` (restores the best weights whether or
not it stopped), ``ModelCheckpoint`` (saves through ``backprop.io``) and ``ReduceLROnPlateau``
(wraps ``optim.lr_scheduler.ReduceLROnPlateau``) (floor 4).

Each watches ``monitor`` (``"val_loss"`` falls back to ``"loss"`` when ``fit`` has no
validation data) in a direction ``mode`` (``"auto"``: max for accuracy and r2, min
otherwise). Nothing here prints.
"""

from __future__ import annotations

import math

from ..errors import ConfigError
from .callbacks import Callback, TrainState, _check_int
from .weights import WeightCopy

__all__ = ["EarlyStopping", "ModelCheckpoint", "ReduceLROnPlateau"]


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

    Examples:
        >>> import backprop as bp
        >>> from backprop import fit, nn, optim, train
        >>> _ = bp.manual_seed(0)
        >>> x = bp.linspace(-1, 1, 20).reshape(20, 1)
        >>> y = x**2
        >>> model = nn.MLP([1, 8, 1], activation='tanh')
        >>> adam = optim.Adam(model.parameters(), lr=0.05)
        >>> stop = train.EarlyStopping(patience=5)
        >>> history = fit(
        ...     model, (x, y), nn.MSELoss(), adam, epochs=2000, validation=0.25, callbacks=[stop]
        ... )
        >>> len(history) < 2000, history.stop_reason is not None
        (True, True)
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

    Examples:
        >>> import backprop as bp
        >>> from backprop import fit, nn, optim, train
        >>> _ = bp.manual_seed(0)
        >>> x = bp.linspace(-1, 1, 20).reshape(20, 1)
        >>> y = x**2
        >>> model = nn.MLP([1, 8, 1], activation='tanh')
        >>> import os, tempfile
        >>> from backprop import io
        >>> adam = optim.Adam(model.parameters(), lr=0.05)
        >>> folder = tempfile.TemporaryDirectory()  # deleted with the object
        >>> path = os.path.join(folder.name, 'best.safetensors')
        >>> best = train.ModelCheckpoint(path, monitor='loss')
        >>> _ = fit(model, (x, y), nn.MSELoss(), adam, epochs=20, callbacks=[best])
        >>> io.load(path)[0].weight.shape
        backprop.Size([8, 1])
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

    Examples:
        >>> import backprop as bp
        >>> from backprop import fit, nn, optim, train
        >>> _ = bp.manual_seed(0)
        >>> x = bp.linspace(-1, 1, 20).reshape(20, 1)
        >>> y = x**2
        >>> model = nn.MLP([1, 8, 1], activation='tanh')
        >>> adam = optim.Adam(model.parameters(), lr=0.5)  # too large: the loss jumps about
        >>> plateau = train.ReduceLROnPlateau(monitor='loss', factor=0.5, patience=3)
        >>> history = fit(model, (x, y), nn.MSELoss(), adam, epochs=12, callbacks=[plateau])
        >>> [round(loss, 2) for loss in history['loss']]
        [0.52, 0.36, 4.19, 0.16, 2.2, 1.83, 0.55, 0.54, 0.73, 0.6, 0.3, 0.18]
        >>> history['lr']  # halved after epochs 5-7 and 8-10, three in a row above the best 0.16
        [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125, 0.125]
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
