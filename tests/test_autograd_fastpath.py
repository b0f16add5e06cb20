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


# -- the makemore ops ----------------------------------------------------------------------
def _both(array, grad=True):
    ours = bp.tensor(array, requires_grad=grad)
    theirs = torch.tensor(array, requires_grad=grad)
    return ours, theirs


def _same(ours, theirs, tol):
    assert ours.dtype.np == np.dtype(str(theirs.dtype).replace("torch.", ""))
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    ("shape", "ignore"), [((32, 27), -100), ((32, 27), 3), ((27,), -100), ((4, 5, 3), 1)]
)
def test_cross_entropy_on_class_indices_matches_torch(dtype, shape, ignore):
    rng = np.random.default_rng(7)
    x = (4 * rng.standard_normal(shape)).astype(dtype)
    classes = shape[0] if len(shape) == 1 else shape[1]
    index_shape = () if len(shape) == 1 else shape[:1] + shape[2:]
    y = rng.integers(0, classes, index_shape)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for reduction in ("mean", "sum", "none"):
        a, b = _both(x)
        la = bp.nn.functional.cross_entropy(
            a, bp.tensor(y), ignore_index=ignore, reduction=reduction
        )
        lb = torch.nn.functional.cross_entropy(
            b, torch.tensor(y), ignore_index=ignore, reduction=reduction
        )
        _same(la, lb, tol)
        la.sum().backward()
        lb.sum().backward()
        _same(a.grad, b.grad, tol)


def test_cross_entropy_with_a_minus_inf_logit_stays_finite_like_torch():
    x = np.array([[0.0, -np.inf, 1.0], [2.0, 0.5, -np.inf]], dtype=np.float32)
    y = np.array([0, 1])
    a, b = _both(x)
    la = bp.nn.functional.cross_entropy(a, bp.tensor(y))
    lb = torch.nn.functional.cross_entropy(b, torch.tensor(y))
    _same(la, lb, 1e-6)
    la.backward()
    lb.backward()
    _same(a.grad, b.grad, 1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("index_shape", [(96,), (32, 3), (5, 0), (512, 4)])
def test_embedding_lookup_backward_adds_repeated_rows_like_torch(dtype, index_shape):
    rng = np.random.default_rng(8)
    table = rng.standard_normal((27, 10)).astype(dtype)
    index = rng.integers(-27, 27, index_shape)  # repeats, and negative rows from the end
    a, b = _both(table)
    ea, eb = a[bp.tensor(index)], b[torch.tensor(index)]
    _same(ea, eb, 0)
    weights = rng.standard_normal(ea.shape).astype(dtype)
    (ea * bp.tensor(weights)).sum().backward()
    (eb * torch.tensor(weights)).sum().backward()
    _same(a.grad, b.grad, 1e-5 if dtype == np.float32 else 1e-12)


def test_index_backward_of_a_1d_tensor_and_of_a_tuple_index_match_torch():
    rng = np.random.default_rng(9)
    v = rng.standard_normal(6)
    m = rng.standard_normal((4, 5))
    for x, index in ((v, np.array([0, 0, 5, -1])), (m, (np.array([1, 1, 3]), np.array([0, 0, 4])))):
        a, b = _both(x)
        single = isinstance(index, np.ndarray)
        ia = bp.tensor(index) if single else tuple(map(bp.tensor, index))
        ib = torch.tensor(index) if single else tuple(map(torch.tensor, index))
        (a[ia] * 3).sum().backward()
        (b[ib] * 3).sum().backward()
        _same(a.grad, b.grad, 1e-12)


@pytest.mark.parametrize(("sa", "sb"), [((32, 30), (30, 200)), ((7,), (7, 3)), ((2, 4, 5), (5, 3))])
def test_matmul_gradients_match_torch(sa, sb):
    rng = np.random.default_rng(10)
    a, ta = _both(rng.standard_normal(sa).astype(np.float32))
    b, tb = _both(rng.standard_normal(sb).astype(np.float32))
    w = rng.standard_normal((a @ b).shape)
    ((a @ b) * bp.tensor(w.astype(np.float32))).sum().backward()
    ((ta @ tb) * torch.tensor(w.astype(np.float32))).sum().backward()
    _same(a.grad, ta.grad, 1e-5)
    _same(b.grad, tb.grad, 1e-5)


def test_hand_written_sgd_through_data_matches_torch_and_keeps_rules():
    rng = np.random.default_rng(11)
    w0 = rng.standard_normal((3, 4)).astype(np.float32)
    a, b = _both(w0)
    (a * a).sum().backward()
    (b * b).sum().backward()
    a.data += -0.1 * a.grad
    b.data += -0.1 * b.grad
    _same(a, b, 1e-7)
    assert a.grad_fn is None and a.requires_grad
    a.data *= 2
    b.data *= 2
    a.data /= 4.0
    b.data /= 4.0
    _same(a, b, 1e-7)
    with pytest.raises(bp.errors.AutogradError, match="leaf Variable"):
        a += 1.0  # a leaf that requires grad, outside no_grad: refused as torch refuses
    with pytest.raises(bp.errors.ShapeError, match="add_"):
        bp.zeros(3).add_(bp.ones(2, 3))  # the result would grow: explained in our words
    t = bp.zeros(2, 3, dtype=bp.float64)
    t += bp.ones(3, dtype=bp.float64)  # broadcasting into self is fine
    t -= 1
    assert t._version == 2 and float(t.sum()) == 0.0


def test_parameters_in_one_buffer_with_autograd_gradients_match_torch():
    from backprop import delta

    ours, theirs, x, y = _pair(3)
    delta.flatten_parameters(ours)  # parameters share a buffer; autograd's grads do not
    base = next(ours.parameters())._data.base
    opt = optim.Adam(ours.parameters(), lr=0.05, weight_decay=1e-3)
    ref = torch.optim.Adam(theirs.parameters(), lr=0.05, weight_decay=1e-3)
    for _ in range(15):
        _step(bp, ours, opt, x, y)
        _step(torch, theirs, ref, x, y)
    entry = opt._flat._cache[0]
    assert entry["param"]._data is base, "the update did not run on the parameters' buffer"
    assert all(pv is None for pv, _ in entry["views"])
    _close(ours, theirs)


def test_leaf_gradients_own_their_arrays_like_torch():
    """A rule that passes one array to two inputs, a caller's gradient and a hook's return
    value must not end up shared with a leaf's .grad, which later passes add into."""
    got = {}
    for lib in (bp, torch):
        a, b = lib.ones(3, requires_grad=True), lib.ones(3, requires_grad=True)
        c = lib.tensor([1.0, 2.0, 3.0])
        ((a + b) * c).sum().backward()  # a + b hands g to both leaves
        ((a * 2) * c).sum().backward()
        seed = lib.tensor([1.0, 2.0, 3.0])
        x, z = lib.ones(3, requires_grad=True), lib.ones(3, requires_grad=True)
        (x + 0.0).backward(gradient=seed)  # passed straight through to the leaf
        (x * 1.0).backward(gradient=lib.ones(3))
        z.backward(gradient=seed)  # the root is the leaf
        z.backward(gradient=seed)
        kept = []
        h = lib.ones(3, requires_grad=True)
        h.register_hook(lambda g, kept=kept: kept.append(g) or g)
        (h * 1.0).sum().backward()
        (h * 1.0).sum().backward()
        got[lib.__name__] = [
            t.detach().numpy().tolist() for t in (a.grad, b.grad, seed, x.grad, z.grad, kept[0])
        ] + [h.grad.detach().numpy().tolist()]
    assert got["backprop"] == got["torch"]


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [((10, (3,)), {}), ((2, 9, (4, 2)), {}), ((0, 180_000, (32,)), {}), ((5,), {"size": (2,)})],
)
def test_randint_call_forms_match_torch(args, kwargs):
    ours, theirs = bp.randint(*args, **kwargs), torch.randint(*args, **kwargs)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.dtype.np == np.int64 and theirs.dtype == torch.int64
    low, high = (0, args[0]) if len(args) == 1 or isinstance(args[1], tuple) else args[:2]
    assert ((ours.numpy() >= low) & (ours.numpy() < high)).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(7,), (64, 33), (256, 512)])
