"""Indexing, splitting, layout and small products against PyTorch 2.13: table rows checked by
``check_op`` (float64 gradcheck, values and gradients in float32 and float64, the grad_fn
name), then the untracked ops (nonzero, comparisons, metadata) and the refusals.
"""

from __future__ import annotations

import numpy as np
import pytest

import backprop
from test_ops import Case, check_op, randn

torch = pytest.importorskip("torch")

IDX = np.array([[0, 2], [1, 1], [3, 0]])
ROWS = np.array([2, 0, 2])
COL = np.array([[0], [3], [2]])
MASK = np.array(
    [[True, False, True, False], [False, False, True, True], [True, True, False, False]]
)


def t(m, a):
    return m.tensor(a)


C = Case
S = (3, 4)
SPLIT = "one node per piece, as torch's pieces each carry the split node"
INDEXING: dict[str, Case] = {
    "gather": C("gather", randn(S), lambda m, x: x.gather(1, t(m, IDX))),
    "gather_dim0": C("gather", randn(S), lambda m, x: m.gather(x, 0, t(m, IDX[:2].T))),
    "take_along_dim": C("gather", randn(S), lambda m, x: m.take_along_dim(x, t(m, COL), 1)),
    "index_select": C("index_select", randn(S), lambda m, x: x.index_select(0, t(m, ROWS))),
    "index_select_dim1": C("index_select", randn(S),
                           lambda m, x: m.index_select(x, 1, t(m, [3, 3, 0]))),
    "take": C("take", randn(S), lambda m, x: x.take(t(m, [[0, 5], [11, 5]]))),
    "masked_select": C("masked_select", randn(S), lambda m, x: x.masked_select(t(m, MASK))),
    "masked_select_bcast": C("masked_select", randn(S),
                             lambda m, x: m.masked_select(x, t(m, MASK[0]))),
    "masked_fill": C("masked_fill", randn(S), lambda m, x: x.masked_fill(t(m, MASK), -1.5)),
    "masked_fill_inplace": C("masked_fill", randn(S),
                             lambda m, x: (x * 1).masked_fill_(t(m, MASK[:, :1]), 0.0)),
    "scatter": C("scatter", randn(S, (3, 1)), lambda m, x, s: x.scatter(1, t(m, COL), s)),
    "scatter_value": C("scatter", randn(S), lambda m, x: x.scatter(1, t(m, COL), 2.0)),
    "scatter_inplace": C("scatter", randn(S, (3, 1)),
                         lambda m, x, s: (x * 1).scatter_(1, t(m, COL), s)),
    "scatter_add": C("scatter_add", randn(S, (3, 2)),
                     lambda m, x, s: x.scatter_add(1, t(m, [[0, 0], [1, 3], [2, 2]]), s)),
    "scatter_add_dim0": C("scatter_add", randn(S, (1, 4)),
                          lambda m, x, s: m.scatter_add(x, 0, t(m, [[0, 1, 2, 0]]), s)),
    "index_add": C("index_add", randn(S, (2, 4)),
                   lambda m, x, s: x.index_add(0, t(m, [2, 2]), s, alpha=0.5)),
    "index_add_inplace": C("index_add", randn(S, (3, 2)),
                           lambda m, x, s: (x * 1).index_add_(1, t(m, [0, 3]), s)),
    "narrow": C("narrow", randn(S), lambda m, x: x.narrow(1, 1, 2)),
    "getitem_select": C("getitem", randn(S), lambda m, x: x[1]),
    "getitem_select_last": C("getitem", randn((2, 3, 4)), lambda m, x: x[0, :, 1]),
    "getitem_slice": C("getitem", randn(S), lambda m, x: x[1:, ::2]),
    "getitem_full_slice": C("getitem", randn(S), lambda m, x: x[:]),
    "getitem_none": C("getitem", randn(S), lambda m, x: x[None]),
    "getitem_slice_none": C("getitem", randn(S), lambda m, x: x[0:2, None]),
    "squeeze_all": C("reshape", randn((3, 1, 4, 1)), lambda m, x: x.squeeze()),
    "squeeze_dim": C("reshape", randn((3, 1, 4)), lambda m, x: m.squeeze(x, 1)),
    "squeeze_dims": C("reshape", randn((3, 1, 4, 1)), lambda m, x: x.squeeze((1, 3))),
    "unsqueeze": C("reshape", randn(S), lambda m, x: m.unsqueeze(x, -1)),
    "ravel": C("reshape", randn(S), lambda m, x: x.T.ravel()),
    "split": C("split", randn(S), lambda m, x: x.split(3, dim=1), note=SPLIT),
    "split_sizes": C("split", randn((5, 2)), lambda m, x: m.split(x, [1, 4])),
    "chunk": C("split", randn((5, 2)), lambda m, x: x.chunk(2)),
    "tensor_split": C("narrow", randn(S), lambda m, x: m.tensor_split(x, 3, dim=1)),
    "tensor_split_indices": C("narrow", randn((5, 2)), lambda m, x: x.tensor_split([1, 3])),
    "unbind": C("unbind", randn(S), lambda m, x: x.unbind(1)),
    "roll": C("roll", randn(S), lambda m, x: x.roll(1, 0)),
    "roll_flat": C("roll", randn(S), lambda m, x: m.roll(x, -3)),
    "roll_dims": C("roll", randn(S), lambda m, x: x.roll((1, 2), (0, 1))),
    "flip": C("flip", randn(S), lambda m, x: x.flip(0, 1)),
    "fliplr": C("flip", randn(S), lambda m, x: m.fliplr(x)),
    "flipud": C("flip", randn(S), lambda m, x: x.flipud()),
    "tril": C("tril", randn(S), lambda m, x: x.tril()),
    "triu": C("triu", randn((2, 3, 4)), lambda m, x: m.triu(x, 1)),
    "tril_neg": C("tril", randn(S), lambda m, x: x.tril(-1)),
    "diagonal": C("diagonal", randn(S), lambda m, x: x.diagonal()),
    "diagonal_offset": C("diagonal", randn((2, 3, 4)), lambda m, x: m.diagonal(x, 1, 1, 2)),
    "diag_embed": C("diag_embed", randn(S), lambda m, x: x.diag_embed()),
    "diag_vector": C("diag_embed", randn((4,)), lambda m, x: m.diag(x, -1)),
    "diag_matrix": C("diagonal", randn(S), lambda m, x: x.diag(),
                     name_differs="DiagonalBackward0; torch 2.13 says DiagonalBackward0_copy"),
    "trace": C("trace", randn(S), lambda m, x: x.trace()),
    "repeat": C("repeat", randn(S), lambda m, x: x.repeat(2, 1, 3)),
    "tile": C("repeat", randn(S), lambda m, x: m.tile(x, (2,))),
    "repeat_interleave": C("composed", randn(S), lambda m, x: x.repeat_interleave(2, dim=0)),
    "repeat_interleave_flat": C("composed", randn(S), lambda m, x: m.repeat_interleave(x, 3)),
    "repeat_interleave_tensor": C("index_select", randn(S),
                                  lambda m, x: x.repeat_interleave(t(m, [1, 0, 2]), dim=0)),
    "unfold": C("unfold", randn((3, 7)), lambda m, x: x.unfold(1, 3, 2)),
    "unfold_dim0": C("unfold", randn((6, 2)), lambda m, x: x.unfold(0, 2, 1)),
    "movedim": C("composed", randn((2, 3, 4)), lambda m, x: m.movedim(x, 0, 2)),
    "swapaxes": C("composed", randn((2, 3, 4)), lambda m, x: x.swapaxes(0, 2)),
    "broadcast_to": C("composed", randn((4,)), lambda m, x: m.broadcast_to(x, (3, 4))),
    "outer": C("composed", randn((3,), (4,)), lambda m, a, b: m.outer(a, b)),
    "dot": C("composed", randn((4,), (4,)), lambda m, a, b: m.dot(a, b)),
    "mv": C("composed", randn(S, (4,)), lambda m, a, b: m.mv(a, b)),
    "bmm": C("composed", randn((2, 3, 4), (2, 4, 5)), lambda m, a, b: m.bmm(a, b)),
    "addmm": C("composed", randn((3, 5), S, (4, 5)), lambda m, c, a, b: m.addmm(c, a, b),
               name_differs="composed (AddBackward0); torch has AddmmBackward0"),
    "baddbmm": C("composed", randn((2, 3, 5), (2, 3, 4), (2, 4, 5)),
                 lambda m, c, a, b: m.baddbmm(c, a, b, beta=0.5, alpha=2.0),
                 name_differs="composed (AddBackward0); torch has BaddbmmBackward0"),
    "cross": C("composed", randn((4, 3), (4, 3)), lambda m, a, b: m.cross(a, b, dim=1),
               name_differs="composed (StackBackward0); torch has LinalgCrossBackward0"),
    "where_method": C("where", randn(S, (4,)), lambda m, x, y: x.where(x > 0, y)),
    "hstack": C("cat", randn(S, (3, 2)), lambda m, a, b: m.hstack([a, b])),
    "vstack": C("cat", randn((4,), S), lambda m, a, b: m.vstack([a, b])),
    "column_stack": C("cat", randn((3,), S), lambda m, a, b: m.column_stack([a, b])),
    "dstack": C("cat", randn(S, S), lambda m, a, b: m.dstack([a, b])),
    "meshgrid_ij": C("expand", randn((3,), (4,)), lambda m, a, b: m.meshgrid(a, b, indexing="ij")),
    "meshgrid_xy": C("expand", randn((3,), (4,), (2,)),
                     lambda m, a, b, c: m.meshgrid(a, b, c, indexing="xy")),
    "einsum_mm": C("einsum", randn(S, (5, 4)), lambda m, a, b: m.einsum("ij,kj->ik", a, b),
                   name_differs="one EinsumBackward0 node; torch's einsum ends in views"),
    "einsum_sum_only": C("einsum", randn((2, 3), (3, 4)),
                         lambda m, a, b: m.einsum("ij,jk->k", a, b),
                         name_differs="one EinsumBackward0 node; torch's einsum ends in views"),
    "einsum_batch": C("einsum", randn((2, 3, 4), (2, 4)),
                      lambda m, a, b: m.einsum("bij,bj->bi", a, b),
                      name_differs="one EinsumBackward0 node; torch's einsum ends in views"),
}  # fmt: skip


