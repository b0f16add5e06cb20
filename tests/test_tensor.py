"""Tensor basics against PyTorch: factories, dtypes, devices, conversions, printing of
results, reductions with dim/keepdim, indexing, and the errors for bad input."""

import numpy as np
import pytest

import backprop as bp
from backprop.errors import ConfigError, DeviceError, DTypeError, ShapeError

torch = pytest.importorskip("torch")


def test_factories_shapes_and_dtypes_match_pytorch():
    cases = [
        ("zeros", (2, 3), {}),
        ("ones", (4,), {}),
        ("empty", (2, 2), {}),
        ("eye", (3,), {}),
        ("rand", (2, 5), {}),
        ("randn", (3, 1), {}),
        ("zeros", ((2, 3),), {"dtype": "float64"}),
    ]
    for name, args, kw in cases:
        ours = getattr(bp, name)(*args, **{k: getattr(bp, v) for k, v in kw.items()})
        theirs = getattr(torch, name)(*args, **{k: getattr(torch, v) for k, v in kw.items()})
        assert tuple(ours.shape) == tuple(theirs.shape), name
        assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1], name
    for data in ([1, 2], [1.0, 2], [[True, False]], 3, 2.5, np.arange(3.0), np.arange(3)):
        ours, theirs = bp.tensor(data), torch.tensor(data)
        assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1], data
        assert ours.tolist() == theirs.tolist()
    assert bp.arange(5).tolist() == torch.arange(5).tolist()
    assert bp.arange(0, 1, 0.25).tolist() == torch.arange(0, 1, 0.25).tolist()
    np.testing.assert_allclose(
        bp.linspace(-1, 1, 7).numpy(), torch.linspace(-1, 1, 7).numpy(), atol=1e-6
    )
    assert bp.full((2,), 7).dtype == bp.int64 and bp.full((2,), 7.0).dtype == bp.float32


def test_manual_seed_reproduces_every_random_factory():
    def draw():
        return [
            bp.randn(3).tolist(),
            bp.rand(2, 2).tolist(),
            bp.randint(0, 10, (4,)).tolist(),
            bp.randn_like(bp.zeros(2)).tolist(),
            bp.randperm(5).tolist(),
        ]

    bp.manual_seed(42)
    first = draw()
    bp.manual_seed(42)
    assert draw() == first
    bp.manual_seed(43)
    assert draw() != first
    g = bp.Generator().manual_seed(7)
    a = bp.randn(3, generator=g).tolist()
    assert bp.randn(3, generator=bp.Generator().manual_seed(7)).tolist() == a


def test_randn_has_unit_variance_and_rand_is_uniform():
    x = bp.randn(200_000).numpy()
    assert abs(x.mean()) < 0.01 and abs(x.std() - 1) < 0.01
    u = bp.rand(200_000).numpy()
    assert u.min() >= 0 and u.max() < 1 and abs(u.mean() - 0.5) < 0.01


def test_default_dtype_switch():
    bp.set_default_dtype(bp.float64)
    assert bp.tensor([1.0]).dtype == bp.float64
    assert bp.randn(2).dtype == bp.float64
    assert repr(bp.tensor([1.5])) == "tensor([1.5000])"
    assert repr(bp.tensor([1.5], dtype=bp.float32)) == "tensor([1.5000], dtype=backprop.float32)"
    with pytest.raises(DTypeError, match="floating"):
        bp.set_default_dtype(bp.int64)


def test_device_cpu_accepted_others_refused():
    assert bp.zeros(2, device="cpu").device == bp.device("cpu")
    assert bp.zeros(2, device=torch.device("cpu")).tolist() == [0.0, 0.0]
    t = bp.ones(2)
    assert t.to("cpu") is t and t.to(torch.device("cpu")) is t
    for bad in ("cuda", "cuda:0", "mps", torch.device("meta")):
        with pytest.raises(DeviceError, match="CPU only"):
            bp.zeros(2, device=bad)
    with pytest.raises(DeviceError):
        t.to("cuda")
    with pytest.raises(DeviceError):
        t.cuda()


def test_to_float_double_are_differentiable_casts():
    a = bp.tensor([1.0, 2.0], requires_grad=True)
    b = a.double()
    assert b.dtype == bp.float64 and b.grad_fn.name() == "ToCopyBackward0"
    (b * b).sum().backward()
    assert a.grad.dtype == bp.float32 and a.grad.tolist() == [2.0, 4.0]
    assert a.to(bp.float32) is a
    assert a.to(torch.float64).dtype == bp.float64
    assert bp.ones(2).to(bp.ones(1, dtype=bp.float64)).dtype == bp.float64


