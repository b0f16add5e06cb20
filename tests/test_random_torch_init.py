"""nn.init's rejection, QR and sparse initialisers against PyTorch 2.13 after the same seed.

``trunc_normal_`` redraws by PyTorch's rejection rules (whole-tensor redraws for wide
intervals, uniform candidates with a log-density test for narrow ones) and so gives the same
bits; ``sparse_`` takes its zero rows from ``randperm`` on the global stream, as PyTorch
does, whatever generator drew the values; ``orthogonal_`` factorises with NumPy's LAPACK,
so it equals PyTorch's to rounding (checked to a few ulps), not bit for bit.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import backprop as bp

torch = pytest.importorskip("torch")

FLOATS = [("float32", np.uint32), ("float64", np.uint64)]


def same_bits(ours, theirs, uint):
    a, b = ours.detach().numpy(), theirs.detach().numpy()
    assert a.dtype == b.dtype and a.shape == b.shape
    assert np.array_equal(a.view(uint), b.view(uint)), f"{np.sum(a != b)} of {a.size} differ"


@pytest.mark.parametrize("seed", [0, 1, 7])
@pytest.mark.parametrize("name,uint", FLOATS)
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"mean": 0.5, "std": 0.2, "a": 0.0, "b": 1.0},
        {"std": 0.02, "a": -0.04, "b": 0.04},
        {"a": 0.0, "b": 0.3},  # less than 30 % of the mass: uniform candidates
        {"a": 1.5, "b": 3.0},
    ],
)
def test_trunc_normal_bits(seed, name, uint, kwargs):
    bp.manual_seed(seed)
    torch.manual_seed(seed)
    x, y = (
        bp.empty(64, 33, dtype=getattr(bp, name)),
        torch.empty(64, 33, dtype=getattr(torch, name)),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bp.nn.init.trunc_normal_(x, **kwargs)
        torch.nn.init.trunc_normal_(y, **kwargs)
    same_bits(x, y, uint)
    same_bits(bp.rand(2), torch.rand(2), np.uint32)  # as many draws as PyTorch made


@pytest.mark.parametrize("name,uint", FLOATS)
def test_sparse_and_eye_bits(name, uint):
    bp.manual_seed(2)
    torch.manual_seed(2)
    g, tg = bp.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    x, y = bp.empty(10, 6, dtype=getattr(bp, name)), torch.empty(10, 6, dtype=getattr(torch, name))
    same_bits(
        bp.nn.init.sparse_(x, 0.3, generator=g), torch.nn.init.sparse_(y, 0.3, generator=tg), uint
    )
    same_bits(bp.rand(3), torch.rand(3), np.uint32)
    x, y = bp.empty(3, 5, dtype=getattr(bp, name)), torch.empty(3, 5, dtype=getattr(torch, name))
    same_bits(bp.nn.init.eye_(x), torch.nn.init.eye_(y), uint)


@pytest.mark.parametrize("shape", [(20, 50), (50, 20), (8, 3, 4)])
@pytest.mark.parametrize("name,tol", [("float32", 1e-6), ("float64", 1e-14)])
def test_orthogonal_to_rounding(shape, name, tol):
    bp.manual_seed(4)
    torch.manual_seed(4)
    x, y = (
        bp.empty(*shape, dtype=getattr(bp, name)),
        torch.empty(*shape, dtype=getattr(torch, name)),
    )
    bp.nn.init.orthogonal_(x, gain=2.0)
    torch.nn.init.orthogonal_(y, gain=2.0)
    np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=0, atol=tol)
    assert x.dtype == getattr(bp, name)


def test_init_shape_errors():
    with pytest.raises(bp.errors.ShapeError, match="2 or more"):
        bp.nn.init.orthogonal_(bp.empty(3))
    with pytest.raises(bp.errors.ShapeError, match="2-dimensional"):
        bp.nn.init.sparse_(bp.empty(3), 0.5)
    with pytest.raises(bp.errors.ShapeError, match="2-dimensional"):
        bp.nn.init.eye_(bp.empty(2, 2, 2))