@pytest.mark.parametrize("case_id", list(INDEXING))
def test_indexing(case_id):
    check_op(case_id, INDEXING[case_id])


def same(ours, theirs):
    ours = ours if isinstance(ours, tuple) else (ours,)
    theirs = theirs if isinstance(theirs, tuple) else (theirs,)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a.dtype.name == str(b.dtype).replace("torch.", ""), (a.dtype, b.dtype)
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_array_equal(a.numpy(), b.numpy())


X = np.arange(12.0).reshape(3, 4) % 5


@pytest.mark.parametrize("fn", [
    lambda m, x: x.nonzero(), lambda m, x: m.nonzero(x, as_tuple=True),
    lambda m, x: m.argwhere(x), lambda m, x: (x > 2).nonzero(),
    lambda m, x: m.isclose(x, x + 1e-9), lambda m, x: m.logical_and(x > 1, x < 4),
    lambda m, x: m.logical_xor(x, x > 2), lambda m, x: x.logical_not(),
    lambda m, x: m.isneginf(m.log(x)), lambda m, x: m.signbit(x - 2),
    lambda m, x: m.greater_equal(x, 2), lambda m, x: m.bitwise_xor(x > 1, x < 3),
    lambda m, x: m.where(x > 2),
])  # fmt: skip
def test_untracked(fn):
    same(fn(backprop, backprop.tensor(X)), fn(torch, torch.tensor(X)))


