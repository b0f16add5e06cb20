"""The experiment spec: every field checked, defaults filled, and the same numbers from the
library (``backprop.run``) and the command line (``backprop train``)."""

import copy
import json
import subprocess
import sys

import numpy as np
import pytest

import backprop
from backprop.errors import SpecError
from backprop.spec import builtin, normalize

BASE = {
    "name": "t",
    "seed": 3,
    "data": {"name": "square", "n": 40},
    "model": {"hidden": [4], "activation": "tanh"},
    "optimizer": {"name": "adam", "lr": 0.05},
    "epochs": 30,
}


def with_field(path: str, value):
    spec = copy.deepcopy(BASE)
    *parents, last = path.split(".")
    node = spec
    for p in parents:
        node = node.setdefault(p, {})
    node[last] = value
    return spec


def test_lecture_spec_ships_and_normalizes():
    spec = normalize(builtin("square"))
    assert spec["model"]["sizes"] == [1, 8, 8, 1]
    assert spec["model"]["activation"] == ["relu", "relu"]
    assert spec["optimizer"] == {"name": "adam", "lr": 0.1, "options": {}}
    assert spec["loss"]["name"] == "mse" and spec["epochs"] == 10000
    assert spec["batch_size"] is None
    assert normalize(spec) == spec  # normalising is idempotent


@pytest.mark.parametrize(
    ("path", "value", "phrase"),
    [
        ("seed", -1, "seed"),
        ("epochs", -1, "epochs"),  # 0 is allowed: the seed's data and weights, untrained
        ("epochs", 2.5, "whole number"),
        ("batch_size", 0, "batch_size"),
        ("optimizer.lr", -0.1, "optimizer.lr"),
        ("optimizer.lr", "fast", "optimizer.lr"),
        ("optimizer.name", "adamm", "optimizer.name"),
        ("optimizer.options", {"betas": [0.9]}, "optimizer"),
        ("model.activation", "relux", "model.activation"),
        ("model.activation", ["relu", "tanh"], "one activation per hidden layer"),
        ("model.hidden", [4, 0], "model.hidden[1]: must be between 1 and"),
        ("model.init", "magic", "model.init"),
        ("model.dtype", "float16", "model.dtype"),
        ("data.name", "mnist", "data.name"),
        ("data.n", 0, "data.n"),
        ("loss.name", "hinge", "loss.name"),
        ("validation", 1.5, "validation"),
        ("engine", "gpu", "engine"),
        ("schedule.name", "warmup", "schedule.name"),
    ],
)
def test_every_field_is_checked_with_its_path_rule_and_value(path, value, phrase):
    with pytest.raises(SpecError) as info:
        backprop.spec.prepare(with_field(path, value))
    message = str(info.value)
    assert phrase in message
    shown = value[-1] if path == "model.hidden" else value  # the offending element
    assert repr(shown)[:8] in message or str(shown)[:8] in message


@pytest.mark.parametrize(
    ("path", "suggestion"),
    [
        ("optimiser", "optimizer"),
        ("model.sizez", "sizes"),
        ("data.noize", "noise"),
        ("epoch", "epochs"),
    ],
)
def test_unknown_fields_are_errors_with_a_suggestion(path, suggestion):
    with pytest.raises(SpecError, match=f"unknown field — did you mean '{suggestion}'"):
        normalize(with_field(path, 1))


def test_unreadable_spec_files_and_csv_column_fields(tmp_path):
    # json's RecursionError and ValueError (an over-long integer) were tracebacks; a target
    # or features of the wrong type passed normalize and failed later as a TypeError
    path = tmp_path / "spec.json"
    path.write_text("[" * 100_000)
    with pytest.raises(SpecError, match="nests too deeply"):
        backprop.spec.load(path)
    path.write_text('{"epochs": ' + "9" * 5000 + "}")
    with pytest.raises(SpecError, match="over 4300 digits"):
        backprop.spec.load(path)
    with pytest.raises(SpecError, match="expected a path"):
        backprop.spec.load(3)
    csv = {"csv": "data.csv", "target": "y"}
    with pytest.raises(SpecError, match=r"data\.target: must be a column name"):
        normalize({"data": {**csv, "target": 3}})
    with pytest.raises(SpecError, match=r"data\.features: must be a list of column names"):
        normalize({"data": {**csv, "features": "x1"}})
    assert normalize({"data": {**csv, "target": ["y"], "features": ["a"]}})["data"]["target"]


def test_model_sizes_must_fit_the_data():
    spec = with_field("model", {"sizes": [2, 4, 1]})
    with pytest.raises(SpecError, match=r"model.sizes.*1 input feature"):
        backprop.spec.prepare(spec)


def test_run_and_cli_give_identical_numbers(tmp_path):
    # the same engine in both processes: "auto" may pick the compiled loop in a process that
    # holds it (this one, after other tests) and NumPy in a fresh one — equal to rounding only
    spec = {**copy.deepcopy(BASE), "engine": "delta"}
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(json.dumps(spec))
    library = backprop.run(copy.deepcopy(spec))
    out = tmp_path / "out"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "backprop",
            "train",
            str(spec_path),
            "--out",
            str(out),
            "--quiet",
            "--no-plots",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    saved = json.loads((out / "history.json").read_text())
    ours = library.history.history
    assert np.array_equal(np.asarray(saved["history"]["loss"]), np.asarray(ours["loss"]))
    model = backprop.load(out / "model.safetensors")
    for (name, p), q in zip(library.model.named_parameters(), model.parameters()):
        assert np.array_equal(p.numpy(force=True), q.numpy(force=True)), name


def test_same_seed_same_numbers_different_seed_different():
    a = backprop.run(copy.deepcopy(BASE)).history.history["loss"]
    b = backprop.run(copy.deepcopy(BASE)).history.history["loss"]
    c = backprop.run(with_field("seed", 4)).history.history["loss"]
    assert a == b
    assert a != c


def test_schedule_and_early_stopping_from_the_spec():
    spec = with_field("schedule", {"name": "step", "options": {"step_size": 10, "gamma": 0.5}})
    spec["epochs"] = 25
    run = backprop.run(spec)
    lrs = run.history.history["lr"]
    assert lrs[0] == pytest.approx(0.05) and lrs[-1] == pytest.approx(0.0125)
    spec = copy.deepcopy(BASE)
    spec.update(validation=0.25, epochs=400, early_stopping={"patience": 3})
    run = backprop.run(spec)
    assert len(run.history) < 400 and run.history.stop_reason
