"""nn.Embedding and F.embedding against torch 2.13: values, gradients (rows accumulate, the
padding row gets none), options, from_pretrained, errors; and the makemore lookup C[X]."""

from __future__ import annotations

import numpy as np
import pytest

import backprop as bp
import backprop.nn as nn
import backprop.nn.functional as F

torch = pytest.importorskip("torch")


def twin(rows=7, dim=4, seed=0, **kwargs):
    """The same table in both libraries."""
    table = np.random.default_rng(seed).normal(size=(rows, dim)).astype(np.float32)
    ours = nn.Embedding(rows, dim, _weight=bp.tensor(table), **kwargs)
    theirs = torch.nn.Embedding(rows, dim, _weight=torch.tensor(table), **kwargs)
    return ours, theirs


def run(ours, theirs, idx, seed=1):
    out_b, out_t = ours(bp.tensor(idx)), theirs(torch.tensor(idx))
    g = np.random.default_rng(seed).normal(size=out_t.shape).astype(np.float32)
    (out_b * bp.tensor(g)).sum().backward()
    (out_t * torch.tensor(g)).sum().backward()
    return out_b, out_t


@pytest.mark.parametrize(
    "idx",
    [
        np.array([0, 3, 3, 6]),
        np.array([[1, 1, 1], [2, 0, 1]]),
        np.array(5),
        np.random.default_rng(3).integers(0, 7, size=(32, 3)),
        np.zeros((0,), dtype=np.int64),
    ],
)
@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 1}, {"padding_idx": -2}])
def test_values_and_gradients_match_torch(idx, kwargs):
    ours, theirs = twin(**kwargs)
    out_b, out_t = run(ours, theirs, idx)
    assert out_b.shape == tuple(out_t.shape) and out_b.dtype == bp.float32
    np.testing.assert_array_equal(out_b.detach().numpy(), out_t.detach().numpy())
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), atol=1e-6)
    assert out_b.grad_fn.name() == out_t.grad_fn.name() == "EmbeddingBackward0"
    assert ours.padding_idx == theirs.padding_idx


def test_padding_row_starts_at_zero_and_gets_no_gradient():
    e = nn.Embedding(6, 3, padding_idx=-1)
    assert e.padding_idx == 5 and not e.weight[5].detach().numpy().any()
    e(bp.tensor([5, 5, 0])).sum().backward()
    assert not e.weight.grad.numpy()[5].any() and e.weight.grad.numpy()[0].tolist() == [1, 1, 1]


def test_scale_grad_by_freq_matches_torch():
    ours, theirs = twin(scale_grad_by_freq=True)
    run(ours, theirs, np.array([[0, 0, 2], [0, 2, 5]]))
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), atol=1e-6)


@pytest.mark.parametrize("norm_type", [2.0, 1.0])
def test_max_norm_renormalises_looked_up_rows_like_torch(norm_type):
    ours, theirs = twin(max_norm=1.0, norm_type=norm_type)
    out_b, out_t = run(ours, theirs, np.array([0, 2, 2]))
    np.testing.assert_allclose(out_b.detach().numpy(), out_t.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(
        ours.weight.detach().numpy(), theirs.weight.detach().numpy(), rtol=1e-6
    )
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), atol=1e-6)


def test_functional_form_matches_torch():
    table = np.random.default_rng(0).normal(size=(5, 2))
    wb, wt = bp.tensor(table, requires_grad=True), torch.tensor(table, requires_grad=True)
    idx = np.array([[4, 0], [0, 0]])
    ob = F.embedding(bp.tensor(idx), wb, padding_idx=0)
    ot = torch.nn.functional.embedding(torch.tensor(idx), wt, padding_idx=0)
    ob.sum().backward()
    ot.sum().backward()
    assert ob.dtype == bp.float64
    np.testing.assert_array_equal(ob.detach().numpy(), ot.detach().numpy())
    np.testing.assert_array_equal(wb.grad.numpy(), wt.grad.numpy())


@pytest.mark.parametrize("freeze", [True, False])
def test_from_pretrained(freeze):
    table = np.arange(12.0, dtype=np.float32).reshape(4, 3)
    ours = nn.Embedding.from_pretrained(bp.tensor(table), freeze=freeze, padding_idx=2)
    theirs = torch.nn.Embedding.from_pretrained(torch.tensor(table), freeze=freeze, padding_idx=2)
    assert ours.weight.requires_grad == theirs.weight.requires_grad == (not freeze)
    np.testing.assert_array_equal(ours.weight.detach().numpy(), theirs.weight.detach().numpy())
    assert repr(ours) == repr(theirs) == "Embedding(4, 3, padding_idx=2)"
    out = ours(bp.tensor([1, 3]))
    np.testing.assert_array_equal(out.detach().numpy(), table[[1, 3]])
    with pytest.raises(AssertionError):
        torch.nn.Embedding.from_pretrained(torch.zeros(3))
    with pytest.raises(ValueError, match="2-dimensional"):
        nn.Embedding.from_pretrained(bp.zeros(3))