def test_metadata_matches_torch():
    for data in (X, X.astype(np.float32), X.astype(np.int64), X > 2):
        ours, theirs = backprop.tensor(data), torch.tensor(data)
        assert ours.nelement() == theirs.nelement() and ours.ndimension() == theirs.ndimension()
        assert ours.type() == theirs.type()
        assert ours.itemsize == theirs.itemsize and ours.nbytes == theirs.nbytes
        assert ours.stride() == theirs.stride() and ours.T.stride() == theirs.T.stride()
        assert ours.is_contiguous() and not ours.T.is_contiguous()
        assert ours[1:].storage_offset() == theirs[1:].storage_offset()
    x = backprop.tensor(X)
    assert x.type("torch.LongTensor").dtype == backprop.int64
    assert x.type(backprop.float32).dtype == backprop.float32
    assert x.type(backprop.LongTensor).dtype == backprop.int64  # morvan 302's spelling
    assert x.type(backprop.FloatTensor).dtype == backprop.float32
    assert x.new_empty(2, 3).shape == (2, 3) and x.clone(memory_format=None).shape == x.shape


def test_refusals():
    x = backprop.randn(3, 4)
    with pytest.raises(backprop.errors.IndexingError, match="out of bounds for dimension 1"):
        x.gather(1, backprop.tensor([[4]]))
    with pytest.raises(backprop.errors.DTypeError, match="int64"):
        x.index_select(0, backprop.tensor([0.0]))
    with pytest.raises(backprop.errors.DTypeError, match="mask must be a bool"):
        x.masked_fill(backprop.tensor([1, 0, 1, 0]), 0.0)
    with pytest.raises(backprop.errors.ShapeError, match="add up to 3"):
        x.split([1, 1])
    with pytest.raises(backprop.errors.ShapeError, match="unfold"):
        x.unfold(1, 5, 1)
    with pytest.raises(backprop.errors.DTypeError, match="float16"):
        x.half()
    with pytest.raises(backprop.errors.DTypeError, match="type string"):
        x.type("torch.HalfTensor")
    with pytest.raises(backprop.errors.ShapeError, match="einsum"):
        backprop.einsum("ii->i", x)


