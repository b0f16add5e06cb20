"""Copies of a model's parameter values, taken and put back in place (for the callbacks).

``WeightCopy`` is what early stopping keeps for the best epoch and what the NaN guard keeps
before every step. When the parameters are views of one flat buffer (the δ engine's
``flatten_parameters``), a copy is a single array copy. Values are written back into the
parameters' own storage, never rebinding it, so optimizers and the δ engine's views stay
valid. It does not copy optimizer state. ``arrays``/``load`` expose the copy one array per
parameter, for a training backup (``BackupAndRestore``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["WeightCopy", "flat_base"]


class WeightCopy:
    """A copy of parameter values, saved and restored in place (one array copy if flat)."""

    def __init__(self, parameters: list) -> None:
        self.parameters = list(parameters)
        self._take()

    def _take(self) -> None:
        self.base = flat_base([p._data for p in self.parameters])
        if self.base is not None:
            self.values: Any = self.base.copy()
        else:
            self.values = [p._data.copy() for p in self.parameters]

    def _flat_intact(self) -> bool:
        return self.base is not None and all(p._data.base is self.base for p in self.parameters)

    def save(self) -> None:
        """Copy the parameters' current values."""
        if self._flat_intact():
            np.copyto(self.values, self.base)
        else:
            self._take()

    def restore(self) -> None:
        """Write the saved values back into the parameters' own storage."""
        if self._flat_intact():
            np.copyto(self.base, self.values)
        else:
            pieces, offset = self.values, 0
            if self.base is not None:  # saved flat, but the storage has moved since
                pieces = []
                for p in self.parameters:
                    pieces.append(self.values[offset : offset + p._data.size])
                    offset += p._data.size
            for p, v in zip(self.parameters, pieces):
                np.copyto(p._data, v.reshape(p._data.shape))
        for p in self.parameters:
            p._bump_version()

    def arrays(self) -> list[np.ndarray]:
        """The saved values, one array per parameter in its shape (views of the copy)."""
        if self.base is None:
            return list(self.values)
        pieces, offset = [], 0
        for p in self.parameters:
            size = p._data.size
            pieces.append(self.values[offset : offset + size].reshape(p._data.shape))
            offset += size
        return pieces

    def load(self, arrays: list) -> None:
        """Replace the saved values by ``arrays`` (one per parameter, same shapes)."""
        targets = self.arrays()
        if len(arrays) != len(targets) or any(
            np.shape(a) != t.shape for a, t in zip(arrays, targets)
        ):
            got = [list(np.shape(a)) for a in arrays]
            want = [list(t.shape) for t in targets]
            raise ValueError(f"weight copy: expected arrays of shapes {want}, got {got}")
        for target, value in zip(targets, arrays):
            np.copyto(target, value)


def flat_base(arrays: list) -> np.ndarray | None:
    """The one 1-D buffer that ``arrays`` are views of and fill exactly, or None."""
    base = arrays[0].base if arrays else None
    if base is None or base.ndim != 1 or any(a.base is not base for a in arrays):
        return None
    return base if sum(a.size for a in arrays) == base.size else None
