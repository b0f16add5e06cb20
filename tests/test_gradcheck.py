"""The gradient checker: it passes correct gradients, fails wrong ones and says where.

A checker that never fails proves nothing, so most tests here feed it a deliberately wrong
backward (a custom ``Function`` off by a factor) and read the message: the output, the
input, the element, both numbers and the tolerance. The lecture's own check, central
differences with ε = 0.001 on ŷ = w2·σ(w1·x) at w1 = w2 = x = 0, is here too.
"""

from __future__ import annotations

import copy
import itertools
import math
import re

import numpy as np
import pytest

import backprop
from backprop import Function
from backprop.autograd import functional as bf
from backprop.checks import (
    GradientCheckResult,
    analytical_jacobian,
    check_gradients,
    numerical_jacobian,
)
from backprop.errors import BackpropError, ConfigError, GradcheckError, ShapeError

F64 = backprop.float64


def t64(values, requires_grad=True):
    return backprop.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


class Cube(Function):
    """x³ with a correct backward."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 3 * x**2


class WrongCube(Cube):
    """x³ whose backward is off by a factor of 2 — the bug gradcheck exists to catch."""

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 6 * x**2


class WrongMul(Function):
    """a·b with a correct gradient for a and one off by 1.5 for b."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        return grad_output * b, 1.5 * grad_output * a


def _number(label: str, message: str) -> float:
    match = re.search(rf"{label}:\s+(\S+)", message)
    assert match, f"no '{label}:' number in:\n{message}"
    return float(match.group(1))


# -- failing on purpose -------------------------------------------------------------------
def test_wrong_backward_raises_and_explains():
    x = t64([[0.5, -1.0, 2.0], [0.3, -0.2, 1.1]])
    with pytest.raises(GradcheckError) as info:
        backprop.gradcheck(WrongCube.apply, x)
    message = str(info.value)
    # The worst entry is the largest |x| (2.0 at (0, 2)): d y[0,2] / d x[0,2] = 3·4 = 12.
    assert "output 0" in message
    assert "input 0" in message
    assert "d output 0 element (0, 2) / d input 0 element (0, 2)" in message
    assert _number("numerical", message) == pytest.approx(12.0, rel=1e-8)
    assert _number("analytical", message) == pytest.approx(24.0, rel=1e-12)
    assert "atol + rtol*|numerical| = 1e-05 + 0.001*12 = 0.01201" in message
    assert "6 of 36 entries" in message


def test_error_is_a_runtime_error_and_a_backprop_error():
    assert issubclass(GradcheckError, RuntimeError)
    assert issubclass(GradcheckError, BackpropError)
    assert backprop.gradcheck.GradcheckError is GradcheckError


@pytest.mark.parametrize("eps", [0.0, -1e-6, float("nan"), float("inf"), "1e-6", True])
def test_eps_must_be_a_positive_finite_number(eps):
    # eps=0 was a ZeroDivisionError in check_gradients; nan and negatives checked nothing
    x = backprop.randn(3, dtype=backprop.float64, requires_grad=True)
    model = backprop.nn.Linear(2, 1)
    with pytest.raises(ConfigError, match="eps must be a positive finite number"):
        backprop.gradcheck(lambda x: x * x, x, eps=eps)
    with pytest.raises(ConfigError, match="check_gradients: eps"):
        backprop.check_gradients(model, backprop.nn.MSELoss(), [[1.0, 2.0]], [[1.0]], eps=eps)


def test_wrong_backward_returns_false_when_asked():
    x = t64([0.5, -1.0, 2.0])
    assert backprop.gradcheck(WrongCube.apply, x, raise_exception=False) is False


def test_names_the_input_whose_gradient_is_wrong():
    a, b = t64([1.0, 2.0, -0.5]), t64([3.0, -1.0, 0.25])
    with pytest.raises(GradcheckError, match=r"output 0 .*with respect to input 1\."):
        backprop.gradcheck(WrongMul.apply, (a, b))
    # Input 0's gradient is right: checking only it passes.
    assert backprop.gradcheck(WrongMul.apply, (a, t64(b.tolist(), requires_grad=False)))


def test_names_the_output_that_is_wrong():
    x = t64([0.5, 1.5])

    def two_outputs(x):
        return Cube.apply(x) * 2, WrongCube.apply(x).sum()

    with pytest.raises(GradcheckError, match=r"output 1 \(made by SumBackward0\)") as info:
        backprop.gradcheck(two_outputs, x)
    assert "d output 1 element () / d input 0 element (1,)" in str(info.value)


