"""Step units and the perceptron rule; the lecture's |x − 1| network from two ReLUs.

The lecture's "Caution": a step unit sgn(f) has derivative 0 wherever it exists, so backprop
cannot train below it — the engine must say so — while the perceptron rule trains one layer
of them. And the slide "Neural Network for ŷ = |x − 1|": g[1] = ReLU, g[2] = identity,
ŷ = max(0, x − 1) + max(0, 1 − x), exact when the weights are set by hand; trained from
random init, only some seeds find it.
"""

from __future__ import annotations

import numpy as np
import pytest

import backprop as bp
import backprop.nn as nn
import backprop.optim as optim
from backprop import delta
from backprop.delta.perceptron import perceptron, sgn


# -- step units block backprop ----------------------------------------------------------------
def test_step_hidden_layer_gives_zero_gradients_and_says_why():
    bp.manual_seed(0)
    model = nn.MLP([2, 4, 1], activation="step").double()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((10, 2))
    y = rng.standard_normal((10, 1))
    grads = delta.backward(model, x, y, nn.MSELoss())
    # below the step layer: exactly zero
    assert np.all(grads.delta[1] == 0)
    assert np.all(model[0].weight.grad._data == 0)
    assert np.all(model[0].bias.grad._data == 0)
    # above it the output layer still learns (a[1] = ±1 is a fine input)
    assert np.any(model[2].weight.grad._data != 0)
    # autograd agrees
    model.zero_grad()
    nn.MSELoss()(model(bp.tensor(x)), bp.tensor(y)).backward()
    assert np.all(model[0].weight.grad._data == 0)
    # and the notes say it in plain words
    assert len(grads.notes) == 1
    note = grads.notes[0].lower()
    assert "step" in note and "zero" in note and "derivative" in note and "perceptron" in note
    assert "layer 1" in note


def test_step_below_relu_blocks_everything_below_it():
    bp.manual_seed(1)
    model = nn.MLP([2, 3, 3, 1], activation=["relu", "step"]).double()
    x = np.random.default_rng(1).standard_normal((8, 2))
    y = np.ones((8, 1))
    grads = delta.compute(model, x, y, nn.MSELoss())
    assert np.all(grads.weight_grads[1] == 0) and np.all(grads.weight_grads[2] == 0)
    assert np.any(grads.weight_grads[3] != 0)
    assert len(grads.notes) == 1 and "layer 2" in grads.notes[0]
    trace_text = str(delta.trace(model, x, y, nn.MSELoss()))
    assert "note: layer 2 uses the step function" in trace_text


def test_no_notes_for_differentiable_units():
    model = nn.MLP([2, 3, 1], activation="sigmoid").double()
    grads = delta.compute(model, np.zeros((2, 2)), np.zeros((2, 1)), nn.MSELoss())
    assert grads.notes == []


def test_step_is_the_lectures_sgn():
    f = np.array([-2.0, -0.0, 0.0, 1e-300, 3.0])
    expected = [-1.0, -1.0, -1.0, 1.0, 1.0]  # +1 if f > 0, −1 if f ≤ 0
    np.testing.assert_array_equal(sgn(f), expected)
    np.testing.assert_array_equal(nn.Step()(bp.tensor(f)).numpy(), expected)


# -- the perceptron rule ----------------------------------------------------------------------
def separable(n=80, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, (4 * n, 2))
    score = x @ np.array([1.0, -2.0]) + 0.5
    keep = np.abs(score) > 0.3  # a margin, so the rule's mistake bound is finite and small
    x, score = x[keep][:n], score[keep][:n]
    return x, np.where(score > 0, 1.0, -1.0)


def test_perceptron_converges_on_a_separable_set():
    x, y = separable()
    result = perceptron(x, y, lr=1.0, max_epochs=100, seed=0)
    assert result.converged
    assert result.mistakes[-1] == 0
    assert result.epochs < 100
    assert np.mean(result.predict(x) == y) == 1.0
    # 0/1 labels are the same problem
    again = perceptron(x, (y + 1) / 2, lr=1.0, max_epochs=100, seed=0)
    assert again.converged
    np.testing.assert_array_equal(again.weight, result.weight)


