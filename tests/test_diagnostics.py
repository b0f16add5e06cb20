"""``backprop.diagnostics``: per-layer health on constructed cases, and the vanishing-gradient
experiment (the lecture's slide: σ' ≤ 0.25 shrinks the gradient a layer at a time, ReLU does
not).

References: networks built so the answer is known (a bias that kills every ReLU, weights that
saturate every sigmoid), thresholds solved by hand, autograd's gradients, and the slide's bound
checked on δ's taken from autograd.
"""

from __future__ import annotations

import itertools
import math
import re

import numpy as np
import pytest

import backprop as bp
import backprop.nn as nn
import backprop.optim as optim
from backprop.diagnostics import UpdateRatio, gradient_norms, layer_report, vanishing_gradients


def _data(n=32, d=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), rng.standard_normal((n, 1))


# -- layer_report on constructed cases ------------------------------------------------------
def test_relu_layer_with_large_negative_bias_is_all_dead():
    bp.manual_seed(0)
    model = nn.MLP([3, 4, 1], activation="relu").double()
    model[0].bias._data[...] = -100.0  # |x·w| ≪ 100, so f[1] < 0 for every sample
    x, y = _data()
    report = layer_report(model, x, y, nn.MSELoss())
    first = report.layers[0]
    assert first.activation == "relu"
    assert first.dead == 1.0
    assert first.grad_norm == 0.0  # a dead layer gets no gradient at all
    assert first.saturated is None
    assert report.layers[1].dead is None  # the linear output layer has no ReLUs


def test_half_of_the_relus_dead():
    bp.manual_seed(0)
    model = nn.MLP([3, 4, 1], activation="relu").double()
    model[0].bias._data[:2] = -100.0
    model[0].bias._data[2:] = 100.0
    x, y = _data()
    assert layer_report(model, x, y, nn.MSELoss()).layers[0].dead == 0.5


def _saturation_threshold(derivative_at, limit):
    """The |f| beyond which g'(f) < limit, by bisection on g' (decreasing in |f|)."""
    lo, hi = 0.0, 50.0
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if derivative_at(mid) >= limit else (lo, mid)
    return hi


def test_sigmoid_layer_with_huge_weights_is_mostly_saturated():
    bp.manual_seed(0)
    model = nn.MLP([3, 5, 1], activation="sigmoid").double()
    model[0].weight._data *= 100.0
    x, y = _data(64)
    stats = layer_report(model, x, y, nn.MSELoss()).layers[0]
    # saturated: σ'(f) below 5% of its maximum 1/4
    threshold = _saturation_threshold(lambda f: 0.25 / math.cosh(f / 2) ** 2, 0.05 * 0.25)
    f = x @ model[0].weight._data.T + model[0].bias._data
    assert stats.saturated == pytest.approx(np.mean(np.abs(f) > threshold), abs=1e-12)
    assert stats.saturated > 0.8
    assert stats.dead is None
    # the same layer with ordinary weights is not saturated
    model[0].weight._data /= 100.0
    assert layer_report(model, x, y, nn.MSELoss()).layers[0].saturated < 0.05


def test_tanh_saturation_threshold():
    bp.manual_seed(1)
    model = nn.MLP([3, 6, 1], activation="tanh").double()
    model[0].weight._data *= 3.0
    x, y = _data(64, seed=1)
    stats = layer_report(model, x, y, nn.MSELoss()).layers[0]
    threshold = _saturation_threshold(lambda f: 1 - math.tanh(f) ** 2, 0.05)
    f = x @ model[0].weight._data.T + model[0].bias._data
    expected = np.mean(np.abs(f) > threshold)
    assert 0 < expected < 1
    assert stats.saturated == pytest.approx(expected, abs=1e-12)


def test_layer_report_norms_equal_autograd():
    bp.manual_seed(3)
    model = nn.MLP([3, 5, 4, 1], activation="tanh").double()
    x, y = _data()
    report = layer_report(model, x, y, nn.MSELoss())
    assert all(p.grad is None for p in model.parameters())  # it changes nothing
    value = nn.MSELoss()(model(bp.tensor(x)), bp.tensor(y))
    value.backward()
    assert report.loss == pytest.approx(value.item(), rel=1e-13)
    lins = [m for m in model.modules() if isinstance(m, nn.Linear)]
    for stats, lin in zip(report.layers, lins):
        assert stats.grad_norm == pytest.approx(np.linalg.norm(lin.weight.grad._data), rel=1e-12)
        assert stats.bias_grad_norm == pytest.approx(np.linalg.norm(lin.bias.grad._data), rel=1e-12)
        assert stats.weight_norm == pytest.approx(np.linalg.norm(lin.weight._data), rel=1e-15)
    norms = gradient_norms(model)
    assert set(norms) == {"0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"}
    assert norms["2.weight"] == pytest.approx(report.layers[1].grad_norm, rel=1e-12)
    text = str(report)
    assert "‖∂E/∂W[l]‖" in text and "saturated" in text and "dead" in text


