"""What ``fit`` returns: the per-epoch record of a training run (``History``).

``history.history`` is a dict of equally long lists keyed like Keras' (``loss``,
``val_loss``, ``accuracy``, ``val_accuracy``, ``rmse``, ``r2``, ``lr``, ``time``), one entry
per completed epoch, with ``epochs`` holding the 1-based epoch numbers; ``stop_reason``
says in plain words why training ended early. It can be written as CSV or JSON (atomically,
through ``backprop.files``). It records; it does not plot or print.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from pathlib import Path

__all__ = ["History"]


class History:
    """The record of one ``fit`` run.

    Attributes:
        history: metric name -> list of per-epoch values (floats).
        epochs: the 1-based number of each recorded epoch.
        stop_reason: None when every requested epoch ran, else a sentence saying why not.
        stopped_epoch: the epoch in which training stopped early (None if it did not).
        stopped_batch: the 1-based batch at which the NaN guard stopped (None otherwise).
        diverged: True when the NaN guard stopped the run (a non-finite loss or gradient);
            ``fit`` leaves the last finite weights, from before the step that diverged;
            ``backprop.run`` then puts back the best epoch's (``NaNGuard.restore_best``).
        best_epoch: the best epoch found by ``EarlyStopping`` (None without it).
        engine: ``"delta"`` or ``"autograd"``, the engine that computed the gradients.
    """

    def __init__(self, engine: str = "") -> None:
        self.history: dict[str, list[float]] = {}
        self.epochs: list[int] = []
        self.stop_reason: str | None = None
        self.stopped_epoch: int | None = None
        self.stopped_batch: int | None = None
        self.diverged = False
        self.best_epoch: int | None = None
        self.engine = engine

    def append(self, epoch: int, logs: dict[str, float]) -> None:
        """Record one epoch's values (every epoch must report the same keys)."""
        if self.epochs and set(logs) != set(self.history):
            raise ValueError(
                f"History.append: epoch {epoch} reports {sorted(logs)} but earlier epochs "
                f"reported {sorted(self.history)}; every epoch must report the same metrics."
            )
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))
        self.epochs.append(int(epoch))

    def __len__(self) -> int:
        return len(self.epochs)

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def last(self, key: str) -> float | None:
        """The latest value of ``key``, or None before the first epoch."""
        values = self.history.get(key)
        return values[-1] if values else None

    def to_rows(self) -> list[dict]:
        """One dict per epoch: ``{"epoch": 1, "loss": ..., ...}``."""
        keys = list(self.history)
        return [
            {"epoch": epoch, **{k: self.history[k][i] for k in keys}}
            for i, epoch in enumerate(self.epochs)
        ]

    def to_csv(self, path: str | os.PathLike) -> Path:
        """Write one row per epoch (header ``epoch,loss,...``), atomically; floats keep
        every digit (``repr``), non-finite values read ``nan``/``inf``; returns the path."""
        from ..files import atomic_write_text

        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["epoch", *self.history])
        for row in self.to_rows():
            writer.writerow([row["epoch"], *(repr(row[k]) for k in self.history)])
        return atomic_write_text(path, buffer.getvalue())

    def to_dict(self) -> dict:
        """Everything as plain JSON types (non-finite numbers become None)."""
        return {
            "epochs": list(self.epochs),
            "history": {k: [_finite_or_none(v) for v in vs] for k, vs in self.history.items()},
            "stop_reason": self.stop_reason,
            "stopped_epoch": self.stopped_epoch,
            "stopped_batch": self.stopped_batch,
            "diverged": self.diverged,
            "best_epoch": self.best_epoch,
            "engine": self.engine,
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


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None
