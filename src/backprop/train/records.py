"""The history rows a span leaves (floor 5): ``Records``, mixed into ``spans.SpanRunner``.

An epoch's loss is its batch losses weighted by their rows, added in order from the first
batch and divided by N (for a ``"sum"`` loss, the plain sum in order) — the order in which
the compiled and NumPy loops add them when they judge a stopping rule themselves, so the
history and the loops agree to the bit. NumPy's ``cumsum`` adds in that order over long
spans; the few epochs of a span that a callback needing every epoch leaves are added in
Python floats instead, the same additions without the cost of tiny array calls (a quarter
of such an epoch's bookkeeping on the lecture job). Each epoch's time is spread evenly over
the span. Long spans' columns go to the history as NumPy arrays, which it keeps as arrays
until a list is read (``History.column`` reads them without one).
"""

from __future__ import annotations

import time

import numpy as np

__all__ = ["SMALL_SPAN", "Records"]

SMALL_SPAN = 32  # batch losses up to which a span's epochs are summed in Python floats


class Records:
    """``_epoch_losses`` and ``_record`` of ``SpanRunner`` (uses its state and plan)."""

    def _epoch_losses(self, losses: np.ndarray, epochs: int):
        """The first ``epochs`` epochs' losses from a span's batch losses (a sequence): a
        list of floats for a small span, else a NumPy array."""
        batches, n, size = self.state.batches, self.state.x.shape[0], self.plan.size
        total = self.plan.reduce_sum
        if epochs * batches <= SMALL_SPAN:  # the additions cumsum makes, one by one
            counts = [float(size)] * (batches - 1) + [float(n - size * (batches - 1))]
            out = []
            for e in range(epochs):
                row = losses[e * batches : (e + 1) * batches].tolist()
                s = row[0] if total else row[0] * counts[0]
                for v, c in zip(row[1:], counts[1:]):
                    s += v if total else v * c
                out.append(s if total else s / n)
            return out
        table = losses[: epochs * batches].reshape(epochs, batches)
        # summed in order (cumsum, not a pairwise sum or a matmul, whose bits depend on the
        # shape): the compiled loop sums the same way when it judges the loss itself
        if total:
            return np.cumsum(table, axis=1)[:, -1]
        counts = np.full(batches, size, dtype=np.float64)
        counts[-1] = n - size * (batches - 1)
        return np.cumsum(table * counts, axis=1)[:, -1] / n

    def _record(self, seg, epochs: int) -> None:
        """The history rows of the span's first ``epochs`` epochs (loss, lr, time: no
        metrics); the time of each is spread evenly over the span so far."""
        if epochs <= 0:
            return
        now = time.perf_counter() - self.start
        span = now - seg.time
        columns = {"loss": self._epoch_losses(seg.losses, epochs)}
        if epochs * self.state.batches <= SMALL_SPAN:  # as the losses: Python floats
            if seg.lr is not None:
                columns["lr"] = [float(seg.lr)] * epochs
            columns["time"] = [seg.time + span * k / epochs for k in range(1, epochs + 1)]
        else:  # NumPy arrays, kept so by the history (the same operations, element by element)
            if seg.lr is not None:
                columns["lr"] = np.full(epochs, float(seg.lr))
            columns["time"] = seg.time + span * np.arange(1, epochs + 1, dtype=np.float64) / epochs
        self.state.history.extend(range(seg.e0 + 1, seg.e0 + epochs + 1), columns)
