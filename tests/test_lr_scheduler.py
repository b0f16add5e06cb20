"""Tests of backprop.optim.lr_scheduler against torch.optim.lr_scheduler, epoch by epoch.

Each test drives our scheduler on our momentum SGD and torch's scheduler on torch's SGD with
the same two parameter groups and gradients, and compares ``get_last_lr()`` every epoch for
50 epochs (and the parameters, so the scheduled lr is also the one the optimizer used).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import backprop
from backprop.errors import ConfigError
from backprop.optim import SGD, Adam, lr_scheduler

EPOCHS = 50
W0 = np.array([[0.5, -1.0], [2.0, 0.3]])
C0 = np.array([1.5, -0.7])
# a metric that improves, stalls, wobbles and improves again
METRICS = [
    1.0, 0.8, 0.7, 0.7, 0.71, 0.69, 0.69, 0.6999, 0.5, 0.5, 0.5, 0.5, 0.5, 0.49999, 0.4,
    0.41, 0.42, 0.43, 0.44, 0.3, 0.3, 0.3, 0.31, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2,
    0.1, 0.2, 0.1, 0.1, 0.1, 0.05, 0.05, 0.06, 0.07, 0.08, 0.05, 0.05, 0.05, 0.05, 0.05,
    0.05, 0.051, 0.05, 0.05, 0.04,
]  # fmt: skip


def _grads(w, c):
    # gradient of ½‖W‖² + Σ sin(c): depends on the parameters
    return w.copy(), np.cos(c)


def _ours(momentum=0.9):
    params = [
        backprop.tensor(W0, dtype=backprop.float64, requires_grad=True),
        backprop.tensor(C0, dtype=backprop.float64, requires_grad=True),
    ]
    groups = [{"params": [params[0]]}, {"params": [params[1]], "lr": 0.05}]
    return params, SGD(groups, lr=0.1, momentum=momentum)


def _theirs(torch, momentum=0.9):
    params = [torch.tensor(W0, requires_grad=True), torch.tensor(C0, requires_grad=True)]
    groups = [{"params": [params[0]]}, {"params": [params[1]], "lr": 0.05}]
    return params, torch.optim.SGD(groups, lr=0.1, momentum=momentum)


def _train_step(params, opt, wrap):
    grads = _grads(*(np.asarray(_array(p)) for p in params))
    for p, g in zip(params, grads):
        p.grad = wrap(g)
    opt.step()


def _array(p):
    return p._data if isinstance(p, backprop.Tensor) else p.detach().numpy()


def _compare(torch, make_ours, make_theirs, metrics=None):
    params, opt = _ours()
    tparams, topt = _theirs(torch)
    scheds = make_ours(opt)
    tscheds = make_theirs(topt)
    scheds = scheds if isinstance(scheds, list) else [scheds]
    tscheds = tscheds if isinstance(tscheds, list) else [tscheds]
    for s, t in zip(scheds, tscheds):
        assert s.get_last_lr() == pytest.approx(t.get_last_lr(), rel=1e-14, abs=0)
    history = []
    for epoch in range(EPOCHS):
        _train_step(params, opt, backprop.Tensor._wrap)
        _train_step(tparams, topt, torch.tensor)
        for s, t in zip(scheds, tscheds):
            if metrics is None:
                s.step()
                t.step()
            else:
                s.step(metrics[epoch])
                t.step(metrics[epoch])
        for s, t in zip(scheds, tscheds):
            assert s.get_last_lr() == pytest.approx(t.get_last_lr(), rel=1e-12, abs=1e-300), (
                f"epoch {epoch}"
            )
            assert s.last_epoch == t.last_epoch
        assert [g["lr"] for g in opt.param_groups] == scheds[-1].get_last_lr()
        history.append(scheds[-1].get_last_lr())
    for p, t in zip(params, tparams):
        np.testing.assert_allclose(_array(p), _array(t), rtol=1e-10, atol=1e-12)
    return history


SCHEDULES = {
    "step": (lambda m, o: m.StepLR(o, step_size=7, gamma=0.5)),
    "multistep-repeated": (lambda m, o: m.MultiStepLR(o, milestones=[5, 5, 20, 33], gamma=0.3)),
    "exponential": (lambda m, o: m.ExponentialLR(o, gamma=0.93)),
    "cosine-restarts": (lambda m, o: m.CosineAnnealingLR(o, T_max=10, eta_min=0.001)),
    "cosine-long": (lambda m, o: m.CosineAnnealingLR(o, T_max=60)),
    "lambda-one": (lambda m, o: m.LambdaLR(o, lr_lambda=lambda e: 1.0 / (1 + 0.3 * e))),
    "lambda-per-group": (
        lambda m, o: m.LambdaLR(o, lr_lambda=[lambda e: 0.95**e, lambda e: e // 10 + 1])
    ),
}


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_schedule_matches_torch(name):
    torch = pytest.importorskip("torch")
    make = SCHEDULES[name]
    history = _compare(
        torch,
        lambda o: make(lr_scheduler, o),
        lambda o: make(torch.optim.lr_scheduler, o),
    )
    assert len({tuple(h) for h in history}) > 1, "the schedule must change the lr"


def test_two_schedulers_on_one_optimizer_match_torch():
    torch = pytest.importorskip("torch")

    def make(m, o):
        return [m.ExponentialLR(o, gamma=0.97), m.MultiStepLR(o, milestones=[10, 25], gamma=0.1)]

    _compare(torch, lambda o: make(lr_scheduler, o), lambda o: make(torch.optim.lr_scheduler, o))


PLATEAU = [
    {},
    {"patience": 2},
    {"patience": 0, "factor": 0.5},
    {"mode": "max", "patience": 1, "threshold": 0.05, "threshold_mode": "abs"},
    {"patience": 1, "cooldown": 3, "factor": 0.5},
    {"patience": 1, "min_lr": [0.02, 0.001], "factor": 0.5, "threshold_mode": "abs"},
    {"patience": 1, "factor": 0.9, "min_lr": 0.04, "eps": 0.006},
    {"mode": "max", "patience": 0, "threshold": 0.1},
]


@pytest.mark.parametrize("kwargs", PLATEAU, ids=[str(k) for k in PLATEAU])
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    metrics = METRICS if kwargs.get("mode") != "max" else [-m for m in METRICS]
    history = _compare(
        torch,
        lambda o: lr_scheduler.ReduceLROnPlateau(o, **kwargs),
        lambda o: torch.optim.lr_scheduler.ReduceLROnPlateau(o, **kwargs),
        metrics=metrics,
    )
    assert history[-1] != history[0], "the metric sequence must trigger a reduction"


def test_plateau_accepts_a_scalar_tensor_metric():
    _, opt = _ours()
    sched = lr_scheduler.ReduceLROnPlateau(opt, patience=0)
    sched.step(backprop.tensor(1.0))
    sched.step(backprop.tensor(2.0))
    assert sched.get_last_lr() == pytest.approx([0.01, 0.005])


def test_cosine_hand_worked_values():
    _, opt = _ours()
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=4, eta_min=0.0)
    lrs = [sched.get_last_lr()[0]]
    for _ in range(4):
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    # η_t = ½ η₀ (1 + cos(π t / 4)), η₀ = 0.1
    expected = [0.05 * (1 + math.cos(math.pi * t / 4)) for t in range(5)]
    assert lrs == pytest.approx(expected, abs=1e-15)


def test_initial_lr_base_lrs_and_optimizer_lr():
    _, opt = _ours()
    sched = lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.05]
    assert sched.base_lrs == [0.1, 0.05]
    assert sched.last_epoch == 0
    for _ in range(4):
        sched.step()
    assert sched.get_last_lr() == pytest.approx([0.025, 0.0125])
    assert opt.param_groups[0]["lr"] == pytest.approx(0.025)


def test_scheduler_state_dict_round_trip():
    _, opt = _ours()
    sched = lr_scheduler.MultiStepLR(opt, milestones=[3, 6, 9], gamma=0.5)
    for _ in range(5):
        sched.step()
    saved_sched = sched.state_dict()
    saved_opt = opt.state_dict()
    assert "optimizer" not in saved_sched
    for _ in range(5):
        sched.step()
    expected = sched.get_last_lr()

    _, opt2 = _ours()
    opt2.load_state_dict(saved_opt)
    sched2 = lr_scheduler.MultiStepLR(opt2, milestones=[1], gamma=0.9, last_epoch=4)
    sched2.load_state_dict(saved_sched)
    for _ in range(5):
        sched2.step()
    assert sched2.get_last_lr() == expected


def test_scheduler_works_with_adam():
    torch = pytest.importorskip("torch")
    p = backprop.tensor([1.0, 2.0], dtype=backprop.float64, requires_grad=True)
    tp = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    opt, topt = Adam([p], lr=0.1), torch.optim.Adam([tp], lr=0.1)
    s = lr_scheduler.ExponentialLR(opt, gamma=0.9)
    ts = torch.optim.lr_scheduler.ExponentialLR(topt, gamma=0.9)
    for _ in range(10):
        p.grad = backprop.Tensor._wrap(2 * p._data)
        tp.grad = 2 * tp.detach()
        opt.step()
        topt.step()
        s.step()
        ts.step()
    np.testing.assert_allclose(p._data, tp.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize(
    ("build", "pattern"),
    [
        (lambda o: lr_scheduler.StepLR(o, step_size=0), r"step_size must be a positive integer"),
        (lambda o: lr_scheduler.StepLR(o, step_size=2.5), r"step_size .* got 2\.5"),
        (lambda o: lr_scheduler.MultiStepLR(o, milestones=[10, 5]), r"increasing.*\[5, 10\]"),
        (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=0), r"T_max must be a positive"),
        (lambda o: lr_scheduler.LambdaLR(o, lr_lambda=[abs]), r"1 functions but .* 2 param"),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o, mode="low"), r"mode must be 'min' or"),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o, factor=1.0), r"factor must be in \[0, 1\)"),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o, threshold_mode="x"), r"threshold_mode"),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o, min_lr=[0.1]), r"min_lr has 1 values"),
        (lambda o: lr_scheduler.StepLR(o, 3, last_epoch=5), r"no 'initial_lr'"),
        (lambda o: lr_scheduler.StepLR(object(), 3), r"optimizer must be a backprop"),
    ],
)
def test_bad_scheduler_arguments(build, pattern):
    _, opt = _ours()
    with pytest.raises(ConfigError, match=pattern):
        build(opt)
