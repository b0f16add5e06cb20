"""Issue 8, item 2: activations, softmax and losses at extreme inputs, against PyTorch.

Inputs run from ±1e-30 to ±1e4 with ±710 (where a naive exp overflows), in float32 and
float64. Forward values and autograd gradients must be finite and equal PyTorch's within a
dtype tolerance, with NumPy raising on overflow, division by zero and invalid operations.
The second pair of tests raises on *every* floating-point event (``np.errstate(all="raise")``),
underflow included, as the issue asks: a kernel whose result rounds to zero (``exp(-1e4)``)
must not make a user's ``all="raise"`` fire (``backprop.stable``).
"""

import numpy as np
import pytest

import backprop
import backprop.nn.functional as F
from backprop.autograd.activations import ACTIVATIONS
from backprop.nn.losses import LOSSES

torch = pytest.importorskip("torch")
TF = torch.nn.functional

MAGNITUDES = [1e-30, 1e-10, 1e-3, 1.0, 10.0, 30.0, 100.0, 710.0, 1e3, 1e4]
GRID = np.array([0.0] + [s * m for m in MAGNITUDES for s in (1, -1)])
DTYPES = {np.float32: torch.float32, np.float64: torch.float64}
RTOL = {np.float32: 2e-5, np.float64: 1e-10}
NO_OVERFLOW = {"over": "raise", "divide": "raise", "invalid": "raise", "under": "ignore"}

TORCH_ACTIVATIONS = {
    "identity": lambda x: x,
    "step": lambda x: torch.where(x > 0, 1.0, -1.0).to(x.dtype) + 0 * x,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": TF.relu,
    "leaky_relu": TF.leaky_relu,
    "elu": TF.elu,
    "gelu": TF.gelu,
    "softplus": TF.softplus,
    "silu": TF.silu,
    "softmax": lambda x: torch.softmax(x, 1),
    "log_softmax": lambda x: torch.log_softmax(x, 1),
}


def inputs(n_random: int) -> np.ndarray:
    """The grid plus ``n_random`` log-uniform values of both signs in [1e-30, 1e4]."""
    rng = np.random.default_rng(8)
    mags = 10.0 ** rng.uniform(-30, 4, n_random)
    return np.concatenate([GRID, mags * rng.choice([-1.0, 1.0], n_random)])


def rows(v: np.ndarray) -> np.ndarray:
    """One row per value for the row-wise functions: [v, 0.5, -2]."""
    return np.stack([v, np.full_like(v, 0.5), np.full_like(v, -2.0)], axis=1)


def ours(name: str, x: backprop.Tensor) -> backprop.Tensor:
    if name == "softmax":
        return x.softmax(1)
    if name == "log_softmax":
        return x.log_softmax(1)
    return x._activation(name)


def run_function(name, arr, dtype, errstate):
    """Our value and gradient of sum(w * f(x)); raises on the given floating-point events."""
    arr = arr.astype(dtype)
    w = np.random.default_rng(0).uniform(0.5, 1.5, arr.shape).astype(dtype)
    x = backprop.tensor(arr, requires_grad=True)
    with np.errstate(**errstate):
        y = ours(name, x)
    # The weighting is the test's own arithmetic: a subnormal σ(-100) times 0.7 underflows in
    # any library, so only the function and its backward run under the caller's errstate.
    with np.errstate(under="ignore"):
        total = (y * backprop.tensor(w)).sum()
    with np.errstate(**errstate):
        total.backward()
    tx = torch.tensor(arr, requires_grad=True)
    ty = TORCH_ACTIVATIONS[name](tx)
    (ty * torch.tensor(w)).sum().backward()
    return (y.detach().numpy(), x.grad.numpy()), (ty.detach().numpy(), tx.grad.numpy())


def mismatches(got, want, dtype, rtol=None) -> int:
    """Elements that are non-finite or differ from the reference beyond the tolerance."""
    bad = 0
    rtol = max(RTOL[dtype], rtol or 0.0)
    for g, r in zip(got, want, strict=True):
        atol = rtol * max(1.0, float(np.max(np.abs(r))) * 1e-6)
        bad += int(np.sum(~np.isfinite(g)))
        bad += int(np.sum(~np.isclose(g, r, rtol=rtol, atol=atol)))
    return bad


def test_every_activation_is_covered():
    assert set(ACTIVATIONS) | {"softmax", "log_softmax"} == set(TORCH_ACTIVATIONS)


def test_activations_finite_and_match_torch(count):
    values = inputs(count(200, 10_000))
    bad = 0
    for name in TORCH_ACTIVATIONS:
        arr = rows(values) if "softmax" in name else values[None, :]
        for dtype in DTYPES:
            got, want = run_function(name, arr, dtype, NO_OVERFLOW)
            wrong = mismatches(got, want, dtype)
            if wrong:
                print(f"  {name} {dtype.__name__}: {wrong} wrong")
            bad += wrong
    n, k = len(values), len(TORCH_ACTIVATIONS)
    print(f"extreme numbers: {n} inputs × {k} functions × 2 dtypes, {bad} non-finite or wrong")
    assert bad == 0


