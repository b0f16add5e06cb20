"""The span runner's history rows (train/records.py): the few epochs of a short span are
summed in Python floats, bit for bit as NumPy's cumsum sums a long one (the order the
compiled and NumPy loops use when they judge a stopping rule)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from backprop.train import records


@pytest.mark.parametrize("reduce_sum", [False, True])
@pytest.mark.parametrize("n, size", [(100, 100), (100, 16), (50, 7), (33, 32), (3, 1)])
def test_short_spans_sum_as_cumsum_does(n, size, reduce_sum, monkeypatch):
    batches = -(-n // size)
    runner = SimpleNamespace(
        state=SimpleNamespace(batches=batches, x=np.zeros((n, 1))),
        plan=SimpleNamespace(size=size, reduce_sum=reduce_sum),
    )
    rng = np.random.default_rng(n * size)
    for epochs in (1, 2, 3):
        losses = rng.lognormal(0.0, 2.0, epochs * batches)
        python = records.Records._epoch_losses(runner, losses, epochs)
        monkeypatch.setattr(records, "SMALL_SPAN", 0)  # the cumsum path
        numpy = records.Records._epoch_losses(runner, losses, epochs)
        assert isinstance(numpy, np.ndarray)  # a long span's: kept as an array (History)
        numpy = numpy.tolist()
        monkeypatch.setattr(records, "SMALL_SPAN", 32)
        assert len(python) == epochs and python == numpy  # == on floats: the same bits
        assert all(type(v) is float for v in python + numpy)
