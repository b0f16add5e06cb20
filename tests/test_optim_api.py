"""The Optimizer base class: zero_grad, parameters without a grad, param groups, closures,
state_dict checkpoints (round trip and PyTorch's layout), and argument errors."""

from __future__ import annotations

import numpy as np
import pytest

import backprop
from backprop.errors import ConfigError
from backprop.optim import SGD, Adagrad, Adam, AdamW, RMSprop, _functional
from optim_helpers import C0, W0, _case_id, make_params, run_ours, run_torch, set_grads, torch_loss

# ------------------------------------------------------------------- the base class


def test_zero_grad_set_to_none_and_in_place():
    params = make_params()
    opt = SGD(params, lr=0.1)
    set_grads(params)
    grad = params[0].grad
    opt.zero_grad(set_to_none=False)
    assert params[0].grad is grad
    assert not params[0].grad._data.any()
    opt.zero_grad()
    assert params[0].grad is None and params[1].grad is None
    opt.zero_grad()  # no grads at all is fine


def test_params_without_grad_are_skipped():
    torch = pytest.importorskip("torch")
    params = make_params()
    opt = Adam(params, lr=0.1)
    tparams = [torch.tensor(W0, requires_grad=True), torch.tensor(C0, requires_grad=True)]
    topt = torch.optim.Adam(tparams, lr=0.1)
    for _ in range(3):
        set_grads(params)
        params[1].grad = None
        opt.step()
        topt.zero_grad()
        torch_loss(torch, tparams).backward()
        tparams[1].grad = None
        topt.step()
    np.testing.assert_array_equal(params[1]._data, C0)
    assert params[1] not in opt.state or not opt.state[params[1]]
    np.testing.assert_allclose(params[0]._data, tparams[0].detach().numpy(), rtol=1e-12)
    assert opt.state_dict()["state"].keys() == topt.state_dict()["state"].keys() == {0}


