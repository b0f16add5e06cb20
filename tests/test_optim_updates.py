"""Every optimizer's update rule against PyTorch's trajectory, in float64 and float32,
and the functional layer by hand.

The reference is always torch.optim run on torch tensors from the same starting point: our
gradients come from a NumPy formula, theirs from torch autograd on the same objective, so a
wrong update rule, a wrong gradient or a wrong order of operations all show up as a
trajectory mismatch.
"""

from __future__ import annotations

import numpy as np
import pytest

from backprop.optim import SGD, Adagrad, Adam, AdamW, RMSprop, _functional
from optim_helpers import C0, _case_id, run_ours, run_torch

CASES = [
    (SGD, {"lr": 0.02}),
    (SGD, {"lr": 0.02, "momentum": 0.9}),
    (SGD, {"lr": 0.02, "momentum": 0.9, "dampening": 0.3}),
    (SGD, {"lr": 0.02, "momentum": 0.8, "nesterov": True}),
    (SGD, {"lr": 0.02, "momentum": 0.5, "weight_decay": 0.1}),
    (SGD, {"lr": 0.02, "momentum": 0.9, "nesterov": True, "weight_decay": 0.05, "maximize": True}),
    (Adam, {"lr": 0.05}),
    (Adam, {"lr": 0.05, "amsgrad": True}),
    (Adam, {"lr": 0.05, "weight_decay": 0.1}),
    (Adam, {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6, "maximize": True}),
    (Adam, {"lr": 0.05, "amsgrad": True, "weight_decay": 0.1, "maximize": True}),
    (AdamW, {"lr": 0.05}),
    (AdamW, {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True}),
    (AdamW, {"lr": 0.05, "weight_decay": 0.3, "maximize": True}),
    (RMSprop, {"lr": 0.01}),
    (RMSprop, {"lr": 0.01, "centered": True}),
    (RMSprop, {"lr": 0.005, "momentum": 0.9}),
    (RMSprop, {"lr": 0.005, "centered": True, "momentum": 0.5, "weight_decay": 0.1}),
    (RMSprop, {"lr": 0.005, "alpha": 0.9, "eps": 1e-4, "maximize": True}),
    (Adagrad, {"lr": 0.1}),
    (Adagrad, {"lr": 0.1, "lr_decay": 0.01}),
    (Adagrad, {"lr": 0.1, "initial_accumulator_value": 0.1}),
    (Adagrad, {"lr": 0.1, "weight_decay": 0.1, "eps": 1e-6}),
    (Adagrad, {"lr": 0.1, "lr_decay": 0.05, "initial_accumulator_value": 0.5, "maximize": True}),
]


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_trajectory_matches_torch_float64(case):
    torch = pytest.importorskip("torch")
    cls, kwargs = case
    # maximize runs on −f, so ascent of −f is the same descent as minimizing f
    sign = -1.0 if kwargs.get("maximize") else 1.0
    ours, _, _ = run_ours(cls, kwargs, 100, sign=sign)
    theirs, _, _ = run_torch(torch, cls.__name__, kwargs, 100, sign=sign)
    moved = np.abs(ours[-1][1] - C0).max()
    assert moved > 1e-2, "the problem must move the parameters for the test to mean anything"
    for step, (o, t) in enumerate(zip(ours, theirs)):
        for po, pt in zip(o, t):
            np.testing.assert_allclose(po, pt, rtol=1e-10, atol=1e-12, err_msg=f"step {step}")


@pytest.mark.parametrize("cls", [SGD, Adam, AdamW, RMSprop, Adagrad])
def test_float32_keeps_dtype_and_follows_torch(cls):
    torch = pytest.importorskip("torch")
    kwargs = {"lr": 0.01, "momentum": 0.9} if cls is SGD else {"lr": 0.01}
    ours, opt, params = run_ours(cls, kwargs, 20, dtype=np.float32)
    theirs, _, _ = run_torch(torch, cls.__name__, kwargs, 20, dtype=np.float32)
    for p in params:
        assert p._data.dtype == np.float32
    for name, value in opt.state[params[0]].items():
        assert value._data.dtype == np.float32, name
    for po, pt in zip(ours[-1], theirs[-1]):
        np.testing.assert_allclose(po, pt, rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------- the functional layer


def test_functional_updates_in_place_and_leaves_grad_alone():
    param = np.array([1.0, -2.0, 3.0])
    alias = param
    grad = np.array([0.5, 0.5, -1.0])
    grad_before = grad.copy()
    m, v = np.zeros(3), np.zeros(3)
    _functional.adam(
        param, grad, m, v, None,
        step=1.0, lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.1, maximize=True,
    )  # fmt: skip
    assert param is alias
    np.testing.assert_array_equal(grad, grad_before)
    # first Adam step moves each coordinate by lr·sign(g) (bias correction cancels):
    # with maximize and weight decay, g = −grad + 0.1 θ
    g = -grad_before + 0.1 * np.array([1.0, -2.0, 3.0])
    np.testing.assert_allclose(param, np.array([1.0, -2.0, 3.0]) - 0.1 * np.sign(g), rtol=1e-6)


def test_functional_sgd_first_step_by_hand():
    param = np.array([1.0, 2.0])
    buf = _functional.sgd(
        param, np.array([0.5, -1.0]), None,
        lr=0.1, momentum=0.9, dampening=0.5, weight_decay=0.0, nesterov=False, maximize=False,
    )  # fmt: skip
    # b_1 = g_1 undamped (PyTorch's rule), θ_1 = θ_0 − γ b_1
    np.testing.assert_array_equal(buf, [0.5, -1.0])
    np.testing.assert_allclose(param, [0.95, 2.1])
    _functional.sgd(
        param, np.array([1.0, 1.0]), buf,
        lr=0.1, momentum=0.9, dampening=0.5, weight_decay=0.0, nesterov=False, maximize=False,
    )  # fmt: skip
    # b_2 = 0.9 b_1 + 0.5 g_2
    np.testing.assert_allclose(buf, [0.95, -0.4])
    np.testing.assert_allclose(param, [0.855, 2.14])
