"""Classes of defects an attacker found in the PyTorch-shaped surface (issue 14), each
checked against torch 2.13: negative indices torch refuses, integer division by zero,
dtypes backprop does not compute in, integers past int64, NumPy dtypes leaking from ops, and
the // and % operators."""

import numpy as np
import pytest

import backprop as bp
from backprop.errors import DTypeError, IndexingError

torch = pytest.importorskip("torch")


INDEX_OPS = {
    "gather": lambda m, T: m.gather(T([1.0, 2.0]), 0, T([-1])),
    "scatter": lambda m, T: m.zeros(2).scatter(0, T([-1]), T([1.0])),
    "scatter_add": lambda m, T: m.zeros(2).scatter_add(0, T([-1]), T([1.0])),
    "index_select": lambda m, T: m.index_select(T([1.0, 2.0]), 0, T([-1])),
    "index_add": lambda m, T: m.zeros(2).index_add(0, T([-1]), T([1.0])),
    "take_along_dim": lambda m, T: m.take_along_dim(T([1.0, 2.0]), T([-1])),
    "gather 2-d": lambda m, T: m.gather(T([[1.0, 2.0], [3.0, 4.0]]), 1, T([[-1], [0]])),
}


@pytest.mark.parametrize("name", list(INDEX_OPS))
def test_negative_indices_are_refused_where_torch_refuses_them(name):
    with pytest.raises((RuntimeError, IndexError)):
        INDEX_OPS[name](torch, torch.tensor)
    with pytest.raises(IndexingError, match="index -1 is out of bounds"):
        INDEX_OPS[name](bp, bp.tensor)


def test_take_counts_negative_indices_from_the_end_as_torch_does():
    ours = bp.take(bp.tensor([1.0, 2.0, 3.0]), bp.tensor([-1, 0]))
    theirs = torch.take(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([-1, 0]))
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize(
    ("a", "b"),
    [([7], 2), ([-7], 2), ([7.0, -7.5], 2), ([7], [-3]), ([7.0], [0.0]), ([0, 5], [3, 3])],
)
def test_floor_division_and_modulo_operators_equal_torch(a, b):
    ta, tb = torch.tensor(a), torch.tensor(b) if isinstance(b, list) else b
    ba, bb = bp.tensor(a), bp.tensor(b) if isinstance(b, list) else b
    for ours, theirs in ((ba // bb, ta // tb), (ba % bb, ta % tb)):
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
    for left, right in ((7, [2]), (-7, [3.0]), (7.5, [2])):
        ours, theirs = left // bp.tensor(right), left // torch.tensor(right)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        ours, theirs = left % bp.tensor(right), left % torch.tensor(right)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("op", ["//", "%", "fmod", "div_floor", "div_trunc"])
def test_integer_division_by_zero_raises_as_in_torch(op):
    run = {
        "//": lambda m: m.tensor([3]) // m.tensor([0]),
        "%": lambda m: m.tensor([3]) % 0,
        "fmod": lambda m: m.fmod(m.tensor([3]), 0),
        "div_floor": lambda m: m.tensor([3]).div(m.tensor([0]), rounding_mode="floor"),
        "div_trunc": lambda m: m.tensor([3]).div(m.tensor([0]), rounding_mode="trunc"),
    }[op]
    with pytest.raises((RuntimeError, ZeroDivisionError)):
        run(torch)
    with pytest.raises(ZeroDivisionError, match="integer division by zero"):
        run(bp)
    assert np.isinf((bp.tensor([3.0]) // 0).numpy()).all()  # floats keep their infinity


@pytest.mark.parametrize("name", ["float16", "bfloat16", "half", "uint8", "int8"])
def test_dtypes_backprop_does_not_compute_in_are_refused_in_words(name):
    unsupported = getattr(bp, name)
    for make in (
        lambda: bp.tensor([1.0, 2.0], dtype=unsupported),
        lambda: bp.zeros(2, dtype=unsupported),
        lambda: bp.tensor([1.0]).to(unsupported),
        lambda: bp.nn.Linear(2, 2).to(unsupported),
        lambda: bp.set_default_dtype(unsupported),
    ):
        shown = str(getattr(torch, name)).replace("torch.", "backprop.")  # half is float16
        with pytest.raises(DTypeError, match=shown):
            make()
    assert bp.get_default_dtype() is bp.float32


def test_int32_computes_as_int64_with_the_same_values():
    ours = bp.tensor([1, 2**31 - 1], dtype=bp.int32)
    theirs = torch.tensor([1, 2**31 - 1], dtype=torch.int32)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_integers_past_int64_are_refused_not_wrapped():
    with pytest.raises((RuntimeError, OverflowError, ValueError)):
        torch.tensor(2**63)
    with pytest.raises(DTypeError, match="does not fit in int64"):
        bp.tensor(2**63)
    # torch wraps this one to -2**63 + 1 without a word; backprop refuses it (deliberate)
    with pytest.raises(DTypeError, match="does not fit in int64"):
        bp.tensor([1]) + 2**63
    # a float tensor takes a big int as a float (torch 2.13 raises OverflowError here)
    assert float((bp.tensor([1.0], dtype=bp.float64) + 2**70).item()) == 2.0**70 + 1


def test_an_op_never_leaves_a_numpy_dtype_tensors_do_not_hold():
    r = bp.tensor([True, False]) ** bp.tensor([False, True])  # NumPy: int8
    assert r.dtype in (bp.int64, bp.bool_)
    assert repr(r) and (r + 1.5).dtype == bp.float32
