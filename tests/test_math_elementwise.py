"""The elementwise maths family against PyTorch 2.13: one row per case, ``check_op`` of
``tests/test_ops.py`` checks each (float64 gradcheck, values and gradients in float32 and
float64, the grad_fn name). Also: integer inputs (dtype rule), the in-place forms, the function
forms, and the refusals. ``tests/reliability/test_op_coverage.py`` counts these rows too.
"""

from __future__ import annotations

import numpy as np
import pytest

import backprop
import test_ops
from backprop.autograd import ops_binary, ops_unary
from test_ops import Case, apart, check_op, nonzero, positive, randn, ties

torch = pytest.importorskip("torch")


def uniform(lo, hi, *shapes):
    return lambda rng: tuple(rng.uniform(lo, hi, s) for s in shapes)


def away_from_integers(*shapes):
    """|x| in [0.2, 3], at least 0.1 from every integer and half-integer: no jumps."""

    def make(rng):
        out = []
        for s in shapes:
            base = rng.integers(-3, 3, s) + rng.choice([0.15, 0.35, 0.65, 0.85], s)
            out.append(base + rng.uniform(-0.03, 0.03, s))
        return tuple(out)

    return make


def special_values(rng):
    return (np.array([0.5, np.nan, np.inf, -np.inf, -2.0, 1e30]),)


C = Case
S = (3, 4)
UNARY_INPUTS = {
    "asin": uniform(-0.9, 0.9, S), "acos": uniform(-0.9, 0.9, S), "atanh": uniform(-0.9, 0.9, S),
    "acosh": uniform(1.2, 3.0, S), "tan": uniform(-1.2, 1.2, S), "log2": positive(S),
    "log10": positive(S), "log1p": positive(S), "rsqrt": positive(S), "reciprocal": nonzero(S),
    "sign": nonzero(S), "sgn": nonzero(S), "floor": away_from_integers(S),
    "ceil": away_from_integers(S), "round": away_from_integers(S),
    "trunc": away_from_integers(S), "frac": away_from_integers(S),
    "erfinv": uniform(-0.95, 0.95, S), "logit": uniform(0.05, 0.95, S),
    "lgamma": away_from_integers(S), "digamma": away_from_integers(S),
}  # fmt: skip

