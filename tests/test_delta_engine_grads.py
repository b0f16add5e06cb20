"""The δ engine's gradients (``backprop.delta``) against independent references.

References: our autograd tape (every activation × loss × depth 1–6 × bias), PyTorch 2.13
itself (weights copied through NumPy) and central differences of the loss. Nothing here
restates the engine's own δ formula. Also: an off ReLU passes 0 when the upstream
gradient overflows, as in PyTorch.
"""

from __future__ import annotations

import numpy as np
import pytest

import backprop as bp
import backprop.nn as nn
import backprop.optim as optim
from backprop import delta
from delta_engine_helpers import ACTIVATIONS, LOSSES, assert_rel, autograd_grads, build, linears


# -- 1. equal to autograd, every activation × loss × depth × bias ---------------------------
@pytest.mark.parametrize("loss_name", list(LOSSES))
@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_engine_equals_autograd(activation, loss_name):
    for depth in range(1, 7):
        for bias in (True, False):
            model, loss_fn, x, y = build(activation, loss_name, depth, bias, seed=depth)
            value, expected = autograd_grads(model, loss_fn, x, y)
            grads = delta.compute(model, x, y, loss_fn)
            case = f"{activation}/{loss_name}/depth {depth}/bias {bias}"
            assert_rel(grads.loss, value, what=f"{case} E")
            assert len(grads.cache.layers) == depth
            largest = max(np.max(np.abs(g)) for pair in expected for g in pair if g is not None)
            # a bias gradient that cancels to ~0 (an L1 loss's ±1/N signs) is rounding noise in
            # both engines: compare it on the scale of the larger gradients, and never finer
            # than 1e-17 absolute (1e-12 · 1e-5), ~100 ulp of the ±1/N terms it sums
            floor = max(1e-3 * largest, 1e-5)
            for l, (gw, gb) in enumerate(expected, start=1):
                # the engine's ∂E/∂W[l] is the lecture's n[l−1] × n[l]: weight.grad transposed
                assert_rel(grads.weight_grads[l].T, gw, what=f"{case} ∂E/∂W[{l}]", floor=floor)
                if bias:
                    assert_rel(grads.bias_grads[l], gb, what=f"{case} ∂E/∂b[{l}]", floor=floor)
                else:
                    assert grads.bias_grads[l] is None


def test_backward_writes_the_same_grads_as_autograd():
    model, loss_fn, x, y = build("tanh", "cross_entropy_index", 3, True)
    _, expected = autograd_grads(model, loss_fn, x, y)
    assert all(p.grad is None for p in model.parameters())
    delta.backward(model, x, y, loss_fn)
    for lin, (gw, gb) in zip(linears(model), expected):
        assert lin.weight.grad.shape == lin.weight.shape  # PyTorch's (out, in)
        assert_rel(lin.weight.grad._data, gw)
        assert_rel(lin.bias.grad._data, gb)


# -- against PyTorch itself ---------------------------------------------------------------
torch = pytest.importorskip("torch")

TORCH_ACTIVATIONS = {
    "identity": lambda: torch.nn.Identity(),
    "sigmoid": lambda: torch.nn.Sigmoid(),
    "tanh": lambda: torch.nn.Tanh(),
    "relu": lambda: torch.nn.ReLU(),
    "leaky_relu": lambda: torch.nn.LeakyReLU(0.1),
    "elu": lambda: torch.nn.ELU(alpha=0.7),
    "gelu": lambda: torch.nn.GELU(),
    "softplus": lambda: torch.nn.Softplus(beta=1.5),
    "silu": lambda: torch.nn.SiLU(),
}
TORCH_LOSSES = {
    "mse": (lambda: torch.nn.MSELoss(), "act"),
    "l1": (lambda: torch.nn.L1Loss(), "act"),
    "huber": (lambda: torch.nn.HuberLoss(delta=0.5), "act"),
    "bce_sigmoid": (lambda: torch.nn.BCELoss(), lambda: torch.nn.Sigmoid()),
    "bce_with_logits": (lambda: torch.nn.BCEWithLogitsLoss(), None),
    "cross_entropy_index": (lambda: torch.nn.CrossEntropyLoss(), None),
    "cross_entropy_probs": (lambda: torch.nn.CrossEntropyLoss(), None),
    "nll_log_softmax": (lambda: torch.nn.NLLLoss(), lambda: torch.nn.LogSoftmax(dim=1)),
    "mse_softmax": (lambda: torch.nn.MSELoss(), lambda: torch.nn.Softmax(dim=1)),
}


def torch_copy(model, activation, loss_name, depth):
    """The same network in PyTorch, weights copied through NumPy."""
    loss_factory, out = TORCH_LOSSES[loss_name]
    ours = linears(model)
    modules = []
    for i, lin in enumerate(ours):
        t = torch.nn.Linear(lin.in_features, lin.out_features, bias=lin.bias is not None)
        t = t.double()
        with torch.no_grad():
            t.weight.copy_(torch.from_numpy(lin.weight._data.copy()))
            if lin.bias is not None:
                t.bias.copy_(torch.from_numpy(lin.bias._data.copy()))
        modules.append(t)
        if i < depth - 1:
            modules.append(TORCH_ACTIVATIONS[activation]())
    if out == "act":
        if depth % 2:
            modules.append(TORCH_ACTIVATIONS[activation]())
    elif out is not None:
        modules.append(out())
    return torch.nn.Sequential(*modules), loss_factory()


