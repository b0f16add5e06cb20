"""Tensor printouts must match PyTorch's character for character; torch's own repr is the oracle."""

import contextlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from backprop.autograd import printing

torch = pytest.importorskip("torch")

F32, F64, I64, BOOL = np.float32, np.float64, np.int64, np.bool_
WEIGHT_COLUMN = [-0.84808, -1.6513, 0.00073262, 1.2931, -1.2794, 0.62609, 1.0877, 1.0415]
BIAS = [0.1234, -0.5678, 0.9012, -0.3456, 0.7890, -0.1234, 0.5678, -0.9012]


@contextlib.contextmanager
def both_printoptions(**options):
    """Set the same options in torch and in backprop; restore both defaults afterwards."""
    torch.set_printoptions(**options)
    printing.set_printoptions(**options)
    try:
        yield
    finally:
        torch.set_printoptions(profile="default")
        printing.set_printoptions(profile="default")


def ours(array, *, requires_grad=False, grad_fn=False, parameter=False, namespace="backprop"):
    """Our repr with the flags the Tensor would pass (dtype shown only for float64).

    An empty int64 or bool array names its dtype by itself, always as ``backprop.``; for a
    comparison under another namespace the name is passed explicitly.
    """
    names_itself = array.size == 0 and array.dtype in (I64, BOOL)
    shown = array.dtype == F64 or (names_itself and namespace != "backprop")
    dtype_name = f"{namespace}.{array.dtype.name}" if shown else None
    return printing.tensor_repr(
        array,
        dtype_name=dtype_name,
        requires_grad=requires_grad or parameter,
        grad_fn_name="MulBackward0" if grad_fn else None,
        parameter=parameter,
    )


def theirs(array, *, requires_grad=False, grad_fn=False, parameter=False, namespace="backprop"):
    """torch's repr of the same values, with ``torch.`` renamed ``{namespace}.``."""
    tensor = torch.tensor(array, requires_grad=requires_grad or grad_fn)
    if grad_fn:
        tensor = tensor * 1
    if parameter:
        tensor = torch.nn.Parameter(tensor)
    return repr(tensor).replace("torch.", f"{namespace}.")


