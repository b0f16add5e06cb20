"""BatchNorm1d, LayerNorm (modules and functions) and Dropout against torch 2.13: values,
gradients of input and affine parameters, running statistics, buffers and state-dict keys,
train/eval, reprs and errors."""

from __future__ import annotations

import numpy as np
import pytest

import backprop as bp
import backprop.nn as nn
import backprop.nn.functional as F

torch = pytest.importorskip("torch")


def arrays(shape, seed, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return rng.normal(size=shape).astype(dtype), rng.normal(size=shape).astype(dtype)


def same_params(ours, theirs, seed=5):
    """Give both modules the same non-trivial affine parameters."""
    rng = np.random.default_rng(seed)
    for name, p in theirs.named_parameters():
        values = rng.uniform(0.5, 1.5, size=p.shape).astype(np.float32)
        p.data[...] = torch.tensor(values)
        dict(ours.named_parameters())[name]._data[...] = values


def step(ours, theirs, x, g):
    xb, xt = bp.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yb, yt = ours(xb), theirs(xt)
    (yb * bp.tensor(g)).sum().backward()
    (yt * torch.tensor(g)).sum().backward()
    tol = dict(rtol=1e-5, atol=1e-5) if x.dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(yb.detach().numpy(), yt.detach().numpy(), **tol)
    np.testing.assert_allclose(xb.grad.numpy(), xt.grad.numpy(), **tol)
    assert yb.dtype.np == yt.detach().numpy().dtype and yb.shape == tuple(yt.shape)
    assert yb.grad_fn.name() == yt.grad_fn.name()
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters(), strict=True):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), err_msg=name, **tol)


BN_CASES = [
    dict(),
    dict(momentum=None),
    dict(momentum=0.3, eps=1e-3),
    dict(affine=False),
    dict(bias=False),
    dict(track_running_stats=False),
]


