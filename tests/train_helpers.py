"""Shared by the fit tests (test_train_loop.py, test_train_guard.py): ``fit`` with a fresh
optimizer, the lecture's data, seeded models and a copy of their weights."""

import backprop as bp
from backprop import nn, optim
from backprop.train import fit


def train(model, data, loss, epochs=1, *, lr, opt=optim.Adam, **options):
    """``fit`` with a fresh ``opt(model.parameters(), lr=lr)``."""
    return fit(model, data, loss, opt(model.parameters(), lr=lr), epochs, **options)


def lecture_data(n=100, seed=0):
    """The lecture's y = x² data: x = 5·randn, y = x² + randn."""
    bp.manual_seed(seed)
    x = 5 * bp.randn(n, 1)
    return x, bp.square(x) + bp.randn_like(x)


def weights(model):
    return [p.numpy(force=True).copy() for p in model.parameters()]


def seeded(factory, seed=1):
    bp.manual_seed(seed)
    return factory()


def mlp64(sizes, activation="tanh"):
    return nn.MLP(sizes, activation=activation).double()
