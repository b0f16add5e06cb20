"""The fused paths give the same numbers as the plain ones: flat parameter buffers with
one optimizer operation per group, and the δ-engine Plan, against per-tensor autograd."""

import numpy as np
import pytest

import backprop as bp
from backprop import delta, nn, optim

OPTIMIZERS = [
    (optim.SGD, {"lr": 0.05}),
    (optim.SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-3}),
    (optim.Adam, {"lr": 0.05}),
    (optim.Adam, {"lr": 0.05, "amsgrad": True, "weight_decay": 1e-2}),
    (optim.AdamW, {"lr": 0.05}),
    (optim.RMSprop, {"lr": 0.01, "momentum": 0.5, "centered": True}),
    (optim.Adagrad, {"lr": 0.1, "lr_decay": 1e-3}),
]


def _data():
    bp.manual_seed(3)
    x = bp.randn(40, 2, dtype=bp.float64)
    y = (x[:, :1] * x[:, 1:]).tanh()
    return x, y


def _model(seed=5):
    bp.manual_seed(seed)
    return nn.MLP([2, 6, 6, 1], activation="tanh").double()


@pytest.mark.parametrize(("cls", "options"), OPTIMIZERS)
def test_flat_plan_training_equals_autograd_training(cls, options):
    x, y = _data()
    loss_fn = nn.MSELoss()
    plain, fused = _model(), _model()
    delta.flatten_parameters(fused)
    opt_plain = cls(plain.parameters(), **options)
    opt_fused = cls(fused.parameters(), **options)
    plan = delta.Plan(fused, loss_fn)
    for _ in range(30):
        opt_plain.zero_grad()
        loss_fn(plain(x), y).backward()
        opt_plain.step()
        opt_fused.zero_grad()
        plan.step(x, y)
        opt_fused.step()
    assert opt_fused._flat._cache, "the fused optimizer path was not taken"
    # The two engines round differently at 1e-16; 30 steps amplify that to ~1e-11, while a
    # wrong formula would differ at 1e-3 or more.
    for (name, p), q in zip(plain.named_parameters(), fused.parameters()):
        np.testing.assert_allclose(
            q.numpy(force=True), p.numpy(force=True), rtol=1e-9, atol=1e-11, err_msg=name
        )
    # optimizer state is visible per parameter and round-trips through state_dict
    sd_plain, sd_fused = opt_plain.state_dict(), opt_fused.state_dict()
    for i in sd_plain["state"]:
        for key, value in sd_plain["state"][i].items():
            other = sd_fused["state"][i][key]
            got = other.numpy() if hasattr(other, "numpy") else other
            want = value.numpy() if hasattr(value, "numpy") else value
            np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-11)


def test_fused_optimizer_survives_load_state_dict_and_continues_identically():
    x, y = _data()
    loss_fn = nn.MSELoss()
    a, b = _model(), _model()
    for m in (a, b):
        delta.flatten_parameters(m)
    opt_a = optim.Adam(a.parameters(), lr=0.05)
    plan_a = delta.Plan(a, loss_fn)
    for _ in range(10):
        opt_a.zero_grad()
        plan_a.step(x, y)
        opt_a.step()
    b.load_state_dict(a.state_dict())
    opt_b = optim.Adam(b.parameters(), lr=0.05)
    opt_b.load_state_dict(opt_a.state_dict())
    plan_b = delta.Plan(b, loss_fn)
    for _ in range(10):
        for opt, plan in ((opt_a, plan_a), (opt_b, plan_b)):
            opt.zero_grad()
            plan.step(x, y)
            opt.step()
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p.numpy(force=True), q.numpy(force=True))


def test_flatten_parameters_keeps_values_identity_and_autograd():
    m = _model()
    before = [(p, p.numpy(force=True).copy()) for p in m.parameters()]
    buffer = delta.flatten_parameters(m)
    assert buffer.size == sum(p.numel() for p in m.parameters())
    for (p, old), q in zip(before, m.parameters()):
        assert p is q
        np.testing.assert_array_equal(q.numpy(force=True), old)
    x, y = _data()
    nn.MSELoss()(m(x), y).backward()
    assert all(p.grad is not None for p in m.parameters())