def test_a_kink_fails_honestly():
    # relu at 0: central differences see slope 1/2, the backward rule says 0.
    x = t64([0.0, 1.0])
    with pytest.raises(GradcheckError, match="kink") as info:
        backprop.gradcheck(lambda x: x.relu(), x)
    assert _number("numerical", str(info.value)) == pytest.approx(0.5)
    assert _number("analytical", str(info.value)) == 0.0


def test_a_backward_that_changes_between_calls_is_not_reentrant():
    calls = []

    class Drifting(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad_output):
            calls.append(1)
            return grad_output * (2 + 1e-3 * len(calls))

    with pytest.raises(GradcheckError, match="not reentrant"):
        backprop.gradcheck(Drifting.apply, t64([1.0, 2.0]))
    assert backprop.gradcheck(Drifting.apply, t64([1.0]), nondet_tol=1.0, atol=1e-2)


# -- passing ------------------------------------------------------------------------------
def test_correct_custom_function_passes():
    x = t64([[0.5, -1.0, 2.0], [0.3, -0.2, 1.1]])
    assert backprop.gradcheck(Cube.apply, x) is True
    assert backprop.gradcheck(lambda x: Cube.apply(x).sum() * Cube.apply(x).mean(), x)


def test_several_inputs_and_outputs_and_passthrough_arguments():
    a, b = t64([[0.7, -0.2, 1.3], [0.1, 0.5, -0.9]]), t64([0.1, -0.4, 2.0])

    def fn(a, scale, b, index):
        return (a * b * scale).sigmoid(), (a @ b)[index], a.max(dim=1)

    assert backprop.gradcheck(fn, (a, 2.5, b, 1))


def test_integer_and_bool_outputs_are_skipped():
    x = t64([[0.1, 0.9, -0.3], [1.2, -2.0, 0.4]])
    assert backprop.gradcheck(lambda x: (x.max(dim=1), x > 0), x)
    jac = numerical_jacobian(lambda x: x.max(dim=1), x)
    assert jac[1][0] is None  # the indices
    assert jac[0][0].shape == (2, 6)


def test_float32_inputs_are_checked_in_float64_and_left_untouched():
    x = backprop.tensor([0.3, -1.2, 2.0], requires_grad=True)
    before = x.detach().numpy().copy()
    assert x.dtype == backprop.float32
    assert backprop.gradcheck(lambda x: (x * x).exp(), x)
    seen = []
    backprop.gradcheck(lambda x: seen.append(x.dtype) or x.tanh(), x)
    assert set(seen) == {F64}
    assert x.dtype == backprop.float32 and x.grad is None
    np.testing.assert_array_equal(x.detach().numpy(), before)


def test_outputs_that_are_views_of_the_input():
    # The output of reshape/transpose/indexing shares the perturbed input's storage; the
    # checker must copy f(x + eps) before it moves x to x - eps.
    x = t64(np.arange(6.0).reshape(2, 3))
    assert backprop.gradcheck(lambda x: x.t(), x)
    assert backprop.gradcheck(lambda x: x.reshape(3, 2)[1:], x)