@pytest.mark.parametrize("name", list(TORCH_ACTIVATIONS))
def test_activation_raises_no_floating_point_event(name, count):
    values = inputs(count(200, 10_000))
    arr = rows(values) if "softmax" in name else values[None, :]
    for dtype in DTYPES:
        run_function(name, arr, dtype, {"all": "raise"})
    print(f"extreme numbers, all='raise': {name}: {values.size} inputs × 2 dtypes, no event")


# -- losses ----------------------------------------------------------------------------------
def _probabilities(v):
    return 1.0 / (1.0 + np.exp(-np.clip(v, -700, 700)))  # includes exact 0 and 1 in float32


def _log_probabilities(v):
    r = rows(v)
    return r - np.logaddexp.reduce(r, axis=1, keepdims=True)


# name -> (our function, torch function, input maker, target maker, class targets?)
LOSS_CASES = {
    "mse": (F.mse_loss, TF.mse_loss, lambda v: v, lambda v: np.resize([0.0, 1.0, -3.0], v.size)),
    "half_mse": (
        F.half_mse_loss,
        lambda x, y, reduction: 0.5 * TF.mse_loss(x, y, reduction=reduction),
        lambda v: v,
        lambda v: np.resize([0.0, 1.0, -3.0], v.size),
    ),
    "l1": (F.l1_loss, TF.l1_loss, lambda v: v, lambda v: np.resize([0.0, 1.0, -3.0], v.size)),
    "huber": (
        F.huber_loss,
        TF.huber_loss,
        lambda v: v,
        lambda v: np.resize([0.0, 1.0, -3.0], v.size),
    ),
    "bce": (
        F.binary_cross_entropy,
        TF.binary_cross_entropy,
        _probabilities,
        lambda v: np.resize([0.0, 1.0, 0.25], v.size),
    ),
    "bce_with_logits": (
        F.binary_cross_entropy_with_logits,
        TF.binary_cross_entropy_with_logits,
        lambda v: v,
        lambda v: np.resize([0.0, 1.0, 0.25], v.size),
    ),
    "cross_entropy": (F.cross_entropy, TF.cross_entropy, rows, None),
    "nll": (F.nll_loss, TF.nll_loss, _log_probabilities, None),
}


# BCE on p within 1e-12 of 0 or 1: both divide by a clamped p(1 - p) = 1e-12, and PyTorch's
# clamp constant differs from ours in the 9th digit; the gradient there is ±1e12-scale.
LOSS_RTOL = {"bce": 1e-7}


def run_loss(name, values, dtype, reduction, errstate=NO_OVERFLOW):
    ours_fn, torch_fn, make_input, make_target = LOSS_CASES[name]
    arr = make_input(values).astype(dtype)
    if make_target is None:  # class indices
        tgt = np.resize(np.arange(3), arr.shape[0]).astype(np.int64)
    else:
        tgt = make_target(values).astype(dtype)
    x = backprop.tensor(arr, requires_grad=True)
    with np.errstate(**errstate):
        loss = ours_fn(x, backprop.tensor(tgt), reduction=reduction)
        loss.sum().backward()
    tx = torch.tensor(arr, requires_grad=True)
    tloss = torch_fn(tx, torch.tensor(tgt), reduction=reduction)
    tloss.sum().backward()
    got = (np.asarray(loss.detach().numpy()), x.grad.numpy())
    return got, (tloss.detach().numpy(), tx.grad.numpy())


def test_every_loss_is_covered():
    assert set(LOSSES) == set(LOSS_CASES)


def test_losses_finite_and_match_torch(count):
    values = inputs(count(200, 10_000))
    bad = tried = 0
    for name in LOSS_CASES:
        for dtype in DTYPES:
            for reduction in ("none", "mean", "sum"):
                got, want = run_loss(name, values, dtype, reduction)
                wrong = mismatches(got, want, dtype, LOSS_RTOL.get(name))
                tried += 1
                if wrong:
                    print(f"  {name} {dtype.__name__} {reduction}: {wrong} wrong")
                bad += wrong
    print(
        f"extreme numbers, losses: {values.size} inputs × {len(LOSS_CASES)} losses × 2 dtypes "
        f"× 3 reductions ({tried} runs), {bad} non-finite or wrong"
    )
    assert bad == 0


@pytest.mark.parametrize("name", list(LOSS_CASES))
def test_loss_raises_no_floating_point_event(name, count):
    values = inputs(count(200, 10_000))
    for dtype in DTYPES:
        for reduction in ("none", "mean", "sum"):
            run_loss(name, values, dtype, reduction, {"all": "raise"})
    print(f"extreme numbers, all='raise': {name}: {values.size} inputs × 2 dtypes × 3 reductions")
