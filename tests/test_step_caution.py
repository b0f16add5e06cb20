"""The lecture's Caution for step units (issue 15): ``fit`` warns, the CLI prints one
``warning:`` line, and the warning tells the truth — autograd's gradients below the step
layer are zero."""

import subprocess
import sys
import warnings

import numpy as np
import pytest

import backprop as bp
from backprop import nn, optim
from backprop.errors import StepUnitWarning
from backprop.train import fit


def _data():
    bp.manual_seed(0)
    x = bp.randn(30, 2)
    return x, (x**2).sum(1, keepdim=True)


def test_fit_warns_and_the_gradients_below_are_zero():
    x, y = _data()
    model = nn.MLP([2, 5, 4, 1], activation="step")
    caution = r"layers 1 and 2 use the step function.*δ\[2\].*Caution"
    with pytest.warns(StepUnitWarning, match=caution):
        fit(model, (x, y), "mse", optim.SGD(model.parameters(), lr=0.1), 1)
    model.zero_grad()
    nn.MSELoss()(model(x), y).backward()
    layers = [m for m in model.modules() if isinstance(m, nn.Linear)]
    for layer in layers[:2]:  # W[1], W[2]: below the last step layer
        assert not np.any(layer.weight.grad.numpy())
    assert np.any(layers[2].weight.grad.numpy())  # W[3] still learns


def test_a_model_of_any_shape_with_step_units_warns():
    class Odd(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.s, self.b = nn.Linear(2, 3), nn.Step(), nn.Linear(3, 1)

        def forward(self, x):
            return self.b(self.s(self.a(x))) + x[:, :1]

    x, y = _data()
    model = Odd()
    with pytest.warns(StepUnitWarning, match="nn.Step"):
        fit(model, (x, y), "mse", optim.SGD(model.parameters(), lr=0.1), 1)


def test_differentiable_units_do_not_warn():
    x, y = _data()
    model = nn.MLP([2, 5, 1], activation="relu")
    with warnings.catch_warnings():
        warnings.simplefilter("error", StepUnitWarning)
        fit(model, (x, y), "mse", optim.SGD(model.parameters(), lr=0.1), 1)


def test_cli_prints_the_caution_as_one_line(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "backprop", "train", "--data", "square", "--activation", "step",
         "--epochs", "3", "--no-plots", "--quiet", "--out", str(tmp_path / "o")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert all(line.startswith("backprop train: warning: ") for line in lines), done.stderr
    caution = [line for line in lines if "Caution" in line]
    assert len(caution) == 1 and caution[0].startswith("backprop train: warning: layers 1 and 2 ")
    assert "Warning:" not in done.stderr  # no Python file:line: Category: text form


def test_the_caution_is_not_followed_by_advice_that_cannot_help():
    """With step units the poor-fit warning's 'train longer, raise the learning rate' cannot
    help (no gradient reaches the weights): only the Caution is given (second trial)."""
    from backprop.errors import PoorFitWarning

    x, y = _data()
    model = nn.MLP([2, 5, 1], activation="step")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        fit(model, (x, y + 100), "mse", optim.SGD(model.parameters(), lr=1e-4), 1)
    kinds = [w.category for w in seen]
    assert StepUnitWarning in kinds and PoorFitWarning not in kinds