def test_accelerator_answers_as_torch_does_without_one():
    for name in ("is_available", "current_accelerator", "device_count"):
        assert getattr(backprop.accelerator, name)() == getattr(torch.accelerator, name)()
    device = (
        backprop.accelerator.current_accelerator().type
        if backprop.accelerator.is_available()
        else "cpu"
    )
    assert device == "cpu"
    with pytest.raises(backprop.errors.DeviceError, match="no accelerator"):
        backprop.accelerator.current_device_index()


def test_devices_can_be_named_but_only_the_cpu_used():
    # 065_tut_basics_tensorqs: torch.cuda.is_available() & (torch.device('cuda').index ...)
    for args in (("cuda",), ("cuda:1",), ("cpu",), ("cuda", 0), ("mps",), ("cpu", 0)):
        ours, theirs = backprop.device(*args), torch.device(*args)
        assert (repr(ours), str(ours), ours.type, ours.index) == (
            repr(theirs), str(theirs), theirs.type, theirs.index,
        )  # fmt: skip
    assert backprop.device("cuda:0") == backprop.device("cuda", 0) != backprop.device("cpu")
    assert backprop.zeros(2).device == "cpu" == backprop.device("cpu")
    with pytest.raises(backprop.errors.DeviceError, match="CPU only"):
        backprop.zeros(2).to(backprop.device("cuda"))
    with pytest.raises(backprop.errors.DeviceError, match="device string"):
        backprop.device("cuda:x")


def test_one_element_is_a_view_and_counters_accumulate_as_in_torch():
    # 067 (bag of words): vec[word] += 1; 042 (yunjey): correct += (pred == y).sum()
    results = []
    for m in (backprop, torch):
        vec = m.zeros(4)
        for i in (1, 3, 1):
            vec[i] += 1
        correct = 0
        for _ in range(3):
            correct += (m.tensor([1, 2, 3]) == m.tensor([1, 0, 3])).sum()
        grid = m.zeros(2, 3)
        grid[1, 2].add_(5.0)
        scalar = m.tensor(2.0) + 1.0
        scalar += 1.0
        results.append((vec.tolist(), int(correct), grid.tolist(), float(scalar)))
    assert results[0] == results[1]


def test_numpy_scalars_keep_their_dtype_as_in_torch():
    for value in (np.float64(1.5), np.float32(1.5), np.int64(2), np.bool_(True)):
        for make in ("tensor", "as_tensor"):
            ours, theirs = getattr(backprop, make)(value), getattr(torch, make)(value)
            assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
            assert ours.shape == () and ours.item() == theirs.item()
