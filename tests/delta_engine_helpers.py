"""Shared by the δ engine tests (test_delta_engine_grads.py, test_delta_engine_steps.py):
small float64 nets for every activation × loss, their gradients from the autograd tape,
and a relative comparison that names what differs."""

from __future__ import annotations

import numpy as np

import backprop as bp
import backprop.nn as nn

N_SAMPLES = 4
N_IN = 2
HIDDEN = 3

# Each activation with non-default options where it has any, so the options reach g' too.
ACTIVATIONS = {
    "identity": nn.Identity,
    "step": nn.Step,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.1),
    "elu": lambda: nn.ELU(alpha=0.7),
    "gelu": nn.GELU,
    "softplus": lambda: nn.Softplus(beta=1.5),
    "silu": nn.SiLU,
}


def _normal(rng, n, k):
    return rng.standard_normal((n, k))


def _unit(rng, n, k):
    return rng.uniform(0.05, 0.95, (n, k))


def _indices(rng, n, k):
    return rng.integers(0, k, n).astype(np.int64)


def _probs(rng, n, k):
    e = np.exp(rng.standard_normal((n, k)))
    return e / e.sum(axis=1, keepdims=True)


# name: (loss, output module (None = linear; "act" = the hidden activation), n_out, target)
LOSSES = {
    "mse": (nn.MSELoss, "act", 2, _normal),
    "half_mse_mean": (nn.HalfMSELoss, "act", 2, _normal),
    "half_mse_sum": (lambda: nn.HalfMSELoss(reduction="sum"), "act", 2, _normal),
    "l1": (nn.L1Loss, "act", 2, _normal),
    "huber": (lambda: nn.HuberLoss(delta=0.5), "act", 2, _normal),
    "bce_sigmoid": (nn.BCELoss, nn.Sigmoid, 2, _unit),
    "bce_with_logits": (nn.BCEWithLogitsLoss, None, 2, _unit),
    "cross_entropy_index": (nn.CrossEntropyLoss, None, 3, _indices),
    "cross_entropy_probs": (nn.CrossEntropyLoss, None, 3, _probs),
    "nll_log_softmax": (nn.NLLLoss, lambda: nn.LogSoftmax(dim=1), 3, _indices),
    "mse_softmax": (nn.MSELoss, lambda: nn.Softmax(dim=1), 3, _probs),
}


def build(activation: str, loss_name: str, depth: int, bias: bool, seed: int = 0):
    """A float64 net of ``depth`` Linear layers, its loss, and data (x, y)."""
    loss_factory, out, n_out, target = LOSSES[loss_name]
    bp.manual_seed(seed)
    sizes = [N_IN] + [HIDDEN] * (depth - 1) + [n_out]
    modules = []
    for i in range(depth):
        modules.append(nn.Linear(sizes[i], sizes[i + 1], bias=bias, dtype=bp.float64))
        if i < depth - 1:
            modules.append(ACTIVATIONS[activation]())
    if out == "act":
        if depth % 2:  # odd depths: g[L] = the activation too; even depths: linear output
            modules.append(ACTIVATIONS[activation]())
    elif out is not None:
        modules.append(out())
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N_SAMPLES, N_IN))
    y = target(rng, N_SAMPLES, n_out)
    return nn.Sequential(*modules), loss_factory(), x, y


def linears(model):
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


def autograd_grads(model, loss_fn, x, y):
    """(E, [(∂E/∂weight, ∂E/∂bias or None) per Linear]) from the autograd tape."""
    model.zero_grad()
    value = loss_fn(model(bp.tensor(x)), bp.tensor(y))
    value.backward()
    out = []
    for lin in linears(model):
        gb = None if lin.bias is None else lin.bias.grad._data.copy()
        out.append((lin.weight.grad._data.copy(), gb))
    model.zero_grad()
    return float(value.item()), out


def assert_rel(actual, expected, rtol=1e-12, what="", floor=0.0):
    """max |actual − expected| ≤ rtol · max(max |expected|, floor); exact when both are 0.

    ``floor`` is for gradients that are zero by cancellation (an L1 loss's ±1/N signs summing
    to 0 in a bias): there both engines return rounding noise, so the scale is a fraction of
    the model's largest gradient rather than the noise itself.
    """
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shapes {actual.shape} vs {expected.shape}"
    scale = max(float(np.max(np.abs(expected), initial=0.0)), floor)
    err = float(np.max(np.abs(actual - expected), initial=0.0))
    assert err <= rtol * scale or err == 0.0, f"{what}: max error {err:.3e}, scale {scale:.3e}"
