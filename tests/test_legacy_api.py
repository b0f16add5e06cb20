"""The legacy spellings torch 2.13 still accepts, against torch: Variable, size_average/reduce
on losses, the typed constructors, torch.cuda/backends answers, set_default_device,
testing.assert_close (results and messages) and autograd.gradcheck."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import backprop as bp
import backprop.nn as nn
import backprop.nn.functional as F

torch = pytest.importorskip("torch")


# -- Variable ----------------------------------------------------------------------------------
@pytest.mark.parametrize("requires_grad", [False, True])
def test_variable_is_a_tensor_sharing_storage(requires_grad):
    x, xt = bp.ones(3), torch.ones(3)
    v = bp.autograd.Variable(x, requires_grad=requires_grad)
    vt = torch.autograd.Variable(xt, requires_grad=requires_grad)
    assert isinstance(v, bp.Tensor) and isinstance(x, bp.autograd.Variable)
    assert v.requires_grad == vt.requires_grad and v is not x
    x.add_(1)  # same storage
    assert v.tolist() == [2.0, 2.0, 2.0]
    if requires_grad:
        (v * v).sum().backward()
        assert v.grad.tolist() == [4.0, 4.0, 4.0]


def test_variable_of_a_graph_tensor_is_a_detached_leaf():
    x = bp.ones(2, requires_grad=True)
    v = bp.autograd.Variable(x * 2)
    vt = torch.autograd.Variable(torch.ones(2, requires_grad=True) * 2)
    assert (v.requires_grad, v.grad_fn) == (vt.requires_grad, vt.grad_fn) == (False, None)


def test_variable_volatile_warns_and_data_must_be_a_tensor():
    with pytest.warns(UserWarning, match="volatile"):
        bp.autograd.Variable(bp.ones(1), volatile=True)
    with pytest.raises(TypeError):
        torch.autograd.Variable([1, 2])
    with pytest.raises(TypeError, match="Variable data has to be a tensor"):
        bp.autograd.Variable([1, 2])


# -- size_average / reduce -------------------------------------------------------------------
LEGACY = [(None, None), (True, None), (False, None), (None, False), (False, False), (True, True)]


def loss_cases():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 3)).astype(np.float32)
    y = rng.normal(size=(6, 3)).astype(np.float32)
    p = 1 / (1 + np.exp(-x))
    t = (y > 0).astype(np.float32)
    labels = rng.integers(0, 3, size=6)
    logp = x - np.log(np.exp(x).sum(1, keepdims=True))
    return [
        ("MSELoss", "mse_loss", x, y),
        ("L1Loss", "l1_loss", x, y),
        ("BCELoss", "binary_cross_entropy", p, t),
        ("BCEWithLogitsLoss", "binary_cross_entropy_with_logits", x, t),
        ("CrossEntropyLoss", "cross_entropy", x, labels),
        ("NLLLoss", "nll_loss", logp, labels),
    ]


@pytest.mark.parametrize("size_average, reduce", LEGACY)
@pytest.mark.parametrize("case", loss_cases(), ids=lambda c: c[0])
def test_legacy_loss_arguments_match_torch(case, size_average, reduce):
    module, function, x, y = case
    kw = dict(size_average=size_average, reduce=reduce)
    legacy = size_average is not None or reduce is not None
    with warnings.catch_warnings(record=True) as theirs_warned:
        warnings.simplefilter("always")
        m_t = getattr(torch.nn, module)(**kw)
        out_t = m_t(torch.tensor(x), torch.tensor(y))
        f_t = getattr(torch.nn.functional, function)(torch.tensor(x), torch.tensor(y), **kw)
    with warnings.catch_warnings(record=True) as ours_warned:
        warnings.simplefilter("always")
        m_b = getattr(nn, module)(**kw)
        out_b = m_b(bp.tensor(x), bp.tensor(y))
        f_b = getattr(F, function)(bp.tensor(x), bp.tensor(y), **kw)
    assert m_b.reduction == m_t.reduction
    np.testing.assert_allclose(out_b.numpy(), out_t.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(f_b.numpy(), f_t.numpy(), rtol=1e-5, atol=1e-6)
    deprecations = [w for w in ours_warned if "size_average and reduce" in str(w.message)]
    assert (
        len(deprecations)
        == (2 if legacy else 0)
        == len([w for w in theirs_warned if "size_average and reduce" in str(w.message)])
    )
    if legacy:
        assert f"reduction='{m_t.reduction}'" in str(deprecations[0].message)
        assert deprecations[0].filename == __file__


def test_loss_arguments_take_torch_positions():
    w = [1.0, 2.0, 0.5]
    ours = nn.CrossEntropyLoss(bp.tensor(w), None, 1, None, "sum", 0.1)
    theirs = torch.nn.CrossEntropyLoss(torch.tensor(w), None, 1, None, "sum", 0.1)
    assert (ours.ignore_index, ours.reduction, ours.label_smoothing) == (
        theirs.ignore_index,
        theirs.reduction,
        theirs.label_smoothing,
    )
    assert nn.NLLLoss(None, None, 2).ignore_index == torch.nn.NLLLoss(None, None, 2).ignore_index
    assert nn.HalfMSELoss("sum").reduction == "sum"  # backprop's own loss: reduction first


# -- typed constructors ---------------------------------------------------------------------
@pytest.mark.parametrize("name", ["FloatTensor", "DoubleTensor", "LongTensor", "BoolTensor"])
def test_typed_constructors_match_torch(name):
    ours, theirs = getattr(bp, name), getattr(torch, name)
    for args in ([[1, 0, 2]], [(2, 3)], [np.array([1.0, 0.0])]):
        b, t = ours(*args), theirs(*args)
        assert b.tolist() == t.tolist()
        assert str(b.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    assert ours(2, 3).shape == tuple(theirs(2, 3).shape) == (2, 3)
    assert ours(bp.Size([4])).shape == tuple(theirs(torch.Size([4])).shape) == (4,)
    assert ours().shape == tuple(theirs().shape) == (0,)
    sample = theirs([1])
    assert isinstance(bp.tensor(sample.numpy()), ours)
    for other in ("FloatTensor", "DoubleTensor", "LongTensor", "BoolTensor"):
        if other != name:
            expected = isinstance(sample, getattr(torch, other))
            assert isinstance(bp.tensor(sample.numpy()), getattr(bp, other)) == expected
    with pytest.raises(TypeError):
        theirs(2.5)
    with pytest.raises(TypeError, match="sequence"):
        ours(2.5)


def test_int_tensor_is_int64_and_tensor_argument_rules():
    assert bp.IntTensor([1, 2]).dtype == bp.int64  # no int32 in backprop
    x = bp.FloatTensor([1.0])
    assert bp.FloatTensor(x) is x
    with pytest.raises(TypeError):
        torch.FloatTensor(torch.tensor([1, 2]))
    with pytest.raises(TypeError, match=r"expected a backprop\.float32 tensor"):
        bp.FloatTensor(bp.tensor([1, 2]))


# -- cuda, backends, default device ---------------------------------------------------------
def test_cuda_and_backends_answer_like_a_cpu_only_torch():
    assert bp.cuda.is_available() is False and bp.cuda.device_count() == 0
    state = bp.rand(3).tolist()
    bp.manual_seed(5)
    first = bp.rand(3).tolist()
    bp.manual_seed(5)
    bp.cuda.manual_seed(123)  # seeds nothing else
    bp.cuda.manual_seed_all(123)
    assert bp.rand(3).tolist() == first != state
    assert bp.backends.mps.is_available() is False and bp.backends.cudnn.is_available() is False
    import backprop.backends.cudnn as cudnn

    cudnn.deterministic, cudnn.benchmark = True, False
    assert bp.backends.cudnn.deterministic is True
    with pytest.raises(NotImplementedError, match=r"interop\.to_torch"):
        bp.cuda.current_device()


def test_set_default_device():
    bp.set_default_device("cpu")
    bp.set_default_device(bp.device("cpu"))
    assert str(bp.get_default_device()) == "cpu"
    with pytest.raises(RuntimeError, match="CPU dense MLPs"):
        bp.set_default_device("cuda")


# -- testing.assert_close ----------------------------------------------------------------------
def message(lib, *args, **kwargs):
    with pytest.raises(AssertionError) as info:
        lib.testing.assert_close(*args, **kwargs)
    return str(info.value).replace("torch.", "").replace("backprop.", "")


@pytest.mark.parametrize(
    "make",
    [
        lambda T: (T([1.0, 2.0, 3.0]), T([1.0, 2.5, 3.0])),
        lambda T: (T([[1.0, 2.0], [3.0, 4.0]]), T([[1.0, 2.0], [3.0, 5.0]])),
        lambda T: (T([1.0, 2.0]), T([1.0, 2.0, 3.0])),
        lambda T: (T([1, 2]), T([1, 3])),
        lambda T: (T([True]), T([False])),
        lambda T: (T([float("nan")]), T([float("nan")])),
        lambda T: (T(1.0), T(1.5)),
        lambda T: ([T(1.0), T(2.0)], [T(1.0), T(2.5)]),
        lambda T: ({"a": T([1.0])}, {"a": T([2.0])}),
        lambda T: (1.0, 1.5),
    ],
)
def test_assert_close_messages_match_torch(make):
    assert message(bp, *make(bp.tensor)) == message(torch, *make(torch.tensor))


def test_assert_close_tolerances_and_options_match_torch():
    pairs = [
        ([1.0, 2.0], [1.0, 2.0 + 1.5e-5], {}),
        ([1.0, 2.0], [1.0, 2.0 + 5e-6], {}),
        ([100.0], [100.0001], {}),
        ([1.0], [1.1], {"rtol": 0.2, "atol": 0.0}),
        ([float("nan")], [float("nan")], {"equal_nan": True}),
        ([float("inf")], [float("inf")], {}),
    ]
    for a, e, kw in pairs:
        for dtype in ("float32", "float64"):
            results = []
            for lib in (bp, torch):
                try:
                    d = getattr(lib, dtype)
                    lib.testing.assert_close(lib.tensor(a, dtype=d), lib.tensor(e, dtype=d), **kw)
                    results.append(True)
                except AssertionError:
                    results.append(False)
            assert results[0] == results[1], (a, e, kw, dtype)
    f32, f64 = bp.tensor([1.0]), bp.tensor([1.0], dtype=bp.float64)
    assert message(bp, f32, f64).startswith("The values for attribute 'dtype' do not match")
    bp.testing.assert_close(f32, f64, check_dtype=False)
    assert message(bp, bp.tensor([1.0]), bp.tensor([2.0]), msg="custom") == "custom"
    assert message(bp, bp.tensor([1.0]), bp.tensor([2.0]), msg=lambda m: m[:9]) == "Tensor-li"
    with pytest.raises(ValueError, match="Both 'rtol' and 'atol'"):
        bp.testing.assert_close(bp.ones(1), bp.ones(1), rtol=0.1)
    with pytest.raises(TypeError):
        torch.testing.assert_close(torch.tensor(1.0), 1.0)
    with pytest.raises(TypeError, match="No comparison pair"):
        bp.testing.assert_close(bp.tensor(1.0), 1.0)


# -- gradcheck ----------------------------------------------------------------------------------
def test_autograd_gradcheck_is_the_checker():
    assert bp.autograd.gradcheck is bp.gradcheck
    x = bp.tensor([0.3, -1.2], dtype=bp.float64, requires_grad=True)
    assert bp.autograd.gradcheck(lambda t: (t * t).sum(), (x,))
    assert math.isfinite(x.detach().sum().item())


# -- smooth_l1_loss (used once in the corpus, composed from Huber's loss) ------------------
@pytest.mark.parametrize("beta", [1.0, 0.5, 0.0])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_smooth_l1_loss_matches_torch(beta, reduction):
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(5, 3)).astype(np.float32), rng.normal(size=(5, 3)).astype(np.float32)
    xb, xt = bp.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ob = nn.SmoothL1Loss(reduction=reduction, beta=beta)(xb, bp.tensor(y))
    ot = torch.nn.SmoothL1Loss(reduction=reduction, beta=beta)(xt, torch.tensor(y))
    ob.sum().backward()
    ot.sum().backward()
    np.testing.assert_allclose(ob.detach().numpy(), ot.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(xb.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="beta must be non-negative"):
        F.smooth_l1_loss(xb, bp.tensor(y), beta=-1.0)


@pytest.mark.parametrize("name", ["FloatTensor", "DoubleTensor", "LongTensor", "BoolTensor"])
def test_tensor_type_takes_legacy_types_like_torch(name):
    values = [0.0, 1.5, -2.0]
    ours = bp.tensor(values).type(getattr(bp, name))
    theirs = torch.tensor(values).type(getattr(torch, name))
    assert ours.tolist() == theirs.tolist()
    assert isinstance(ours, getattr(bp, name)) and ours.type() == theirs.type()


def test_backends_submodules_are_importable_modules():
    import importlib.util

    import backprop.backends.cudnn as cudnn

    assert importlib.util.find_spec("backprop.backends.cudnn") is not None
    assert cudnn is bp.backends.cudnn and cudnn.is_available() is False
