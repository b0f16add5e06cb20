"""The fourth newcomer trial's open items (issue 15), each at its root: defaults that fit every
built-in set (`train --data square` gave r² −0.575), advice that is tried on the run and
ranked (never the run's own setting, never what made it worse), a continuous column refused
as classes, a dead ReLU network named as such, one source of advice in each medium's words,
did-you-mean for synonyms, an explain example with nonzero δ, --quiet naming the run folder,
and the cosmetics (log columns, step plots, warnings pointing at the user's line)."""

import argparse
import re
import warnings

import numpy as np
import pytest

import backprop
from backprop.errors import PoorFitWarning, SpecError
from cli_helpers import cli

SETS = sorted(backprop.data.DATASETS)


def _default_run(name: str):
    """`backprop train --data NAME` with no other flag, in process (its spec, trained)."""
    from backprop.cli.commands.train import add_parser, build_spec

    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["train", "--data", name, "--quiet"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return backprop.run(build_spec(args))


def _scores(run):
    """(the run's score, a linear model's, a constant model's) on the held-out rows when the
    set has them, else on the training rows; scikit-learn scores all three."""
    from sklearn.dummy import DummyClassifier, DummyRegressor
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.metrics import accuracy_score, r2_score

    ds = run.dataset
    x, y = ds.x, np.asarray(ds.y)
    xt, yt = (ds.x_test, np.asarray(ds.y_test)) if ds.x_test is not None else (x, y)
    out = run.net(backprop.tensor(xt, dtype=backprop.float32)).detach().numpy()
    if ds.task == "regression":
        ours = r2_score(yt, out)
        linear = r2_score(yt, LinearRegression().fit(x, y).predict(xt))
        constant = r2_score(yt, DummyRegressor().fit(x, y).predict(xt))
        return ours, linear, constant
    guess = (out[:, 0] > 0).astype(int) if out.shape[1] == 1 else out.argmax(1)
    ours = accuracy_score(yt, guess)
    linear = accuracy_score(yt, LogisticRegression(max_iter=2000).fit(x, y).predict(xt))
    constant = accuracy_score(yt, DummyClassifier().fit(x, y).predict(xt))
    return ours, linear, constant


@pytest.mark.parametrize("name", SETS)
def test_train_data_name_at_its_defaults_fits_every_builtin_set(name):
    run = _default_run(name)
    ours, linear, constant = _scores(run)
    # clearly better than a model that ignores the inputs, and not far below a linear model
    # (square: 0.997 against ≈ 0; it was −0.575). diabetes' 353 rows are the tightest: test
    # r² 0.42 against the linear 0.50, as 500 epochs overfit them (docs/cli.md)
    assert ours > constant + 0.25 * (1 - constant) or ours > 0.99, (ours, constant)
    assert ours >= linear - 0.1, (ours, linear)


def _advice(out: str) -> dict[str, float | None]:
    """{flags: score} of the advice's table; None for 'diverged'."""
    rows = {}
    for line in out.splitlines():
        found = re.match(r"  (--\S+(?: \S+)?)\s+(?:r²|accuracy) (-?[\d.e+-]+)", line)
        if found:
            rows[found.group(1)] = float(found.group(2))
    return rows


def _train_r2(tmp_path, *flags):
    code, out, err = cli("train", "--data", "square", *flags, "--no-plots", "--quiet",
                         "--out", "x", "--overwrite", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    return float(re.search(r"r2 (-?[\d.e+-]+)", out).group(1)), out


def test_the_advice_is_tried_on_the_run_and_ranked(tmp_path):
    old = ("--lr", "0.001", "--epochs", "100", "--batch-size", "100")  # the trial's run
    now, out = _train_r2(tmp_path, *old)
    assert now < 0  # r² −0.575, as the trial saw
    table = _advice(out)
    assert {"--epochs 1000", "--batch-size 32", "--standardize"} <= set(table), out
    best = max(table, key=table.get)
    assert f"advice: rerun with {best} " in out
    for flags, value in table.items():  # each row is what that command line really gives
        again, _ = _train_r2(tmp_path, *old, *flags.split())
        assert again == pytest.approx(value, abs=5e-3), flags
        if again <= now:  # --standardize made it worse (−0.653): shown, never advised
            line = next(x for x in out.splitlines() if x.startswith(f"  {flags} "))
            assert "not advised" in line and not out.count(f"rerun with {flags} ")


def test_the_advice_never_names_the_runs_own_setting(tmp_path):
    flags = ("--lr", "0.0001", "--epochs", "20", "--batch-size", "32", "--standardize")
    now, out = _train_r2(tmp_path, *flags, "--standardize-target")
    assert now < 0
    table = _advice(out)
    assert table and not {"--batch-size 32", "--standardize", "--standardize-target"} & set(table)


def test_a_continuous_column_is_refused_as_classes(tmp_path):
    rng = np.random.default_rng(0)
    size = rng.uniform(50, 250, 200)
    price = 3 * size + rng.normal(0, 5, 200)
    rows = "".join(f"{s:.2f},{p:.2f}\n" for s, p in zip(size, price))
    (tmp_path / "h.csv").write_text("size,price\n" + rows)
    code, _, err = cli("train", "--csv", "h.csv", "--target", "price", "--task",
                       "classification", "--no-plots", "--out", "o", cwd=tmp_path)  # fmt: skip
    assert code == 2, err
    count = int(re.search(r"holds (\d+) distinct", err).group(1))  # (a few prices repeat)
    assert count > 190 and "in 200 rows" in err and "--task regression" in err, err


def test_a_boundary_legend_of_many_classes_stays_short():
    from backprop import nn, plots

    model = nn.MLP([2, 30])
    x = np.random.default_rng(0).normal(size=(90, 2))
    y = np.arange(90) % 30
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no layout warning from matplotlib either
        fig = plots.decision_boundary(model, x, y)
    labels = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
    assert len(labels) <= 3 and "30 classes" in labels[0], labels


def test_a_network_whose_relu_units_died_is_named_as_such(tmp_path):
    import torch

    code, _, err = cli("train", "--data", "square", "--optimizer", "sgd", "--lr", "0.1",
                       "--epochs", "100", "--batch-size", "100", "--no-plots", "--out", "d",
                       cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    assert "died" in err and "leaky_relu" in err and "worse than predicting the mean" not in err
    layer = int(re.search(r"unit of layer (\d)", err).group(1))
    # the claim checked with PyTorch: that layer's ReLUs are 0 on every training row
    f = backprop.io.read(tmp_path / "d" / "model.safetensors")
    x = torch.tensor(backprop.data.make("square").x, dtype=torch.float32)
    a = x
    for l in range(1, layer + 1):
        w, b = (
            torch.tensor(np.asarray(f.tensors[f"{2 * (l - 1)}.{k}"])) for k in ("weight", "bias")
        )
        a = torch.relu(a @ w.T + b)
    assert torch.count_nonzero(a) == 0


def test_one_source_of_advice_each_medium_its_own_words(tmp_path, monkeypatch):
    code, _, err = cli("train", "--data", "square", "--optimizer", "sgd", "--lr", "1000",
                       "--epochs", "10", "--batch-size", "100", "--out", "r",
                       cwd=tmp_path)  # fmt: skip
    assert code == 3, err
    code, out, err = cli("summary", "r/model.safetensors", cwd=tmp_path)
    assert code == 0 and "--standardize" in out and "Standardizer" not in out, out
    from backprop import plots
    from backprop.cli.outputs import save_plots

    captions = []
    real = plots.loss_curves

    def spy(history, *args, **kwargs):
        reason = history.get("stop_reason") if isinstance(history, dict) else history.stop_reason
        captions.append(reason)
        return real(history, *args, **kwargs)

    monkeypatch.setattr(plots, "loss_curves", spy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = backprop.run(
            {"data": "square", "epochs": 10, "optimizer": {"name": "sgd", "lr": 1000}}
        )
    save_plots(run, tmp_path)
    assert "Standardizer" in run.history.stop_reason  # the library keeps Python's words
    assert "--standardize" in captions[0] and "Standardizer" not in captions[0]


@pytest.mark.parametrize(
    ("spec", "meant"),
    [
        ({"optimizer": {"learning_rate": 0.1}}, "'lr'"),
        ({"optimizer": {"lr_rate": 0.1}}, "'lr'"),
        ({"optimizer": {"momentum": 0.9}}, '"options": {"momentum"'),
        ({"model": {"activation_function": "tanh"}}, "'activation'"),
        ({"learning_rate": 0.1}, '"optimizer": {"lr"'),
    ],
)
def test_spec_synonyms_get_a_did_you_mean(spec, meant):
    with pytest.raises(SpecError, match="did you mean") as info:
        backprop.spec.normalize({"data": "square", **spec})
    assert meant in str(info.value)


def test_flag_synonyms_get_a_did_you_mean(capsys):
    from backprop.cli.app import main

    with pytest.raises(SystemExit) as done:
        main(["train", "--data", "square", "--learning-rate", "0.1"])
    err = capsys.readouterr().err
    assert done.value.code == 2 and "Did you mean '--lr'?" in err, err


def test_explains_help_example_shows_nonzero_deltas_and_an_exact_fit_is_said(tmp_path):
    from backprop.cli.commands import explain

    line = next(x for x in explain.EXAMPLES.splitlines() if "explain abs" in x)
    argv = re.split(r"\s{2,}", line.strip())[0].split()[1:]
    code, out, err = cli(*argv, cwd=tmp_path)
    assert code == 0, err
    deltas = [x for x in out.splitlines() if x.strip().startswith("δ[2]")]
    assert deltas and not re.search(r"\[ ?-?0\.0000\]", deltas[0]), deltas
    code, out, err = cli("explain", "abs", "--x", "2.5", "--y", "1.5", "--loss", "half_mse",
                         cwd=tmp_path)  # fmt: skip
    assert code == 0 and "fits this sample exactly" in out, out


def test_quiet_still_names_the_run_folder(tmp_path):
    code, out, err = cli("train", "--data", "square", "--epochs", "3", "--no-plots", "--quiet",
                         "--out", "q", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    said = [x for x in out.splitlines() if x.startswith("run folder: ")]
    assert len(said) == 1, out
    folder = said[0].removeprefix("run folder: ")
    assert (tmp_path / "q").resolve() == (tmp_path / folder).resolve()
    assert "epoch 1/" not in out and "model.safetensors" not in out


def test_every_default_log_line_has_the_same_columns(tmp_path):
    code, out, err = cli("train", "--data", "square", "--epochs", "200", "--no-plots",
                         "--out", "l", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    lines = [x for x in out.splitlines() if x.startswith("epoch ")]
    assert len(lines) > 10 and all("rmse" in x for x in lines), lines[:4]


def test_a_step_networks_fit_plot_marks_jumps_not_kinks():
    from backprop import nn, plots

    model = nn.MLP([1, 4, 1], activation="step")
    x = np.linspace(-3, 3, 40)[:, None]
    fig = plots.fit_1d(model, x, x**2)
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert any("jumps of layer 1" in t for t in labels) and not any("kink" in t for t in labels)


def test_fits_warnings_point_at_the_users_line():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        backprop.run({"data": "square", "epochs": 5})
    poor = [w for w in caught if issubclass(w.category, PoorFitWarning)]
    assert poor and poor[0].filename == __file__


def test_a_run_that_diverges_in_its_first_epoch_keeps_its_files(tmp_path):
    code, _, err = cli("train", "--data", "square", "--optimizer", "sgd", "--lr", "1000",
                       "--epochs", "5", "--batch-size", "32", "--out", "f",
                       cwd=tmp_path)  # fmt: skip
    assert code == 3, err
    assert (tmp_path / "f" / "model.safetensors").exists() and "loss_curves" not in err


def test_explain_says_when_a_relu_layer_is_silent_for_the_sample(tmp_path):
    """The help's model example (x = 0.3 on the demo's square net) printed δ[1] = 0 … with
    no word: every unit of layer 2 was 0 there. A hand-set net with the same property."""
    from backprop import io, nn

    model = nn.MLP([1, 2, 2, 1], activation="relu")
    with backprop.no_grad():
        model[0].weight.copy_(backprop.tensor([[1.0], [2.0]]))
        model[0].bias.copy_(backprop.tensor([0.0, 0.0]))
        model[2].weight.copy_(backprop.tensor([[-1.0, -1.0], [-2.0, 0.5]]))
        model[2].bias.copy_(backprop.tensor([0.0, -0.5]))
    io.save(model, tmp_path / "m.safetensors")
    x = 0.3  # a[1] = (0.3, 0.6) > 0; f[2] = (−0.9, −0.8) ≤ 0: layer 2 silent
    code, out, err = cli("explain", "m.safetensors", "--x", x, "--y", 1, "--loss", "mse",
                         cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    assert "note: every unit of layer 2 is 0 for this x" in out, out
    code, out, err = cli("explain", "m.safetensors", "--x", -0.3, cwd=tmp_path)
    assert "note: every unit of layer 1 is 0" in out  # and the first silent layer is named
