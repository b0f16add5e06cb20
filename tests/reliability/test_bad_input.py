"""Issue 8, item 3: bad arrays everywhere — tensor construction, ops, losses, forward.

Hypothesis builds NaN/inf, empty, one-sample, wrong-rank, wrong-dtype, object and text,
huge and mismatched inputs for every public entry point. Each must either work (valid
input, including the edge cases of one sample and one feature, with the right shape and
values) or raise one of backprop's errors whose message names the offending argument;
anything else — a bare NumPy/Python exception, or a bad input computed instead of refused
(a silent broadcast) — fails the example, and Hypothesis shrinks it to the smallest one.
Where PyTorch broadcasts (``Tensor + Tensor``) broadcasting is right; losses are stricter
than PyTorch, which only warns when ``MSELoss`` gets (N, 1) against (N,): we refuse.
``fit``, the datasets and the scikit-learn estimators are in ``test_bad_input_fit.py``; the
CSV loader, the spec loader and the CLI in ``test_bad_input_files.py``. ``Tally`` (the
referee) and ``run`` (Hypothesis with the mode's count) serve all three files.
"""

from __future__ import annotations

import re
import time
import warnings
import zlib
from collections import Counter, defaultdict
from functools import partial

import numpy as np
import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

import backprop as bp
import backprop.nn.functional as F
from backprop import nn
from backprop.errors import BackpropError, ConfigError, DTypeError, ShapeError

torch = pytest.importorskip("torch")


# -- the referee -----------------------------------------------------------------------------
def mentions(message: str, name: str) -> bool:
    """``name`` appears in ``message`` as a word of its own (``x`` but not ``x_val``)."""
    return re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", message) is not None


class Tally:
    """Runs calls, checks each outcome against the expectation and counts outcomes."""

    def __init__(self, title: str):
        self.title, self.start = title, time.perf_counter()
        self.seen: dict[str, Counter] = defaultdict(Counter)

    def check(self, entry: str, expect, call, names=(), why: str = ""):
        """``expect``: "ok", "any" (ok or a backprop error) or the error kinds accepted."""
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                result = call()
        except BackpropError as exc:
            kind, message = type(exc).__name__, str(exc)
            self.seen[entry][kind] += 1
            assert expect != "ok", f"{entry} ({why}): valid input refused: {kind}: {message}"
            if expect != "any":
                assert isinstance(exc, expect), f"{entry} ({why}): {kind}, not {expect}: {message}"
            assert not names or any(mentions(message, n) for n in names), (
                f"{entry} ({why}): the message names none of {names}: {message}"
            )
            return exc
        except Exception as exc:
            self.seen[entry]["unhandled " + type(exc).__name__] += 1
            raise AssertionError(f"{entry} ({why}): unhandled {type(exc).__name__}: {exc}") from exc
        self.seen[entry]["ok"] += 1
        assert expect in ("ok", "any"), f"{entry} ({why}): bad input accepted, not refused"
        return result

    def report(self) -> int:
        total = sum(sum(c.values()) for c in self.seen.values())
        took = time.perf_counter() - self.start
        print(f"\nbad input — {self.title}: {total} examples in {took:.1f} s")
        for entry, counts in sorted(self.seen.items()):
            parts = ", ".join(f"{k} {v}" for k, v in counts.most_common())
            print(f"  {entry:<44} {sum(counts.values()):>6} tried: {parts}")
        print("  0 unhandled exceptions, 0 bad inputs accepted")
        return total


def run(count, fast: int, long: int, *strategies):
    """Decorator: a function running the body under Hypothesis with the mode's example count.

    A list (not a strategy) in first place is the list of cases: each case gets its share of
    the examples, so that every case is tried in the short CI run too.
    """

    def hypothesis(body, n, given_strategies, case=""):
        # a fixed seed per body and case: reproducible, and the cases do not all share one
        # sequence of the other arguments (as derandomize=True would give them)
        fixed = zlib.crc32(f"{body.__qualname__} {case}".encode())
        return seed(fixed)(
            settings(
                max_examples=n,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )(given(*given_strategies)(body))
        )

    def decorate(body):
        total = count(fast, long)
        if not isinstance(strategies[0], list):
            return hypothesis(body, total, strategies)
        cases, rest = strategies[0], strategies[1:]

        def each_case():
            for case in cases:
                share = max(1, round(total / len(cases)))
                hypothesis(body, share, (st.just(case), *rest), case)()

        return each_case

    return decorate


