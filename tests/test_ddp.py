"""examples/ddp_continue.py: prototype in backprop, export, continue with PyTorch DDP (gloo, two
processes on 127.0.0.1) — the same loss trajectory as one process on the same data.

About 8 s on an idle machine, most of it two fresh interpreters importing torch."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
dist = pytest.importorskip("torch.distributed")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture
def example(monkeypatch):
    # the spawned processes import the worker by module name, so the folder goes on sys.path
    monkeypatch.syspath_prepend(str(EXAMPLES))
    sys.modules.pop("ddp_continue", None)
    import ddp_continue

    yield ddp_continue
    sys.modules.pop("ddp_continue", None)


@pytest.mark.skipif(not dist.is_available(), reason="torch.distributed is not built in")
def test_ddp_trajectory_equals_one_process_and_backprop(example, capsys):
    single, ddp, ours = example.main(prototype_epochs=20, steps=8, lr=0.1)
    assert len(single) == len(ddp) == 9 and len(ours) == 8
    # same full-batch mean gradient on both sides: equal up to the all-reduce's rounding
    np.testing.assert_allclose(ddp, single, rtol=1e-12, atol=0)
    # the hand-over is lossless: backprop's next epochs are PyTorch's next steps
    np.testing.assert_allclose(ours, single[:-1], rtol=1e-12, atol=0)
    assert all(b < a for a, b in itertools.pairwise(single))  # and training goes on working
    printed = capsys.readouterr().out
    assert "2. exported to PyTorch: 0.weight, 0.bias, 2.weight" in printed
    assert "DDP (2 x gloo)" in printed


def test_unequal_shards_are_refused(example):
    x, z = example.make_data(n=9)
    with pytest.raises(ValueError, match="equal shards"):
        example.continue_ddp(None, x, z, steps=1, lr=0.1)
