"""What a new student's first hour with the command line found (issue 15 trial), each fixed
at its root: explain standardises a CSV model's inputs as predict does, export's default
path lies beside a run folder, conflicting flags are refused, a history file is named as
one, and the advice after a blow-up points the right way."""

import re
import subprocess
import sys

import numpy as np
import pytest


def _cli(*argv, cwd):
    done = subprocess.run(
        [sys.executable, "-m", "backprop", *map(str, argv)], capture_output=True, text=True,
        timeout=300, cwd=cwd,
    )  # fmt: skip
    return done.returncode, done.stdout, done.stderr


@pytest.fixture(scope="module")
def houses(tmp_path_factory):
    folder = tmp_path_factory.mktemp("houses")
    rng = np.random.default_rng(0)
    size, rooms = rng.uniform(50, 250, 200), rng.integers(1, 7, 200)
    price = 3 * size + 10 * rooms + rng.normal(0, 5, 200)
    rows = [f"{a:.2f},{b},{c:.2f}" for a, b, c in zip(size, rooms, price)]
    (folder / "houses.csv").write_text("size,rooms,price\n" + "\n".join(rows) + "\n")
    argv = ["train", "--csv", "houses.csv", "--target", "price", "--hidden", "16", "--epochs",
            "50", "--no-plots", "--quiet", "--out", "run"]  # fmt: skip
    code, _, err = _cli(*argv, cwd=folder)
    assert code == 0, err
    return folder


def test_explain_of_a_csv_model_sees_what_predict_sees(houses):
    code, out, err = _cli("predict", "run/model.safetensors", "--x", "100,3", cwd=houses)
    assert code == 0, err
    predicted = float(out.strip().splitlines()[-1].split(",")[-1])
    code, out, err = _cli("explain", "run/model.safetensors", "--x", "100,3", cwd=houses)
    assert code == 0, err
    assert "inputs standardised as the model file says" in out
    y_hat = float(re.search(r"ŷ = a\[\d+\] = \[\s*(\S+)\]ᵀ", out).group(1))
    assert y_hat == pytest.approx(predicted, rel=1e-3)


def test_export_of_a_run_folders_model_writes_into_the_current_folder(houses, tmp_path):
    model = houses / "run" / "model.safetensors"
    code, out, err = _cli("export", model, "--to", "onnx", cwd=tmp_path)
    assert code == 0, err
    assert (tmp_path / "run.onnx").stat().st_size > 0 and "run.onnx" in out
    assert not (houses / "run" / "model.onnx").exists()
    assert sorted(p.name for p in houses.iterdir()) == ["houses.csv", "run"]


def test_a_history_file_is_named_as_one(houses):
    code, _, err = _cli("predict", "run/history.json", "--x", "1,2", cwd=houses)
    assert code == 2 and "a training history (history.json)" in err and "spec" not in err


def test_flags_that_contradict_or_lack_their_partner_are_refused(tmp_path):
    code, _, err = _cli("train", "--data", "square", "--hidden", "8,8", "--layers", "1,8,1",
                        cwd=tmp_path)  # fmt: skip
    assert code == 2 and "--layers 1,8,1 and --hidden 8,8: give one" in err
    code, _, err = _cli("train", "--csv", "x.csv", cwd=tmp_path)
    assert code == 2 and "add --target COLUMN" in err
    code, _, err = _cli("train", "--data", "square", "--task", "regression", cwd=tmp_path)
    assert code == 2 and "--task describes a CSV" in err and "--features" not in err


def test_after_a_finite_blow_up_the_advice_is_a_smaller_learning_rate(tmp_path):
    code, _, err = _cli("train", "--data", "square", "--lr", "1000", "--epochs", "100",
                        "--batch-size", "100", "--no-plots", "--quiet", "--out", "o",
                        cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    warning = next(line for line in err.splitlines() if "warning:" in line)
    assert "grew from" in warning and "smaller learning rate" in warning
    assert "larger learning rate" not in warning


def test_a_csv_runs_inferred_task_is_said_with_the_flag_that_changes_it(tmp_path):
    rng = np.random.default_rng(0)
    rows = [f"{rng.normal():.3f},{rng.integers(1, 6)}" for _ in range(60)]
    (tmp_path / "r.csv").write_text("a,rooms\n" + "\n".join(rows) + "\n")
    code, out, err = _cli("train", "--csv", "r.csv", "--target", "rooms", "--epochs", "2",
                          "--no-plots", "--quiet", "--out", "o", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    assert "task: classification (5 classes), inferred" in out and "--task regression" in out
    code, out, err = _cli("train", "--csv", "r.csv", "--target", "rooms", "--task",
                          "regression", "--epochs", "2", "--no-plots", "--quiet", "--out", "p",
                          cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    said = [line for line in out.splitlines() if not line.startswith("run folder:")]
    assert not any("inferred" in line for line in said)  # asked for: nothing to say
