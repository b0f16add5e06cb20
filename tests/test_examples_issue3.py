"""The issue-3 examples run (each in a fresh interpreter, with small step counts) and print
what a student is meant to see."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(script: str, *args: str) -> str:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / script), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout


def numbers_after(label: str, text: str) -> list[float]:
    """The numbers after ``label`` on its line, e.g. δ values next to their trace value."""
    line = next(line for line in text.splitlines() if line.lstrip().startswith(label))
    return [float(v) for v in re.findall(r"-?\d+\.\d+(?:e[-+]\d+)?", line.split("=", 1)[1])]


def test_scalar_backprop():
    out = run("scalar_backprop.py", "--steps", "10")
    assert "Backpropagation trace: 1-1-1-1 MLP" in out
    for l in (1, 2, 3):
        assert f"δ[{l}]" in out
        *_, by_hand, traced = numbers_after(f"δ[{l}] = ", out)
        assert by_hand == traced
        *_, by_hand, traced = numbers_after(f"∂ŷ/∂W[{l}] = δ[{l}]·a[{l - 1}]", out)
        assert by_hand == traced
    losses = [float(v) for v in re.findall(r"E = (\d\.\d+e[-+]\d+)", out)]
    assert len(losses) >= 2 and losses[-1] < losses[0]


def test_vector_backprop():
    out = run("vector_backprop.py", "--steps", "5")
    assert "Backpropagation trace: 2-2-2-1 MLP" in out
    for l in (1, 2, 3):
        assert f"ŷ'(W[{l}]) = a[{l - 1}] δ[{l}]ᵀ" in out
    gaps = [float(g) for g in re.findall(r"autograd differs by (\S+)", out)]
    assert len(gaps) == 3 and max(gaps) < 1e-15
    assert "diagonal matrix" in out and "Hadamard" in out
    assert "The two differ by 0.0e+00" in out


def test_abs_relu():
    out = run("abs_relu.py", "--seeds", "3", "--epochs", "300")
    assert "max |ŷ − |x − 1|| over 201 grid points in [−3, 5]: 0.0" in out
    found = re.search(r"Found the exact solution in (\d+) of (\d+) seeds", out)
    assert found is not None
    assert int(found.group(2)) == 3 and 0 <= int(found.group(1)) <= 3


def test_vanishing_gradients():
    out = run("vanishing_gradients.py", "--depths", "2", "10", "--width", "16")
    assert "sigmoid" in out and "relu" in out
    assert "The slide's bound" in out
    change = re.search(r"changes by ×(\S+) with sigmoid and by ×(\S+) with ReLU", out)
    assert change is not None
    assert float(change.group(1)) < 1e-2  # sigmoid: the first layer's share collapses
    assert 0.1 < float(change.group(2)) < 10  # ReLU: it does not
    assert "each layer keeps on average" in out


def test_perceptron_step():
    out = run("perceptron_step.py", "--epochs", "30", "--samples", "40")
    assert "g'[1](f[1]) takes only the values [0.0]" in out
    assert "‖∂E/∂W[1]‖ = 0.000e+00" in out
    assert "perceptron rule" in out and "step function" in out
    part2, part3 = out.split("Part 2")[1].split("Part 3")
    assert "converged: True" in part2 and "training accuracy 100%" in part2
    assert "converged: False after 30 epoch(s)" in part3


@pytest.mark.parametrize(
    "script",
    [
        "scalar_backprop.py",
        "vector_backprop.py",
        "abs_relu.py",
        "vanishing_gradients.py",
        "perceptron_step.py",
    ],
)
def test_examples_explain_themselves(script):
    source = (ROOT / "examples" / script).read_text()
    assert source.startswith('"""The lecture')  # a docstring that names the slide
    assert "argparse" in source
