"""The second newcomer trial's CLI findings (issue 15), each at its root: advice after a
divergence that was checked before it is given, and a run folder's spec.json that records
the values the run used (no ``"lr": null``), so it reproduces the run on its own."""

import json
import re
import subprocess
import sys

import pytest

from cli_helpers import cli


@pytest.mark.parametrize("name", ["abs", "square"])
def test_following_the_advice_after_a_divergence_gives_a_run_that_does_not_diverge(name, tmp_path):
    code, out, err = cli("train", name, "--optimizer", "sgd", "--lr", "100", "--no-plots",
                         "--quiet", "--out", "first", cwd=tmp_path)  # fmt: skip
    assert code == 3, err
    advised = re.search(r"rerun with --lr (\S+)", out)
    assert advised, out
    lr = float(advised.group(1))
    assert lr < 100  # only lower values are advised
    assert f"--lr {advised.group(1)} learned" in err  # the exit line says the same
    code, out, err = cli("train", name, "--optimizer", "sgd", "--lr", advised.group(1),
                         "--no-plots", "--quiet", "--out", "second", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    assert "diverged" not in out + err


def test_the_guards_own_words_do_not_promise_that_a_tenth_is_enough(tmp_path):
    code, out, _ = cli("train", "abs", "--optimizer", "sgd", "--lr", "100", "--no-plots",
                       "--quiet", "--out", "r", cwd=tmp_path)  # fmt: skip
    assert code == 3
    stopped = next(line for line in out.splitlines() if line.startswith("stopped:"))
    # the CLI checked lower lrs before this line: it points there, not to an untested guess
    assert "try lr=10," not in stopped and "'advice:' below names" in stopped
    import backprop  # the library's own words (no check behind them): step down until it learns

    spec = backprop.spec.builtin("abs")
    spec["optimizer"] = {"name": "sgd", "lr": 100}
    reason = backprop.run(spec, verbose=False).history.stop_reason
    assert "try lr=10," not in reason and "until a run does not diverge" in reason
    # and the tenth it names first really diverges here, which is why the CLI checks
    code, _, _ = cli("train", "abs", "--optimizer", "sgd", "--lr", "10", "--no-plots",
                     "--quiet", "--out", "tenth", cwd=tmp_path)  # fmt: skip
    assert code == 3


def _spec(folder):
    return json.loads((folder / "spec.json").read_text())


def test_spec_json_records_the_defaults_the_run_used_and_reproduces_it(tmp_path):
    from backprop.optim import RMSprop

    # (--data fills in Adam's lr itself, docs/cli.md; RMSprop keeps the optimizer's default)
    code, _, err = cli("train", "--data", "spiral", "--hidden", "8", "--epochs", "5",
                       "--optimizer", "rmsprop", "--no-plots", "--quiet", "--out", "a",
                       cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    spec = _spec(tmp_path / "a")
    zero = __import__("backprop").zeros(1, requires_grad=True)
    default_lr = RMSprop([zero]).param_groups[0]["lr"]
    assert spec["optimizer"]["lr"] == default_lr
    assert None not in (spec["data"][k] for k in ("n", "noise", "train_ratio", "seed"))
    from backprop.data import make

    assert spec["data"]["standardize"] is (make("spiral").scaler is not None)  # what it did
    code, _, err = cli("train", "a/spec.json", "--no-plots", "--quiet", "--out", "b",
                       cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    first = json.loads((tmp_path / "a" / "history.json").read_text())["history"]
    again = json.loads((tmp_path / "b" / "history.json").read_text())["history"]
    assert first["loss"] == again["loss"]
    assert _spec(tmp_path / "b") == spec


def test_a_csv_runs_spec_json_names_its_task_features_and_target_scaling(tmp_path):
    rows = [f"{i % 7},{i % 5},{3 * (i % 7) + (i % 5) + 0.5}" for i in range(60)]
    (tmp_path / "h.csv").write_text("size,rooms,price\n" + "\n".join(rows) + "\n")
    code, _, err = cli("train", "--csv", "h.csv", "--target", "price", "--epochs", "3",
                       "--no-plots", "--quiet", "--out", "a", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    spec = _spec(tmp_path / "a")
    assert spec["optimizer"]["lr"] is not None
    assert spec["data"]["task"] == "regression"
    assert spec["data"]["features"] == ["size", "rooms"]
    assert spec["data"]["standardize_target"] is True


SCIENTIFIC = r"-?\d\.\d{4}e[+-]\d\d"


def test_the_demos_loss_column_has_one_format_in_every_line(tmp_path):
    code, out, err = cli("demo", "abs", "--epochs", "600", "--no-plots", "--out", "d",
                         cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    losses = [line.split(": ")[-1] for line in out.splitlines() if line.startswith("Epoch ")]
    assert len(losses) == 10  # from 5 down to an exact fit's 1e-14: one format all the way
    assert all(re.fullmatch(SCIENTIFIC, loss) for loss in losses), losses


def test_the_train_logs_metric_columns_have_one_format_in_every_line(tmp_path):
    code, out, err = cli("train", "square", "--lr", "100", "--epochs", "400", "--no-plots",
                         "--out", "r", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    lines = [line for line in out.splitlines() if line.startswith("epoch ")]
    assert len(lines) > 10
    for line in lines:
        fields = line.split("  ")[1:]  # 'loss 1.3165e+03', 'rmse 3.6283e+01'
        for field in fields:
            assert re.fullmatch(r"\w+ " + SCIENTIFIC, field), line


def test_vanishing_says_what_depth_means_and_its_table_agrees(tmp_path):
    done = subprocess.run([sys.executable, "-m", "backprop", "vanishing", "--help"],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    text = " ".join(done.stdout.lower().split())
    assert "depth d = the number of hidden layers" in text and "l = d + 1" in text
    code, out, err = cli("vanishing", "--depths", "3", "--activations", "relu", cwd=tmp_path)
    assert code == 0, err
    assert "depth d = the number of hidden layers" in out
    assert "at depth 3 (3 hidden layers, L = 4:" in out
    norms = next(line for line in out.splitlines() if line.strip().startswith("relu "))
    assert len(norms.split()) - 1 == 4  # ‖∂E/∂W[1]‖ … ‖∂E/∂W[L]‖, L = d + 1 = 4
    from backprop.diagnostics import vanishing_gradients

    result = vanishing_gradients(depths=[3], activations=["relu"], width=4, samples=2)
    assert len(result.grad_norms[("relu", 3)]) == 4


def test_the_model_files_spec_records_the_learning_rate_too(tmp_path):
    from backprop import io

    code, _, err = cli("train", "--data", "square", "--hidden", "4", "--epochs", "3",
                       "--optimizer", "sgd", "--no-plots", "--quiet", "--out", "a",
                       cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    saved = io.read(tmp_path / "a" / "model.safetensors").full_spec
    assert saved["optimizer"]["lr"] == _spec(tmp_path / "a")["optimizer"]["lr"] == 0.001