def test_state_dict_and_repr_match_torch():
    ours, theirs = nn.Embedding(10, 2, padding_idx=0), torch.nn.Embedding(10, 2, padding_idx=0)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
    assert repr(ours) == repr(theirs)
    assert ours.weight.shape == tuple(theirs.weight.shape) and ours.weight.dtype == bp.float32
    assert repr(nn.Embedding(3, 2, max_norm=1.0)) == repr(torch.nn.Embedding(3, 2, max_norm=1.0))


def test_errors_name_the_rule():
    e, t = twin()
    for bad in (np.array([7]), np.array([-1])):
        with pytest.raises(IndexError):
            t(torch.tensor(bad))
        with pytest.raises(IndexError, match=r"index out of range.*\[0, 6\]"):
            e(bp.tensor(bad))
    with pytest.raises(RuntimeError):
        t(torch.tensor([1.0]))
    with pytest.raises(TypeError, match=r"\.long\(\)"):
        e(bp.tensor([1.0]))
    with pytest.raises(AssertionError):
        torch.nn.Embedding(3, 2, padding_idx=3)
    with pytest.raises(ValueError, match="padding_idx must be within num_embeddings"):
        nn.Embedding(3, 2, padding_idx=3)
    with pytest.raises(ValueError, match="sparse"):
        nn.Embedding(3, 2, sparse=True)


@pytest.mark.parametrize("rows, n", [(27, 96), (1000, 20), (27, 5000)])
def test_makemore_lookup_by_indexing_matches_torch(rows, n):
    """C[X]: the lookup as integer indexing (makemore), values and accumulated gradient."""
    rng = np.random.default_rng(rows)
    table = rng.normal(size=(rows, 10)).astype(np.float32)
    X = rng.integers(0, rows, size=(n, 3))
    Cb, Ct = bp.tensor(table, requires_grad=True), torch.tensor(table, requires_grad=True)
    eb, et = Cb[bp.tensor(X)], Ct[torch.tensor(X)]
    g = rng.normal(size=et.shape).astype(np.float32)
    (eb * bp.tensor(g)).sum().backward()
    (et * torch.tensor(g)).sum().backward()
    np.testing.assert_array_equal(eb.detach().numpy(), et.detach().numpy())
    np.testing.assert_allclose(Cb.grad.numpy(), Ct.grad.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("rows, n", [(5000, 3000), (5000, 40), (70_000, 9)])
@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 3}, {"scale_grad_by_freq": True}])
def test_large_tables_accumulate_like_torch(rows, n, kwargs):
    """Tables past the small-table bincount (the sort-and-scatter rounds), with repeats."""
    ours, theirs = twin(rows=rows, dim=16, **kwargs)
    idx = np.random.default_rng(rows + n).integers(0, 50, size=(n, 2))  # many repeats
    idx[0, 0] = 3
    run(ours, theirs, idx)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), atol=1e-5)


def test_embedding_gradcheck():
    """float64 central differences through the lookup (padding_idx and scale_grad_by_freq
    change the gradient on purpose, so they are checked against torch and by hand instead)."""
    idx = bp.tensor([[0, 2, 2], [5, 0, 2]])
    table = bp.tensor(np.random.default_rng(0).normal(size=(6, 2)), requires_grad=True)
    assert bp.gradcheck(lambda w: F.embedding(idx, w) ** 2, (table,))


@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 2}, {"scale_grad_by_freq": True}])
def test_large_table_gradient_by_hand(kwargs):
    """The large-table path (sort-and-scatter rounds) against sums written out with add.at."""
    rows = 70_000
    idx = bp.tensor([[0, 2, 2], [5, 0, 2]])
    table = bp.tensor(np.random.default_rng(0).normal(size=(rows, 2)), requires_grad=True)
    out = F.embedding(idx, table, **kwargs)
    weights = bp.tensor(np.random.default_rng(1).normal(size=out.shape))
    (out * weights).sum().backward()
    expected = np.zeros((rows, 2))
    np.add.at(expected, idx.numpy().reshape(-1), weights.numpy().reshape(-1, 2))
    if kwargs.get("scale_grad_by_freq"):
        counts = np.bincount(idx.numpy().reshape(-1), minlength=rows)
        expected /= np.maximum(counts, 1)[:, None]
    if "padding_idx" in kwargs:
        expected[kwargs["padding_idx"]] = 0
    np.testing.assert_allclose(table.grad.numpy(), expected, rtol=1e-12, atol=1e-12)
