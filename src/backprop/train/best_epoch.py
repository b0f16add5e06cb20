"""The NaN guard's best epoch, as the span runner keeps it (floor 5): ``BestEpoch``.

After a divergence ``backprop.run`` puts back the weights of the epoch with the lowest
training loss (``NaNGuard.restore_best``). Loops that keep that copy themselves (the
compiled kernel, the NumPy loop: ``track_best``/``best_weights``) do it between their own
steps; for the others the runner ends its calls at epoch ends and keeps it here, swapping
two weight copies so an improving epoch costs no copy. Mixed into ``spans.SpanRunner``.
"""

from __future__ import annotations

import math

import numpy as np

from .weights import WeightCopy

__all__ = ["BestEpoch"]


class BestEpoch:
    """The best-epoch bookkeeping of ``SpanRunner`` (uses its state, plan, loop)."""

    def _begin_best(self) -> None:
        guard, loop = self.plan.guard, self.loop
        if guard is None:
            return
        if loop is not None and getattr(loop, "track_best", None) is not None:
            loop.track_best(self.state.done)
        else:
            params = self.state.parameters
            self.own_best = [WeightCopy(params), WeightCopy(params), math.inf, None]

    def _own_best_epoch(self, epoch: int, batch_losses) -> None:
        """Loops without a best of their own: epoch by epoch here (chunks end at epochs)."""
        start, best, lowest, _ = self.own_best
        loss = float(self._epoch_losses(np.asarray(batch_losses), 1)[0])
        if math.isfinite(loss) and loss < lowest:
            self.own_best = [best, start, loss, epoch]  # the start copy becomes the best
        self.own_best[0].save()  # the weights the next epoch starts from

    def _hand_best(self) -> None:
        guard = self.plan.guard
        if guard is None:
            return
        if self.own_best is not None:
            _, best, loss, epoch = self.own_best
            if epoch is not None:
                guard.note_best(epoch - 1, loss, best.arrays())
            return
        found = self.loop.best_weights() if self.loop is not None else None
        if found is not None:
            epoch, loss, weights = found
            guard.note_best(epoch - 1, loss, weights)