SEEDS = st.integers(0, 2**32 - 1)
MAKERS = ("tensor", "Tensor", "as_tensor", "from_numpy", "data")
BAD_OPERANDS = ["x", None, [1.0, 2.0], 1j, {"a": 1}, np.array(["a"]), np.array([None], object)]


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


# -- losses: prediction against target ------------------------------------------------------
MODULES = {
    "mse_loss": nn.MSELoss,
    "l1_loss": nn.L1Loss,
    "huber_loss": nn.HuberLoss,
    "binary_cross_entropy": nn.BCELoss,
    "binary_cross_entropy_with_logits": nn.BCEWithLogitsLoss,
}
ELEMENTWISE_LOSSES = {
    "mse_loss": (F.mse_loss, torch.nn.functional.mse_loss),
    "l1_loss": (F.l1_loss, torch.nn.functional.l1_loss),
    "huber_loss": (F.huber_loss, torch.nn.functional.huber_loss),
    "binary_cross_entropy": (F.binary_cross_entropy, torch.nn.functional.binary_cross_entropy),
    "binary_cross_entropy_with_logits": (
        F.binary_cross_entropy_with_logits,
        torch.nn.functional.binary_cross_entropy_with_logits,
    ),
}
CLASS_LOSSES = {
    "cross_entropy": (F.cross_entropy, torch.nn.functional.cross_entropy),
    "nll_loss": (F.nll_loss, torch.nn.functional.nll_loss),
}
# what the target's shape becomes; all but "same" must be refused, even where PyTorch
# broadcasts ((N, 1) against (N,) would compare every prediction with every target)
TARGET_SHAPES = {
    "same": lambda s: s,
    "flat": lambda s: (int(np.prod(s)),) if len(s) > 1 else (*s, 1),
    "column": lambda s: (*s, 1),
    "squeezed": lambda s: s[:-1] if len(s) > 1 else (),
    "transposed": lambda s: s[::-1] if len(s) > 1 and s[0] != s[-1] else (*s, 2),
    "one row": lambda s: (1, *s[1:]) if s and s[0] != 1 else (2, *s[1:]),
    "wider": lambda s: (*s[:-1], s[-1] + 1) if s else (2,),
}
REDUCTIONS = ["mean", "sum", "none"]


def test_losses_refuse_mismatched_targets(count):
    tally = Tally("losses (functions and nn modules, against PyTorch)")

    pairs = [(name, how) for name in ELEMENTWISE_LOSSES for how in TARGET_SHAPES]

    @run(count, 150, 2000, pairs, st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple),
         st.sampled_from(REDUCTIONS), st.booleans(), SEEDS)  # fmt: skip
    def elementwise(pair, shape, reduction, module, seed):
        name, how = pair
        rng = np.random.default_rng(seed)
        target_shape = TARGET_SHAPES[how](shape)
        x, y = rng.uniform(0.05, 0.95, shape), rng.uniform(0, 1, target_shape)
        ours, theirs = ELEMENTWISE_LOSSES[name]
        expect = "ok" if target_shape == shape else ShapeError
        # the function, or the nn.*Loss module as a training loop calls it
        fn = MODULES[name](reduction=reduction) if module else partial(ours, reduction=reduction)
        out = tally.check(name, expect, lambda: fn(bp.tensor(x), bp.tensor(y)),
                          ("target", "input"), f"{shape} vs {target_shape}")  # fmt: skip
        if expect == "ok":
            want = theirs(torch.tensor(x), torch.tensor(y), reduction=reduction).numpy()
            assert out.shape == want.shape and np.allclose(out.numpy(), want, rtol=1e-4)

    hows = ["indices", "out of range", "negative", "float", "column", "rows", "probabilities"]

    @run(count, 100, 1500, hows, st.sampled_from(list(CLASS_LOSSES)), st.integers(1, 4),
         st.integers(2, 4), SEEDS)  # fmt: skip
    def classes(how, name, n, c, seed):
        rng = np.random.default_rng(seed)
        x = rng.normal(size=(n, c)).astype(np.float32)
        if name == "nll_loss":
            x = np.log(np.exp(x) / np.exp(x).sum(1, keepdims=True))
        y = rng.integers(0, c, n)
        expect, names = "ok", ("target", "Target")
        if how == "out of range":
            y[rng.integers(0, n)], expect = c + rng.integers(0, 3), ConfigError
        elif how == "negative":
            y[rng.integers(0, n)], expect = -1, ConfigError
        elif how == "float":
            y, expect = y.astype(np.float32), DTypeError
        elif how == "column":
            y, expect = y[:, None], ShapeError
        elif how == "rows":
            y, expect = np.r_[y, 0], ShapeError
        elif how == "probabilities":
            y = rng.dirichlet(np.ones(c), n).astype(np.float32)
            expect = "ok" if name == "cross_entropy" else DTypeError
        ours, theirs = CLASS_LOSSES[name]
        out = tally.check(name, expect, lambda: ours(bp.tensor(x), bp.tensor(y)), names, how)
        if expect == "ok":
            want = theirs(torch.tensor(x), torch.tensor(y)).numpy()
            assert np.allclose(out.numpy(), want, rtol=1e-4)

    kinds = ["target object", "int input", "bad reduction", "bad huber delta"]

    @run(count, 50, 800, kinds, st.sampled_from([*ELEMENTWISE_LOSSES, *CLASS_LOSSES]),
         st.integers(0, 6))  # fmt: skip
    def arguments(how, name, which):
        fn = {**ELEMENTWISE_LOSSES, **CLASS_LOSSES}[name][0]
        x, ints = bp.rand(3, 2), bp.ones(3, 2, dtype=bp.int64)
        bad = [
            ["avg", "", None, 1, "MEAN", "elementwise", "Sum"][which],  # reductions
            ["1.0", [1.0], True, float("nan"), 0, -1.0, {}][which],
        ]  # huber deltas
        call, expect, names = {
            "target object": (lambda: fn(x, BAD_OPERANDS[which]), DTypeError, ("target",)),
            "int input": (lambda: fn(ints, x), DTypeError, ("input",)),
            "bad reduction": (lambda: fn(x, x, reduction=bad[0]), ConfigError, ("reduction",)),
            "bad huber delta": (lambda: F.huber_loss(x, x, delta=bad[1]), ConfigError, ("delta",)),
        }[how]  # fmt: skip
        entry = "huber_loss arguments" if how == "bad huber delta" else f"{name} arguments"
        tally.check(entry, expect, call, names, how)

    for part in (elementwise, classes, arguments):
        part()
    tally.report()


