"""The export note's ``backprop predict`` example, run for real (issue 16 attack, item 17).

The note named the inputs as the page draws them (X₁, X₁X₂, sin(X₂)) while the model file
and the CLI name them x1, x1*x2, sin(x2), and wrote sin 2 with four digits (0.9093). Here
the example is run with ``backprop predict`` on the exported file: the CLI's header names
the note's inputs, and its prediction is the session network's on x1 = 1, x2 = 2 (the
features computed by numpy, the probability by the logistic function).
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys

import numpy as np
import pytest

from backprop.playground import exports
from backprop.playground import features as feats
from backprop.playground.session import Session


@pytest.mark.parametrize(
    "settings",
    [
        {"dataset": "circle", "features": ["x1", "x1x2", "sinx2"]},
        {"dataset": "sine", "features": ["x1", "sinx1"]},
        {"dataset": "xor"},  # the raw inputs: right before too
    ],
    ids=["2d-features", "1d-features", "raw"],
)
def test_the_predict_example_names_the_files_inputs_and_gives_its_output(settings, tmp_path):
    import backprop

    s = Session({"seed": 2, **settings})
    s.step_epoch()
    example = exports.predict_example(s)
    path = tmp_path / "model.safetensors"
    path.write_bytes(exports.write_model(exports.model_file(s)))
    out = subprocess.run(
        [sys.executable, "-m", "backprop", "predict", str(path), "--x", example["x"]],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    header, row = list(csv.reader(io.StringIO(out.stdout.strip())))
    n = len(example["inputs"])
    assert header[:n] == example["inputs"]
    x = feats.transform(np.array([[1.0, 2.0][: s.n_inputs]]), s.state["features"])
    with backprop.no_grad():
        ours = float(s.model(backprop.tensor(x.astype(np.float32))).numpy().ravel()[0])
    if s.raw.task == "regression":
        assert float(row[n]) == pytest.approx(ours, rel=1e-4)
    else:  # one logit: p(1) = σ(z)
        assert float(row[header.index("p(1)")]) == pytest.approx(1 / (1 + np.exp(-ours)), abs=1e-3)


# trial 2, attacker #1: a CSV (standardised by the session) with the features x1², x2
CSV = "a,b,label\n" + "\n".join(
    f"{a:.3f},{b:.3f},{int(a * a + 3 * b > 2)}"
    for a, b in np.random.default_rng(0).uniform(-3, 3, (120, 2)) * [1, 5] + [2, 7]
)


def test_a_csv_models_export_gives_the_sessions_prediction_or_is_refused(tmp_path):
    import backprop
    from backprop.playground.protocol import ProtocolError

    s = Session({"seed": 2})
    s.upload("mine.csv", CSV)
    s.apply({"features": ["x1sq", "x2"]}, rebuild=True)
    s.step_epoch()
    with pytest.raises(ProtocolError, match=r"standardised columns.*raw features"):
        exports.model_file(s)
    # the raw columns: the file carries the scaler and the note's command gives the page's
    # own answer for its sample (the columns' means; the session standardises them first)
    s.apply({"features": ["x1", "x2"]}, rebuild=True)
    for _ in range(3):
        s.step_epoch()
    example = exports.predict_example(s)
    path = tmp_path / "model.safetensors"
    path.write_bytes(exports.write_model(exports.model_file(s)))
    out = subprocess.run(
        [sys.executable, "-m", "backprop", "predict", str(path), "--x", example["x"]],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    header, row = list(csv.reader(io.StringIO(out.stdout.strip())))
    assert header[:2] == example["inputs"] == ["a", "b"]
    x = s.raw.scaler.transform(np.array([[float(v) for v in example["x"].split(",")]]))
    with backprop.no_grad():
        z = float(s.model(backprop.tensor(x.astype(np.float32))).numpy().ravel()[0])
    assert float(row[header.index("p(1)")]) == pytest.approx(1 / (1 + np.exp(-z)), abs=1e-3)