def test_relu_backward_with_nan_and_inf_matches_torch_bit_for_bit(dtype, shape):
    """ReLU's backward is a select (g where a > 0 or a is NaN, +0 where a ≤ 0), not a multiply
    by a 0/1 mask: an infinite or NaN upstream gradient where the unit is off must give 0, as in
    PyTorch, and ±0 and NaN inputs keep PyTorch's rule (the fast bitwise select, relu_gate)."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    flat_x, flat_g = x.reshape(-1), g.reshape(-1)
    specials = [0.0, -0.0, np.nan, np.inf, -np.inf, -1.0]
    for i, value in enumerate(specials):
        flat_x[i] = value
        flat_g[-1 - i] = value  # non-finite gradients where the unit is on and where it is off
        flat_g[i] = [np.inf, -np.inf, np.nan, 2.0, np.nan, np.inf][i]
    ours = bp.tensor(x, requires_grad=True)
    ours.relu().backward(bp.tensor(g))
    theirs = torch.tensor(x, requires_grad=True)
    theirs.relu().backward(torch.tensor(g))
    want = theirs.grad.numpy()
    got = ours.grad.numpy()
    assert got.dtype == want.dtype
    assert np.array_equal(got, want, equal_nan=True)
    finite = np.isfinite(want)
    assert np.array_equal(np.signbit(got[finite]), np.signbit(want[finite]))  # +0 as torch's
    # nn.ReLU and F.relu take the same path
    ours2 = bp.tensor(x, requires_grad=True)
    nn.ReLU()(ours2).backward(bp.tensor(g))
    assert np.array_equal(ours2.grad.numpy(), want, equal_nan=True)