def test_repr_of_results_matches_pytorch():
    a = bp.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    ta = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    for ours, theirs in [
        ((a * a).sum(), (ta * ta).sum()),
        ((a @ a).mean(), (ta @ ta).mean()),
        (a.sigmoid(), ta.sigmoid()),
        (a.relu() - 1, ta.relu() - 1),
        (a.T, ta.T),
        (a.reshape(4), ta.reshape(4)),
        (a.exp() / 3, ta.exp() / 3),
        (a[0], ta[0]),
    ]:
        theirs_text = repr(theirs).replace("torch.", "backprop.")
        assert repr(ours) == theirs_text
    assert f"{(a * a).sum()}" == f"{(ta * ta).sum()}"
    assert repr(bp.tensor([1, 2])) == repr(torch.tensor([1, 2]))
    assert repr(bp.zeros(2, dtype=bp.float64)) == "tensor([0., 0.], dtype=backprop.float64)"


def test_reductions_with_dim_and_keepdim_match_pytorch():
    x = np.random.default_rng(0).normal(size=(3, 4, 5))
    a, ta = bp.tensor(x), torch.tensor(x)
    for dim in (None, 0, 1, -1, (0, 2)):
        for keep in (False, True):
            kw = {} if dim is None else {"dim": dim, "keepdim": keep}
            np.testing.assert_allclose(a.sum(**kw).numpy(), ta.sum(**kw).numpy(), rtol=1e-12)
            np.testing.assert_allclose(a.mean(**kw).numpy(), ta.mean(**kw).numpy(), rtol=1e-12)
    v, i = a.max(dim=1)
    tv, ti = ta.max(dim=1)
    np.testing.assert_array_equal(v.numpy(), tv.numpy())
    np.testing.assert_array_equal(i.numpy(), ti.numpy())
    assert a.min().item() == ta.min().item()
    np.testing.assert_allclose(a.std(dim=0).numpy(), ta.std(dim=0).numpy(), rtol=1e-12)
    np.testing.assert_allclose(a.var().item(), ta.var().item(), rtol=1e-12)
    np.testing.assert_allclose(a.norm().item(), ta.norm().item(), rtol=1e-12)
    with pytest.raises(ShapeError, match="out of range"):
        a.sum(dim=3)
    with pytest.raises(DTypeError, match="floating point"):
        bp.tensor([1, 2]).mean()


def test_indexing_basic_boolean_integer_and_assignment():
    x = np.arange(24.0).reshape(4, 6)
    a, ta = bp.tensor(x), torch.tensor(x)
    for idx in [1, (1, 2), slice(1, 3), (slice(None), 0), (..., -1), [0, 2, 2]]:
        np.testing.assert_array_equal(a[idx].numpy(), ta[idx].numpy())
    mask = a > 10
    np.testing.assert_array_equal(a[mask].numpy(), ta[ta > 10].numpy())
    np.testing.assert_array_equal(a[bp.tensor([3, 0])].numpy(), ta[torch.tensor([3, 0])].numpy())
    a[a > 20] = 0.0
    ta[ta > 20] = 0.0
    a[0, :2] = bp.tensor([-1.0, -2.0], dtype=bp.float64)
    ta[0, :2] = torch.tensor([-1.0, -2.0], dtype=torch.float64)
    np.testing.assert_array_equal(a.numpy(), ta.numpy())
    view = a[1]
    view[0] = 100.0
    assert a[1, 0].item() == 100.0  # basic indexing is a view, as in PyTorch


def test_shape_methods_match_pytorch():
    x = np.arange(24.0).reshape(2, 3, 4)
    a, ta = bp.tensor(x), torch.tensor(x)
    pairs = [
        (a.reshape(6, 4), ta.reshape(6, 4)),
        (a.view(-1), ta.view(-1)),
        (a.flatten(1), ta.flatten(1)),
        (a.unsqueeze(1), ta.unsqueeze(1)),
        (a[:, :1].squeeze(), ta[:, :1].squeeze()),
        (a.permute(2, 0, 1), ta.permute(2, 0, 1)),
        (a.transpose(0, 2), ta.transpose(0, 2)),
        (a[0].t(), ta[0].t()),
        (a[0, 0].expand(3, 4), ta[0, 0].expand(3, 4)),
        (bp.cat([a, a], dim=1), torch.cat([ta, ta], dim=1)),
        (bp.stack([a, a], dim=-1), torch.stack([ta, ta], dim=-1)),
        (bp.where(a > 5, a, 0.0), torch.where(ta > 5, ta, 0.0)),
        (a.clamp(3, 9), ta.clamp(3, 9)),
    ]
    for ours, theirs in pairs:
        assert tuple(ours.shape) == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    with pytest.raises(ShapeError, match="invalid for a tensor of shape"):
        a.reshape(5, 5)
    with pytest.raises(ShapeError, match="sizes of tensors must match"):
        bp.cat([a, bp.zeros(2, 2, 2, dtype=bp.float64)], dim=1)


