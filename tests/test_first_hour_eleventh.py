"""The ninth CLI student's findings (issue 15, brief C15I).

The least-squares note is said only of a finished run; a loss that rose early and stayed
high is not called a jump 'in the last epoch' (the words agree with history.csv); --hidden's
errors give a hidden-sizes example and the advice tries a warning's named fix; the loss
plot's median is the median it claims; explain's missing --x has the model's input count;
train --help states the learning rates the runs use.
"""

import csv
import re

import numpy as np
import pytest

from cli_helpers import cli, one_line
from test_first_hour_ninth import _houses

LINE_NOTE = "a straight line fits these rows better"


def _losses(folder):
    with open(folder / "history.csv") as f:
        return [float(r["loss"]) for r in csv.DictReader(f)]


# -- 1. the least-squares note only after a finished, non-diverged run -----------------------------
def test_no_line_note_after_a_run_whose_units_died_at_lr_1000(tmp_path):
    code, out, err = cli("train", "--data", "square", "--lr", 1000, "--no-plots", "--quiet",
                         "--out", "a", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    assert "warning: " in err  # the run's own verdict is the message
    assert LINE_NOTE not in out, out


def test_no_line_note_after_a_three_epoch_run(tmp_path):
    _houses(tmp_path)
    code, out, err = cli("train", "--csv", "houses.csv", "--target", "price", "--epochs", 3,
                         "--no-plots", "--quiet", "--out", "a", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    assert "too few to call this a fit" in err, err
    assert LINE_NOTE not in out, out


# -- 2. 'jumped in the last epoch' compares the last epoch with the one before ------------------
def test_a_loss_that_rose_early_and_stayed_is_not_a_last_epoch_jump(tmp_path):
    code, _out, err = cli("train", "--data", "square", "--lr", 1000, "--no-plots", "--quiet",
                         "--out", "a", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    losses = _losses(tmp_path / "a")
    jumped = losses[-1] >= 10 * losses[-2]
    assert ("in the last epoch" in err) == jumped, err
    assert not jumped  # flat at the end: history.csv's last two epochs
    m = re.search(r"rose in epoch (\d+) \((\S+) at epoch (\d+) → (\S+?)[,)]", err)
    assert m, err
    rose, before, at, after = int(m[1]), float(m[2]), int(m[3]), float(m[4])
    assert at == rose - 1
    assert before == float(f"{losses[at - 1]:.4g}") and after == float(f"{losses[rose - 1]:.4g}")
    low = min(losses[:-1])
    assert all(v >= 10 * low for v in losses[rose - 1 :])  # and stayed high since
    assert losses[rose - 2] < 10 * low


def test_a_jump_in_the_last_epoch_quotes_the_epoch_before(tmp_path):
    code, _out, err = cli("train", "--data", "square", "--epochs", 3, "--lr", 1, "--no-plots",
                         "--quiet", "--out", "a", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    losses = _losses(tmp_path / "a")
    m = re.search(r"jumped (\S+)× in the last epoch \((\S+) at epoch (\d+), (\S+) at epoch", err)
    assert m and losses[-1] >= 10 * losses[-2], err
    assert float(m[2]) == float(f"{losses[-2]:.4g}") and int(m[3]) == len(losses) - 1
    assert float(m[1]) == float(f"{losses[-1] / losses[-2]:.3g}")
    assert np.isfinite(losses).all()


# -- 3. a warning's named fix is tried first; --hidden's example is hidden sizes ---------------
def test_hidden_that_names_every_size_is_advised_the_warnings_layers_fix(tmp_path):
    from sklearn.metrics import r2_score

    import backprop

    code, out, err = cli("train", "--data", "square", "--hidden", "1,8,8,1", "--no-plots",
                         "--quiet", "--out", "a", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    assert "--layers 1,8,8,1" in err  # the warning names the fix …
    rows = [line.split()[:2] for line in out.splitlines() if line.startswith("  --")]
    assert rows and rows[0] == ["--layers", "1,8,8,1"], out  # … and the table tries it first
    m = re.search(r"advice: rerun with --layers 1,8,8,1 \(r² (\S+) against", out)
    assert m, out
    code, _, err = cli("train", "--data", "square", "--layers", "1,8,8,1", "--no-plots",
                       "--quiet", "--out", "b", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    ds = backprop.data.make("square", seed=0)
    model = backprop.load(str(tmp_path / "b" / "model.safetensors"))
    with backprop.no_grad():
        pred = model(backprop.tensor(np.asarray(ds.x, np.float32))).numpy()
    assert float(m[1]) == float(f"{r2_score(ds.y, pred):.4g}")  # scikit-learn's r²


@pytest.mark.parametrize("value", ["8,,8", "8,x"])
def test_hiddens_error_example_is_hidden_sizes(tmp_path, value):
    import contextlib
    import io

    from backprop.cli.app import main

    err = io.StringIO()
    with pytest.raises(SystemExit) as exited, contextlib.redirect_stderr(err):
        main(["train", "--data", "square", "--hidden", value, "--out", str(tmp_path / "a")])
    one_line(exited.value.code, err.getvalue(), "--hidden", "e.g. 8,8" if "x" in value else "8,8")
    assert "1,8,8,1" not in err.getvalue()  # --layers' value, wrong for --hidden


# -- 5. explain's missing --x: an example with the model's input count --------------------------
def test_explains_missing_x_example_runs_on_a_two_input_model(tmp_path):
    import shlex

    _houses(tmp_path)
    code, _, err = cli("train", "--csv", "houses.csv", "--target", "price", "--epochs", 5,
                       "--no-plots", "--quiet", "--out", "m", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    code, _, err = cli("explain", "m/model.safetensors", cwd=tmp_path)
    assert code == 2, err
    m = re.search(r"e\.g\. (--x[ =]\S+)", err)
    assert m, err
    example = shlex.split(m[1].replace("=", " ", 1))
    assert len(example[1].split(",")) == 2  # the comma form, two inputs
    code, _, err = cli("explain", "m/model.safetensors", *example, cwd=tmp_path)
    assert code == 0, err


# -- 6. train --help states the learning rates the runs use -------------------------------------
def _help_lr(tmp_path):
    import contextlib
    import io

    from backprop.cli.app import main

    out = io.StringIO()
    with pytest.raises(SystemExit) as exited, contextlib.redirect_stdout(out):
        main(["train", "--help"])
    assert exited.value.code == 0
    text = " ".join(out.getvalue().split())
    start = text.index("--lr LR learning rate")  # the option's entry, not the usage line
    return text[start : text.index("--epochs EPOCHS", start)]


def _spec_lr(tmp_path, *flags):
    import json

    code, _, err = cli("train", *flags, "--epochs", 0, "--no-plots", "--quiet", "--out", "s",
                       "--overwrite", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    return json.loads((tmp_path / "s" / "spec.json").read_text())["optimizer"]["lr"]


def test_train_help_states_the_lr_a_csv_and_a_builtin_run_use(tmp_path):
    _houses(tmp_path)
    said = _help_lr(tmp_path)
    csv_ = ["--csv", "houses.csv", "--target", "price"]
    for optimizer in ("adam", "adamw"):  # what a run without --lr gets, as its spec.json says
        on_csv = _spec_lr(tmp_path, *csv_, "--optimizer", optimizer)
        on_set = _spec_lr(tmp_path, "--data", "square", "--optimizer", optimizer)
        m = re.search(rf"{optimizer}\b[^;]*: (\S+) with --data or --csv", said)
        assert m and float(m[1]) == on_csv == on_set, said
    for optimizer in ("sgd", "rmsprop", "adagrad"):  # their own default, whatever the data
        lr = _spec_lr(tmp_path, *csv_, "--optimizer", optimizer)
        m = re.search(rf"(\S+) for [a-z, ]*\b{optimizer}\b", said)
        assert m and float(m[1]) == lr, (optimizer, said)


# -- 4. the loss plot's thick line is the median it claims; one line when they coincide ---------
def _loss_figure(monkeypatch, tmp_path, losses):
    from backprop.plots import training

    figures = []
    monkeypatch.setattr(training, "save", lambda fig, path: figures.append(fig))
    training.loss_curves({"loss": list(losses)}, tmp_path / "loss.png", loss="mse")
    (fig,) = figures
    ax = fig.axes[0]
    drawn = {line.get_label(): np.asarray(line.get_ydata(), float) for line in ax.get_lines()}
    return fig, ax, drawn, [t.get_text() for t in ax.get_legend().get_texts()]


def test_the_thick_line_is_the_rolling_median_at_the_ends_and_past_a_spike(monkeypatch, tmp_path):
    ndimage = pytest.importorskip("scipy.ndimage")
    code, _, err = cli("train", "--data", "square", "--lr", 1000, "--no-plots", "--quiet",
                       "--out", "a", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    losses = np.asarray(_losses(tmp_path / "a"))
    _, _, drawn, legend = _loss_figure(monkeypatch, tmp_path, losses)
    m = re.search(
        r"rolling median of (\d+) epochs \(centred; fewer at the ends\)", " ".join(legend)
    )
    assert m, legend
    window = int(m[1])
    # scipy's median filter of the curve padded with NaN: at the ends, the values there are
    want = ndimage.generic_filter(losses, np.nanmedian, size=window, mode="constant", cval=np.nan)
    np.testing.assert_allclose(drawn["training"], want, rtol=1e-12)
    assert drawn["training"][0] != losses[0]  # never the raw first value (1316)
    assert drawn["training"].max() < 1e-3 * losses.max()  # the epoch-2 spike stays thin


def test_a_median_that_draws_over_the_curve_is_one_line_in_the_legend(monkeypatch, tmp_path):
    ndimage = pytest.importorskip("scipy.ndimage")
    # a notebook's smooth fall over 6 decades with one small bump: 'noisy' by the plot's rule
    losses = 1e4 * np.exp(-np.arange(300) / 30) + 0.01
    losses[150] *= 1.1
    assert np.any(losses[1:] > 1.05 * losses[:-1])
    fig, ax, drawn, legend = _loss_figure(monkeypatch, tmp_path, losses)
    window = int(min(201, max(5, losses.size // 50)) // 2 * 2 + 1)
    median = ndimage.generic_filter(losses, np.nanmedian, size=window, mode="constant", cval=np.nan)
    fig.canvas.draw()
    x = np.arange(1, losses.size + 1)
    raw_px = ax.transData.transform(np.column_stack([x, losses]))[:, 1]
    med_px = ax.transData.transform(np.column_stack([x, median]))[:, 1]
    height = ax.get_window_extent().height
    assert np.abs(raw_px - med_px).max() < 0.01 * height  # they would draw as one line …
    assert legend == ["training"]  # … so one is drawn and named
    np.testing.assert_array_equal(drawn["training"], losses)


# -- minor: one verdict for a few-epoch run; no mixed 'still falling'; did-you-mean; summary --
def test_a_three_epoch_run_gets_one_unfinished_verdict(tmp_path):
    _houses(tmp_path)
    code, _, err = cli("train", "--csv", "houses.csv", "--target", "price", "--epochs", 3,
                       "--no-plots", "--quiet", "--out", "a", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    assert "3 epochs are too few" in err, err
    assert "still falling" not in err, err


def test_still_falling_quotes_the_share_of_the_fall_only_as_a_reason(tmp_path):
    from backprop.train.cautions import STILL_FALLING

    code, _, err = cli("demo", "square", "--epochs", 100, "--no-plots", "--out", "d",
                       cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    line = next(x for x in err.splitlines() if "still falling" in x)
    m = re.search(r"(\S+) % of the run's whole fall", line)
    assert m is None or float(m[1]) > 100 * STILL_FALLING, line  # never '0.14 %, so … not'


def test_validation_misspelt_gets_did_you_mean(tmp_path):
    code, _, err = cli("train", "--data", "square", "--validation", "tset", "--no-plots",
                       "--out", "a", cwd=tmp_path)  # fmt: skip
    one_line(code, err, "--validation", "Did you mean 'test'?")


def test_summary_of_a_run_folders_spec_names_the_model_beside_it(tmp_path):
    code, _, err = cli("train", "--data", "square", "--epochs", 0, "--no-plots", "--quiet",
                       "--out", "r", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    code, out, err = cli("summary", "r/spec.json", cwd=tmp_path)
    assert code == 0, err
    assert "(untrained, seed 0)" in out
    assert "r/model.safetensors" in out.replace("\\", "/"), out