def test_jacobian_layout_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((3, 4))
    num = numerical_jacobian(lambda a, b: (a @ b).tanh(), (t64(a), t64(b)))
    ana = analytical_jacobian(lambda a, b: (a @ b).tanh(), (t64(a), t64(b)))
    ref = torch.autograd.functional.jacobian(
        lambda a, b: (a @ b).tanh(), (torch.tensor(a), torch.tensor(b))
    )
    for i, r in enumerate(ref):
        expected = r.reshape(8, -1).numpy()  # (out.numel(), in.numel())
        np.testing.assert_allclose(ana[0][i].numpy(), expected, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(num[0][i].numpy(), expected, rtol=1e-7, atol=1e-9)


def test_nothing_to_check_and_bad_returns_are_user_errors():
    with pytest.raises(ConfigError, match="requires_grad=True"):
        backprop.gradcheck(lambda x: x * 2, t64([1.0], requires_grad=False))
    with pytest.raises(ConfigError, match="must return a Tensor"):
        backprop.gradcheck(lambda x: 3.0, t64([1.0]))


# -- the lecture: "How do we know that PyTorch is doing the right thing?" -----------------
def test_lecture_central_differences_on_y_hat():
    epsilon = 0.001

    def y2(w1, w2, x):
        def sigmoid(x):
            return 1 / (1 + math.exp(-x))

        return w2 * sigmoid(w1 * x)

    def gradient_w1(w1, w2, x):
        return (y2(w1 + epsilon, w2, x) - y2(w1 - epsilon, w2, x)) / (2 * epsilon)

    def gradient_w2(w1, w2, x):
        return (y2(w1, w2 + epsilon, x) - y2(w1, w2 - epsilon, x)) / (2 * epsilon)

    # The lecture's printout: 0.0 and 0.5.
    assert gradient_w1(0, 0, 0) == 0.0
    assert gradient_w2(0, 0, 0) == 0.5

    # The same numbers from our checker's central differences with the lecture's ε ...
    x = backprop.tensor([0.0])
    w1 = backprop.tensor([0.0], requires_grad=True)
    w2 = backprop.tensor([0.0], requires_grad=True)

    def y_hat(w1, w2, x):
        return w2 * backprop.sigmoid(w1 * x)

    jac = numerical_jacobian(y_hat, (w1, w2, x), eps=epsilon)
    assert jac[0][0].item() == 0.0
    assert jac[0][1].item() == pytest.approx(0.5, abs=1e-12)
    assert jac[0][2] is None  # x does not require grad

    # ... from autograd, as the lecture's PyTorch run prints them ...
    y = y_hat(w1, w2, x)
    y.backward()
    assert w1.grad.item() == 0.0
    assert w2.grad.item() == 0.5
    assert x.grad is None

    # ... and the checker agrees with autograd, with the lecture's ε and the default one.
    assert backprop.gradcheck(y_hat, (w1, w2, x), eps=epsilon)
    assert backprop.gradcheck(y_hat, (w1, w2, x))
    point = (t64([0.7]), t64([-1.3]), t64([2.0]))
    assert backprop.gradcheck(y_hat, point)
    np.testing.assert_allclose(
        [gradient_w1(0.7, -1.3, 2.0), gradient_w2(0.7, -1.3, 2.0)],
        [j.item() for j in analytical_jacobian(y_hat, point)[0][:2]],
        rtol=1e-6,
    )


# -- whole models ---------------------------------------------------------------------------
class TinyMLP:
    """A two-layer perceptron with the model API check_gradients needs (until backprop.nn)."""

    def __init__(self, sizes=(2, 3, 1), seed=0, activation=backprop.tanh):
        rng = np.random.default_rng(seed)
        self.activation = activation
        self.params = {}
        for k, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
            self.params[f"{k}.weight"] = backprop.tensor(
                rng.standard_normal((n_out, n_in)).astype(np.float32), requires_grad=True
            )
            self.params[f"{k}.bias"] = backprop.tensor(
                rng.standard_normal(n_out).astype(np.float32), requires_grad=True
            )

    def named_parameters(self):
        return iter(self.params.items())

    def double(self):
        for name, p in self.params.items():
            self.params[name] = p.detach().double().requires_grad_(True)
        return self

    def __call__(self, x):
        n = len(self.params) // 2
        for k in range(n):
            x = bf.linear(x, self.params[f"{k}.weight"], self.params[f"{k}.bias"])
            if k < n - 1:
                x = self.activation(x)
        return x


def mse(pred, y):
    return ((pred - y) ** 2).mean()


def _data(n=5, n_in=2, seed=1):
    rng = np.random.default_rng(seed)
    x = backprop.tensor(rng.standard_normal((n, n_in)).astype(np.float32))
    return x, backprop.tensor(rng.standard_normal((n, 1)).astype(np.float32))


def test_check_gradients_passes_and_tabulates_every_parameter():
    model = TinyMLP()
    before = {n: p.detach().numpy().copy() for n, p in model.named_parameters()}
    result = check_gradients(model, mse, *_data())
    assert isinstance(result, GradientCheckResult)
    assert result.passed
    assert [r.name for r in result.rows] == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert [r.shape for r in result.rows] == [(3, 2), (3,), (1, 3), (1,)]
    assert all(r.passed and r.max_abs_error < 1e-7 for r in result.rows)

    table = str(result).splitlines()
    assert table[0].split() == ["parameter", "shape", "max", "abs", "error", "max", "rel",
                                "error", "|Δ|/tol", "passed"]  # fmt: skip
    for line, name in zip(table[1:5], before):
        assert line.startswith(name) and line.endswith("yes")
    # Aligned: every column starts at the same place on every line.
    starts = {line.index(line.split()[1]) for line in table[1:5]}
    assert len(starts) == 1
    assert table[5].startswith("all 4 parameters passed (eps=1e-06")

    # The user's model is untouched: float32, same values, no .grad.
    for name, p in model.named_parameters():
        assert p.dtype == backprop.float32 and p.grad is None
        np.testing.assert_array_equal(p.detach().numpy(), before[name])


def test_check_gradients_flags_the_parameter_with_a_wrong_gradient():
    model = TinyMLP(activation=WrongCube.apply)  # wrong backward between the layers
    result = check_gradients(model, mse, *_data())
    assert not result.passed
    verdicts = {r.name: r.passed for r in result.rows}
    # Only gradients that flow back through the wrong activation are wrong.
    assert verdicts == {"0.weight": False, "0.bias": False, "1.weight": True, "1.bias": True}
    assert "2 of 4 parameters FAILED" in str(result)
    assert " NO" in str(result)


def test_check_gradients_needs_a_scalar_loss():
    with pytest.raises(ShapeError, match="one-element"):
        check_gradients(TinyMLP(), lambda p, y: (p - y) ** 2, *_data())


def test_check_gradients_reached_from_the_package():
    assert backprop.check_gradients is check_gradients
    assert backprop.gradcheck.check_gradients is check_gradients


def test_check_gradients_on_an_nn_mlp():
    nn = pytest.importorskip("backprop.nn")
    if not all(hasattr(nn, name) for name in ("Sequential", "Linear", "Tanh", "MSELoss")):
        pytest.skip("backprop.nn does not have Sequential/Linear/Tanh/MSELoss yet")
    backprop.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
    reference = copy.deepcopy(model)
    result = check_gradients(model, nn.MSELoss(), *_data())
    assert result.passed, str(result)
    names = [name for name, _ in model.named_parameters()]
    assert [r.name for r in result.rows] == names
    table = str(result)
    assert all(name in table for name in names)
    for (_, p), (_, q) in zip(model.named_parameters(), reference.named_parameters()):
        assert p.dtype == backprop.float32 and p.grad is None
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


def test_check_gradients_names_an_mlps_parameters_as_the_lecture():
    """W[l], b[l] beside PyTorch's names (issue 15), and the ε the slide uses is named."""
    nn = pytest.importorskip("backprop.nn")
    backprop.manual_seed(0)
    model = nn.MLP([2, 4, 3, 1], activation="tanh")
    result = check_gradients(model, nn.MSELoss(), *_data())
    lecture = [(r.lecture, r.name) for r in result.rows]
    linear = [n for n, m in model.named_modules() if isinstance(m, nn.Linear)]
    want = []
    for index, name in enumerate(linear, start=1):
        want += [(f"W[{index}]", f"{name}.weight"), (f"b[{index}]", f"{name}.bias")]
    assert lecture == want
    table = str(result).splitlines()
    assert table[0].split()[:4] == ["lecture", "parameter", "torch", "shape"]
    assert table[1].split()[:2] == ["W[1]", want[0][1]]
    assert "the lecture's slide uses ε = 0.001" in str(result)
    assert "slide uses" not in str(check_gradients(model, nn.MSELoss(), *_data(), eps=1e-3))


def test_a_failure_from_a_step_across_a_relu_kink_is_named():
    """The slide's ε = 0.001 on a ReLU net: a pre-activation 0.0004 from the kink makes the
    ±ε steps of W[1] and b[1] straddle it, so their central differences average two slopes
    and fail; at ε = 1e-6 they pass, and the result says so instead of leaving a bare NO
    (a student read it as backprop being wrong). Rows that fail at every ε are not named."""
    import backprop as bp
    from backprop import nn

    model = nn.MLP([1, 2, 1], activation="relu").double()
    with bp.no_grad():
        model[0].weight.copy_(bp.tensor([[1.0], [1.0]], dtype=bp.float64))
        model[0].bias.copy_(bp.tensor([-0.5, 0.3], dtype=bp.float64))
    x = bp.tensor([[0.5004], [1.2]], dtype=bp.float64)  # f = 0.0004 for unit 1, sample 1
    y = bp.tensor([[1.0], [2.0]], dtype=bp.float64)
    coarse = bp.check_gradients(model, nn.MSELoss(), x, y, eps=0.001)
    assert not coarse.passed and coarse.kinks == ("W[1]", "b[1]")
    assert "crosses a kink" in str(coarse)
    assert bp.check_gradients(model, nn.MSELoss(), x, y, eps=1e-6).passed
    smooth = bp.check_gradients(nn.MLP([1, 3, 1], activation="tanh"), nn.MSELoss(), x, y, 0.001)
    assert smooth.kinks == ()  # no kinks: nothing named
