"""The loss registry's output delta (what the δ engine starts from) against PyTorch's
gradient, our autograd and hand-worked numbers, and the dtype it is computed in."""

import numpy as np
import pytest

import backprop as bp
import backprop.nn as nn
import backprop.nn.functional as F
from backprop.errors import ConfigError
from backprop.nn import losses

torch = pytest.importorskip("torch")
TF = torch.nn.functional

TOL = 1e-10


# -- the registry's output delta (what the δ engine starts from) ------------------------------
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("name", ["mse", "half_mse", "l1", "huber", "bce", "bce_with_logits"])
def test_output_delta_equals_torch_gradient_elementwise(name, reduction, rng):
    x = rng.uniform(0.05, 0.95, size=(4, 2)) if name == "bce" else rng.normal(size=(4, 2))
    y = rng.uniform(size=(4, 2))
    delta = losses.output_delta(name, x, y, reduction)
    xt = torch.tensor(x, requires_grad=True)
    theirs = {
        "mse": TF.mse_loss,
        "half_mse": lambda a, b, reduction: 0.5 * TF.mse_loss(a, b, reduction=reduction),
        "l1": TF.l1_loss,
        "huber": TF.huber_loss,
        "bce": TF.binary_cross_entropy,
        "bce_with_logits": TF.binary_cross_entropy_with_logits,
    }[name]
    theirs(xt, torch.tensor(y), reduction=reduction).backward()
    np.testing.assert_allclose(delta, xt.grad.numpy(), rtol=TOL, atol=TOL)
    expected = theirs(xt, torch.tensor(y), reduction=reduction).item()
    assert losses.loss_value(name, x, y, reduction) == pytest.approx(expected, rel=TOL)
    value, same_delta = losses.value_and_delta(name, x, y, reduction)
    assert value == pytest.approx(expected, rel=TOL) and np.array_equal(same_delta, delta)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_output_delta_cross_entropy_is_p_minus_y(reduction, rng):
    # Hand-worked: logits [0, ln 3] → p = [1/4, 3/4]; target class 1 → δ = p − y = [1/4, −1/4].
    x = np.array([[0.0, np.log(3.0)], [0.0, np.log(3.0)]])
    delta = losses.output_delta("cross_entropy", x, np.array([1, 1]), reduction)
    scale = 0.5 if reduction == "mean" else 1.0
    np.testing.assert_allclose(delta, scale * np.array([[0.25, -0.25]] * 2), atol=1e-15)
    # and with every option, equal to torch's gradient
    x, t, w = rng.normal(size=(5, 3)), np.array([0, 1, 2, 2, 1]), rng.uniform(0.5, 2, size=3)
    opts = {"ignore_index": 2, "label_smoothing": 0.1}
    delta = losses.output_delta("cross_entropy", x, t, reduction, weight=w, **opts)
    xt = torch.tensor(x, requires_grad=True)
    TF.cross_entropy(xt, torch.tensor(t), torch.tensor(w), reduction=reduction, **opts).backward()
    np.testing.assert_allclose(delta, xt.grad.numpy(), rtol=TOL, atol=TOL)


FUNCTIONS = {
    "mse": "mse_loss",
    "half_mse": "half_mse_loss",
    "l1": "l1_loss",
    "huber": "huber_loss",
    "bce": "binary_cross_entropy",
    "bce_with_logits": "binary_cross_entropy_with_logits",
    "cross_entropy": "cross_entropy",
    "nll": "nll_loss",
}


def test_output_delta_matches_our_autograd_for_every_entry(rng):
    assert set(FUNCTIONS) == set(losses.LOSSES)
    for name, entry in losses.LOSSES.items():
        x = rng.uniform(0.1, 0.9, size=(3, 4))
        y = np.array([0, 3, 1]) if entry.class_axis else rng.uniform(size=(3, 4))
        xt = bp.tensor(x, requires_grad=True)
        getattr(F, FUNCTIONS[name])(xt, bp.tensor(y)).backward()
        np.testing.assert_allclose(losses.output_delta(name, x, y), xt.grad.numpy(), atol=1e-15)


def test_output_delta_refuses_unreduced_losses():
    with pytest.raises(ConfigError, match="scalar"):
        losses.output_delta("mse", np.zeros(2), np.zeros(2), "none")


def test_module_output_delta_uses_its_options(rng):
    x, t = rng.normal(size=(4, 3)), np.array([0, 1, 2, 0])
    w = bp.tensor(rng.uniform(0.5, 2, size=3))
    module = nn.CrossEntropyLoss(w, label_smoothing=0.2, reduction="sum")
    xt = bp.tensor(x, requires_grad=True)
    module(xt, bp.tensor(t)).backward()
    np.testing.assert_allclose(module.output_delta(x, t), xt.grad.numpy(), atol=1e-15)


def test_class_losses_keep_a_float32_input_in_float32():
    # The class weights were built in float64, so a float32 cross-entropy computed its delta
    # in float64 and cast it back (twice the memory, and an underflow signal on the cast).
    from backprop.nn.losses import LOSSES

    x = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    target = np.array([0, 1, 2, 1, 0])
    for name in ("cross_entropy", "nll"):
        entry = LOSSES[name]
        assert entry.value(x, target).dtype == np.float32, name
        assert entry.grad(x, target).dtype == np.float32, name
    smoothed = LOSSES["cross_entropy"].grad(x, target, label_smoothing=0.1)
    assert smoothed.dtype == np.float32
