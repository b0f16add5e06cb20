"""A finished run no better than ignoring its inputs says so in words (issue 15): r² < 0 is
worse than predicting the mean; accuracy at most the majority class's share is chance."""

import warnings

import numpy as np
import pytest

import backprop as bp
from backprop import nn, optim
from backprop.errors import PoorFitWarning
from backprop.train import fit

metrics = pytest.importorskip("sklearn.metrics")


def _regression():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((80, 2))
    return x, 500 + 100 * x[:, :1]  # far from where an untrained net's outputs start


def test_worse_than_the_mean_warns_and_r2_agrees_with_sklearn():
    x, y = _regression()
    bp.manual_seed(0)
    model = nn.MLP([2, 8, 1])
    with pytest.warns(PoorFitWarning, match=r"worse than predicting the mean.*r² = -"):
        history = fit(model, (x, y), "mse", optim.Adam(model.parameters(), lr=1e-3), 2)
    with bp.no_grad():
        pred = model(bp.tensor(x, dtype=bp.float32)).numpy()
    assert metrics.r2_score(y, pred) < 0
    assert history["r2"][-1] == pytest.approx(metrics.r2_score(y, pred), abs=1e-4)


def test_a_fitted_model_does_not_warn():
    x, y = _regression()
    bp.manual_seed(0)
    model = nn.MLP([2, 8, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error", PoorFitWarning)
        fit(model, (x, (y - 500) / 100), "mse", optim.Adam(model.parameters(), lr=0.05), 200)


def test_accuracy_at_chance_warns():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((60, 2))
    y = np.array([0] * 45 + [1] * 15)  # labels unrelated to x; majority share 0.75
    bp.manual_seed(0)
    model = nn.MLP([2, 4, 2])
    opt = optim.SGD(model.parameters(), lr=0.0)  # learns nothing: a constant-ish answer
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        history = fit(model, (x, y), "cross_entropy", opt, 1)
    with bp.no_grad():
        predicted = model(bp.tensor(x, dtype=bp.float32)).numpy().argmax(1)
    chance = metrics.accuracy_score(y, predicted) <= 0.75
    assert history["accuracy"][-1] == metrics.accuracy_score(y, predicted)
    assert chance == any(issubclass(w.category, PoorFitWarning) for w in seen)