def rand(shape, dtype=F32, seed=0, scale=1.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(dtype)


def arr(values, dtype=F32):
    return np.array(values, dtype=dtype)


# 7 rows (one more than 2 * edgeitems): the middle row is hidden, so its wide value must not
# widen the columns.
WIDE_HIDDEN_ROW = rand((7, 200))
WIDE_HIDDEN_ROW[3, 0] = -12345.678

CASES = [
    # the lecture's printouts
    pytest.param(arr([0.0]), {}, id="lecture-zero"),
    pytest.param(arr([0.5]), {}, id="lecture-half"),
    pytest.param(arr([0.0]), {"requires_grad": True}, id="lecture-zero-requires-grad"),
    pytest.param(arr(WEIGHT_COLUMN).reshape(8, 1), {}, id="weight-column-sci"),
    pytest.param(arr(WEIGHT_COLUMN).reshape(8, 1), {"parameter": True}, id="weight-param"),
    pytest.param(arr(BIAS), {"requires_grad": True}, id="bias-suffix-wraps"),
    pytest.param(arr(BIAS), {"grad_fn": True}, id="bias-grad-fn-wraps"),
    pytest.param(rand((8, 8)), {}, id="matrix-8x8"),
    pytest.param(rand((8, 8)), {"grad_fn": True}, id="matrix-8x8-grad-fn"),
    # scalars
    pytest.param(arr(0.5), {}, id="scalar"),
    pytest.param(arr(3.0), {}, id="scalar-integer-valued"),
    pytest.param(arr(np.nan), {}, id="scalar-nan"),
    pytest.param(arr(-np.inf), {}, id="scalar-minus-inf"),
    pytest.param(arr(1e-7), {}, id="scalar-tiny"),
    pytest.param(arr(7, I64), {}, id="scalar-int"),
    pytest.param(arr(True, BOOL), {}, id="scalar-bool"),
    pytest.param(arr(0.25, F64), {}, id="scalar-float64"),
    pytest.param(arr(0.7415), {"grad_fn": True}, id="scalar-grad-fn"),
    # integers and bools
    pytest.param(arr([1, -20, 300], I64), {}, id="int-vector"),
    pytest.param(np.arange(-6, 6, dtype=I64).reshape(3, 4), {}, id="int-matrix"),
    pytest.param(np.arange(100, dtype=I64), {}, id="int-long-wraps"),
    pytest.param(arr([True, False, True], BOOL), {}, id="bool-vector"),
    pytest.param(arr([[True, False], [False, False]], BOOL), {}, id="bool-matrix"),
    # float32 values are formatted from their float32 value
    pytest.param(arr([0.1, 0.2, 0.3]), {}, id="float32-tenths"),
    pytest.param(arr([9.99995, 1.5]), {}, id="rounds-up-wider"),
    # non-finite values
    pytest.param(arr([np.nan, np.inf, -np.inf, 1.5]), {}, id="nan-inf-fixed"),
    pytest.param(arr([0.0, np.nan]), {}, id="nan-int-mode"),
    pytest.param(arr([1.0, np.inf, -np.inf]), {}, id="inf-int-mode"),
    pytest.param(arr([np.nan, np.inf]), {}, id="only-nonfinite"),
    pytest.param(arr([np.nan, 1e-6, 2.0]), {}, id="nan-sci"),
    # the notation rules at their edges
    pytest.param(arr([1e10, 1.0]), {}, id="huge-int-valued-sci"),
    pytest.param(arr([3e9, 0.5]), {}, id="huge-sci"),
    pytest.param(arr([1e-5, 0.5]), {}, id="tiny-sci"),
    pytest.param(arr([1.0, 1001.0]), {}, id="ratio-over-1000"),
    pytest.param(arr([1.0, 1000.0]), {}, id="ratio-exactly-1000"),
    pytest.param(arr([1e-4, 0.05], F64), {}, id="min-exactly-1e-4"),
    # 1000.0001221 / 1.0000001 is 1000.0000029 in float64 but rounds to 1000 in float32
    pytest.param(arr([1.0000001, 1000.0001221]), {}, id="ratio-over-1000-in-float64-only"),
    pytest.param(arr([123456789.0]), {}, id="int-valued-over-1e8"),
    pytest.param(arr([1e8, 2e7], F64), {}, id="max-exactly-1e8"),
    pytest.param(arr([-0.0]), {}, id="negative-zero"),
    pytest.param(arr([-0.0, 1.5]), {}, id="negative-zero-fixed"),
    pytest.param(arr([0.0, 0.0, 0.0]), {}, id="all-zero"),
    # line wrapping and nesting
    pytest.param(rand(30), {}, id="long-vector-wraps"),
    pytest.param(rand(30, scale=1e3), {"requires_grad": True}, id="long-sci-vector-wraps"),
    pytest.param(rand((3, 30)), {}, id="matrix-rows-wrap"),
    pytest.param(rand((2, 3, 4)), {}, id="3d"),
    pytest.param(rand((2, 2, 2, 2)), {"grad_fn": True}, id="4d"),
    # summarised
    pytest.param(rand((40, 40)), {}, id="summary-2d"),
    pytest.param(rand(2000), {}, id="summary-1d"),
    pytest.param(np.arange(1001, dtype=I64), {}, id="summary-int-1d"),
    pytest.param(rand((11, 11, 11)), {"requires_grad": True}, id="summary-3d"),
    pytest.param(rand((2, 600)), {}, id="summary-short-first-axis"),
    pytest.param(np.arange(2000, dtype=F32).reshape(40, 50), {}, id="summary-width-from-shown"),
    pytest.param(WIDE_HIDDEN_ROW, {}, id="summary-hidden-row-sets-no-width"),
    # empty
    pytest.param(arr([]), {}, id="empty"),
    pytest.param(np.zeros((0, 3), F32), {}, id="empty-2d"),
    pytest.param(np.zeros((3, 0, 2), F32), {}, id="empty-3d"),
    pytest.param(arr([], I64), {}, id="empty-int"),
    pytest.param(np.zeros((0, 3), BOOL), {}, id="empty-bool-2d"),
    pytest.param(np.zeros((0, 3), F64), {}, id="empty-float64"),
    pytest.param(arr([]), {"requires_grad": True}, id="empty-requires-grad"),
    # float64 shows its dtype
    pytest.param(rand(5, F64), {}, id="float64-vector"),
    pytest.param(arr([0.1], F64), {}, id="float64-tenth"),
    pytest.param(rand((8, 8), F64), {"requires_grad": True}, id="float64-matrix-requires-grad"),
    pytest.param(rand(4, F64), {"parameter": True}, id="float64-parameter"),
    pytest.param(rand(8, F64), {"grad_fn": True}, id="float64-suffixes-wrap"),
]


@pytest.mark.parametrize(("array", "flags"), CASES)
@pytest.mark.parametrize("namespace", ["backprop", "torch"])
def test_repr_matches_torch(array, flags, namespace):
    assert ours(array, **flags, namespace=namespace) == theirs(array, **flags, namespace=namespace)


def test_suffix_wrapping_measures_the_longer_backprop_name():
    # "dtype=backprop.float64" is 3 characters longer than torch's "dtype=torch.float64", so
    # PyTorch's own rule (wrap when the line would pass 80) wraps it where torch's does not.
    values = arr([1257.3022, -1321.0486, 6404.2265, 1049.0012], F64)
    assert theirs(values, namespace="torch") == (
        "tensor([ 1257.3022, -1321.0486,  6404.2265,  1049.0012], dtype=torch.float64)"
    )
    assert ours(values) == (
        "tensor([ 1257.3022, -1321.0486,  6404.2265,  1049.0012],\n       dtype=backprop.float64)"
    )
    with both_printoptions(linewidth=77):  # torch's rule with 3 fewer columns agrees with ours
        assert theirs(values) == printing.tensor_repr(values, dtype_name="backprop.float64")


OPTION_CASES = [
    pytest.param({"precision": 2}, rand(6), id="precision-2"),
    pytest.param({"precision": 0}, rand((3, 3)), id="precision-0"),
    pytest.param({"precision": 7}, rand((2, 5), F64), id="precision-7"),
    pytest.param({"sci_mode": False}, arr([1e-6, 5.0, 2e9]), id="sci-off"),
    pytest.param({"sci_mode": True}, arr([0.5, 2.0]), id="sci-on"),
    pytest.param({"sci_mode": True}, arr([0.0, np.nan]), id="sci-on-no-finite"),
    pytest.param({"linewidth": 40}, rand(20), id="linewidth-40"),
    pytest.param({"linewidth": 40}, rand(4), id="linewidth-40-suffix"),
    pytest.param({"linewidth": 10}, rand((2, 3)), id="linewidth-below-one-item"),
    pytest.param({"threshold": 5}, np.arange(10, dtype=F32), id="threshold-5"),
    pytest.param({"threshold": 5, "edgeitems": 1}, rand((4, 4, 4)), id="edgeitems-1"),
    pytest.param({"threshold": 5, "edgeitems": 0}, rand((4, 4)), id="edgeitems-0-2d"),
    pytest.param({"threshold": 5, "edgeitems": 0}, rand(10), id="edgeitems-0-1d"),
    pytest.param({"edgeitems": 0}, rand(3), id="edgeitems-0-not-summarised"),
    pytest.param({"profile": "short"}, rand((40, 40)), id="profile-short"),
    pytest.param({"profile": "full"}, rand(1200), id="profile-full"),
    pytest.param({"profile": "full", "precision": 3}, rand(5), id="profile-then-override"),
]


@pytest.mark.parametrize(("options", "array"), OPTION_CASES)
def test_printoptions_match_torch(options, array):
    with both_printoptions(**options):
        assert printing.get_printoptions() == torch._tensor_str.get_printoptions()
        assert ours(array, requires_grad=True) == theirs(array, requires_grad=True)
    assert printing.get_printoptions() == torch._tensor_str.get_printoptions()
    assert ours(rand(6)) == theirs(rand(6))


def test_set_printoptions_resets_sci_mode_like_torch():
    with both_printoptions(sci_mode=False):
        printing.set_printoptions(precision=3)
        torch.set_printoptions(precision=3)
        assert printing.get_printoptions() == torch._tensor_str.get_printoptions()
        assert printing.get_printoptions()["sci_mode"] is None


def test_unknown_profile_is_rejected():
    with pytest.raises(ValueError, match="profile"):
        printing.set_printoptions(profile="tiny")


def test_lecture_printouts_verbatim():
    assert printing.tensor_repr(arr([0.0])) == "tensor([0.])"
    assert printing.tensor_repr(arr([0.5])) == "tensor([0.5000])"
    assert (
        printing.tensor_repr(arr([0.0]), requires_grad=True) == "tensor([0.], requires_grad=True)"
    )
    bias = printing.tensor_repr(arr(BIAS), requires_grad=True)
    assert bias.endswith(",\n       requires_grad=True)")


@pytest.mark.parametrize(
    "value", [arr(0.741550087928772), arr(0.1, F64), arr(-3, I64), arr(False, BOOL)]
)
@pytest.mark.parametrize("spec", ["", ".3f", "10.2e", ">8"])
def test_format_scalar_matches_torch(value, spec):
    assert printing.tensor_format(value, spec) == format(torch.tensor(value), spec)


def test_format_scalar_gives_all_float32_digits():
    assert f"{torch.tensor(arr(0.741550087928772))}" == "0.741550087928772"
    assert printing.tensor_format(arr(0.741550087928772), "") == "0.741550087928772"


def test_format_non_scalar_is_repr_and_rejects_a_spec():
    values = rand((2, 3))
    assert printing.tensor_format(values, "") == theirs(values)
    with pytest.raises(TypeError) as ours_error:
        printing.tensor_format(values, ".2f")
    with pytest.raises(TypeError) as torch_error:
        format(torch.tensor(values), ".2f")
    assert str(ours_error.value) == str(torch_error.value)


def test_format_scalar_parameter_is_repr():
    value = arr(0.5)
    expected = format(torch.nn.Parameter(torch.tensor(value)), "")
    assert printing.tensor_format(value, "", requires_grad=True, parameter=True) == expected


# Random arrays: the magnitude scale spans the fixed/scientific switch; some shapes exceed the
# 1000-element threshold; special values and integer-valued entries appear in some arrays.
SPECIALS = st.sampled_from([0.0, -0.0, np.nan, np.inf, -np.inf, 1.0, -2.0, 1000.0])
SHAPES = st.one_of(
    hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6),
    hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=13),
    st.integers(0, 1100).map(lambda n: (n,)),
)