@pytest.mark.parametrize("shape", [(8, 3), (6, 3, 5)])
@pytest.mark.parametrize("kwargs", BN_CASES)
def test_batchnorm1d_train_then_eval_matches_torch(shape, kwargs):
    ours, theirs = nn.BatchNorm1d(3, **kwargs), torch.nn.BatchNorm1d(3, **kwargs)
    same_params(ours, theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    for seed in range(3):
        step(ours, theirs, *arrays(shape, seed))
    for name, buf in theirs.named_buffers():
        np.testing.assert_allclose(
            dict(ours.named_buffers())[name].numpy(), buf.numpy(), rtol=1e-6, err_msg=name
        )
        assert dict(ours.named_buffers())[name].dtype.np == buf.numpy().dtype
    ours.eval()
    theirs.eval()
    step(ours, theirs, *arrays(shape, 9))


def test_batchnorm_float64_and_state_dict_round_trip():
    ours = nn.BatchNorm1d(4, dtype=bp.float64)
    theirs = torch.nn.BatchNorm1d(4, dtype=torch.float64)
    step(ours, theirs, *arrays((5, 4), 0, np.float64))
    state = {k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()}
    fresh = torch.nn.BatchNorm1d(4, dtype=torch.float64)
    fresh.load_state_dict(state)
    assert int(fresh.num_batches_tracked) == 1


def test_functional_batch_norm_matches_torch():
    x, g = arrays((7, 4), 1)
    rm_b, rv_b = bp.zeros(4), bp.ones(4)
    rm_t, rv_t = torch.zeros(4), torch.ones(4)
    xb, xt = bp.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yb = F.batch_norm(xb, rm_b, rv_b, training=True, momentum=0.2)
    yt = torch.nn.functional.batch_norm(xt, rm_t, rv_t, training=True, momentum=0.2)
    np.testing.assert_allclose(yb.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rv_b.numpy(), rv_t.numpy(), rtol=1e-6)
    np.testing.assert_allclose(rm_b.numpy(), rm_t.numpy(), rtol=1e-6, atol=1e-7)
    yb = F.batch_norm(xb, rm_b, rv_b)  # eval: the running statistics
    yt = torch.nn.functional.batch_norm(xt, rm_t, rv_t)
    (yb * bp.tensor(g)).sum().backward()
    (yt * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(yb.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(xb.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_batchnorm_errors_like_torch():
    ours, theirs = nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3)
    cases = [(2, 3, 4, 5), (1, 3), (4, 5)]
    kinds = [ValueError, ValueError, RuntimeError]
    for shape, kind in zip(cases, kinds, strict=True):
        with pytest.raises(kind):
            theirs(torch.zeros(shape))
        with pytest.raises(
            (ValueError, RuntimeError), match=r"expected 2D or 3D|more than 1|should contain"
        ):
            ours(bp.zeros(shape))


@pytest.mark.parametrize(
    "shape, normalized, kwargs",
    [
        ((5, 4), 4, {}),
        ((2, 5, 4), (4,), {}),
        ((2, 3, 4), (3, 4), {"eps": 1e-3}),
        ((6, 4), [4], {"elementwise_affine": False}),
        ((6, 4), 4, {"bias": False}),
    ],
)
def test_layernorm_matches_torch(shape, normalized, kwargs):
    ours, theirs = nn.LayerNorm(normalized, **kwargs), torch.nn.LayerNorm(normalized, **kwargs)
    same_params(ours, theirs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    step(ours, theirs, *arrays(shape, 2))
    step(ours, theirs, *arrays(shape, 3, np.float64)) if not list(ours.parameters()) else None


def test_functional_layer_norm_and_errors():
    x, _ = arrays((3, 2, 4), 4)
    w = np.linspace(0.5, 1.5, 4).astype(np.float32)
    yb = F.layer_norm(bp.tensor(x), (4,), bp.tensor(w), bp.zeros(4))
    yt = torch.nn.functional.layer_norm(torch.tensor(x), (4,), torch.tensor(w), torch.zeros(4))
    np.testing.assert_allclose(yb.numpy(), yt.numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(RuntimeError):
        torch.nn.LayerNorm(4)(torch.zeros(2, 5))
    with pytest.raises(ValueError, match=r"expected input with shape \[\*, 4\]"):
        nn.LayerNorm(4)(bp.zeros(2, 5))


# -- dropout ---------------------------------------------------------------------------------
def test_dropout_eval_and_p0_return_the_input():
    x = bp.randn(3, 4, requires_grad=True)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    layer = nn.Dropout(0.5).eval()
    assert layer(x) is x
    assert torch.nn.functional.dropout(torch.ones(2), 0.5, training=False).tolist() == [1.0, 1.0]


def test_dropout_p1_gives_zeros_and_grad_fn_like_torch():
    x, xt = bp.randn(3, 4, requires_grad=True), torch.randn(3, 4, requires_grad=True)
    y, yt = F.dropout(x, 1.0), torch.nn.functional.dropout(xt, 1.0)
    assert not y.detach().numpy().any() and y.grad_fn.name() == yt.grad_fn.name()


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_mask_scales_and_gradient_is_the_mask(p):
    bp.manual_seed(0)
    x = bp.ones(200, 300, dtype=bp.float64, requires_grad=True)
    y = nn.Dropout(p)(x)
    y.sum().backward()
    values = y.detach().numpy()
    kept = values != 0
    np.testing.assert_allclose(values[kept], 1 / (1 - p))
    assert abs(kept.mean() - (1 - p)) < 0.01  # 60 000 Bernoulli draws: ±4.5 σ at most
    np.testing.assert_array_equal(x.grad.numpy(), values)
    assert y.grad_fn.name() == "MulBackward0"


def test_dropout_inplace_and_seeded_repeat():
    bp.manual_seed(3)
    a = F.dropout(bp.ones(50), 0.5)
    bp.manual_seed(3)
    x = bp.ones(50)
    out = F.dropout(x, 0.5, inplace=True)
    assert out is x
    np.testing.assert_array_equal(x.numpy(), a.numpy())


def test_dropout_p_checks_and_repr():
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError):
            torch.nn.Dropout(p)
        with pytest.raises(ValueError, match="between 0 and 1"):
            nn.Dropout(p)
        with pytest.raises(ValueError, match="between 0 and 1"):
            F.dropout(bp.ones(2), p)
    assert repr(nn.Dropout(0.25)) == repr(torch.nn.Dropout(0.25))
    assert repr(nn.Dropout(p=0)) == repr(torch.nn.Dropout(p=0))


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("shape", [(5,), (3, 7), (4, 32, 5)])
def test_dropout_masks_match_torch(seed, shape):
    from backprop.autograd import random as _random

    if not getattr(_random, "DROPOUT_MASK_EXACT", False) and not hasattr(_random, "dropout_mask"):
        pytest.skip("backprop.autograd.random.dropout_mask (torch's mask) is not there yet")
    bp.manual_seed(seed)
    torch.manual_seed(seed)
    ours = F.dropout(bp.ones(*shape), 0.3).numpy()
    theirs = torch.nn.functional.dropout(torch.ones(*shape), 0.3).numpy()
    np.testing.assert_array_equal(ours, theirs)


# -- float64 central differences for the two normalisation nodes -------------------------
def _leaves(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [
        bp.tensor(rng.normal(size=s) + (1.0 if i else 0.0), dtype=bp.float64, requires_grad=True)
        for i, s in enumerate(shapes)
    ]


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 2)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradcheck(shape, training):
    x, w, b = _leaves(shape, (3,), (3,))
    rm = bp.tensor([0.1, -0.2, 0.3], dtype=bp.float64)
    rv = bp.tensor([0.5, 1.5, 2.0], dtype=bp.float64)

    def fn(x, w, b):  # fresh running statistics each call: the update must not leak
        return F.batch_norm(x, rm.clone(), rv.clone(), w, b, training=training) ** 2

    assert bp.gradcheck(fn, (x, w, b))


@pytest.mark.parametrize("normalized", [(3,), (2, 3)])
def test_layer_norm_gradcheck(normalized):
    x, w, b = _leaves((4, 2, 3), normalized, normalized)
    assert bp.gradcheck(lambda x, w, b: F.layer_norm(x, normalized, w, b) ** 3, (x, w, b))
    assert bp.gradcheck(lambda x: F.layer_norm(x, normalized).sin(), (x,))
