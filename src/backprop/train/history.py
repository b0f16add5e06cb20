"""What ``fit`` returns: the per-epoch record of a training run (``History``).

``history.history`` is a dict of lists keyed like Keras' (``loss``, ``val_loss``,
``accuracy``, ``val_accuracy``, ``rmse``, ``r2``, ``lr``, ``time``), with ``epochs`` holding
the 1-based epoch numbers. ``loss``, ``lr`` and ``time`` have one entry per completed epoch;
the full-set metrics (``accuracy``, ``rmse``, ``r2`` and the ``val_`` ones) only at the
epochs where they were measured (``epochs_of(key)``), as Keras' ``validation_freq`` gives
shorter ``val_`` lists. ``stop_reason`` says in plain words why training ended early. It
can be written as CSV or JSON (atomically, through ``backprop.files``). It records; it does
not plot or print.

A run hands it whole spans of epochs as NumPy arrays (10,000 epochs in one call); those are
kept as arrays until a list of them is read (``_flush``), so a run whose history is read only
as arrays (``column``: the sweep's trials, the cautions) never builds 10,000-float lists.
"""

from __future__ import annotations

import csv
import io
import json
import math
import operator
import os
import sys
from pathlib import Path

__all__ = ["History"]

# recorded for every epoch by the run itself, never by the late measurement (whose reads
# of these do not take it)
RECORDED = ("loss", "lr", "time")