@st.composite
def float_arrays(draw):
    dtype = draw(st.sampled_from([F32, F64]))
    shape = draw(SHAPES)
    size = int(np.prod(shape))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    values = rng.standard_normal(size) * 10.0 ** draw(st.integers(-12, 12))
    if draw(st.booleans()):
        values = np.round(values)
    if size:
        for index in draw(st.lists(st.integers(0, size - 1), max_size=4)):
            values[index] = draw(SPECIALS)
    return values.astype(dtype).reshape(shape)


@settings(max_examples=150, deadline=None)
@given(array=float_arrays(), grad=st.booleans())
def test_random_float_arrays_match_torch(array, grad):
    # dtype named "torch.float64" so that suffix wrapping sees the same text as in torch
    assert ours(array, grad_fn=grad, namespace="torch") == theirs(
        array, grad_fn=grad, namespace="torch"
    )


@settings(max_examples=60, deadline=None)
@given(
    array=float_arrays(),
    precision=st.integers(0, 8),
    linewidth=st.integers(20, 120),
    edgeitems=st.integers(0, 4),
    threshold=st.integers(1, 300),
    sci_mode=st.sampled_from([None, True, False]),
)
def test_random_printoptions_match_torch(
    array, precision, linewidth, edgeitems, threshold, sci_mode
):
    options = {
        "precision": precision,
        "linewidth": linewidth,
        "edgeitems": edgeitems,
        "threshold": threshold,
        "sci_mode": sci_mode,
    }
    with both_printoptions(**options):
        expected = theirs(array, requires_grad=True, namespace="torch")
        assert ours(array, requires_grad=True, namespace="torch") == expected


@settings(max_examples=40, deadline=None)
@given(
    array=hnp.arrays(
        st.sampled_from([I64, BOOL]), hnp.array_shapes(min_dims=0, max_dims=3, max_side=12)
    )
)
def test_random_int_and_bool_arrays_match_torch(array):
    assert ours(array, namespace="torch") == theirs(array, namespace="torch")
