"""Issue 8, item 3: bad arrays everywhere — here tensor construction and tensor ops.

Hypothesis builds NaN/inf, empty, one-sample, wrong-rank, wrong-dtype, object and text,
huge and mismatched inputs for every public entry point. Each must either work (valid
input, including the edge cases of one sample and one feature, with the right shape and
values) or raise one of backprop's errors whose message names the offending argument;
anything else — a bare NumPy/Python exception, or a bad input computed instead of refused
(a silent broadcast) — fails the example, and Hypothesis shrinks it to the smallest one.
Where PyTorch broadcasts (``Tensor + Tensor``) broadcasting is right. The losses and
model forward are in ``test_bad_input_nn.py``; ``fit``, the datasets and the scikit-learn
estimators in ``test_bad_input_fit.py``; the CSV loader, the spec loader and the CLI in
``test_bad_input_files.py``. ``Tally`` (the referee) and ``run`` (Hypothesis with the
mode's count) are in ``bad_input_harness.py``.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import backprop as bp
from backprop.errors import DTypeError, ShapeError

from .bad_input_harness import BAD_OPERANDS, SEEDS, Tally, run

MAKERS = ("tensor", "Tensor", "as_tensor", "from_numpy", "data")


# -- Tensor construction -----------------------------------------------------------------------
def construction_case(kind: str, shape: tuple, rng: np.random.Generator):
    """(data, expected) for one kind of input."""
    values = rng.normal(size=shape)
    if kind == "floats":
        return values, "ok"
    if kind == "float list":
        return values.tolist(), "ok"
    if kind == "nan/inf":
        flat = values.reshape(-1)
        flat[rng.integers(0, flat.size, size=min(2, flat.size))] = rng.choice([np.nan, np.inf])
        return values, "ok"  # a tensor may hold NaN and inf, as PyTorch's do
    if kind == "ints":
        return rng.integers(-5, 5, size=shape), "ok"
    if kind == "bools":
        return values > 0, "ok"
    if kind == "float16":
        return values.astype(np.float16), "ok"
    if kind == "huge floats":
        return (values * 1e300).tolist(), "ok"  # inf in float32, as torch.tensor gives
    if kind == "ragged":
        return [[1.0, 2.0], [3.0]], ShapeError
    if kind == "text":
        return values.astype(str), DTypeError
    if kind == "objects":
        data = values.astype(object).reshape(-1)
        data = np.append(data, rng.choice([None, "1", {"a": 1}, object()]))
        return data, DTypeError
    if kind == "complex":
        return values + 1j, DTypeError
    if kind == "huge int":
        return [1, 2**70], DTypeError
    if kind == "dates":
        return np.array(["2020-01-01"], dtype="datetime64[D]"), DTypeError
    return None, DTypeError  # "none"


CONSTRUCTION_KINDS = [
    "floats", "float list", "nan/inf", "ints", "bools", "float16", "huge floats",
    "ragged", "text", "objects", "complex", "huge int", "dates", "none",
]  # fmt: skip
SHAPES = st.lists(st.integers(0, 3), min_size=0, max_size=3).map(tuple)


def test_tensor_construction(count):
    tally = Tally("Tensor construction")
    makers = {
        "backprop.tensor": bp.tensor,
        "backprop.Tensor": bp.Tensor,
        "backprop.as_tensor": bp.as_tensor,
        "backprop.from_numpy": bp.from_numpy,
    }

    @run(count, 150, 2500, CONSTRUCTION_KINDS, SHAPES, st.sampled_from(list(makers)), SEEDS)
    def body(kind, shape, maker, seed):
        data, expect = construction_case(kind, shape, np.random.default_rng(seed))
        if maker == "backprop.from_numpy" and (
            not isinstance(data, np.ndarray) or data.dtype == np.float16
        ):
            expect = DTypeError  # arrays of the four storage dtypes only, as torch.from_numpy
        t = tally.check(maker, expect, lambda: makers[maker](data), MAKERS, kind)
        if expect == "ok":
            with np.errstate(over="ignore"):
                want = np.asarray(data).astype(t.numpy().dtype)
            assert t.shape == want.shape
            assert np.allclose(t.numpy(), want, equal_nan=True, rtol=1e-3)

    body()

    @run(count, 20, 300, ["complex64", "float16", np.int8, 3, "torch.half"], SEEDS)
    def dtype_argument(dtype, seed):
        data = np.random.default_rng(seed).normal(size=3)
        tally.check("backprop.tensor(dtype=...)", DTypeError,
                    lambda: bp.tensor(data, dtype=dtype), ("dtype",), repr(dtype))  # fmt: skip

    dtype_argument()
    tally.report()


# -- elementwise ops with broadcasting, and matmul ------------------------------------------
ELEMENTWISE = {
    "add": (lambda a, b: a + b, np.add),
    "sub": (lambda a, b: a - b, np.subtract),
    "mul": (lambda a, b: a * b, np.multiply),
    "div": (lambda a, b: a / b, np.divide),
    "pow": (lambda a, b: a**b, np.power),
    "maximum": (lambda a, b: a.maximum(b), np.maximum),
    "comparison": (lambda a, b: a < b, np.less),
}
DIMS = st.lists(st.sampled_from([1, 2, 3]), min_size=0, max_size=3).map(tuple)


def test_ops_broadcasting_and_matmul(count):
    tally = Tally("Tensor ops: broadcasting, matmul, operand types")

    @run(count, 150, 2500, list(ELEMENTWISE), DIMS, DIMS, SEEDS)
    def elementwise(op, sa, sb, seed):
        rng = np.random.default_rng(seed)
        a, b = (
            rng.uniform(0.5, 2, sa).astype(np.float32),
            rng.uniform(0.5, 2, sb).astype(np.float32),
        )
        try:
            want = ELEMENTWISE[op][1](a, b)
        except ValueError:  # NumPy cannot broadcast them: neither may we
            want = None
        ours, _ = ELEMENTWISE[op]
        expect = "ok" if want is not None else ShapeError
        out = tally.check(
            op, expect, lambda: ours(bp.tensor(a), bp.tensor(b)), (op,), f"{sa}, {sb}"
        )
        if expect == "ok":  # broadcasting like PyTorch: right shape, right values
            assert out.shape == want.shape
            assert np.allclose(out.numpy(), want, rtol=1e-5)

    @run(count, 100, 1500, DIMS, DIMS, st.booleans(), SEEDS)
    def matmul(sa, sb, same_dtype, seed):
        rng = np.random.default_rng(seed)
        a = rng.normal(size=sa).astype(np.float32)
        b = rng.normal(size=sb).astype(np.float32 if same_dtype else np.float64)
        try:
            want = None if min(a.ndim, b.ndim) == 0 else np.matmul(a, b.astype(np.float32))
        except ValueError:
            want = None
        expect = "ok" if want is not None and same_dtype else (DTypeError, ShapeError)
        out = tally.check("matmul", expect, lambda: bp.tensor(a) @ bp.tensor(b), ("matmul",),
                          f"{sa} @ {sb}, same dtype {same_dtype}")  # fmt: skip
        if expect == "ok":
            assert out.shape == want.shape and np.allclose(out.numpy(), want, atol=1e-5)

    @run(count, 60, 800, [*ELEMENTWISE, "matmul"],
         st.sampled_from(range(len(BAD_OPERANDS))), st.booleans())  # fmt: skip
    def operand_types(op, which, reflected):
        ours = ELEMENTWISE[op][0] if op != "matmul" else (lambda a, b: a @ b)
        other, t = BAD_OPERANDS[which], bp.ones(2)
        call = (lambda: ours(other, t)) if reflected and op != "maximum" else lambda: ours(t, other)
        tally.check(f"{op} with a non-number", DTypeError, call, ("operand", "tensor", "pow"),
                    repr(other))  # fmt: skip

    @run(count, 30, 400, st.integers(-3, 3), st.booleans())
    def integer_powers(exponent, tensor_exponent):
        e = bp.tensor([exponent]) if tensor_exponent else exponent
        tally.check("int ** int", "ok" if exponent >= 0 else DTypeError,
                    lambda: bp.tensor([2, 3]) ** e, ("pow",), f"exponent {exponent}")  # fmt: skip

    for part in (elementwise, matmul, operand_types, integer_powers):
        part()
    tally.report()
