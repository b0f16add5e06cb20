"""The command line as a user meets it: subprocesses, pipes (not a terminal), exit codes.

User mistakes must print one line on stderr and exit 2, never a traceback; output in a
pipe must be plain lines (no progress-bar control characters).
"""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def cli(*args, cwd=None, timeout=300):
    done = subprocess.run(
        [sys.executable, "-m", "backprop", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd or ROOT,
    )
    return done.returncode, done.stdout, done.stderr


def assert_user_error(code, out, err, *phrases):
    assert code == 2, (code, out, err)
    assert "Traceback" not in err and "Traceback" not in out
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines, "a user error must explain itself on stderr"
    for phrase in phrases:
        assert phrase in err, (phrase, err)


def test_help_lists_every_command_with_examples():
    code, out, _ = cli("--help")
    assert code == 0
    for name in ("demo", "train", "predict", "summary", "explain", "gradcheck", "vanishing"):
        assert name in out
    assert "examples:" in out
    for name in ("demo", "train", "predict", "summary", "explain", "gradcheck", "vanishing"):
        code, out, _ = cli(name, "--help")
        assert code == 0 and "examples:" in out, name


def test_explain_scalar_prints_the_slides_delta_recursion():
    code, out, err = cli("explain", "scalar", "--x", "0.5")
    assert code == 0, err
    assert "δ[2]      = g'(f[2]) ∘ (W[3] δ[3])" in out
    assert "∂ŷ/∂W[1]" in out and "diag(g'(f[1]))" in out
    # the printed δ[1] equals the slide's product δ[2]·W[2]·σ'(f[1]) worked out here
    w1, w2, w3 = 0.8, -1.3, 0.7
    f1 = w1 * 0.5
    a1 = 1 / (1 + np.exp(-f1))
    f2 = w2 * a1
    a2 = 1 / (1 + np.exp(-f2))
    d3 = 1.0
    d2 = d3 * w3 * a2 * (1 - a2)
    d1 = d2 * w2 * a1 * (1 - a1)
    line = next(line for line in out.splitlines() if line.strip().startswith("δ[1]"))
    assert f"{d1: .4f}" in line


def test_explain_with_a_loss_uses_the_lecture_convention():
    code, out, err = cli("explain", "abs", "--x", "2.5", "--y", "1.0", "--loss", "half_mse")
    assert code == 0, err
    assert "ℓ = ½(ŷ − y)² (the lecture's E)" in out and "∂E/∂ŷ = ŷ − y" in out
    assert out.count("the lecture's E") == 1, out  # once, in one line (was twice, in two)
    assert "∂E/∂W[1]" in out


def test_vanishing_table_in_a_pipe():
    code, out, err = cli("vanishing", "--depths", "2,6", "--activations", "sigmoid,relu")
    assert code == 0, err
    assert "\x1b[" not in out and "\r" not in out
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line[:1].isdigit()}
    sigmoid_2, relu_2 = (float(v) for v in rows["2"])
    sigmoid_6, relu_6 = (float(v) for v in rows["6"])
    assert sigmoid_6 < sigmoid_2 / 100  # the sigmoid's gradient vanishes with depth
    assert relu_6 > relu_2 / 10  # ReLU's does not


@pytest.mark.parametrize(
    ("args", "phrases"),
    [
        (("explain", "vector", "--x", "1,2,3"), ("takes 2 input(s)",)),
        (("explain", "scalar", "--loss", "mse"), ("--y",)),
        (("vanishing", "--activations", "softmax"), ("activation",)),
        (("vanishing", "--depths", "a..b"), ("--depths", "not a whole number")),
        (("summary", "no-such-file.safetensors"), ("no-such-file",)),
        (("train", "no-such-spec.json"), ("no-such-spec.json",)),
        (("train",), ("spec file", "--data")),
        (("demo", "nonsense"), ("invalid choice",)),
        (("train", "--epochs", "-1"), ("--epochs", "between 0 and", "backprop train --help")),
        (("gradcheck", "--eps", "0", "--samples", "2"), ("--eps", "1e-12, 0.1")),
        (("vanishing", "--seed", "-1"), ("--seed", "between 0 and")),
        (("explain", "vector", "--x", "nan,1"), ("--x", "finite")),
    ],
)
def test_user_errors_exit_2_with_one_clear_line(args, phrases):
    code, out, err = cli(*args)
    assert_user_error(code, out, err, *phrases)
    assert len(err.strip().splitlines()) == 1, err  # argparse's usage block is left out


