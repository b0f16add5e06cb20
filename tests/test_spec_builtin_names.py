"""A built-in spec's name works wherever a spec path does (issue 15): ``backprop.run("square")``,
``spec.load``, ``backprop train square``; a file of that name wins; a near miss is named."""

import json
import subprocess
import sys

import numpy as np
import pytest

import backprop
from backprop.errors import SpecError
from backprop.spec import builtin, load, normalize


def test_run_takes_a_builtin_name_and_gives_the_builtin_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no file named "square" here
    short = {"epochs": 3, "engine": "delta"}
    by_name = backprop.spec.prepare("square")
    # prepared as the built-in spec is (prepare records what it decided, e.g. standardize)
    assert by_name.spec == backprop.spec.prepare(builtin("square")).spec
    assert by_name.spec["data"]["name"] == normalize(builtin("square"))["data"]["name"]
    a = backprop.run({**load("square.json"), **short})
    b = backprop.run({**builtin("square"), **short})
    assert a.spec["name"] == "square"
    assert np.array_equal(a.history["loss"], b.history["loss"])


def test_a_file_of_that_name_wins_over_the_builtin(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    mine = {**builtin("square"), "name": "mine", "epochs": 2}
    (tmp_path / "square").write_text(json.dumps(mine))
    assert load("square")["name"] == "mine"


def test_a_misspelt_name_is_refused_with_the_near_builtin(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SpecError, match=r"no such file.*Did you mean the built-in spec 'square'"):
        load("sqaure")
    with pytest.raises(SpecError, match="no such file") as info:
        load("nothing-like-it.json")
    assert "Did you mean" not in str(info.value)
    with pytest.raises(SpecError, match="no such file"):  # a path with folders is a path
        load(str(tmp_path / "square"))


def test_cli_train_says_it_ran_the_builtin(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "backprop", "train", "square", "--epochs", "2", "--no-plots",
         "--out", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "spec: the built-in 'square'" in done.stdout.splitlines()[0]
    saved = json.loads((tmp_path / "out" / "spec.json").read_text())
    assert saved["name"] == "square"
