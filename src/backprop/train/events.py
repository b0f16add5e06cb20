"""``ProgressEvents``: a run's progress as plain dicts, for whoever draws it.

The fit loop never prints. This callback turns its hooks into small JSON-ready dicts (train
begin, epoch end, optionally every batch, train end) and hands them to a function — the
CLI's progress printer, the playground's socket, a test's list. It draws nothing itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import ConfigError
from .callbacks import Callback, TrainState, _check_int

__all__ = ["ProgressEvents"]


class ProgressEvents(Callback):
    """Forward progress as plain dicts to ``handler`` (a printer, a progress bar, a socket).

    Events: ``{"event": "train_begin", "epochs", "batches", "samples", "engine"}``,
    ``{"event": "epoch_end", "epoch", "epochs", "loss", ..., "lr", "time"}`` (every
    ``every`` epochs, and always the last), ``{"event": "batch_end", "epoch", "batch",
    "batches", "loss"}`` when ``batches=True``, and ``{"event": "train_end", "epoch",
    "epochs", "stop_reason"}``; with ``ticks=True`` also ``{"event": "progress", "epoch",
    "epochs", "batch", "batches", "step", "loss"}`` about every ``spans.TICK`` seconds while
    the engine runs (``loss`` is the latest batch's). Only ``batches=True`` makes ``fit``
    stop at every batch; otherwise the engine runs uninterrupted between reported epochs.

    Examples:
        >>> import backprop as bp
        >>> from backprop import fit, nn, optim, train
        >>> _ = bp.manual_seed(0)
        >>> x = bp.linspace(-1, 1, 20).reshape(20, 1)
        >>> y = x**2
        >>> model = nn.MLP([1, 8, 1], activation='tanh')
        >>> adam = optim.Adam(model.parameters(), lr=0.05)
        >>> events = []
        >>> progress = train.ProgressEvents(events.append)
        >>> _ = fit(model, (x, y), nn.MSELoss(), adam, epochs=3, callbacks=[progress])
        >>> [event['event'] for event in events]
        ['train_begin', 'epoch_end', 'epoch_end', 'epoch_end', 'train_end']
        >>> events[1]['epoch'], events[1]['epochs']
        (1, 3)
    """

    def __init__(
        self,
        handler: Callable[[dict], Any],
        every: int = 1,
        batches: bool = False,
        ticks: bool = False,
    ):
        if not callable(handler):
            raise ConfigError(f"ProgressEvents: handler must be callable, got {handler!r}.")
        _check_int(every, "every", "ProgressEvents", 1)
        self.handler, self.every, self.batches = handler, every, bool(batches)
        self.ticks = bool(ticks)
        self.batch_hooks = self.batches  # only then must the loop stop at every batch

    def on_train_begin(self, state: TrainState) -> None:
        self.handler(
            {
                "event": "train_begin",
                "epochs": state.epochs,
                "batches": state.batches,
                "samples": int(state.x.shape[0]),
                "engine": state.engine,
            }
        )

    def on_batch_end(self, state: TrainState) -> None:
        if self.batches:
            self.handler(
                {
                    "event": "batch_end",
                    "epoch": state.epoch,
                    "batch": state.batch,
                    "batches": state.batches,
                    "loss": state.batch_loss,
                }
            )

    def next_epoch(self, state: TrainState) -> int | None:
        """Every ``every``-th epoch and the last: the engine runs uninterrupted between."""
        return min((state.done // self.every + 1) * self.every, state.epochs)

    def on_progress(self, state: TrainState) -> None:
        if self.ticks:
            self.handler(
                {
                    "event": "progress",
                    "epoch": state.epoch,
                    "epochs": state.epochs,
                    "batch": state.batch,
                    "batches": state.batches,
                    "step": state.step,
                    "loss": state.batch_loss,
                }
            )

    def on_epoch_end(self, state: TrainState) -> None:
        if state.epoch % self.every == 0 or state.epoch == state.epochs or state.stop:
            self.handler(
                {"event": "epoch_end", "epoch": state.epoch, "epochs": state.epochs, **state.logs}
            )

    def on_train_end(self, state: TrainState) -> None:
        self.handler(
            {
                "event": "train_end",
                "epoch": state.epoch,
                "epochs": state.epochs,
                "stop_reason": state.stop_reason,
            }
        )
