"""Indexing a tensor that records no graph (a data loop's ``x[rows]``) takes NumPy's index
directly; it must behave as PyTorch's indexing does: same values and dtype, basic indices are
views (writes show through, versions shared), advanced indices are copies, and an int index
gives a 0-d view."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import backprop as bp

INDICES = [
    0,
    -1,
    (1, 2),
    slice(None),
    slice(1, 3),
    (slice(None), 1),
    (Ellipsis, 0),
    (None, 1),
    np.array([2, 0, 2]),
    np.array([True, False, True, False]),
    (np.array([0, 3]), slice(1, None)),
]


def _pair(requires_grad=False):
    data = np.arange(12, dtype=np.float32).reshape(4, 3)
    ours, theirs = bp.tensor(data.copy()), torch.tensor(data.copy())
    if requires_grad:
        ours.requires_grad_(True)
        theirs.requires_grad_(True)
    return ours, theirs


@pytest.mark.parametrize("index", INDICES, ids=repr)
@pytest.mark.parametrize("mode", ["plain", "no_grad"])
def test_values_views_and_versions_match_torch(index, mode):
    ours, theirs = _pair(requires_grad=mode == "no_grad")
    ctx_ours = bp.no_grad() if mode == "no_grad" else _null()
    ctx_theirs = torch.no_grad() if mode == "no_grad" else _null()
    with ctx_ours:
        a = ours[index]
    with ctx_theirs:
        b = theirs[index]
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    assert tuple(a.shape) == tuple(b.shape)
    assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
    if mode == "plain":  # (torch's no_grad views of a leaf that requires grad keep
        assert a.requires_grad == b.requires_grad  # requires_grad: not copied, see note)
    with ctx_ours:
        a.add_(100)
    with ctx_theirs:
        b.add_(100)
    # the write shows through a view (basic index), not through a copy (advanced)
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    assert (ours._version == a._version) == (theirs._version == b._version)


def test_a_bad_index_names_the_index_and_the_shape():
    ours, _ = _pair()
    with pytest.raises(IndexError, match=r"index 9 .*shape \[4, 3\]"):
        ours[9]


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
