"""The fast paths of the hand-written autograd loop give PyTorch's numbers.

Each test runs the same program on backprop and on PyTorch 2.13 (the oracle) from the same
starting values and compares values, gradients, dtypes and shapes: the optimizer's gathered
update of parameters that do not share a buffer (``optim/flat.py``), and the ops the
makemore workload leans on (cross-entropy on class indices, advanced-indexing backward,
matrix products, ``p.data += -lr * p.grad``).
"""

from __future__ import annotations

import numpy as np
import pytest

import backprop as bp
from backprop import nn, optim

torch = pytest.importorskip("torch")

OPTIMIZERS = [
    ("SGD", {"lr": 0.05}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-3}),
    ("Adam", {"lr": 0.05}),
    ("Adam", {"lr": 0.05, "amsgrad": True, "weight_decay": 1e-2, "maximize": True}),
    ("AdamW", {"lr": 0.05}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5, "centered": True}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 1e-3}),
]


def _pair(seed: int = 0):
    """A 2-6-6-1 tanh Sequential in both libraries, float64, torch's initial weights."""
    torch.manual_seed(seed)
    theirs = torch.nn.Sequential(
        torch.nn.Linear(2, 6), torch.nn.Tanh(), torch.nn.Linear(6, 6), torch.nn.Tanh(),
        torch.nn.Linear(6, 1),
    ).double()  # fmt: skip
    ours = nn.Sequential(
        nn.Linear(2, 6), nn.Tanh(), nn.Linear(6, 6), nn.Tanh(), nn.Linear(6, 1)
    ).double()
    with bp.no_grad():
        for p, q in zip(ours.parameters(), theirs.parameters()):
            p.copy_(bp.tensor(q.detach().numpy()))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((20, 2))
    y = np.sin(x[:, :1] * x[:, 1:])
    return ours, theirs, x, y


def _step(lib, model, opt, x, y, drop=None):
    opt.zero_grad()
    loss = lib.nn.functional.mse_loss(model(lib.tensor(x)), lib.tensor(y))
    loss.backward()
    if drop is not None:
        list(model.parameters())[drop].grad = None
    opt.step()
    return loss.item()


def _close(ours, theirs, tol=1e-10):
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize(("name", "options"), OPTIMIZERS)
def test_gathered_update_of_separate_parameters_matches_torch(name, options):
    ours, theirs, x, y = _pair()
    held = [p.detach().numpy() for p in ours.parameters()]  # views a user may hold
    opt = getattr(optim, name)(ours.parameters(), **options)
    ref = getattr(torch.optim, name)(theirs.parameters(), **options)
    for _ in range(25):
        a = _step(bp, ours, opt, x, y)
        b = _step(torch, theirs, ref, x, y)
        assert a == pytest.approx(b, rel=1e-10, abs=1e-12)
    assert opt._flat._cache[0]["views"] is not None, "the gathered path was not taken"
    _close(ours, theirs)
    for view, p in zip(held, ours.parameters()):
        assert np.shares_memory(view, p.detach().numpy()), "a parameter lost its storage"
        assert view.dtype == np.float64
    for s, t in zip(opt.state_dict()["state"].values(), ref.state_dict()["state"].values()):
        assert set(s) == set(t)
        for key in s:
            np.testing.assert_allclose(np.asarray(s[key]), t[key].numpy(), rtol=1e-9, atol=1e-12)
            assert tuple(s[key].shape) == tuple(t[key].shape)


@pytest.mark.parametrize(("name", "options"), [OPTIMIZERS[2], OPTIMIZERS[1], OPTIMIZERS[6]])
def test_a_missing_gradient_falls_back_and_steps_count_per_tensor(name, options):
    ours, theirs, x, y = _pair(1)
    opt = getattr(optim, name)(ours.parameters(), **options)
    ref = getattr(torch.optim, name)(theirs.parameters(), **options)
    for i in range(12):
        drop = 3 if i in (4, 5) else None  # the second layer's bias sits out two steps
        _step(bp, ours, opt, x, y, drop)
        _step(torch, theirs, ref, x, y, drop)
    _close(ours, theirs)
    for s, t in zip(opt.state_dict()["state"].values(), ref.state_dict()["state"].values()):
        if "step" in t:
            assert float(s["step"]) == float(t["step"])


def test_state_dict_round_trip_continues_like_torch():
    ours, theirs, x, y = _pair(2)
    opt = optim.Adam(ours.parameters(), lr=0.05)
    ref = torch.optim.Adam(theirs.parameters(), lr=0.05)
    for _ in range(5):
        _step(bp, ours, opt, x, y)
        _step(torch, theirs, ref, x, y)
    saved = opt.state_dict()
    fresh = optim.Adam(ours.parameters(), lr=0.05)
    fresh.load_state_dict(saved)
    for _ in range(5):
        _step(bp, ours, fresh, x, y)
        _step(torch, theirs, ref, x, y)
    _close(ours, theirs)
    np.testing.assert_allclose(np.asarray(saved["state"][0]["step"]), 5.0)
