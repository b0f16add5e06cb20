"""nn.init against PyTorch 2.13 and its documented formulas: gains, fans, the bounds and
spreads of every initialiser on large tensors, seeding, no_grad and the errors."""

import math

import numpy as np
import pytest

import backprop as bp
import backprop.nn as nn
from backprop.errors import ConfigError, ShapeError
from backprop.nn import init

torch = pytest.importorskip("torch")


@pytest.mark.parametrize(
    "nonlinearity, param",
    [
        ("linear", None),
        ("conv2d", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("leaky_relu", math.sqrt(5)),
        ("selu", None),
    ],
)
def test_calculate_gain_matches_torch(nonlinearity, param):
    ours = init.calculate_gain(nonlinearity, param)
    assert ours == pytest.approx(torch.nn.init.calculate_gain(nonlinearity, param), rel=1e-15)


def test_gains_by_hand():
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(1.4142135623730951)
    assert init.calculate_gain("leaky_relu", math.sqrt(5)) == pytest.approx(math.sqrt(1 / 3))


@pytest.mark.parametrize("shape", [(3, 4), (7, 1), (5, 3, 2, 2), (2, 6, 3)])
def test_fans_match_torch(shape):
    ours = init._calculate_fan_in_and_fan_out(bp.empty(*shape))
    assert ours == torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))


def _stats(values):
    return np.abs(values).max(), values.std(), values.mean()


SHAPE = (600, 400)  # fan_in 400, fan_out 600: 240 000 draws


@pytest.mark.parametrize(
    "name, options, bound, std",
    [
        # kaiming_uniform_: bound = gain·√(3/fan); gain √2 for relu
        ("kaiming_uniform_", {"nonlinearity": "relu"}, math.sqrt(2) * math.sqrt(3 / 400), None),
        ("kaiming_uniform_", {"mode": "fan_out", "nonlinearity": "relu"},
         math.sqrt(2) * math.sqrt(3 / 600), None),
        # Linear's default: a = √5 → bound 1/√fan_in
        ("kaiming_uniform_", {"a": math.sqrt(5)}, 1 / math.sqrt(400), None),
        # xavier_uniform_: bound = gain·√(6/(fan_in + fan_out))
        ("xavier_uniform_", {"gain": 2.0}, 2.0 * math.sqrt(6 / 1000), None),
        ("uniform_", {"a": -0.3, "b": 0.3}, 0.3, None),
        # normal initialisers: std = gain/√fan (kaiming), gain·√(2/(fan_in + fan_out)) (xavier)
        ("kaiming_normal_", {"nonlinearity": "relu"}, None, math.sqrt(2) / math.sqrt(400)),
        ("kaiming_normal_", {"a": 0.2, "mode": "fan_out"}, None,
         math.sqrt(2 / 1.04) / math.sqrt(600)),
        ("xavier_normal_", {"gain": 5 / 3}, None, 5 / 3 * math.sqrt(2 / 1000)),
        ("normal_", {"mean": 0.0, "std": 0.05}, None, 0.05),
    ],
)  # fmt: skip
def test_initialisers_follow_documented_formulas_and_agree_with_torch(name, options, bound, std):
    ours = getattr(init, name)(bp.empty(*SHAPE), **options, generator=bp.Generator().manual_seed(0))
    theirs = getattr(torch.nn.init, name)(
        torch.empty(*SHAPE), **options, generator=torch.Generator().manual_seed(0)
    )
    ours_max, ours_std, ours_mean = _stats(ours.numpy())
    theirs_max, theirs_std, _ = _stats(theirs.numpy())
    if bound is not None:  # U(−b, b): every value within b, the extremes near b, std b/√3
        assert ours_max <= bound and theirs_max <= bound
        assert ours_max > 0.999 * bound
        assert ours_std == pytest.approx(bound / math.sqrt(3), rel=0.01)
    else:
        assert ours_std == pytest.approx(std, rel=0.01)
    assert ours_std == pytest.approx(theirs_std, rel=0.02)
    assert abs(ours_mean) < 0.01 * ours_std


def test_constant_zeros_ones():
    t = bp.empty(3, 2)
    assert init.constant_(t, 0.25) is t and t.tolist() == [[0.25, 0.25]] * 3
    assert init.zeros_(t).tolist() == [[0.0, 0.0]] * 3
    assert init.ones_(t).tolist() == [[1.0, 1.0]] * 3


def test_initialisers_run_under_no_grad_on_parameters():
    layer = nn.Linear(4, 3)
    weight = layer.weight
    out = init.xavier_uniform_(layer.weight)
    assert out is weight and out.is_leaf and out.grad_fn is None and out.requires_grad
    init.zeros_(layer.bias)
    assert layer.bias.tolist() == [0.0, 0.0, 0.0]


def test_seeded_reproducibility():
    a = init.kaiming_normal_(bp.empty(5, 4), generator=bp.Generator().manual_seed(3)).numpy()
    b = init.kaiming_normal_(bp.empty(5, 4), generator=bp.Generator().manual_seed(3)).numpy()
    c = init.kaiming_normal_(bp.empty(5, 4), generator=bp.Generator().manual_seed(4)).numpy()
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    d = init.uniform_(bp.empty(6), generator=np.random.default_rng(9)).numpy()
    e = init.uniform_(bp.empty(6), generator=np.random.default_rng(9)).numpy()
    assert np.array_equal(d, e)
    bp.manual_seed(11)
    f = init.xavier_uniform_(bp.empty(3, 3)).numpy().copy()
    bp.manual_seed(11)
    assert np.array_equal(f, init.xavier_uniform_(bp.empty(3, 3)).numpy())


def test_init_errors():
    with pytest.raises(ShapeError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(bp.empty(5))
    with pytest.raises(ConfigError, match="fan_in"):
        init.kaiming_uniform_(bp.empty(2, 2), mode="fan_avg")
    with pytest.raises(ConfigError, match="unsupported nonlinearity"):
        init.calculate_gain("swishy")
    with pytest.raises(ConfigError, match="negative_slope"):
        init.calculate_gain("leaky_relu", "0.1")
    with pytest.warns(UserWarning, match="zero-element"):
        init.kaiming_uniform_(bp.empty(0, 3))
