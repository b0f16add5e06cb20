"""The CSV errors' advice is something the CLI can follow (issue 15): --features and --task
exist, and the text-cell error names them."""

import subprocess
import sys

import backprop


def _cli(*argv, cwd):
    return subprocess.run(
        [sys.executable, "-m", "backprop", *argv], capture_output=True, text=True, timeout=300,
        cwd=cwd,
    )  # fmt: skip


def test_a_text_column_error_names_the_flag_and_the_flag_works(tmp_path):
    rows = ["size,city,price"] + [f"{90 + i},{'paris' if i % 2 else 'rome'},{300 + 3 * i}"
                                   for i in range(30)]  # fmt: skip
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    done = _cli("train", "--csv", "t.csv", "--target", "price", "--no-plots", cwd=tmp_path)
    assert done.returncode == 2 and "--features on the command line" in done.stderr
    done = _cli("train", "--csv", "t.csv", "--target", "price", "--features", "size",
                "--epochs", "3", "--no-plots", "--quiet", "--out", "o", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    f = backprop.io.read(tmp_path / "o" / "model.safetensors")
    assert f.full_spec["data"]["feature_names"] == ["size"]
    assert f.model[0].in_features == 1


def test_task_turns_whole_numbers_into_classes(tmp_path):
    rows = ["a,b,label"] + [f"{i % 7},{i % 3},{i % 4}" for i in range(40)]
    (tmp_path / "c.csv").write_text("\n".join(rows) + "\n")
    done = _cli("train", "--csv", "c.csv", "--target", "label", "--task", "regression",
                "--epochs", "2", "--no-plots", "--quiet", "--out", "r", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert backprop.io.read(tmp_path / "r" / "model.safetensors").full_spec["data"]["task"] == (
        "regression"
    )
    done = _cli("train", "--csv", "c.csv", "--target", "label", "--task", "classification",
                "--epochs", "2", "--no-plots", "--quiet", "--out", "k", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    f = backprop.io.read(tmp_path / "k" / "model.safetensors")
    assert (
        f.full_spec["data"]["task"] == "classification"
        and list(f.model.parameters())[-1].shape[0] == 4
    )


def test_the_flags_need_a_csv(tmp_path):
    done = _cli("train", "--data", "square", "--features", "x", cwd=tmp_path)
    assert done.returncode == 2 and "add --csv FILE" in done.stderr
