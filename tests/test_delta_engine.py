"""The δ engine (``backprop.delta``) against independent references.

References: our autograd tape (every activation × loss × depth 1–6 × bias), PyTorch 2.13
itself (weights copied through NumPy) and central differences of the loss. Nothing here
restates the engine's own δ formula. Also: training steps equal autograd's, ``.grad``
accumulates like autograd's, and the models and losses the engine refuses are refused with
messages that say what to do instead.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

import backprop as bp
import backprop.nn as nn
import backprop.optim as optim
from backprop import delta
from backprop.delta import DeltaEngineError

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
            floor = 1e-3 * largest
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


# -- 2. a δ-engine training step is an autograd training step -------------------------------
def test_twenty_adam_steps_equal_autograd():
    bp.manual_seed(5)
    model_a = nn.MLP([3, 5, 4, 2], activation="tanh").double()
    model_b = copy.deepcopy(model_a)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((16, 3))
    y = rng.integers(0, 2, 16).astype(np.int64)
    loss_fn = nn.CrossEntropyLoss()
    start = [p._data.copy() for p in model_a.parameters()]
    opt_a = optim.Adam(model_a.parameters(), lr=0.01)
    opt_b = optim.Adam(model_b.parameters(), lr=0.01)
    xt, yt = bp.tensor(x), bp.tensor(y)
    for _ in range(20):
        opt_a.zero_grad()
        loss_fn(model_a(xt), yt).backward()
        opt_a.step()
        opt_b.zero_grad()
        delta.backward(model_b, x, y, loss_fn)
        opt_b.step()
    for pa, pb, p0 in zip(model_a.parameters(), model_b.parameters(), start):
        np.testing.assert_allclose(pb._data, pa._data, rtol=1e-10, atol=1e-13)
        assert np.max(np.abs(pb._data - p0)) > 1e-3  # the 20 steps did move every parameter


def test_training_moves_the_parameters():
    bp.manual_seed(5)
    model = nn.MLP([3, 4, 1], activation="sigmoid").double()
    before = [p._data.copy() for p in model.parameters()]
    x = np.random.default_rng(0).standard_normal((8, 3))
    y = x.sum(axis=1, keepdims=True)
    opt = optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for _ in range(20):
        opt.zero_grad()
        losses.append(delta.backward(model, x, y, nn.MSELoss()).loss)
        opt.step()
    assert losses[-1] < losses[0]
    assert all(not np.array_equal(b, p._data) for b, p in zip(before, model.parameters()))


def test_grad_accumulates_like_autograd():
    model, loss_fn, x, y = build("sigmoid", "mse", 3, True)
    _, once = autograd_grads(model, loss_fn, x, y)
    # δ engine twice without zero_grad: twice the gradient, as autograd would give
    delta.backward(model, x, y, loss_fn)
    delta.backward(model, x, y, loss_fn)
    for lin, (gw, gb) in zip(linears(model), once):
        assert_rel(lin.weight.grad._data, 2 * gw)
        assert_rel(lin.bias.grad._data, 2 * gb)
    # autograd on top of the δ engine's .grad keeps adding: 3×
    loss_fn(model(bp.tensor(x)), bp.tensor(y)).backward()
    for lin, (gw, gb) in zip(linears(model), once):
        assert_rel(lin.weight.grad._data, 3 * gw)
        assert_rel(lin.bias.grad._data, 3 * gb)
    # accumulate=False overwrites
    delta.backward(model, x, y, loss_fn, accumulate=False)
    for lin, (gw, gb) in zip(linears(model), once):
        assert_rel(lin.weight.grad._data, gw)
        assert_rel(lin.bias.grad._data, gb)


def test_frozen_parameters_get_no_grad():
    model, loss_fn, x, y = build("tanh", "mse", 2, True)
    first = linears(model)[0]
    first.weight.requires_grad_(False)
    delta.backward(model, x, y, loss_fn)
    assert first.weight.grad is None
    assert first.bias.grad is not None


# -- 3. what the engine refuses, and how it says so ------------------------------------------
class Doubler(nn.Module):
    def forward(self, x):
        return 2 * x


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(2, 3)
        self.out = nn.Linear(3, 1)

    def forward(self, x):
        return self.out(bp.relu(self.hidden(x)))


@pytest.mark.parametrize(
    ("model", "named"),
    [
        (lambda: nn.Sequential(nn.Linear(2, 3), nn.Softmax(dim=1), nn.Linear(3, 1)), "Softmax"),
        (lambda: nn.Sequential(nn.Linear(2, 3), Doubler(), nn.Linear(3, 1)), "Doubler"),
        (lambda: TwoLayer(), "TwoLayer"),
        (lambda: nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Tanh(), nn.Linear(3, 1)), "Tanh"),
    ],
)
def test_unsupported_model_names_the_layer_and_suggests_autograd(model, named):
    x = np.zeros((3, 2))
    y = np.zeros((3, 1))
    with pytest.raises(DeltaEngineError) as info:
        delta.backward(model(), x, y, nn.MSELoss())
    message = str(info.value)
    assert named in message
    assert "loss.backward()" in message
    assert isinstance(info.value, bp.BackpropError)


def test_cross_entropy_after_sigmoid_is_refused():
    model = nn.Sequential(nn.Linear(2, 3), nn.Sigmoid())
    x = np.zeros((4, 2))
    y = np.array([0, 1, 2, 0])
    with pytest.raises(DeltaEngineError, match="logits") as info:
        delta.backward(model, x, y, nn.CrossEntropyLoss())
    assert "sigmoid" in str(info.value)
    with pytest.raises(DeltaEngineError, match="logits"):
        delta.backward(model, x, np.ones((4, 3)) / 2, nn.BCEWithLogitsLoss())


def test_column_vs_flat_target_is_a_shape_error():
    model = nn.MLP([2, 3, 1]).double()
    x = np.zeros((5, 2))
    with pytest.raises(bp.ShapeError, match=r"reshape\(-1, 1\)"):
        delta.backward(model, x, np.zeros(5), nn.MSELoss())
    with pytest.raises(bp.ShapeError):
        delta.trace(model, x, np.zeros(5), nn.HalfMSELoss())
    assert all(p.grad is None for p in model.parameters())


def test_wrong_input_width_is_a_shape_error():
    model = nn.MLP([2, 3, 1]).double()
    with pytest.raises(bp.ShapeError, match="2 features"):
        delta.backward(model, np.zeros((5, 3)), np.zeros((5, 1)), nn.MSELoss())


def test_custom_loss_and_reduction_none_are_refused():
    model = nn.MLP([2, 3, 1]).double()
    x, y = np.zeros((5, 2)), np.zeros((5, 1))
    with pytest.raises(DeltaEngineError, match="loss"):
        delta.backward(model, x, y, lambda a, b: ((a - b) ** 2).sum())
    with pytest.raises(DeltaEngineError, match="reduction"):
        delta.backward(model, x, y, nn.MSELoss(reduction="none"))


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
