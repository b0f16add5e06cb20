"""The batch-by-batch loop of ``fit`` (floor 5): ``Stepwise``, mixed into ``SpanRunner``.

When a callback must see single batches (``on_after_backward``, ``on_batch_end``), the run
goes batch by batch with the engine's step function (``Plan.step`` or autograd's) instead of
a span loop: hooks between backward and the optimizer step (after scikit-learn's L2 term,
``penalty=("alpha", α)``), the L1/L2 penalty after it.
Spans still end at the epochs callbacks need; a call here never crosses an epoch's end.
"""

from __future__ import annotations

from .loops import alpha_term, batch_of, penalize, weight_arrays

__all__ = ["Stepwise"]


class Stepwise:
    """``_stepwise`` of ``SpanRunner`` (uses its state, hooks and plan)."""

    def _stepwise(self, perms, first, n, losses, e0: int, done: int):
        """Batch by batch, for callbacks that watch single batches: (steps taken, "stop" if a
        callback stopped the epoch before its end, else None). Chunks end at epoch ends."""
        state, hooks, step = self.state, self.hooks, self.plan.stepwise
        x, y, size = state.x, state.y, self.plan.size
        nb, optimizer = state.batches, state.optimizer
        for i in range(n):
            b, xb, yb = batch_of(x, y, perms, first + i, size, nb)
            optimizer.zero_grad()
            state.epoch = e0 + 1 + (done + i) // nb
            state.batch, state.batch_loss = b + 1, step(xb, yb)
            kind, rate = self.plan.penalty
            if kind == "alpha" and rate:  # scikit-learn's L2 term, in loss and gradient
                state.batch_loss += alpha_term(state.parameters, rate, len(xb))
            losses[i] = state.batch_loss
            for cb in hooks["on_after_backward"]:
                cb.on_after_backward(state)
            if state.stop:
                return i, "stop"
            optimizer.step()
            if kind in ("l1", "l2") and rate:
                lr = optimizer.param_groups[0]["lr"]
                penalize(weight_arrays(state.parameters), kind, lr * rate)
            state.step += 1
            for cb in hooks["on_batch_end"]:
                cb.on_batch_end(state)
            if state.stop and b + 1 < nb:
                return i + 1, "stop"
        return n, None