# -- model forward ----------------------------------------------------------------------------
FORWARD_INPUTS = ["valid", "one sample", "batched 3-D", "unbatched 1-D", "nan", "wrong width",
                  "0-d", "float64", "int64", "bool", "list", "text", "none"]  # fmt: skip


def test_model_forward(count):
    tally = Tally("model forward (nn.Linear, nn.MLP)")

    @run(count, 120, 1500, FORWARD_INPUTS, st.integers(1, 3), st.integers(1, 3),
         st.integers(0, 4), st.booleans(), SEEDS)  # fmt: skip
    def body(how, d, k, n, mlp, seed):
        rng = np.random.default_rng(seed)
        bp.manual_seed(seed)
        model = nn.MLP([d, 3, k]) if mlp else nn.Linear(d, k)
        x = rng.normal(size=(n, d)).astype(np.float32)
        expect, names = "ok", ("Linear", "linear", "input", "in_features")
        if how == "one sample":
            x = x[:1] if n else rng.normal(size=(1, d)).astype(np.float32)
        elif how == "batched 3-D":
            x = rng.normal(size=(2, n, d)).astype(np.float32)
        elif how == "unbatched 1-D":
            x = x[0] if n else np.zeros(d, np.float32)
        elif how == "nan":
            x = np.full((max(n, 1), d), np.nan, np.float32)  # NaN in, NaN out, as in PyTorch
        elif how == "wrong width":
            x, expect = rng.normal(size=(n, d + 1)).astype(np.float32), ShapeError
        elif how == "0-d":
            x, expect = np.float32(1.0), ShapeError
        elif how in ("float64", "int64", "bool"):
            x, expect = x.astype(how), DTypeError
        inputs = {"list": [[1.0] * d], "text": "x", "none": None}
        if how in inputs:
            arg, expect = inputs[how], DTypeError
        else:
            arg = bp.tensor(x, dtype=bp.float32 if x.dtype == np.float32 else None)
        out = tally.check(type(model).__name__, expect, lambda: model(arg), names, how)
        if expect == "ok":
            assert tuple(out.shape) == (*np.shape(x)[:-1], k)
            if not mlp:
                want = x @ model.weight.detach().numpy().T + model.bias.detach().numpy()
                assert np.allclose(out.detach().numpy(), want, atol=1e-5, equal_nan=True)

    body()
    tally.report()
