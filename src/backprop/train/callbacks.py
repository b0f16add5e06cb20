"""Callbacks: code that ``fit`` calls at fixed points of training, and the usual ones.

A ``Callback`` overrides any of ``on_train_begin``, ``on_epoch_begin``,
``on_after_backward`` (gradients ready, optimizer step not yet taken), ``on_batch_end``,
``on_epoch_end`` and ``on_train_end``; each receives the ``TrainState`` and may ask to stop
with ``state.request_stop(reason)``. The usual ones that watch a metric (``EarlyStopping``,
``ModelCheckpoint``, ``ReduceLROnPlateau``) live in ``monitors.py``, ``ProgressEvents`` in
``events.py``, the NaN guard in ``guard.py``. A callback whose state
must survive a crash returns it from ``state_dict`` (JSON values and NumPy arrays) and takes
it back in ``load_state_dict``; ``BackupAndRestore`` (``backup.py``) stores it between
epochs. Nothing here prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import BackpropError, ConfigError

__all__ = ["Callback", "TrainState", "TrainingStopped"]


class TrainingStopped(BackpropError, RuntimeError):
    """Raised by ``fit(..., guard="raise")`` when the NaN guard stops training.

    The model already holds the last good weights; ``history`` is the run so far.

    Examples:
        >>> import backprop as bp
        >>> from backprop import fit, nn, optim, train
        >>> _ = bp.manual_seed(0)
        >>> x = bp.linspace(-1, 1, 20).reshape(20, 1)
        >>> y = x**2
        >>> model = nn.MLP([1, 8, 1], activation='tanh')
        >>> sgd = optim.SGD(model.parameters(), lr=1e6)  # diverges
        >>> try:
        ...     fit(model, (x, y), nn.MSELoss(), sgd, epochs=50, guard='raise')
        ... except train.TrainingStopped as error:
        ...     stopped = error
        >>> len(stopped.history) < 50
        True
        >>> all(bp.isfinite(p).all() for p in model.parameters())  # the last good weights
        True
    """

    def __init__(self, message: str, history=None) -> None:
        super().__init__(message)
        self.history = history


@dataclass
class TrainState:
    """What callbacks see. ``epoch`` and ``batch`` are 1-based; ``step`` counts updates.

    Examples:
        20 rows in batches of 5: 4 batches, so 4 updates (``step``) per epoch:

        >>> import backprop as bp
        >>> from backprop import fit, nn, optim, train
        >>> _ = bp.manual_seed(0)
        >>> x = bp.linspace(-1, 1, 20).reshape(20, 1)
        >>> y = x**2
        >>> model = nn.MLP([1, 8, 1], activation='tanh')
        >>> adam = optim.Adam(model.parameters(), lr=0.05)
        >>> class Where(train.Callback):
        ...     def on_epoch_end(self, state):
        ...         print(state.epoch, state.epochs, state.batches, state.step)
        >>> _ = fit(model, (x, y), nn.MSELoss(), adam, epochs=2, batch_size=5, callbacks=[Where()])
        1 2 4 4
        2 2 4 8
    """

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
    """Base class; every hook does nothing. Hooks run in the order callbacks were given.

    Examples:
        >>> import backprop as bp
        >>> from backprop import fit, nn, optim, train
        >>> _ = bp.manual_seed(0)
        >>> x = bp.linspace(-1, 1, 20).reshape(20, 1)
        >>> y = x**2
        >>> model = nn.MLP([1, 8, 1], activation='tanh')
        >>> adam = optim.Adam(model.parameters(), lr=0.05)
        >>> class Losses(train.Callback):
        ...     def on_epoch_end(self, state):
        ...         print(state.epoch, round(state.history['loss'][-1], 4))
        >>> first = nn.MSELoss()(model(x), y).item()  # autograd, before any update
        >>> history = fit(model, (x, y), nn.MSELoss(), adam, epochs=3, callbacks=[Losses()])
        1 0.5206
        2 0.312
        3 0.1921
        >>> abs(history['loss'][0] - first) < 1e-6  # one full batch: the initial weights' loss
        True
    """

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


def _check_int(value, name: str, who: str, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"{who}: {name} must be a whole number >= {low}, got {value!r}.")