class History:
    """The record of one ``fit`` run.

    Attributes:
        history: metric name -> list of values (floats), one per epoch at which the metric
            was measured (``epochs_of(name)``; every epoch for ``loss``, ``lr``, ``time``).
            ``loss`` is the training loss ``fit``'s engine computed on the way: the mean of
            the epoch's batch losses, each taken in the forward pass before that batch's
            update (for one full batch: exactly the loss of the weights the epoch began
            with), as PyTorch scripts and Keras report it. When ``fit`` had no callback
            to read the last epoch's logs, that epoch's full-set metrics are measured on
            the first read of one of them (``measured_later``), with the weights the run
            ended with: the same numbers as a pass at the run's end (the training arrays
            are not copied: change them in place before that read and it measures them
            as changed).
        epochs: the 1-based number of each recorded epoch.
        stop_reason: None when every requested epoch ran, else a sentence saying why not.
        stopped_epoch: the epoch in which training stopped early (None if it did not).
        stopped_batch: the 1-based batch at which the NaN guard stopped (None otherwise).
        diverged: True when the NaN guard stopped the run (a non-finite loss or gradient);
            ``fit`` leaves the last finite weights, from before the step that diverged;
            ``backprop.run`` then puts back the best epoch's (``NaNGuard.restore_best``).
        best_epoch: the best epoch found by ``EarlyStopping`` (None without it).
        engine: ``"fused"`` (the compiled kernel), ``"delta"`` (NumPy) or ``"autograd"``,
            the engine that trained; ``engine_reason`` says why it was chosen.

    Examples:
        >>> import backprop as bp
        >>> from backprop import fit, nn, optim, train
        >>> _ = bp.manual_seed(0)
        >>> x = bp.linspace(-1, 1, 20).reshape(20, 1)
        >>> y = x**2
        >>> model = nn.MLP([1, 8, 1], activation='tanh')
        >>> adam = optim.Adam(model.parameters(), lr=0.05)
        >>> history = fit(model, (x, y), nn.MSELoss(), adam, epochs=50, validation=0.25)
        >>> len(history), sorted(history.history)[:4]
        (50, ['loss', 'lr', 'r2', 'rmse'])
        >>> history['val_loss'][-1] < history['val_loss'][0]
        True
        >>> history.epochs[:3]
        [1, 2, 3]
    """

    def __init__(self, engine: str = "") -> None:
        self._columns: dict[str, list[float]] = {}
        self.epochs: list[int] = []
        self.stop_reason: str | None = None
        self.stopped_epoch: int | None = None
        self.stopped_batch: int | None = None
        self.diverged = False
        self.best_epoch: int | None = None
        self.engine = engine
        self.engine_reason = ""
        self._at: dict[str, list[int]] = {}  # epochs of the metrics not measured every epoch
        self._late = None  # (epoch, measure) of the last epoch's full-set metrics, not yet read
        self._arrays: dict[str, list] = {}  # float64 arrays recorded after _columns[key]

    @property
    def history(self) -> dict[str, list[float]]:
        if self._late is not None:
            self._settle()
        if self._arrays:
            self._flush()
        return self._columns

    @history.setter
    def history(self, value: dict[str, list[float]]) -> None:
        self._arrays = {}
        self._columns = value

    def _flush(self) -> None:
        """The arrays recorded and not yet listed, appended to their lists (as floats)."""
        arrays, self._arrays = self._arrays, {}
        for key, parts in arrays.items():
            for part in parts:
                self._columns[key].extend(part.tolist())

    def names(self) -> list[str]:
        """The names of ``history`` (the late measurement taken), without building lists."""
        if self._late is not None:
            self._settle()
        return list(self._columns)

    def column(self, key: str):
        """Every value of ``key`` as a float64 NumPy array (the late measurement taken for
        metrics other than ``loss``, ``lr``, ``time``), without building its list."""
        import numpy as np

        if key not in RECORDED and self._late is not None:
            self._settle()
        if key not in self._columns:
            raise KeyError(key)
        listed, parts = self._columns[key], self._arrays.get(key, [])
        if not listed and len(parts) == 1:
            return parts[0]
        return np.concatenate([np.asarray(listed, dtype=np.float64), *parts])

    def measure_later(self, epoch: int, measure) -> None:
        """The full-set metrics of ``epoch``, the last row recorded, are ``measure()``'s
        logs, taken on first read of the history (``fit`` ends without a pass over the
        whole training set that nobody may read; the numbers are those the pass at the
        run's end gives, on the weights the run ended with)."""
        if not self.epochs or self.epochs[-1] != epoch:
            raise ValueError(f"History.measure_later: epoch {epoch} is not the last recorded")
        self._late = (epoch, measure)

    def recorded(self, key: str) -> list[float]:
        """The values of ``key`` recorded so far, the last epoch's late measurement not
        taken (the run's own reads: ``loss``, ``lr``, ``time``)."""
        if key in self._arrays:
            self._flush()
        return self._columns.get(key, [])

    @property
    def measured_later(self) -> bool:
        """True while the last epoch's full-set metrics wait for their first read."""
        return self._late is not None

    def _settle(self) -> None:
        late, self._late = self._late, None
        try:
            logs = late[1]()
        except BaseException:
            self._late = late  # read again, measured again
            raise
        self.add_measured(late[0], logs)

    def __getstate__(self) -> dict:
        """Pickled and copied with every number in it (the late measurement taken)."""
        if self._late is not None:
            self._settle()
        self._flush()
        return self.__dict__.copy()

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.__dict__.setdefault("_arrays", {})

    def append(self, epoch: int, logs: dict[str, float]) -> None:
        """Record one epoch's values; a metric may be missing (not measured this epoch)."""
        self.extend([epoch], {key: [value] for key, value in logs.items()})

    def extend(self, epochs: list[int], columns: dict[str, list]) -> None:
        """Record several epochs at once: ``columns`` maps each metric to one value per
        epoch (a list, or a NumPy array: kept as an array until a list is read)."""
        if self._late is not None:
            self._settle()
        for key in self._columns:
            if key not in columns and key not in self._at:
                self._at[key] = list(self.epochs)  # measured every epoch until now
        rising = isinstance(epochs, range) and epochs.step == 1  # a span's epochs: ints
        epochs = list(epochs) if rising else list(map(int, epochs))  # 10,000 epochs a run
        last = self.epochs[-1] if self.epochs else 0
        if epochs and (
            epochs[0] <= last or (not rising and any(map(operator.le, epochs[1:], epochs)))
        ):
            raise ValueError(
                f"History: epochs must rise after the last recorded ({last}), got {epochs[:5]}"
            )
        for key in columns:
            if not isinstance(key, str) or not key.isidentifier() or key == "epoch":
                raise ValueError(
                    f"History: a metric name must be a word other than 'epoch' (the column "
                    f"of epoch numbers), got {key!r}"
                )
        for key, values in columns.items():
            if len(values) != len(epochs):
                raise ValueError(
                    f"History.extend: {key!r} has {len(values)} values for {len(epochs)} epochs"
                )
            if key not in self._columns:
                self._columns[key] = []
                if self.epochs:
                    self._at[key] = []
            if _is_array(values):
                if len(values):
                    self._arrays.setdefault(key, []).append(values.astype("f8", copy=False))
            else:
                if key in self._arrays:
                    self._flush()
                self._columns[key].extend(map(float, values))
            if key in self._at:
                self._at[key].extend(epochs)
        self.epochs.extend(epochs)

    def add_measured(self, epoch: int, logs: dict[str, float]) -> None:
        """Metrics measured at ``epoch``, the last row recorded (full-set metrics that are
        not measured every epoch: ``epochs_of`` tells where they were)."""
        if not self.epochs or self.epochs[-1] != epoch:
            raise ValueError(f"History.add_measured: epoch {epoch} is not the last recorded")
        if self._late is not None:
            self._settle()
        if any(key in self._arrays for key in logs):
            self._flush()
        columns = self._columns
        seen = set(columns)
        for key, value in logs.items():
            if key not in columns:
                columns[key] = []
                if len(self.epochs) > 1:
                    self._at[key] = []
            elif key not in self._at and len(columns[key]) != len(self.epochs) - 1:
                self._at[key] = list(self.epochs[: len(columns[key])])
            columns[key].append(float(value))
            if key in self._at:
                self._at[key].append(epoch)
        if any(key not in seen for key in logs):  # a new column: back in Keras' order
            self._columns = dict(sorted(columns.items(), key=lambda kv: _rank(kv[0])))

    def series(self, key: str) -> tuple[list[int], list[float]]:
        """(epochs, values) of ``key``, ready to plot: ``plt.plot(*history.series("r2"))``."""
        return list(self.epochs_of(key)), list(self[key])

    def epochs_of(self, key: str) -> list[int]:
        """The epochs at which ``key`` was measured (all of them for ``loss``)."""
        if key not in RECORDED and self._late is not None:
            self._settle()
        if key not in self._columns:
            raise KeyError(key)
        return self._at.get(key, self.epochs)

    def __len__(self) -> int:
        return len(self.epochs)

    def __getitem__(self, key: str) -> list[float]:
        if key in self._arrays:
            self._flush()
        return self._columns[key] if key in RECORDED else self.history[key]

    def last(self, key: str) -> float | None:
        """The latest value of ``key``, or None before the first epoch."""
        if key not in RECORDED and self._late is not None:
            self._settle()
        parts = self._arrays.get(key)
        if parts:
            return float(parts[-1][-1])
        values = self._columns.get(key)
        return values[-1] if values else None

    def to_rows(self) -> list[dict]:
        """One dict per epoch: ``{"epoch": 1, "loss": ..., ...}``; None where a metric was
        not measured that epoch."""
        keys = list(self.history)
        lookup = {}
        for key in keys:
            at = self._at.get(key)
            lookup[key] = None if at is None else dict(zip(at, self.history[key]))
        rows = []
        for i, epoch in enumerate(self.epochs):
            row = {"epoch": epoch}
            for key in keys:
                table = lookup[key]
                row[key] = self.history[key][i] if table is None else table.get(epoch)
            rows.append(row)
        return rows

    def to_csv(self, path: str | os.PathLike) -> Path:
        """Write one row per epoch (header ``epoch,loss,...``), atomically; floats keep
        every digit (``repr``), non-finite values read ``nan``/``inf``, an empty cell is a
        metric not measured that epoch; returns the path."""
        from ..files import atomic_write_text

        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["epoch", *self.history])
        for row in self.to_rows():
            writer.writerow([row["epoch"], *(_cell(row[k]) for k in self.history)])
        return atomic_write_text(path, buffer.getvalue())

    def to_dict(self) -> dict:
        """Everything as plain JSON types (non-finite numbers become None)."""
        return {
            "epochs": list(self.epochs),
            "history": {k: [_finite_or_none(v) for v in vs] for k, vs in self.history.items()},
            "measured_at": {k: list(v) for k, v in self._at.items()},
            "stop_reason": self.stop_reason,
            "stopped_epoch": self.stopped_epoch,
            "stopped_batch": self.stopped_batch,
            "diverged": self.diverged,
            "best_epoch": self.best_epoch,
            "engine": self.engine,
            "engine_reason": self.engine_reason,
        }

    def to_json(self, path: str | os.PathLike) -> Path:
        """Write ``to_dict()`` as strict JSON (NaN/inf as null), atomically; returns the path."""
        from ..files import atomic_write_text

        return atomic_write_text(path, json.dumps(self.to_dict(), indent=2, allow_nan=False) + "\n")

    def __repr__(self) -> str:
        parts = [f"epochs={len(self)}"]
        for key in ("loss", "val_loss", "accuracy", "val_accuracy", "rmse", "val_rmse"):
            value = self.last(key)
            if value is not None:
                parts.append(f"{key}={value:.6g}")
        if self.best_epoch is not None:
            parts.append(f"best_epoch={self.best_epoch}")
        if self.stop_reason is not None:
            parts.append(f"stop_reason={self.stop_reason!r}")
        return f"History({', '.join(parts)})"

    def _repr_html_(self) -> str:
        """In a notebook: the final metrics and the loss curve."""
        from ..display import history_html  # beside plots, imported when a front end asks

        return history_html(self)

    def plot(self, path=None, **kwargs):
        """The loss curves (``plots.loss_curves``): the Figure, or the path when one is
        given; ``loss=`` names the loss on the axis."""
        from ..plots import loss_curves

        return loss_curves(self, path, **kwargs)


_ORDER = ("loss", "accuracy", "rmse", "r2")


def _rank(key: str) -> tuple:
    """Columns in Keras' order: loss and metrics, the same for validation, then lr and time."""
    if key in ("lr", "time"):
        return (3, key == "time", "")
    base, group = (key[4:], 1) if key.startswith("val_") else (key, 0)
    return (group, _ORDER.index(base) if base in _ORDER else len(_ORDER), base)


def _is_array(values) -> bool:
    """True for a NumPy array (NumPy is not imported for it: a history may be made without)."""
    np = sys.modules.get("numpy")
    return np is not None and isinstance(values, np.ndarray)


def _cell(value) -> str:
    return "" if value is None else repr(value)


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None