@pytest.mark.parametrize(
    ("activation", "loss_name", "depth", "bias"),
    [
        ("sigmoid", "mse", 3, True),
        ("tanh", "cross_entropy_index", 4, True),
        ("relu", "bce_with_logits", 2, False),
        ("gelu", "huber", 5, True),
        ("softplus", "nll_log_softmax", 3, True),
        ("elu", "mse_softmax", 3, False),
        ("silu", "bce_sigmoid", 4, True),
        ("leaky_relu", "cross_entropy_probs", 6, True),
        ("identity", "l1", 1, True),
    ],
)
def test_engine_equals_pytorch(activation, loss_name, depth, bias):
    model, loss_fn, x, y = build(activation, loss_name, depth, bias, seed=7)
    tmodel, tloss = torch_copy(model, activation, loss_name, depth)
    value = tloss(tmodel(torch.from_numpy(x)), torch.from_numpy(y))
    value.backward()
    grads = delta.compute(model, x, y, loss_fn)
    assert_rel(grads.loss, value.item(), what="E")
    tlinears = [m for m in tmodel if isinstance(m, torch.nn.Linear)]
    for l, t in enumerate(tlinears, start=1):
        assert_rel(grads.weight_grads[l], t.weight.grad.numpy().T, what=f"∂E/∂W[{l}]")
        if bias:
            assert_rel(grads.bias_grads[l], t.bias.grad.numpy(), what=f"∂E/∂b[{l}]")


# -- against central differences of the loss ------------------------------------------------
@pytest.mark.parametrize(
    ("activation", "loss_name", "depth"),
    [
        ("sigmoid", "half_mse_sum", 3),
        ("tanh", "cross_entropy_index", 2),
        ("softplus", "bce_sigmoid", 4),
        ("elu", "mse_softmax", 2),
    ],
)
def test_engine_equals_central_differences(activation, loss_name, depth):
    model, loss_fn, x, y = build(activation, loss_name, depth, True, seed=3)
    grads = delta.compute(model, x, y, loss_fn)

    def loss_at():
        with bp.no_grad():
            return float(loss_fn(model(bp.tensor(x)), bp.tensor(y)).item())

    eps = 1e-6
    for l, lin in enumerate(linears(model), start=1):
        for param, analytical in ((lin.weight, grads.weight_grads[l].T), (lin.bias, None)):
            if analytical is None:
                analytical = grads.bias_grads[l]
            numerical = np.zeros(param.shape)
            data = param._data
            for idx in np.ndindex(param.shape):
                keep = data[idx]
                data[idx] = keep + eps
                up = loss_at()
                data[idx] = keep - eps
                down = loss_at()
                data[idx] = keep
                numerical[idx] = (up - down) / (2 * eps)
            np.testing.assert_allclose(analytical, numerical, rtol=1e-6, atol=1e-8)


# -- an off ReLU when the upstream gradient overflows ---------------------------------------
def _overflowing_relu_net():
    """1-2-1 ReLU net whose off unit's outgoing weight makes W δ overflow to inf.

    Unit 1 is on (a = 1) and gives ŷ = 1e150 (finite loss 1e300); unit 2 is off (f = −1)
    with outgoing weight 1e200, so (W δ)₂ = 1e200 · 2e150 = inf. PyTorch's ReLU backward
    selects, passing 0 for the off unit; a multiply would give 0 · inf = NaN.
    """
    net = nn.Sequential(nn.Linear(1, 2), nn.ReLU(), nn.Linear(2, 1)).double()
    with bp.no_grad():
        net[0].weight.copy_(bp.tensor([[1.0], [-1.0]], dtype=bp.float64))
        net[0].bias.zero_()
        net[2].weight.copy_(bp.tensor([[1e150, 1e200]], dtype=bp.float64))
        net[2].bias.zero_()
    return net, np.ones((1, 1)), np.zeros((1, 1))


def test_an_off_relu_passes_zero_when_the_upstream_gradient_overflows():
    torch = pytest.importorskip("torch")
    from backprop.interop import to_torch

    net, x, y = _overflowing_relu_net()
    tnet = to_torch(net)
    tloss = torch.nn.functional.mse_loss(tnet(torch.tensor(x)), torch.tensor(y))
    tloss.backward()
    want = [p.grad.numpy() for p in tnet.parameters()]
    assert all(np.isfinite(w).all() for w in want)  # torch: finite, 0 for the off unit

    with np.errstate(over="ignore"):
        grads = delta.compute(net, x, y, nn.MSELoss())
        engine = [grads.weight_grads[1].T, grads.bias_grads[1], grads.weight_grads[2].T]
        loss = nn.MSELoss()(net(bp.tensor(x)), bp.tensor(y))
        loss.backward()
    autograd = [p.grad.numpy() for p in net.parameters()]
    for w, e, a in zip(want, engine, autograd):
        np.testing.assert_array_equal(e, w)
        np.testing.assert_array_equal(a, w)

    fused = pytest.importorskip("backprop.delta.fused")
    if not fused.available():
        pytest.skip("numba is not installed")
    net, x, y = _overflowing_relu_net()
    sgd = optim.SGD(net.parameters(), lr=1e-300)
    with np.errstate(over="ignore"):
        fused.train(net, nn.MSELoss(), sgd, x, y, 1)
    tsgd = torch.optim.SGD(tnet.parameters(), lr=1e-300)
    tsgd.step()
    for p, t in zip(net.parameters(), tnet.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), t.detach().numpy())
