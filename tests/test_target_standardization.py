"""Regression targets of a CSV are standardised for training and the scaling is folded into
the output layer (issue 15: the README's house-price example gave r² = −11.8)."""

import subprocess
import sys

import numpy as np
import pytest

import backprop
from backprop.errors import SpecError
from backprop.spec import prepare, targets

sklearn_metrics = pytest.importorskip("sklearn.metrics")


def _houses(path, n=400, seed=0):
    rng = np.random.default_rng(seed)
    size, rooms = rng.uniform(50, 250, n), rng.integers(1, 7, n)
    price = 3 * size + 10 * rooms + rng.normal(0, 10, n)
    rows = [f"{a:.2f},{b},{c:.2f}" for a, b, c in zip(size, rooms, price)]
    path.write_text("size,rooms,price\n" + "\n".join(rows) + "\n")
    return np.column_stack([size, rooms]), price


def _spec(csv, **data):
    return {"name": "houses", "data": {"csv": str(csv), "target": "price", **data},
            "model": {"hidden": [32, 32]}, "epochs": 100}  # fmt: skip


def _predict(model, x):
    with backprop.no_grad():
        return model(backprop.tensor(x, dtype=model.parameters().__next__().dtype)).numpy()


def test_a_csv_regression_fits_by_default_and_predicts_in_its_units(tmp_path):
    x, price = _houses(tmp_path / "houses.csv")
    r = backprop.run(_spec(tmp_path / "houses.csv"))
    assert r.target_scaling is not None
    scaler = backprop.data.Standardizer.from_dict(r.file_spec()["data"]["scaler"])
    pred = _predict(r.net, scaler.transform(x))[:, 0]
    assert sklearn_metrics.r2_score(price, pred) > 0.95  # was −7.9 on raw targets
    # the run's own r² (on z) is the same number: r² does not depend on the units
    assert r.history["r2"][-1] == pytest.approx(sklearn_metrics.r2_score(price, pred), abs=2e-3)
    off = _spec(tmp_path / "houses.csv", standardize_target=False)
    off["optimizer"] = {"name": "adam", "lr": 0.001}  # Adam's own: a CSV's old default
    off = backprop.run({**off, "batch_size": len(x)})  # full batch: a CSV's old default
    assert off.target_scaling is None and off.history["r2"][-1] < 0  # the trap it fixes


def test_folding_equals_undoing_the_standardisation(tmp_path):
    _houses(tmp_path / "houses.csv", n=120)
    r = prepare({**_spec(tmp_path / "houses.csv"), "epochs": 5})
    backprop.fit(r.net, (r.dataset.x, r.dataset.y), r.loss, r.optimizer, 5)
    z = _predict(r.net, r.dataset.x).astype(np.float64)
    scaled_y = r.dataset.y.copy()
    targets.fold(r.net, r.dataset, r.target_scaling)
    folded = _predict(r.net, r.dataset.x).astype(np.float64)
    s = r.target_scaling
    np.testing.assert_allclose(folded, z * s.std + s.mean, rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(r.dataset.y, scaled_y * s.std + s.mean, rtol=1e-12)


def test_the_model_file_and_the_cli_give_the_targets_units(tmp_path):
    _, price = _houses(tmp_path / "houses.csv")
    out = tmp_path / "run"
    done = subprocess.run(
        [sys.executable, "-m", "backprop", "train", "--csv", str(tmp_path / "houses.csv"),
         "--target", "price", "--hidden", "32,32", "--no-plots", "--quiet", "--out", str(out)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "trained on standardised z (price = " in done.stdout
    model_file = backprop.io.read(out / "model.safetensors")
    stored = model_file.full_spec["data"]["target_scaler"]
    assert stored["mean"][0] == pytest.approx(price.mean(), rel=1e-4)
    done = subprocess.run(
        [sys.executable, "-m", "backprop", "predict", str(out / "model.safetensors"),
         "--x", "150,3"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    value = float(done.stdout.strip().splitlines()[-1].split(",")[-1])
    assert abs(value - (3 * 150 + 10 * 3)) < 25  # the true price (noise sd 10)


def test_builtin_sets_keep_the_lectures_units_and_bad_values_are_refused(tmp_path):
    r = prepare({**backprop.spec.builtin("square"), "epochs": 1})
    assert r.target_scaling is None  # the lecture's loss numbers stay the slide's
    with pytest.raises(SpecError, match=r"data\.standardize_target"):
        prepare({**backprop.spec.builtin("square"), "data": {"name": "square",
                 "standardize_target": "yes"}})  # fmt: skip
    with pytest.raises(SpecError, match="classification"):
        prepare({**backprop.spec.builtin("xor"), "data": {"name": "xor",
                 "standardize_target": True}})  # fmt: skip