def test_python_protocols_and_conversions():
    a = bp.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert len(a) == 2 and [r.tolist() for r in a] == [[1.0, 2.0], [3.0, 4.0]]
    assert float(a[0, 1]) == 2.0 and int(a[1, 1]) == 4
    assert a.sum().item() == 10.0 and a.numel() == 4 and a.dim() == 2 and a.ndim == 2
    assert a.size() == (2, 2) and a.size(-1) == 2 and repr(a.shape) == "backprop.Size([2, 2])"
    assert np.asarray(a).shape == (2, 2)
    r = np.float64(2.0) * a  # NumPy scalars defer to the tensor
    assert isinstance(r, bp.Tensor)
    with pytest.raises(ShapeError, match="ambiguous"):
        bool(a > 1)
    with pytest.raises(ShapeError, match="4 elements"):
        a.item()
    g = bp.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        g.numpy()


def test_bad_data_gets_clear_errors():
    with pytest.raises(ShapeError, match="rectangular"):
        bp.tensor([[1.0, 2.0], [3.0]])
    with pytest.raises(DTypeError, match="numbers"):
        bp.tensor(["a", "b"])
    with pytest.raises(DTypeError, match="numbers"):
        bp.tensor(np.array([object(), 1], dtype=object))
    with pytest.raises(ShapeError, match="non-negative"):
        bp.zeros(-1)
    with pytest.raises(DTypeError, match=r"dtype"):
        bp.zeros(2, dtype="complex64")


def test_bad_operands_and_factory_arguments_are_backprop_errors():
    # each of these was a bare NumPy/Python ValueError or TypeError
    t = bp.tensor([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(DTypeError, match="integers to negative integer powers"):
        bp.tensor([2, 3]) ** -1
    with pytest.raises(DTypeError, match="integers to negative integer powers"):
        2 ** bp.tensor([-1])
    assert (bp.tensor([2.0]) ** -1).item() == 0.5  # floats may
    with pytest.raises(DTypeError, match="exponent must be a number"):
        t ** "2"
    with pytest.raises(ShapeError, match="Dimension out of range"):
        t.sum("x")
    with pytest.raises(ShapeError, match="sizes must be whole numbers"):
        t.reshape("x")
    with pytest.raises(ShapeError, match="argmax: the tensor is empty"):
        bp.zeros(0).argmax()
    with pytest.raises(ShapeError, match="argmin: dimension 1 is empty"):
        bp.zeros(2, 0).argmin(1)
    with pytest.raises(DTypeError, match="fill_value must be a real number"):
        bp.full((2,), "x")
    with pytest.raises(ConfigError, match="eye: n must be a non-negative whole number"):
        bp.eye(-1)
    with pytest.raises(ConfigError, match="arange: end must be a finite real number"):
        bp.arange(0, float("inf"))
    with pytest.raises(ShapeError, match="more elements than any array"):
        bp.arange(0, 1e30)
    with pytest.raises(ConfigError, match="linspace: start"):
        bp.linspace("a", 1, 3)
    with pytest.raises(ConfigError, match="randint: high must be a whole number"):
        bp.randint(0, "a", (2,))
    with pytest.raises(ConfigError, match="randperm: n"):
        bp.randperm(-1)
    with pytest.raises(ShapeError, match="more elements than any array"):
        bp.zeros(10**12, 10**12)


def test_from_numpy_names_itself_for_an_unshareable_dtype():
    with pytest.raises(DTypeError, match=r"from_numpy: the array's dtype float16"):
        bp.from_numpy(np.ones(2, dtype=np.float16))  # said "tensor: NumPy dtype float16 ..."
    assert bp.from_numpy(np.ones(2)).dtype == bp.float64


@pytest.mark.parametrize("index", [5, (0, 9), "a", 1.5, [7]])
def test_bad_indices_raise_our_indexing_error_naming_the_shape(index):
    from backprop.errors import IndexingError

    x = bp.randn(3, 4)
    tracked = bp.randn(3, 4, requires_grad=True).clone()
    with pytest.raises(IndexingError, match=r"shape \[3, 4\]"):
        x[index]
    for target in (x, tracked):  # assignment without and with a graph
        with pytest.raises(IndexingError, match=r"index assignment: .*shape \[3, 4\]"):
            target[index] = 1.0
    with pytest.raises(IndexError):  # still PyTorch's builtin for except clauses
        x[index]