def test_bad_spec_field_names_the_field(tmp_path):
    spec = {"name": "x", "data": {"name": "square"}, "optimizer": {"name": "adam", "lr": -1}}
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec))
    assert_user_error(*cli("train", path), "optimizer.lr", "-1")
    spec["model"] = {"sizez": [1, 2, 1]}
    spec["optimizer"]["lr"] = 0.1
    path.write_text(json.dumps(spec))
    assert_user_error(*cli("train", path), "model.sizez", "did you mean 'sizes'")
    path.write_text("{ not json")
    assert_user_error(*cli("train", path), "invalid JSON", "line 1")


# -- the training side: demo, train, predict, summary, gradcheck ------------------------------
@pytest.fixture(scope="module")
def square_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    code, stdout, stderr = cli("demo", "--epochs", "2000", "--out", out)
    assert code == 0, stderr
    return out, stdout


def test_demo_prints_the_slides_loss_lines_table_and_writes_files(square_run):
    out, stdout = square_run
    assert "\x1b[" not in stdout and "\r" not in stdout  # a pipe gets plain lines
    assert stdout.startswith("Training a 1-8-8-1 ReLU network")  # what it trains, first
    assert stdout.splitlines()[1].startswith("Epochs count from 0")  # and history.csv from 1
    assert stdout.splitlines()[2].startswith("Epoch 0: training loss: ")  # the slide's count
    assert "Epoch 1800: training loss: " in stdout and "Epoch 2000:" not in stdout
    assert "Five fresh points" in stdout
    lines = stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[-1:] == ["relative"])
    rows = [line.split() for line in lines[header + 1 : header + 6]]
    assert len(rows) == 5
    for x, truth, prediction, error, _relative in rows:
        assert float(truth) == pytest.approx(float(x) ** 2, rel=1e-3)  # truth is x², noise-free
        assert float(error) == pytest.approx(float(prediction) - float(truth), abs=2e-4)
    for name in ("model.safetensors", "spec.json", "history.csv", "history.json"):
        assert (out / name).stat().st_size > 0, name
    pytest.importorskip("matplotlib")
    from matplotlib.image import imread

    for name in ("loss.png", "fit.png", "network.png"):
        image = imread(out / name)
        assert image.shape[0] > 300 and image.shape[1] > 400, name
        assert image[..., :3].std() > 0.05, f"{name} looks blank"


def test_predict_and_summary_read_the_demo_model(square_run):
    out, _ = square_run
    code, stdout, stderr = cli("predict", out / "model.safetensors", "--x", "2", "-3")
    assert code == 0, stderr
    lines = stdout.strip().splitlines()
    assert lines[0] == "x,y (predicted)" and len(lines) == 3  # the dataset's own names
    preds = [float(line.split(",")[1]) for line in lines[1:]]
    assert preds[0] == pytest.approx(4, rel=0.25) and preds[1] == pytest.approx(9, rel=0.25)
    code, stdout, stderr = cli("summary", out / "model.safetensors")
    assert code == 0, stderr
    assert "1-8-8-1" in stdout and "8×8" in stdout and "total parameters: 97" in stdout
    code, _, stderr = cli("predict", out / "model.safetensors", "--x", "1,2")
    assert_user_error(code, "", stderr, "a sample of 2 numbers, but the model takes 1 input (x)")


def test_predict_from_csv_to_csv(square_run, tmp_path):
    out, _ = square_run
    data = tmp_path / "in.csv"
    data.write_text("x\n1.5\n-2.5\n")
    target = tmp_path / "pred.csv"
    code, _, stderr = cli("predict", out / "model.safetensors", "--input", data, "--output", target)
    assert code == 0, stderr
    rows = target.read_text().strip().splitlines()
    assert rows[0] == "x,y (predicted)" and len(rows) == 3
    data.write_text("x\n1.5\nabc\n")
    assert_user_error(
        *cli("predict", out / "model.safetensors", "--input", data), "line 3", "'abc'"
    )
    # the CSV reader of training: a row wider than the header was read as if it were not
    data.write_text("x\n1.5\n2,3\n")
    assert_user_error(*cli("predict", out / "model.safetensors", "--input", data), "line 3")
    # NaN and inf gave NaN predictions
    assert_user_error(*cli("predict", out / "model.safetensors", "--x", "1", "nan"), "'nan'")


def test_train_from_flags_with_classification_data(tmp_path):
    code, stdout, stderr = cli(
        "train", "--data", "xor", "--hidden", "8", "--activation", "tanh", "--lr", "0.05",
        "--epochs", "40", "--batch-size", "20", "--validation", "test", "--seed", "1",
        "--out", tmp_path, "--no-plots",
    )  # fmt: skip
    assert code == 0, stderr
    epoch_lines = [line for line in stdout.splitlines() if line.startswith("epoch ")]
    assert len(epoch_lines) == 40 and "val_accuracy" in epoch_lines[-1]
    spec = json.loads((tmp_path / "spec.json").read_text())
    assert spec["data"]["name"] == "xor" and spec["model"]["hidden"] == [8]
    assert spec["loss"]["name"] == "bce_with_logits"


