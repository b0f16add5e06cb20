"""Names a student's PyTorch programs stopped on (issue 14 trial), against torch 2.13: the
legacy ``torch.Tensor(*sizes)`` constructor, ``F.normalize``, ``index_fill(_)``."""

import numpy as np
import pytest

import backprop as bp

torch = pytest.importorskip("torch")


@pytest.mark.parametrize(
    "args", [(2,), (2, 3), (0,), ([1, 2],), ((2, 3),), ([[1.0, 2.0]],), ()], ids=repr
)
def test_the_tensor_constructor_takes_sizes_or_data_as_torch_does(args):
    ours, theirs = bp.Tensor(*args), torch.Tensor(*args)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.dtype == bp.float32
    if not (len(args) and all(type(a) is int for a in args)):  # data, not sizes: values too
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    sized = bp.Tensor(bp.Size([2, 3]))
    assert tuple(sized.shape) == tuple(torch.Tensor(torch.Size([2, 3])).shape)
    assert bp.nn.Parameter(bp.Tensor(4, 3)).shape == (4, 3)  # a custom layer's weight


@pytest.mark.parametrize(("p", "dim"), [(2.0, 1), (1.0, 0), (2.0, -1), (float("inf"), 1)])
def test_normalize_equals_torch_with_its_gradient(p, dim):
    data = np.array([[3.0, 4.0], [0.0, 0.0], [1.0, -2.0]])
    weights = np.array([[1.0, 2.0], [0.5, -1.0], [3.0, 0.0]])
    out = []
    for m in (bp, torch):
        x = m.tensor(data, requires_grad=True)
        y = m.nn.functional.normalize(x, p=p, dim=dim)
        (y * m.tensor(weights)).sum().backward()
        out.append((y.detach().numpy(), x.grad.numpy()))
    np.testing.assert_allclose(out[0][0], out[1][0], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(out[0][1], out[1][1], rtol=1e-9, atol=1e-9)


def test_index_fill_equals_torch_in_place_and_with_gradient():
    for dim, index in ((0, [1]), (1, [0, 2]), (-1, [2])):
        got = []
        for m in (bp, torch):
            x = m.zeros(3, 3)
            x.index_fill_(dim, m.tensor(index), 2.5)
            y = m.ones(3, 3, dtype=m.float64, requires_grad=True)
            z = y.index_fill(dim, m.tensor(index), -1.0)
            (z * m.arange(9.0, dtype=m.float64).reshape(3, 3)).sum().backward()
            got.append((x.numpy(), z.detach().numpy(), y.grad.numpy()))
        for ours, theirs in zip(*got):
            np.testing.assert_array_equal(ours, theirs)
    with pytest.raises(bp.errors.IndexingError, match="out of bounds"):
        bp.zeros(2).index_fill(0, bp.tensor([2]), 1.0)


def test_shape_and_dtype_errors_are_caught_by_torchs_except_runtimeerror():
    wrong = (lambda m: m.nn.Linear(3, 2)(m.randn(4, 5)), lambda m: m.randn(2, 3) @ m.randn(2, 3))
    for bad in wrong:
        with pytest.raises(RuntimeError):
            bad(torch)
        with pytest.raises(RuntimeError) as caught:
            bad(bp)
        assert isinstance(caught.value, bp.errors.ShapeError | ValueError)