def test_perceptron_does_not_converge_on_xor():
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([-1.0, 1.0, 1.0, -1.0])
    result = perceptron(x, y, lr=1.0, max_epochs=50, seed=0)
    assert not result.converged
    assert result.epochs == 50
    assert all(m > 0 for m in result.mistakes)
    assert np.mean(result.predict(x) == y) <= 0.75  # no line separates XOR


def test_perceptron_rejects_bad_input():
    with pytest.raises(bp.ShapeError):
        perceptron(np.zeros((3, 2)), np.ones(4))
    with pytest.raises(bp.BackpropError, match="labels"):
        perceptron(np.zeros((3, 2)), np.array([0.0, 1.0, 2.0]))
    with pytest.raises(bp.BackpropError, match="lr"):
        perceptron(np.zeros((2, 2)), np.array([1.0, -1.0]), lr=0)


# -- |x − 1| from two ReLUs --------------------------------------------------------------------
def abs_net(dtype=bp.float64):
    """The slide's network, weights set by hand: ŷ = max(0, x − 1) + max(0, 1 − x)."""
    model = nn.Sequential(nn.Linear(1, 2, dtype=dtype), nn.ReLU(), nn.Linear(2, 1, dtype=dtype))
    model[0].weight._data[...] = [[1.0], [-1.0]]
    model[0].bias._data[...] = [-1.0, 1.0]
    model[2].weight._data[...] = [[1.0, 1.0]]
    model[2].bias._data[...] = [0.0]
    return model


@pytest.mark.parametrize("dtype", [bp.float64, bp.float32])
def test_hand_built_abs_network_is_exact(dtype):
    model = abs_net(dtype)
    x = np.linspace(-3, 5, 201, dtype=dtype.np).reshape(-1, 1)
    expected = np.abs(x - dtype.np.type(1))
    with bp.no_grad():
        out = model(bp.tensor(x)).numpy()
    assert np.max(np.abs(out - expected)) == 0
    assert np.max(np.abs(delta.forward(model, x).output - expected)) == 0
    # and it is a minimum: zero loss, zero gradient
    grads = delta.compute(model, x, expected, nn.MSELoss())
    assert grads.loss == 0
    assert all(np.all(g == 0) for g in grads.weight_grads[1:])


GRID = np.linspace(-3, 5, 201).reshape(-1, 1)


def fit_abs(seed, steps=1500, lr=0.1):
    """Train the 1-2-1 ReLU shape from random init with the δ engine and Adam."""
    bp.manual_seed(seed)
    model = nn.Sequential(nn.Linear(1, 2), nn.ReLU(), nn.Linear(2, 1)).double()
    x = np.linspace(-3, 5, 81).reshape(-1, 1)
    y = np.abs(x - 1)
    loss = nn.MSELoss()
    opt = optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        delta.backward(model, x, y, loss)
        opt.step()
    error = float(np.max(np.abs(delta.forward(model, GRID).output - np.abs(GRID - 1))))
    kinks = -model[0].bias._data / model[0].weight._data[:, 0]
    return error, kinks


def test_trained_abs_network_finds_the_exact_solution_on_some_seeds():
    seeds = range(10)
    results = [fit_abs(seed) for seed in seeds]
    successes = [error < 1e-3 for error, _ in results]
    count = sum(successes)
    assert 0 <= count <= len(seeds)
    assert count >= 1, [round(e, 4) for e, _ in results]
    # an exact fit has a hidden kink (where w x + b = 0) at x = 1; the other unit's kink is
    # there too (the slide's solution) or at the edge of [−3, 5] (a line plus one hinge)
    for (_, kinks), ok in zip(results, successes):
        if ok:
            near_one = np.abs(kinks - 1) < 1e-2
            assert near_one.any(), kinks
            other = kinks[1] if near_one[0] else kinks[0]
            assert abs(other - 1) < 1e-2 or other <= -3 + 1e-2 or other >= 5 - 1e-2, kinks
    assert sum(np.all(np.abs(k - 1) < 1e-2) for _, k in results) >= 1  # the slide's own