ELEMENTWISE: dict[str, Case] = {
    row.name: C(row.name, UNARY_INPUTS.get(row.name, randn(S)),
                lambda m, x, n=row.name: getattr(m, n)(x))
    for row in ops_unary.UNARY
}  # fmt: skip
ELEMENTWISE.update({
    "sin_method_0d": C("sin", randn(()), lambda m, x: x.sin()),
    "lgamma_large": C("lgamma", uniform(5.0, 60.0, (6,)), lambda m, x: x.lgamma()),
    "digamma_small": C("digamma", uniform(0.01, 0.3, (6,)), lambda m, x: x.digamma()),
    "digamma_negative": C("digamma", uniform(-4.9, -4.1, (6,)), lambda m, x: m.digamma(x)),
    "erf_tail": C("erf", uniform(-6.0, 6.0, (8,)), lambda m, x: x.erf()),
    "erfc_tail": C("erfc", uniform(2.0, 9.0, (8,)), lambda m, x: x.erfc()),
    "erfinv_edges": C("erfinv", uniform(-0.999999, 0.999999, (8,)), lambda m, x: x.erfinv()),
    "round_decimals": C("round", away_from_integers(S), lambda m, x: m.round(x * 10, decimals=1)),
    "round_neg_decimals": C("round", uniform(-900, 900, (6,)), lambda m, x: x.round(decimals=-2)),
    "fix": C("trunc", away_from_integers(S), lambda m, x: m.fix(x)),
    "arcsin": C("asin", uniform(-0.9, 0.9, S), lambda m, x: m.arcsin(x)),
    "logit_eps": C("logit", uniform(0.0, 1.0, (8,)), lambda m, x: x.logit(eps=0.2)),
    "nan_to_num_specials": C("nan_to_num", special_values, lambda m, x: x.nan_to_num(),
                             gradcheck=False, note="inf and NaN inputs: no central differences"),
    "nan_to_num_values": C("nan_to_num", special_values,
                           lambda m, x: m.nan_to_num(x, nan=1.5, posinf=9.0, neginf=-9.0),
                           gradcheck=False, note="inf and NaN inputs: no central differences"),
    "sin_inplace": C("sin", randn(S), lambda m, x: (x * 1.0).sin_()),
    "log10_inplace": C("log10", positive(S), lambda m, x: (x * 1.0).log10_()),
    "round_inplace": C("round", away_from_integers(S), lambda m, x: (x * 1.0).round_()),
    # binary and ternary
    "atan2": C("atan2", randn((3, 1), (4,)), lambda m, a, b: m.atan2(a, b)),
    "arctan2": C("atan2", randn(S, S), lambda m, a, b: a.arctan2(b)),
    "hypot": C("hypot", nonzero((3, 1), (4,)), lambda m, a, b: m.hypot(a, b)),
    "fmod": C("fmod", lambda rng: (*randn(S)(rng), *uniform(0.7, 0.9, (4,))(rng)),
              lambda m, a, b: m.fmod(a * 3, b)),
    "fmod_number": C("fmod", randn(S), lambda m, a: (a * 3).fmod(0.7)),
    "remainder": C("remainder", lambda rng: (*randn(S)(rng), *uniform(0.7, 0.9, (4,))(rng)),
                   lambda m, a, b: m.remainder(a * 3, b)),
    "remainder_number": C("remainder", randn(S), lambda m, a: (a * 3).remainder(-0.7)),
    "copysign": C("copysign", nonzero(S, (4,)), lambda m, a, b: m.copysign(a, b)),
    "copysign_number": C("copysign", nonzero(S), lambda m, a: a.copysign(-1.0)),
    "logaddexp": C("logaddexp", randn((3, 1), (4,)), lambda m, a, b: m.logaddexp(a, b)),
    "fmax": C("fmax", apart((3, 1), (4,)), lambda m, a, b: m.fmax(a, b)),
    "fmin": C("fmin", apart(S, S), lambda m, a, b: a.fmin(b)),
    "xlogy": C("xlogy", lambda rng: (*randn(S)(rng), *positive((4,))(rng)),
               lambda m, a, b: m.xlogy(a, b)),
    "xlogy_number": C("xlogy", randn(S), lambda m, a: a.xlogy(2.5)),
    "lerp": C("lerp", randn(S, (4,)), lambda m, a, b: m.lerp(a, b, 0.3)),
    "lerp_tensor": C("lerp_tensor", randn(S, (4,), (3, 1)), lambda m, a, b, w: a.lerp(b, w)),
    "addcmul": C("addcmul", randn(S, (4,), (3, 1)),
                 lambda m, a, b, c: m.addcmul(a, b, c, value=0.5)),
    "addcdiv": C("addcdiv", lambda rng: (*randn(S, (4,))(rng), *nonzero((3, 1))(rng)),
                 lambda m, a, b, c: a.addcdiv(b, c, value=-2)),
    "div_floor": C("div_rounding", lambda rng: (*randn(S)(rng), *nonzero((4,))(rng)),
                   lambda m, a, b: m.div(a * 4, b, rounding_mode="floor")),
    "div_trunc_number": C("div_rounding", randn(S),
                          lambda m, a: (a * 4).div(0.7, rounding_mode="trunc")),
    "exp_inplace": C("composed", randn(S), lambda m, x: (x * 1).exp_()),
    "log_inplace": C("composed", positive(S), lambda m, x: (x * 1).log_()),
    "sqrt_inplace": C("composed", positive(S), lambda m, x: (x + 0).sqrt_()),
    "abs_inplace": C("composed", nonzero(S), lambda m, x: (x * 1).abs_()),
    "neg_inplace": C("composed", randn(S), lambda m, x: (x * 1).neg_()),
    "pow_inplace": C("composed", randn(S), lambda m, x: (x * 1).pow_(3)),
    "pow_inplace_tensor": C("composed", positive(S, (4,)), lambda m, x, e: (x * 1).pow_(e)),
    "square_inplace": C("composed", randn(S), lambda m, x: (x * 1).square_()),
    "relu_inplace": C("composed", nonzero(S), lambda m, x: (x * 1).relu_()),
    "sigmoid_inplace": C("composed", randn(S), lambda m, x: (x * 1).sigmoid_()),
    "tanh_inplace": C("composed", randn(S), lambda m, x: (x * 1).tanh_()),
    "clip_inplace": C("composed", apart(S), lambda m, x: (x * 1).clip_(-0.5, 0.5)),
    "fmod_inplace": C("fmod", randn(S), lambda m, a: (a * 3).fmod_(0.7)),
    "addcmul_inplace": C("addcmul", randn(S, S, S), lambda m, a, b, c: (a * 1).addcmul_(b, c)),
    "float_power": C("composed", positive(S), lambda m, x: m.float_power(x, 2.5)),
    "float_power_tensor": C("composed", positive(S, (4,)), lambda m, a, b: a.float_power(b)),
    "clamp_min_method": C("composed", apart(S), lambda m, x: x.clamp_min(0.1)),
    "clamp_tensor_min": C("clamp_tensor", apart(S, (4,)), lambda m, x, lo: x.clamp(min=lo)),
    "clamp_tensor_max": C("clamp_tensor", apart(S, (3, 1)), lambda m, x, hi: m.clamp(x, max=hi)),
    "clamp_tensor_both": C("clamp_tensor", apart(S, (4,), (3, 1)),
                           lambda m, x, lo, hi: x.clamp(lo, hi)),
    "clamp_tensor_ties": C("clamp_tensor", ties(S, S, S),
                           lambda m, x, lo, hi: x.clamp(lo, hi + 0.5), gradcheck=False,
                           note="ties pass the gradient to x, as torch's"),
    "clamp_min_tensor": C("clamp_min_tensor", apart(S, (4,)), lambda m, x, lo: x.clamp_min(lo)),
    "clamp_max_tensor": C("clamp_max_tensor", apart(S, S), lambda m, x, hi: m.clamp_max(x, hi)),
    "clamp_max_tensor_ties": C("clamp_max_tensor", ties(S, S), lambda m, x, hi: x.clamp_max(hi),
                               gradcheck=False, note="ties pass the gradient to x, as torch's"),
    "clamp_max_function": C("composed", apart(S), lambda m, x: m.clamp_max(x, -0.1)),
})  # fmt: skip


