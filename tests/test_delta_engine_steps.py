"""A δ-engine training step is an autograd training step: Adam steps equal autograd's,
training moves the parameters, ``.grad`` accumulates like autograd's and frozen
parameters get none."""

from __future__ import annotations

import copy

import numpy as np

import backprop as bp
import backprop.nn as nn
import backprop.optim as optim
from backprop import delta
from delta_engine_helpers import assert_rel, autograd_grads, build, linears


# -- 2. a δ-engine training step is an autograd training step -------------------------------
def test_twenty_adam_steps_equal_autograd():
    bp.manual_seed(5)
    model_a = nn.MLP([3, 5, 4, 2], activation="tanh").double()
    model_b = copy.deepcopy(model_a)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((16, 3))
    y = rng.integers(0, 2, 16).astype(np.int64)
    loss_fn = nn.CrossEntropyLoss()
    start = [p._data.copy() for p in model_a.parameters()]
    opt_a = optim.Adam(model_a.parameters(), lr=0.01)
    opt_b = optim.Adam(model_b.parameters(), lr=0.01)
    xt, yt = bp.tensor(x), bp.tensor(y)
    for _ in range(20):
        opt_a.zero_grad()
        loss_fn(model_a(xt), yt).backward()
        opt_a.step()
        opt_b.zero_grad()
        delta.backward(model_b, x, y, loss_fn)
        opt_b.step()
    for pa, pb, p0 in zip(model_a.parameters(), model_b.parameters(), start):
        np.testing.assert_allclose(pb._data, pa._data, rtol=1e-10, atol=1e-13)
        assert np.max(np.abs(pb._data - p0)) > 1e-3  # the 20 steps did move every parameter


def test_training_moves_the_parameters():
    bp.manual_seed(5)
    model = nn.MLP([3, 4, 1], activation="sigmoid").double()
    before = [p._data.copy() for p in model.parameters()]
    x = np.random.default_rng(0).standard_normal((8, 3))
    y = x.sum(axis=1, keepdims=True)
    opt = optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for _ in range(20):
        opt.zero_grad()
        losses.append(delta.backward(model, x, y, nn.MSELoss()).loss)
        opt.step()
    assert losses[-1] < losses[0]
    assert all(not np.array_equal(b, p._data) for b, p in zip(before, model.parameters()))


def test_grad_accumulates_like_autograd():
    model, loss_fn, x, y = build("sigmoid", "mse", 3, True)
    _, once = autograd_grads(model, loss_fn, x, y)
    # δ engine twice without zero_grad: twice the gradient, as autograd would give
    delta.backward(model, x, y, loss_fn)
    delta.backward(model, x, y, loss_fn)
    for lin, (gw, gb) in zip(linears(model), once):
        assert_rel(lin.weight.grad._data, 2 * gw)
        assert_rel(lin.bias.grad._data, 2 * gb)
    # autograd on top of the δ engine's .grad keeps adding: 3×
    loss_fn(model(bp.tensor(x)), bp.tensor(y)).backward()
    for lin, (gw, gb) in zip(linears(model), once):
        assert_rel(lin.weight.grad._data, 3 * gw)
        assert_rel(lin.bias.grad._data, 3 * gb)
    # accumulate=False overwrites
    delta.backward(model, x, y, loss_fn, accumulate=False)
    for lin, (gw, gb) in zip(linears(model), once):
        assert_rel(lin.weight.grad._data, gw)
        assert_rel(lin.bias.grad._data, gb)


def test_frozen_parameters_get_no_grad():
    model, loss_fn, x, y = build("tanh", "mse", 2, True)
    first = linears(model)[0]
    first.weight.requires_grad_(False)
    delta.backward(model, x, y, loss_fn)
    assert first.weight.grad is None
    assert first.bias.grad is not None
