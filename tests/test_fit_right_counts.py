"""The engines count the rows each batch classifies right during training (issue 13).

The compiled kernel and the NumPy δ loop count, for each step, how many rows of its batch the
forward pass classified right, before the update (Keras' accuracy during an epoch), and keep
the count of the last whole epoch. The reference is NumPy's argmax (or the 0.5 / 0 cut) over
the model's own output for the same batches in the same order, each taken with the weights
the step found. ``fit``'s accuracy-at-chance caution judges that count first: a run that
learns pays no pass over the training rows at its end; a run at chance still pays it and
still warns.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import backprop as bp
from backprop import nn, optim
from backprop.delta import engine as delta_engine
from backprop.delta.fused_loop import FusedLoop
from backprop.delta.numpy_loop import NumpyLoop
from backprop.errors import PoorFitWarning
from backprop.train import fit

LOOPS = {"fused": FusedLoop, "delta": NumpyLoop}


def _task(kind, n=300, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 5)).astype(np.float32)
    if kind == "cross_entropy":
        y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.int64) + (x[:, 2] > 1).astype(np.int64)
        return x, y, [5, 16, 3], nn.CrossEntropyLoss(), "tanh"
    y = (x[:, :1] + 0.3 * x[:, 1:2] > 0.2).astype(np.float32)
    if kind == "bce_with_logits":
        return x, y, [5, 16, 1], nn.BCEWithLogitsLoss(), "relu"
    return x, y, [5, 16, 1], nn.MSELoss(), "tanh"  # a 0/1 target fit by mean squares


def _right(kind, out, yb):
    """The count by NumPy, as train.metrics.accuracy decides a row is right."""
    if kind == "cross_entropy":
        return int(np.sum(np.argmax(out, axis=1) == yb))
    cut = 0.0 if kind == "bce_with_logits" else 0.5
    return int(np.sum((out[:, 0] > cut) == (yb[:, 0] > 0.5)))


@pytest.mark.parametrize("engine", sorted(LOOPS))
@pytest.mark.parametrize("kind", ["cross_entropy", "bce_with_logits", "mse"])
def test_the_count_is_numpys_count_over_the_same_batches(engine, kind):
    x, y, sizes, loss, act = _task(kind)
    bp.manual_seed(1)
    model = nn.MLP(sizes, activation=act)
    adam = optim.Adam(model.parameters(), lr=0.02)
    size, epochs = 64, 4  # 5 batches an epoch, the last of 44 rows
    loop = LOOPS[engine](model, loss, adam, x, y, size)
    assert loop.count_right()
    perms = np.stack([np.random.default_rng(e).permutation(len(x)) for e in range(epochs)])
    batches = -(-len(x) // size)
    losses, seen = np.empty(1), []
    for epoch in range(epochs):
        right = 0
        for b in range(batches):
            loop.sync()  # the weights this step finds, in the model
            rows = perms[epoch, b * size : (b + 1) * size]
            with bp.no_grad():
                out = model(bp.tensor(x[rows])).numpy()
            right += _right(kind, out, y[rows])
            assert loop.run(perms, epoch * batches + b, 1, losses, True) == (1, None)
        seen.append(right)
        assert loop.right_last_epoch() == (epoch + 1, right)
    assert len(set(seen)) > 1  # the counts follow the training, not a constant


@pytest.mark.parametrize("engine", sorted(LOOPS))
def test_one_call_counts_as_step_by_step(engine):
    x, y, sizes, loss, act = _task("cross_entropy")
    found = []
    for steps in (1, 20):
        bp.manual_seed(2)
        model = nn.MLP(sizes, activation=act)
        loop = LOOPS[engine](model, loss, optim.Adam(model.parameters(), lr=0.02), x, y, 64)
        loop.count_right()
        perms = np.stack([np.random.default_rng(e).permutation(len(x)) for e in range(4)])
        losses = np.empty(20)
        for first in range(0, 20, steps):
            loop.run(perms, first, steps, losses[first : first + steps], True)
        found.append(loop.right_last_epoch())
    assert found[0] == found[1] and found[0][0] == 4


def test_an_epoch_begun_elsewhere_is_not_counted():
    x, y, sizes, loss, act = _task("cross_entropy")
    bp.manual_seed(0)
    model = nn.MLP(sizes, activation=act)
    loop = NumpyLoop(model, loss, optim.Adam(model.parameters(), lr=0.02), x, y, 64)
    loop.count_right()
    loop.run(None, 2, 3, np.empty(3), True)  # batches 3-5 of epoch 1: rows 1-128 unseen
    assert loop.right_last_epoch() is None


def _fit(x, y, sizes, loss, opt, epochs, size, engine, act="tanh"):
    bp.manual_seed(3)
    model = nn.MLP(sizes, activation=act)
    return fit(model, (x, y), loss, opt(model.parameters()), epochs, size, engine=engine)


@pytest.fixture
def forward_rows(monkeypatch):
    """Rows of the training set the run's evaluator passes forward (the δ plan's pass)."""
    seen = []
    real = delta_engine.output_rows

    def counting(net, x, scratch):
        seen.append(len(x))
        return real(net, x, scratch)

    monkeypatch.setattr(delta_engine, "output_rows", counting)
    return seen


@pytest.mark.parametrize("engine", ["fused", "delta"])
def test_a_learning_run_pays_no_pass_at_its_end(engine, forward_rows):
    x, y, sizes, loss, _ = _task("cross_entropy", n=600)
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        history = _fit(x, y, sizes, loss, lambda p: optim.Adam(p, lr=0.01), 30, 64, engine)
    assert not [w for w in said if "most common class" in str(w.message)]
    assert history.measured_later
    assert sum(forward_rows) == 0  # the caution read the engine's count, no rows passed
    assert history["accuracy"][-1] > 0.8
    assert sum(forward_rows) == len(x)  # the history's read: the whole set, once


@pytest.mark.parametrize("engine", ["fused", "delta"])
def test_a_run_at_chance_still_pays_the_pass_and_warns(engine, forward_rows):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((400, 4)).astype(np.float32)
    y = (rng.random(400) < 0.1).astype(np.int64)  # 90 % class 0, labels unrelated to x
    loss = nn.CrossEntropyLoss()
    with pytest.warns(PoorFitWarning, match=r"on the training data, measured at its final"):
        history = _fit(x, y, [4, 8, 2], loss, lambda p: optim.SGD(p, lr=1e-4), 3, 50, engine)
    assert sum(forward_rows) >= len(x)  # counted at the final weights, every row
    assert history["accuracy"][-1] <= np.bincount(y).max() / len(y)


def test_a_count_near_chance_or_of_another_epoch_pays_the_exact_pass():
    from types import SimpleNamespace

    from backprop.train.poorfit import beats_chance, chance_margin

    y = np.repeat(np.arange(4), [400, 300, 200, 100])  # the most common class: 400 of 1,000
    asked = []

    def beyond(x, y, most):
        asked.append(most)
        return False

    evaluate = SimpleNamespace(beyond=beyond)
    history = SimpleNamespace(measured_later=True, epochs=[1, 2, 3])
    margin = chance_margin(400, 1000)
    assert margin == max(10, 3 * np.sqrt(1000 * 0.4 * 0.6))  # 3 sd (46.5) over 1 % (10)
    clear = int(400 + margin) + 1
    assert beats_chance(history, "classification", evaluate, None, y, (3, clear))
    assert asked == []  # clearly above chance in its last epoch: no pass
    for counted in [(3, clear - 1), (2, clear), None]:  # near chance; an earlier epoch
        assert not beats_chance(history, "classification", evaluate, None, y, counted)
    assert asked == [400, 400, 400]