# torch's trigamma (digamma's derivative) is good to about 5e-10 relative; ours to 2e-15
# against mpmath. These rows compare gradients at 2e-9.
LOOSE_GRADIENTS = ("digamma", "digamma_small", "digamma_negative")


@pytest.mark.parametrize("case_id", list(ELEMENTWISE))
def test_elementwise(case_id, monkeypatch):
    if case_id in LOOSE_GRADIENTS:
        monkeypatch.setitem(test_ops.TOLERANCES, np.float64, (1e-12, 1e-14, 2e-9, 1e-12))
    check_op(case_id, ELEMENTWISE[case_id])


INT_INPUT = np.array([[-3, -1, 0], [1, 2, 7]])


@pytest.mark.parametrize("name", [r.name for r in ops_unary.UNARY if r.int_ok])
def test_unary_integer_inputs_follow_torchs_dtype_rule(name):
    x = INT_INPUT + (4 if name in ("log2", "log10", "lgamma", "digamma", "rsqrt") else 0)
    if name in ("asin", "acos", "atanh", "erfinv", "logit"):
        x = np.array([[0, 0], [0, 0]])
    if name == "acosh":
        x = np.array([[1, 2], [3, 9]])
    ours = getattr(backprop.tensor(x), name)()
    theirs = getattr(torch.tensor(x), name)()
    assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", ["fmod", "remainder", "fmax", "fmin", "atan2"])
