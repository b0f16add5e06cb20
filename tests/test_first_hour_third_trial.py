"""The third newcomer trial's findings (issue 15), each at its root: advice after a
divergence that names an lr which learns, advice in the CLI's own words (flags and --loss
values, not Python keywords and PyTorch classes), a spec's data.standardize that does what it
says for a built-in set, a warning when the loss was still falling at the end, CSV defaults
that fit a house-price file, and every step layer named in the step-unit Caution."""

import json
import re
import warnings

import numpy as np
import pytest

import backprop
from backprop.errors import PoorFitWarning, StepUnitWarning
from cli_helpers import cli


def _r2(path):
    with open(path / "history.csv") as f:
        rows = list(__import__("csv").DictReader(f))
    return float(rows[-1]["r2"]), [float(r["loss"]) for r in rows]


def test_the_lr_advised_after_a_divergence_learns(tmp_path):
    # lr=1 stays finite here but its loss grows 1316 → 1.6e10: that was the advice before
    code, out, err = cli("train", "--data", "square", "--layers", "1,8,8,1", "--optimizer",
                         "sgd", "--lr", "10", "--no-plots", "--quiet", "--out", "a",
                         cwd=tmp_path)  # fmt: skip
    assert code == 3, err
    advised = re.search(r"rerun with --lr (\S+)", out)
    assert advised, out
    code, out, err = cli("train", "--data", "square", "--layers", "1,8,8,1", "--optimizer",
                         "sgd", "--lr", advised.group(1), "--out", "b", "--no-plots",
                         "--quiet", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    r2, losses = _r2(tmp_path / "b")
    assert r2 > 0 and losses[-1] < losses[0] and max(losses) <= 10 * losses[0]


def test_lrcheck_calls_a_finite_but_growing_loss_a_failure():
    from backprop.cli.lrcheck import learning_failure
    from backprop.train import History

    h = History()
    for epoch, loss in enumerate([1316.0, 5e4, 1.6e10], 1):
        h.append(epoch, {"loss": loss})
    assert learning_failure(h) is not None
    falling = History()
    for epoch, loss in enumerate([10.0, 5.0, 1.0], 1):
        falling.append(epoch, {"loss": loss})
    assert learning_failure(falling) is None


def test_advice_on_the_cli_names_flags_and_loss_values(tmp_path):
    code, _, err = cli("train", "--data", "square", "--loss", "cross_entropy", "--epochs", "2",
                       "--no-plots", "--quiet", "--out", "a", cwd=tmp_path)  # fmt: skip
    assert code == 2
    assert "--loss mse" in err and "MSELoss" not in err, err
    # a poor fit's advice: flags, not fit's keyword batch_size
    code, out, err = cli("train", "--data", "square", "--epochs", "5", "--no-plots", "--quiet",
                         "--out", "b", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    assert "warning:" in err and "(batch_size)" not in err + out, err
    assert "--epochs 50 " in out, out  # the advice tries each flag (cli/fitcheck.py)
    # the guard's "standardise each feature": a flag the CLI has
    code, out, err = cli("train", "--data", "square", "--optimizer", "sgd", "--lr", "10",
                         "--no-plots", "--quiet", "--out", "c", cwd=tmp_path)  # fmt: skip
    assert "--standardize" in out and "standardise each feature" not in out, out


def test_every_cli_phrase_is_one_the_library_prints():
    """Each phrase the CLI rewrites occurs in the library's source: a reworded message must
    be rewritten again, not slip past in Python's words."""
    from pathlib import Path

    from backprop.cli.words import PHRASES

    root = Path(backprop.__file__).parent
    text = " ".join(
        " ".join(p.read_text().split()).replace('" "', "").replace('" f"', "")
        for p in root.rglob("*.py")
        if "cli" not in p.parts
    )
    text = text.replace("{LECTURE_EPS:g}", "0.001")  # checks.py formats the slide's ε
    for python, _ in PHRASES:
        head = python.split(",")[0][:30]
        assert head in text, python


def test_a_specs_standardize_does_what_it_says_for_a_builtin_set():
    base = {"name": "sq", "epochs": 50, "optimizer": {"name": "adam", "lr": 0.01}}
    runs = {}
    for flag in (True, False):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = backprop.run({**base, "data": {"name": "square", "standardize": flag}})
        runs[flag] = r
        assert r.spec["data"]["standardize"] is flag
        assert (r.dataset.scaler is not None) is flag
    x = runs[True].dataset.x
    assert abs(x.mean()) < 1e-9 and abs(x.std() - 1) < 1e-9  # standardised
    assert runs[True].history["loss"] != runs[False].history["loss"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = backprop.run("square")
    assert plain.spec["data"]["standardize"] is (plain.dataset.scaler is not None)


def test_cli_standardize_flag_is_recorded_in_spec_json(tmp_path):
    code, _, err = cli("train", "--data", "square", "--standardize", "--epochs", "20",
                       "--no-plots", "--quiet", "--out", "a", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    spec = json.loads((tmp_path / "a" / "spec.json").read_text())
    assert spec["data"]["standardize"] is True


def test_a_run_stopped_while_its_loss_was_still_falling_is_warned():
    x = np.linspace(-2, 2, 64)[:, None]
    y = 3 * x + 1
    model = (backprop.manual_seed(0), backprop.nn.MLP([1, 8, 1], activation="tanh"))[1]
    opt = backprop.optim.Adam(model.parameters(), lr=1e-3)
    with pytest.warns(PoorFitWarning, match=r"still falling.*more epochs"):
        h = backprop.train.fit(model, (x, y), "mse", opt, epochs=30)
    assert h["r2"][-1] > 0  # r² above 0: the poor-fit warning alone said nothing
    # a run that has converged says nothing
    model = (backprop.manual_seed(0), backprop.nn.MLP([1, 8, 1], activation="tanh"))[1]
    opt = backprop.optim.Adam(model.parameters(), lr=0.05)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PoorFitWarning)
        backprop.train.fit(model, (x, y), "mse", opt, epochs=1500)


def _houses(path, n=200, seed=1):
    rng = np.random.default_rng(seed)
    size, rooms = rng.uniform(50, 250, n), rng.integers(1, 6, n)
    price = 3 * size + 10 * rooms + rng.normal(0, 5, n)
    lines = ["size,rooms,price"] + [f"{a:.1f},{b},{c:.1f}" for a, b, c in zip(size, rooms, price)]
    path.write_text("\n".join(lines) + "\n")


def test_readme_house_command_at_its_defaults_fits_to_the_noise(tmp_path):
    _houses(tmp_path / "houses.csv")
    code, out, err = cli("train", "--csv", "houses.csv", "--target", "price", "--hidden",
                         "32,32", "--validation", "0.2", "--no-plots", "--quiet", "--out",
                         "h", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    rmse = float(re.search(r"val_rmse ([\d.]+) in price's units", out).group(1))
    assert rmse < 2 * 5, out  # noise σ 5 (was 18.7 at full batch)


def test_the_step_caution_names_every_step_layer_and_what_still_trains():
    model = (backprop.manual_seed(0), backprop.nn.MLP([1, 4, 4, 1], activation=["step", "step"]))[1]
    x = np.linspace(-1, 1, 16)[:, None]
    opt = backprop.optim.SGD(model.parameters(), lr=0.1)
    with pytest.warns(StepUnitWarning) as caught:
        backprop.train.fit(model, (x, x), "mse", opt, epochs=2)
    text = str(caught[0].message)
    assert "layers 1 and 2" in text and "W[3], b[3]" in text and "still train" in text


def _usage_error(argv, cwd) -> str:
    """A usage error's line: argparse's own exit (status 2), as the shell sees it."""
    import contextlib
    import io
    import os

    from backprop.cli.app import main

    err, old = io.StringIO(), os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as stop:
            main(argv)
    finally:
        os.chdir(old)
    assert stop.value.code == 2
    return err.getvalue()


def test_a_pattern_that_matched_several_model_files_is_named(tmp_path):
    for name in ("square-a", "square-b"):
        code, _, err = cli("demo", "--epochs", "20", "--no-plots", "--quiet", "--out",
                           f"runs/{name}", cwd=tmp_path)  # fmt: skip
        assert code == 0, err
    files = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.glob("runs/*/model.safetensors"))
    for command in (
        ["predict", *files, "--x", "1.5"],
        ["summary", *files],
        ["export", *files, "--to", "onnx"],
    ):
        err = _usage_error(command, tmp_path)
        assert "unrecognized arguments" not in err, err
        assert "2 were given" in err and "newest" in err and files[-1] in err, err
    for name in ("a.csv", "b.csv"):
        (tmp_path / name).write_text("x\n1.5\n")
    err = _usage_error(["predict", files[0], "--input", "a.csv", "b.csv"], tmp_path)
    assert "--input is one file, but 2 were given (a.csv, b.csv)" in err, err


def test_the_help_examples_work_as_printed(tmp_path):
    from backprop.cli.commands import predict, train

    lines = [re.split(r"\s{2,}", x.strip())[0] for x in predict.EXAMPLES.splitlines()]
    demo = next(x for x in lines if x.startswith("backprop demo --out runs/square"))
    run = next(x for x in lines if x.startswith("backprop predict runs/square/"))
    code, _, err = cli(*demo.split()[1:], "--epochs", "20", "--no-plots", "--quiet", cwd=tmp_path)
    assert code == 0, err
    code, out, err = cli(*run.split()[1:], cwd=tmp_path)
    assert code == 0 and len(out.strip().splitlines()) == 4, err  # header + 3 rows
    spiral = next(x for x in train.EXAMPLES.splitlines() if "--data spiral" in x).split()[1:]
    code, out, err = cli(*spiral, "--no-plots", "--quiet", "--out", "sp", cwd=tmp_path)
    assert code == 0, err
    test = re.search(r"test: accuracy ([\d.]+) on the 250 held-out rows", out)
    assert test and float(test.group(1)) > 0.9, out  # 0.728 in training at lr 0.001, no test


def test_the_summary_line_says_which_loss_it_shows(tmp_path):
    code, out, err = cli("train", "square", "--epochs", "300", "--no-plots", "--quiet", "--out",
                         "a", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    line = next(x for x in out.splitlines() if x.startswith("square: "))
    rmse = float(re.search(r"rmse ([\d.e+-]+)", line).group(1))
    loss = float(re.search(r"training loss ([\d.e+-]+) during the last epoch \(before its update\)",
                           line).group(1))  # fmt: skip
    with open(tmp_path / "a" / "history.csv") as f:
        rows = list(__import__("csv").DictReader(f))
    assert loss == pytest.approx(float(rows[-1]["loss"]), rel=1e-5)  # history.csv's loss
    assert rmse**2 != pytest.approx(loss, rel=1e-3)  # two different weights: so it says so
    code, out, err = cli("train", "square", "--epochs", "300", "--no-plots", "--out", "b",
                         cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    assert out.count("each before its update") == 1 and "after the epoch" in out, out


def test_the_demo_says_which_history_row_its_epochs_are(tmp_path):
    code, out, err = cli("demo", "--epochs", "2000", "--no-plots", "--out", "d", cwd=tmp_path)
    assert code == 0, err
    note = re.search(r"'Epoch (\d+)' is the loss before update (\d+), history.csv's row "
                     r"epoch=(\d+)", out)  # fmt: skip
    assert note, out
    printed = float(re.search(rf"Epoch {note.group(1)}: training loss: (\S+)", out).group(1))
    with open(tmp_path / "d" / "history.csv") as f:
        rows = {r["epoch"]: float(r["loss"]) for r in __import__("csv").DictReader(f)}
    assert rows[note.group(3)] == pytest.approx(printed, rel=1e-4)


def test_digits_demo_says_validation_and_test_are_one_check(tmp_path):
    code, out, err = cli("demo", "xor", "--epochs", "30", "--no-plots", "--out", "d",
                         cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    assert "the same rows as val_accuracy" in out and "validation: test" in out, out


def test_a_percentage_for_validation_gets_the_fraction_it_means(tmp_path):
    code, _, err = cli("train", "--data", "square", "--validation", "20", cwd=tmp_path)
    assert code == 2 and "--validation 0.2" in err, err
    code, _, err = cli("train", "--data", "square", "--validation", "test", "--epochs", "1",
                       "--no-plots", "--out", "t", cwd=tmp_path)  # fmt: skip
    assert code == 2 and "--validation 0.2" in err and "x_val" not in err, err
    with pytest.raises(backprop.errors.SpecError, match=r"for 80 % give 0.8"):
        backprop.run({"data": {"name": "square", "train_ratio": 80}, "epochs": 1})


def test_gradcheck_prints_the_rule_it_applies_and_the_cli_flag_for_eps(tmp_path):
    from backprop.checks import check_gradients

    # an entry whose |Δ| is above atol but within atol + rtol·|g| passes: the rule says why
    backprop.manual_seed(0)
    model = backprop.nn.MLP([1, 8, 8, 1], activation="relu")
    x = np.linspace(-3, 3, 8)[:, None]
    y = x**2
    result = check_gradients(model, backprop.nn.MSELoss(), x, y, eps=1e-6, atol=1e-12)
    row = max(result.rows, key=lambda r: r.max_abs_error)
    assert row.max_abs_error > 1e-12 and result.passed  # above atol, and passed
    text = str(result)
    assert "≤ tol = atol + rtol·|numerical| = 1e-12 + 0.001·|numerical|" in text, text
    assert all(0 < r.tolerance_used <= 1 for r in result.rows)
    code, out, err = cli("gradcheck", "square", cwd=tmp_path)
    assert code == 0, err
    assert "--eps 0.001" in out and "eps=0.001 reproduces" not in out, out
    assert "|Δ|/tol" in out and "atol + rtol·|numerical|" in out


def _two_feature_csv(path, n=200, seed=3):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, (n, 2))
    label = np.where(x[:, 0] + x[:, 1] + rng.normal(0, 0.3, n) > 0, "yes", "no")
    rows = ["x1,x2,label"] + [f"{a:.3f},{b:.3f},{c}" for (a, b), c in zip(x, label)]
    path.write_text("\n".join(rows) + "\n")


def test_a_csv_classifiers_boundary_draws_its_validation_rows_and_fills_the_image(
    tmp_path, monkeypatch
):
    pytest.importorskip("matplotlib")
    from matplotlib.image import imread

    from backprop import plots

    _two_feature_csv(tmp_path / "cls.csv")
    drawn = {}
    original = plots.decision_boundary

    def spy(model, x, y, path=None, **kwargs):
        drawn.update(model=model, x=x, **kwargs)
        return original(model, x, y, path, **kwargs)

    monkeypatch.setattr(plots, "decision_boundary", spy)
    code, out, err = cli("train", "--csv", "cls.csv", "--target", "label", "--validation",
                         "0.2", "--quiet", "--out", "c", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    assert len(drawn["x"]) == 160 and len(drawn["x_val"]) == 40  # 200 rows, 20 % held out
    # the squares are fit's own validation rows: their accuracy is the run's val_accuracy
    scaler = drawn["transform"]
    with backprop.no_grad():
        inputs = backprop.tensor(scaler(drawn["x_val"]), dtype=backprop.float32)
        logits = drawn["model"](inputs).numpy()[:, 0]
    accuracy = float(np.mean((logits > 0).astype(int) == np.asarray(drawn["y_val"]).ravel()))
    val_accuracy = float(re.search(r"val_accuracy ([\d.]+)", out).group(1))
    assert accuracy == pytest.approx(val_accuracy, abs=1e-9)
    image = imread(tmp_path / "c" / "boundary.png")[..., :3]
    blank = (image.min(axis=(0, 2)) > 0.98).mean()  # columns with nothing drawn in them
    assert blank < 0.2, blank  # was ≈ 0.4: the left third and the usual margins


def test_a_regression_loss_on_a_classification_set_names_the_loss_to_use(tmp_path):
    code, _, err = cli("train", "--data", "spiral", "--loss", "mse", "--epochs", "2",
                       "--no-plots", "--quiet", "--out", "a", cwd=tmp_path)  # fmt: skip
    assert code == 2 and "loss.name" in err and "bce_with_logits" in err, err
    assert "y has shape" not in err  # was: fit's targets-shape error


def test_a_standardised_builtin_sets_fit_plot_reads_raw_x(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from backprop import plots

    drawn = {}
    original = plots.fit_1d

    def spy(model, x, y, path=None, **kwargs):
        drawn.update(x=x, **kwargs)
        return original(model, x, y, path, **kwargs)

    monkeypatch.setattr(plots, "fit_1d", spy)
    code, _, err = cli("train", "--data", "square", "--standardize", "--epochs", "5", "--out",
                       "a", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    mean, std = drawn["x_scaling"]  # the axis says standardised, with a raw-x axis
    z = np.asarray(drawn["x"]).ravel()
    assert abs(z.mean()) < 1e-9 and std > 1  # square's x = 5·randn, standardised
    assert drawn["truth"](z) == pytest.approx((z * std + mean) ** 2)  # x², of the raw x


@pytest.mark.parametrize(("loss", "data", "raw"), [("bce", "xor", "bce_with_logits"),
                                                   ("nll", "digits", "cross_entropy")])  # fmt: skip
def test_a_probability_loss_on_raw_outputs_names_the_loss_for_raw_outputs(
    loss, data, raw, tmp_path
):
    code, _, err = cli("train", "--data", data, "--loss", loss, "--epochs", "2", "--no-plots",
                       "--quiet", "--out", "a", cwd=tmp_path)  # fmt: skip
    assert code == 2 and f"use {raw}" in err and "output_activation" in err, err
    # with the output it needs, the same loss trains
    spec = {"data": {"name": "xor"}, "loss": {"name": "bce"}, "epochs": 2,
            "model": {"hidden": [4], "output_activation": "sigmoid"}}  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert not backprop.run(spec).diverged


def test_fourth_trial_repeated_x_flags_are_all_samples_and_a_near_column_is_named(tmp_path):
    """`predict --x 1 --x 2` printed only the row for 2 (argparse kept the last flag); a
    misspelt --target listed the columns without naming the near one (issue 15, 4th trial)."""
    import subprocess
    import sys

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "backprop", *args], cwd=tmp_path,
                              capture_output=True, text=True)  # fmt: skip

    made = cli("demo", "--epochs", "20", "--no-plots", "--out", "runs/square", "-q")
    assert made.returncode == 0, made.stderr
    twice = cli("predict", "runs/square/model.safetensors", "--x", "1", "--x", "2")
    once = cli("predict", "runs/square/model.safetensors", "--x", "1", "2")
    assert twice.returncode == 0 and twice.stdout == once.stdout
    assert len(twice.stdout.strip().splitlines()) == 3  # header and two samples
    (tmp_path / "h.csv").write_text("size,rooms,price\n1,2,3\n2,3,4\n3,1,5\n4,2,6\n")
    miss = cli("train", "--csv", "h.csv", "--target", "prize", "--epochs", "2", "--no-plots")
    assert miss.returncode == 2 and "Did you mean 'price'?" in miss.stderr


def test_fourth_trial_hidden_given_every_size_is_named(recwarn):
    """`--hidden 1,8,8,1` on 1-input, 1-output data silently built 1-1-8-8-1-1 (issue 15, 4th
    trial): the run says so and names --layers; plain hidden sizes say nothing."""
    import backprop as bp
    from backprop.errors import BackpropWarning
    from backprop.spec import builtin

    spec = {**builtin("square"), "epochs": 1, "engine": "delta"}
    spec["model"] = {"activation": "relu", "hidden": [1, 8, 8, 1]}
    run = bp.run(spec)
    assert [m.out_features for m in run.model if hasattr(m, "out_features")] == [1, 8, 8, 1, 1]
    said = [str(w.message) for w in recwarn if issubclass(w.category, BackpropWarning)]
    assert any("1-1-8-8-1-1" in s and "--layers 1,8,8,1" in s for s in said), said
    recwarn.clear()
    bp.run({**builtin("square"), "epochs": 1, "engine": "delta"})
    assert not any("--layers" in str(w.message) for w in recwarn)
