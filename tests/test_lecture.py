"""The lecture's PyTorch code, run on backprop with only the import changed.

Acceptance tests from the slides: the autograd example's printout, the numerical check with
ε = 0.001, the 1-8-8-1 ReLU network fitting y = x² with Adam, and the model's named
parameters. The example files in ``examples/`` are the code; these tests run them.
"""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import backprop as bp

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
sys.path.insert(0, str(EXAMPLES))

import lecture_square  # noqa: E402


def run_example(name: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_autograd_example_prints_what_the_slide_prints():
    lines = run_example("lecture_autograd.py").splitlines()
    # the slide: "tensor([0.]) tensor([0.], requires_grad=True) tensor([0.], requires_grad=True)"
    assert (
        lines[0] == "tensor([0.]) tensor([0.], requires_grad=True) tensor([0.], requires_grad=True)"
    )
    assert lines[1:4] == ["tensor([0.])", "tensor([0.5000])", "None"]
    # the slide's numerical check: gradient_w1(0,0,x) -> 0.0, gradient_w2(0,0,x) -> 0.5
    assert float(lines[4]) == 0.0
    assert abs(float(lines[5]) - 0.5) < 1e-9
    assert lines[6] == "gradcheck: True"


def test_named_parameters_match_the_lecture_printout():
    model = lecture_square.MultilayerPerceptron(1, 8)
    shapes = [(name, tuple(p.shape)) for name, p in model.named_parameters()]
    assert shapes == [
        ("linear.weight", (8, 1)),
        ("linear.bias", (8,)),
        ("linear2.weight", (8, 8)),
        ("linear2.bias", (8,)),
        ("linear3.weight", (1, 8)),
        ("linear3.bias", (1,)),
    ]
    text = repr(list(model.named_parameters()))
    assert text.startswith("[('linear.weight', Parameter containing:\ntensor([[")
    assert "requires_grad=True)), ('linear.bias', Parameter containing:" in text


@pytest.mark.parametrize("seed", [0, 1])
def test_square_fit_trains_and_predicts_fresh_points(seed):
    # The lecture's run: 1-8-8-1 ReLU, Adam lr 0.1, MSELoss, 10,000 full-batch epochs.
    model, final_mse, *_ = lecture_square.main(n_epoch=10000, seed=seed, verbose=False)
    assert final_mse < 1.5
    # Five fresh points inside the training range (x = 5·randn) and away from 0, where a
    # relative error means something: the noise (σ = 1) alone is 100 % of x² at |x| = 1.
    x2 = bp.tensor([[-4.0], [-2.5], [2.0], [3.0], [4.5]])
    with bp.no_grad():
        y_pred = model(x2).numpy()
    truth = np.square(x2.numpy())
    assert np.all(np.abs(y_pred - truth) <= 0.15 * truth), (y_pred.ravel(), truth.ravel())


def test_square_example_runs_from_the_command_line():
    out = run_example("lecture_square.py", "--epochs", "300")
    assert out.startswith("Epoch 0: traing loss: ")
    assert "('linear3.bias', Parameter containing:" in out
    assert "final training MSE:" in out
