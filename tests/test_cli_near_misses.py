"""Misspelt flags, values and commands get a did-you-mean, and the error names the
subcommand's own --help (issue 15). Prefix abbreviations are refused (allow_abbrev=False)."""

import subprocess
import sys

import pytest

CASES = [
    (["train", "--activatoin", "relu", "--data", "square"], "backprop train:",
     "--activatoin", "'--activation'"),
    (["train", "--layer", "1,8,1", "--data", "square"], "backprop train:", "--layer",
     "'--layers'"),
    (["train", "--data", "sqaure"], "backprop train:", "data.name", "'square'"),
    (["train", "--data", "square", "--activation", "rleu"], "backprop train:",
     "model.activation", "'relu'"),
    (["train", "--data", "square", "--loss", "mse2"], "backprop train:", "loss.name", "'mse'"),
    (["train", "--data", "square", "--engine", "fsed"], "backprop train:", "--engine",
     "'fused'"),
    (["trian"], "backprop:", "trian", "'train'"),
    (["--verson"], "backprop:", "--verson", "'--version'"),
    (["train", "sqaure"], "backprop train:", "sqaure", "the built-in spec 'square'"),
]  # fmt: skip


@pytest.mark.parametrize(("argv", "prefix", "named", "suggested"), CASES)
def test_a_near_miss_is_one_line_with_a_suggestion(argv, prefix, named, suggested):
    done = subprocess.run(
        [sys.executable, "-m", "backprop", *argv], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    line = lines[0]
    assert line.startswith(prefix) and named in line
    assert f"Did you mean {suggested}?" in line
    assert ".;" not in line and "?." not in line
    if line.startswith("backprop train:") and "(see '" in line:
        assert "(see 'backprop train --help')" in line


def test_nothing_near_gets_no_guess():
    done = subprocess.run(
        [sys.executable, "-m", "backprop", "train", "--zzzzqq", "--data", "square"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    assert "unrecognized arguments: --zzzzqq" in done.stderr and "Did you mean" not in done.stderr


def test_explain_names_the_near_builtin_network():
    done = subprocess.run(
        [sys.executable, "-m", "backprop", "explain", "scalr"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2 and "Did you mean 'scalar'?" in done.stderr