def test_binary_integer_inputs_follow_torchs_dtype_rule(name):
    a, b = np.array([-7, 5, 9]), np.array([2, -3, 4])
    ours = getattr(backprop.tensor(a), name)(backprop.tensor(b))
    theirs = getattr(torch.tensor(a), name)(torch.tensor(b))
    assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_integer_division_with_rounding_modes_matches_torch():
    a, b = np.array([-7, 5, 9, -8]), np.array([2, -3, 4, -3])
    for mode in ("floor", "trunc"):
        ours = backprop.tensor(a).div(backprop.tensor(b), rounding_mode=mode)
        theirs = torch.tensor(a).div(torch.tensor(b), rounding_mode=mode)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        assert ours.dtype == backprop.int64
    f = backprop.floor_divide(backprop.tensor(a), 2)
    np.testing.assert_array_equal(f.numpy(), torch.floor_divide(torch.tensor(a), 2).numpy())


def test_inplace_on_an_integer_tensor_refuses_a_float_result():
    t = backprop.tensor([1, 2])
    with pytest.raises(backprop.errors.DTypeError, match="can't be cast"):
        t.sin_()


def test_refusals_name_the_rule_and_the_fix():
    with pytest.raises(backprop.errors.DTypeError, match=r"t\.float\(\)\.frac\(\)"):
        backprop.tensor([1, 2]).frac()
    with pytest.raises(backprop.errors.ConfigError, match="rounding_mode"):
        backprop.tensor([1.0]).div(2.0, rounding_mode="up")
    with pytest.raises(backprop.errors.ConfigError, match="decimals"):
        backprop.tensor([1.0]).round(decimals=1.5)
    with pytest.raises(backprop.errors.ShapeError, match="cannot be broadcast"):
        backprop.tensor([1.0, 2.0]).atan2(backprop.tensor([1.0, 2.0, 3.0]))


def test_every_row_has_a_method_an_inplace_form_and_a_function():
    for row in (*ops_unary.UNARY, *ops_binary.BINARY):
        if row.name.endswith(("_tensor", "_rounding")):  # reached as lerp, clamp, div
            continue
        assert hasattr(backprop.Tensor, row.name) and hasattr(backprop.Tensor, row.name + "_")
        assert callable(getattr(backprop, row.name))


def test_every_function_form_is_registered_on_the_package():
    # backprop/__init__.py lists the names literally (import backprop stays cheap); this
    # keeps that list and functional_math's in step
    from backprop.autograd import functional_math

    missing = [n for n in functional_math.__all__ if n not in dir(backprop)]
    assert not missing, f"add to the functional_math _add line in backprop/__init__.py: {missing}"
    for name in functional_math.__all__:
        assert getattr(backprop, name) is getattr(functional_math, name) or callable(
            getattr(backprop, name)
        )


@pytest.mark.parametrize("call", [
    lambda m, a, out: m.matmul(a, a.T, out=out), lambda m, a, out: m.mul(a, a, out=out),
    lambda m, a, out: m.sin(a, out=out), lambda m, a, out: m.sum(a, 1, out=out),
    lambda m, a, out: m.clamp(a, 0.1, out=out),
])  # fmt: skip
def test_out_keyword_writes_into_the_given_tensor(call):
    data = np.random.default_rng(2).standard_normal((3, 3))
    results = []
    for m in (backprop, torch):
        a, out = m.tensor(data), m.empty(0, dtype=m.float64)
        got = call(m, a, out)
        assert got is out
        results.append(out.numpy().copy())
    np.testing.assert_allclose(*results, rtol=1e-12)


def test_out_keyword_is_refused_while_recording():
    a = backprop.randn(3, requires_grad=True)
    with pytest.raises(backprop.errors.AutogradError, match="out="):
        backprop.sin(a, out=backprop.empty(3))
    with backprop.no_grad():
        assert backprop.sin(a, out=backprop.empty(3)).shape == (3,)
