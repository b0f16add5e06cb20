"""What the span runner keeps for callbacks between spans (floor 5): ``BestEpoch`` — the NaN
guard's best epoch, the loss stopping rule a loop judges itself, the trainable set.

After a divergence ``backprop.run`` puts back the weights of the epoch with the lowest
training loss (``NaNGuard.restore_best``). Loops that keep that copy themselves (the
compiled kernel, the NumPy loop: ``track_best``/``best_weights``) do it between their own
steps; for the others the runner ends its calls at epoch ends and keeps it here, swapping
two weight copies so an improving epoch costs no copy. Mixed into ``spans.SpanRunner``.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ConfigError
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

    def _begin_rule(self) -> None:
        """A stopping rule on the engine's loss (EarlyStopping's, the scikit-learn
        estimators') is judged by a loop that can (the compiled kernel, the NumPy loop:
        ``stop_rule``) at each epoch's end, so it needs no control between epochs; its
        ``on_epoch_end`` then does not run: the callback hears through ``take_rule``."""
        self.ruled = None
        from . import spans  # its switch, which tests turn off

        if not spans.RULES_IN_ENGINE or not hasattr(self.loop, "stop_rule"):
            return
        for cb in self.state.callbacks:
            rule = getattr(cb, "loss_rule", None)
            found = rule() if rule is not None else None
            if found is not None:
                self.loop.stop_rule(*found)
                self.ruled = cb
                self.hooks = {
                    name: [c for c in cbs if c is not cb] if name == "on_epoch_end" else cbs
                    for name, cbs in self.hooks.items()
                }
                return

    def _check_frozen(self) -> None:
        """The δ engines train the parameters that trained at the start; a callback that
        freezes or unfreezes one later is refused in words (autograd follows it)."""
        now = [p.requires_grad for p in self.state.parameters]
        if now != self.trainable and self.loop.name in ("delta", "fused"):
            raise ConfigError(
                f"fit: a callback changed which parameters train (requires_grad) in epoch "
                f"{self.state.epoch}; the {self.loop.name} engine keeps the set it started "
                "with: freeze parameters before fit, or train with engine='autograd'."
            )