def test_param_groups_with_their_own_options_match_torch():
    torch = pytest.importorskip("torch")
    params = make_params()
    opt = SGD(
        [{"params": [params[0]]}, {"params": params[1], "lr": 0.05, "nesterov": True}],
        lr=0.01,
        momentum=0.9,
    )
    tparams = [torch.tensor(W0, requires_grad=True), torch.tensor(C0, requires_grad=True)]
    topt = torch.optim.SGD(
        [{"params": [tparams[0]]}, {"params": [tparams[1]], "lr": 0.05, "nesterov": True}],
        lr=0.01,
        momentum=0.9,
    )
    assert [g["lr"] for g in opt.param_groups] == [0.01, 0.05]
    assert opt.param_groups[0]["nesterov"] is False
    for _ in range(30):
        opt.zero_grad()
        set_grads(params)
        opt.step()
        topt.zero_grad()
        torch_loss(torch, tparams).backward()
        topt.step()
    for p, t in zip(params, tparams):
        np.testing.assert_allclose(p._data, t.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_add_param_group_fills_defaults():
    params = make_params()
    opt = Adam([params[0]], lr=0.01)
    opt.add_param_group({"params": [params[1]], "weight_decay": 0.5})
    assert len(opt.param_groups) == 2
    assert opt.param_groups[1]["lr"] == 0.01
    assert opt.param_groups[1]["weight_decay"] == 0.5
    assert opt.param_groups[1]["betas"] == (0.9, 0.999)
    with pytest.raises(ConfigError, match="given twice"):
        opt.add_param_group({"params": [params[0]]})


def test_closure_is_evaluated_with_grad_enabled_and_update_without():
    params = make_params()
    opt = SGD(params, lr=0.1)
    seen = {}
    calls = []

    def closure():
        calls.append(1)
        seen["closure"] = backprop.is_grad_enabled()
        opt.zero_grad()
        set_grads(params)
        return 42.0

    original = _functional.sgd

    def spy(*args, **kwargs):
        seen["update"] = backprop.is_grad_enabled()
        return original(*args, **kwargs)

    _functional.sgd = spy
    try:
        with backprop.no_grad():
            loss = opt.step(closure)
    finally:
        _functional.sgd = original
    assert loss == 42.0 and len(calls) == 1
    assert seen == {"closure": True, "update": False}
    assert opt.step() is None


def test_closure_with_backprop_autograd():
    """The closure computes a real loss with backprop's autograd (L = Σ (w − 3)²)."""
    w = backprop.tensor([0.0, 1.0], dtype=backprop.float64, requires_grad=True)
    opt = SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = ((w - 3.0) ** 2).sum()
        loss.backward()
        return loss

    first = opt.step(closure)
    assert float(first.item()) == pytest.approx(9.0 + 4.0)
    # θ₁ = θ₀ − 0.25 · 2(θ₀ − 3) = (θ₀ + 3)/2
    np.testing.assert_allclose(w._data, [1.5, 2.0])
    assert w.grad_fn is None and w.is_leaf


# ------------------------------------------------------------------ checkpoints

CHECKPOINT_CASES = [
    (SGD, {"lr": 0.02, "momentum": 0.9}),
    (Adam, {"lr": 0.05, "amsgrad": True}),
    (AdamW, {"lr": 0.05}),
    (RMSprop, {"lr": 0.01, "centered": True, "momentum": 0.5}),
    (Adagrad, {"lr": 0.1, "lr_decay": 0.01}),
]


@pytest.mark.parametrize("case", CHECKPOINT_CASES, ids=[_case_id(c) for c in CHECKPOINT_CASES])
def test_state_dict_round_trip_continues_the_same_trajectory(case):
    cls, kwargs = case
    straight, _, _ = run_ours(cls, kwargs, 20)

    params = make_params()
    opt = cls(params, **kwargs)
    for _ in range(10):
        opt.zero_grad()
        set_grads(params)
        opt.step()
    saved = opt.state_dict()
    snapshot = [p._data.copy() for p in params]
    for _ in range(3):  # training on must not change the checkpoint
        set_grads(params)
        opt.step()

    fresh = make_params()
    for p, s in zip(fresh, snapshot):
        p._data[...] = s
    resumed = cls(fresh, lr=123.0)  # the loaded groups' options win
    resumed.load_state_dict(saved)
    assert resumed.param_groups[0]["lr"] == kwargs["lr"]
    for _ in range(10):
        resumed.zero_grad()
        set_grads(fresh)
        resumed.step()
    for p, s in zip(fresh, straight[-1]):
        np.testing.assert_array_equal(p._data, s)


@pytest.mark.parametrize("case", CHECKPOINT_CASES, ids=[_case_id(c) for c in CHECKPOINT_CASES])
def test_state_dict_layout_matches_torch(case):
    torch = pytest.importorskip("torch")
    cls, kwargs = case
    _, opt, _ = run_ours(cls, kwargs, 3)
    _, topt, _ = run_torch(torch, cls.__name__, kwargs, 3)
    ours, theirs = opt.state_dict(), topt.state_dict()
    assert ours["state"].keys() == theirs["state"].keys() == {0, 1}
    for i in (0, 1):
        assert ours["state"][i].keys() == theirs["state"][i].keys()
        for key, value in ours["state"][i].items():
            assert isinstance(value, backprop.Tensor)
            expected = theirs["state"][i][key].detach().numpy()
            assert value._data.dtype == expected.dtype, key
            np.testing.assert_allclose(value._data, expected, rtol=1e-10, atol=1e-14)
    (ogroup,) = ours["param_groups"]
    (tgroup,) = theirs["param_groups"]
    assert ogroup["params"] == tgroup["params"] == [0, 1]
    for key, value in ogroup.items():
        assert tgroup[key] == value, key


def test_load_state_dict_rejects_mismatched_groups():
    params = make_params()
    opt = SGD(params, lr=0.1, momentum=0.9)
    saved = opt.state_dict()
    other = SGD([params[0]], lr=0.1)
    with pytest.raises(ConfigError, match=r"group 0 has 2 parameters in the state dict but 1"):
        other.load_state_dict(saved)
    two = SGD([{"params": [params[0]]}, {"params": [params[1]]}], lr=0.1)
    with pytest.raises(ConfigError, match="has 1 parameter groups but this optimizer has 2"):
        two.load_state_dict(saved)


# ---------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("build", "pattern"),
    [
        (lambda p: SGD(p, lr=-0.1), r"lr must be a finite number >= 0, got -0\.1"),
        (lambda p: SGD(p, lr=float("nan")), r"lr must be .* got nan"),
        (lambda p: Adam(p, lr=-1.0), r"Adam: lr must be"),
        (lambda p: SGD(p, momentum=-0.5), r"momentum must be >= 0, got -0\.5"),
        (lambda p: SGD(p, nesterov=True), r"nesterov=True needs momentum > 0.*momentum=0"),
        (
            lambda p: SGD(p, momentum=0.9, dampening=0.1, nesterov=True),
            r"dampening = 0.*dampening=0\.1",
        ),
        (lambda p: Adam(p, betas=(1.0, 0.999)), r"betas\[0\] must be in \[0, 1\), got 1\.0"),
        (lambda p: AdamW(p, betas=(0.9, -0.1)), r"AdamW: betas\[1\] must be in \[0, 1\)"),
        (lambda p: Adam(p, betas=0.9), r"betas must be a pair"),
        (lambda p: Adam(p, eps=-1e-8), r"eps must be >= 0"),
        (lambda p: RMSprop(p, alpha=1.5), r"alpha must be in \[0, 1\), got 1\.5"),
        (lambda p: RMSprop(p, momentum=-1), r"momentum must be >= 0"),
        (lambda p: Adagrad(p, lr_decay=-1), r"lr_decay must be >= 0"),
        (lambda p: Adagrad(p, initial_accumulator_value=-1), r"initial_accumulator_value"),
        (lambda p: SGD(p, weight_decay=-1), r"weight_decay must be >= 0"),
        (lambda p: SGD([], lr=0.1), r"empty"),
        (lambda p: SGD(p[0], lr=0.1), r"single Tensor; pass it in a list"),
        (lambda p: SGD([p[0], p[1], p[0]], lr=0.1), r"params\[2\] .* given twice"),
        (
            lambda p: SGD([{"params": [p[0]]}, {"params": [p[0]]}], lr=0.1),
            r"params\[0\] .* given twice",
        ),
        (lambda p: SGD([p[0], np.zeros(3)], lr=0.1), r"params\[1\] must be a backprop Tensor"),
        (lambda p: SGD([p[0] * 2.0], lr=0.1), r"params\[0\] is not a leaf"),
        (lambda p: SGD([{"params": [p[0]], "lr": -2.0}], lr=0.1), r"got -2\.0"),
        (lambda p: SGD(set(p), lr=0.1), r"got a set"),
    ],
)
def test_bad_arguments_raise_config_error(build, pattern):
    params = make_params()
    with pytest.raises(ConfigError, match=pattern):
        build(params)


def test_config_error_is_a_value_error():
    with pytest.raises(ValueError):
        SGD(make_params(), lr=-1)


def test_backward_through_a_graph_saved_before_step_raises():
    """The in-place update is counted, so a stale graph is caught (PyTorch raises too)."""
    w = backprop.tensor([1.0, 2.0], requires_grad=True)
    x = backprop.tensor([3.0, 4.0], requires_grad=True)
    y = (w * x).sum()
    w.grad = backprop.ones_like(w)
    SGD([w], lr=0.5).step()
    with pytest.raises(backprop.errors.AutogradError, match="modified by an inplace"):
        y.backward()