def test_gradcheck_passes_on_the_lecture_network():
    code, stdout, stderr = cli("gradcheck", "--samples", "4")
    assert code == 0, stderr
    assert "linear" in stdout or "0.weight" in stdout


def test_digits_reaches_97_percent_in_a_cli_run(tmp_path):
    pytest.importorskip("sklearn")
    code, stdout, stderr = cli("demo", "digits", "--out", tmp_path, "--no-plots", "--quiet")
    assert code == 0, stderr
    line = next(line for line in stdout.splitlines() if line.startswith("Test accuracy"))
    accuracy = float(line.split(":")[1].split("%")[0]) / 100
    assert accuracy >= 0.97, line


def test_a_closed_pipe_stops_the_printing_not_the_run(tmp_path):
    # `backprop demo | head -2`: the reader leaves early; the files must still be written
    command = (
        f"{sys.executable} -m backprop demo --epochs 300 --no-plots --out {tmp_path} | head -2"
    )
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr
    assert len(done.stdout.splitlines()) == 2
    assert (tmp_path / "model.safetensors").is_file() and (tmp_path / "history.csv").is_file()


@pytest.mark.parametrize(
    "args, phrase",
    [
        (("train", "--data", "square", "--layers", ","), "--layers"),
        (("train", "--data", "square", "--activation", ","), "--activation"),
        (("train", "--data", "square", "--layers", "5..2"), "--layers"),
        (("explain", "scalar", "--x", ","), "--x"),
    ],
)
def test_empty_lists_are_refused_not_ignored(args, phrase, tmp_path):
    # '--layers ,' used to parse as no list and train the default network without a word
    assert_user_error(*cli(*args, cwd=tmp_path), phrase)
    assert list(tmp_path.iterdir()) == []  # nothing trained, nothing written


# -- round 2, item 13: the divergence messages and float flags say what happened --------
def _diverge(tmp_path, **fields):
    spec = {"data": {"name": "square"}, "model": {"sizes": [1, 8, 8, 1]}, "epochs": 20}
    spec.update(fields)
    (tmp_path / "s.json").write_text(json.dumps(spec))
    code, out, err = cli("train", "s.json", "--out", "o", "--no-plots", "-q", cwd=tmp_path)
    assert code == 3 and "Traceback" not in err, (code, out, err)
    return out, err


def test_a_schedule_that_overflows_the_lr_is_named_not_lr_inf_10x_smaller(tmp_path):
    out, err = _diverge(
        tmp_path,
        optimizer={"name": "sgd", "lr": 0.01},
        schedule={"name": "step", "options": {"step_size": 1, "gamma": 1e308}},
    )
    assert "lr=inf" not in out and "try lr=" not in out, out
    assert "schedule" in out and "overflow" in out, out
    assert "lower the learning rate" not in err and "schedule" in err, err
    # the metrics shown are those of the weights the files hold, not the blown-up last epoch
    first = out.splitlines()[0]
    assert "nan" not in first and "; kept epoch 1: rmse " in first, out
    assert first.endswith("; training loss 1062.44"), out  # of the kept weights, as 'stopped:'
    assert "(1062.44)" in out


def test_when_the_lr_is_not_the_cause_the_exit_line_does_not_blame_it(tmp_path):
    slope = {"negative_slope": 1e308}
    model = {"sizes": [1, 8, 8, 1], "activation": "leaky_relu"}
    out, err = _diverge(tmp_path, model={**model, "activation_options": [slope, slope]})
    assert "the learning rate is not the cause" in out, out
    assert "lower the learning rate" not in err and "learning rate" not in err, err
    # the summary line: no "experiment: 0 epochs; " with nothing after it
    first = out.splitlines()[0]
    assert first.startswith("experiment: no epoch finished"), out
    assert not first.rstrip().endswith(";") and "0 epochs" not in first, out


@pytest.mark.parametrize(
    "args, flag",
    [
        (("train", "--data", "square", "--lr", "1e-400"), "--lr"),
        (("train", "--data", "square", "--noise", "-1e-400"), "--noise"),
        (("explain", "scalar", "--x", "0.5,1e-400"), "--x"),
        (("gradcheck", "--eps", "1e-999"), "--eps"),
    ],
)
def test_a_float_flag_that_underflows_to_zero_says_so(args, flag, tmp_path):
    code, out, err = cli(*args, cwd=tmp_path)
    assert_user_error(code, out, err, flag, "underflows to 0")
    assert "got 0.0" not in err