def test_update_ratio_is_lr_times_grad_over_weight_for_sgd():
    bp.manual_seed(4)
    model = nn.MLP([3, 4, 1], activation="relu").double()
    x, y = _data()
    nn.MSELoss()(model(bp.tensor(x)), bp.tensor(y)).backward()
    grads = {n: p.grad._data.copy() for n, p in model.named_parameters()}
    weights = {n: p._data.copy() for n, p in model.named_parameters()}
    tracker = UpdateRatio(model)
    optim.SGD(model.parameters(), lr=0.1).step()
    ratios = tracker.ratios()
    for name, ratio in ratios.items():
        expected = 0.1 * np.linalg.norm(grads[name]) / np.linalg.norm(weights[name])
        assert ratio == pytest.approx(expected, rel=1e-12)


# -- the vanishing-gradient experiment ------------------------------------------------------
@pytest.fixture(scope="module")
def vanishing():
    return vanishing_gradients(depths=[2, 5, 10, 20])


def test_sigmoid_gradient_vanishes_with_depth(vanishing):
    ratios = [vanishing.first_to_last("sigmoid", d) for d in (2, 5, 10, 20)]
    assert all(a > b for a, b in itertools.pairwise(ratios))  # shrinks at every step in depth
    assert ratios[-1] < 1e-6
    assert ratios[0] / ratios[-1] > 1e6  # orders of magnitude, not a few percent
    # per layer, too: at depth 20 the norms grow from the first layer to the last
    norms = vanishing.grad_norms[("sigmoid", 20)]
    assert len(norms) == 21
    assert norms[0] < 1e-3 * norms[10] < 1e-6 * norms[-1]


def test_sigmoid_obeys_the_slides_bound(vanishing):
    # ‖δ[l]‖ ≤ 0.25 · ‖W[l+1]‖₂ · ‖δ[l+1]‖ for every sample: every ratio ≤ 1
    for depth in (2, 5, 10, 20):
        bound = vanishing.bound_ratios[("sigmoid", depth)]
        assert len(bound) == depth
        assert max(bound) <= 1 + 1e-12
        assert min(bound) > 0


def test_relu_gradient_does_not_vanish(vanishing):
    shallow = vanishing.first_to_last("relu", 2)
    deep = vanishing.first_to_last("relu", 20)
    assert 0.1 < deep / shallow < 10
    assert deep > 1e4 * vanishing.first_to_last("sigmoid", 20)


def test_vanishing_result_table(vanishing):
    text = str(vanishing)
    assert "sigmoid" in text and "relu" in text and "tanh" in text
    assert len(text.splitlines()) == 4 + 4  # title, what depth means, caption, header; rows
    rows = vanishing.rows()
    assert len(rows) == 3 * (3 + 6 + 11 + 21)
    assert {"activation", "depth", "layer", "grad_norm", "delta_norm"} <= set(rows[0])


def test_slides_bound_on_autograds_deltas():
    """σ' ≤ 1/4 gives ‖δ[l]‖ ≤ ¼ ‖W[l+1]‖₂ ‖δ[l+1]‖, with δ[l] = ∂E/∂f[l] from autograd."""
    bp.manual_seed(6)
    lins = [nn.Linear(8, 8, dtype=bp.float64) for _ in range(6)] + [
        nn.Linear(8, 1, dtype=bp.float64)
    ]
    for lin in lins:
        nn.init.xavier_normal_(lin.weight, gain=4.0)
    x, y = _data(16, 8, seed=6)
    a = bp.tensor(x)
    fs = []
    for i, lin in enumerate(lins):
        f = lin(a)
        f.retain_grad()
        fs.append(f)
        a = f.sigmoid() if i < len(lins) - 1 else f
    nn.MSELoss(reduction="sum")(a, bp.tensor(y)).backward()
    deltas = [f.grad._data for f in fs]
    for l in range(len(lins) - 1):
        w_next = np.linalg.norm(lins[l + 1].weight._data, 2)
        lhs = np.linalg.norm(deltas[l], axis=1)
        rhs = 0.25 * w_next * np.linalg.norm(deltas[l + 1], axis=1)
        assert np.all(lhs <= rhs * (1 + 1e-12))
    assert np.linalg.norm(deltas[0]) < 0.1 * np.linalg.norm(deltas[-1])


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"seed": -1}, "seed must be a whole number >= 0"),  # was NumPy's ValueError
        ({"depths": [0]}, "depths (each)"),
        ({"depths": 5}, "depths must be a list"),
        ({"activations": []}, "activations must not be empty"),
        ({"activations": ["gelu"]}, "init={'gelu'"),  # was a KeyError
        ({"width": 0}, "width must be a whole number from 1 to 4,096"),
        ({"samples": 2.5}, "samples must be a whole number"),
        # issue 12 item 8: bounds checked before any network is built
        ({"depths": [100_000]}, "depths (each) must be a whole number from 1 to 1,000"),
        ({"depths": range(1, 10**9)}, "depths has more than 1,000 items"),
        ({"width": 65_536}, "width must be a whole number from 1 to 4,096"),
        ({"samples": 10**6}, "samples must be a whole number from 1 to 100,000"),
        ({"depths": [1000], "width": 4096}, "numbers in memory"),
        ({"depths": list(range(1, 1001))}, "multiply-adds"),
    ],
)
def test_vanishing_gradients_refuses_bad_arguments_by_name(kwargs, words):
    from backprop.errors import ConfigError

    with pytest.raises(ConfigError, match=re.escape(words)):
        vanishing_gradients(**kwargs)
