"""The fifth newcomer trial's top findings (issue 15): a CSV's scalers fitted on the training
rows only (not the validation rows), poor-fit advice that never calls a rounding-level change
help nor says "larger" after a too-large learning rate, a misspelt flag before a positional
named as a flag, and a misspelt data set refused before any defaults are printed."""

import json

import numpy as np
import pytest

import backprop
from backprop.train.inputs import validation_rows
from cli_helpers import cli


def _houses(folder, n=300, seed=0):
    """A house-price file: price ≈ 3·size + 10·rooms + noise, ``n`` rows."""
    rng = np.random.default_rng(seed)
    size, rooms = rng.uniform(50, 250, n), rng.integers(1, 7, n)
    price = 3 * size + 10 * rooms + rng.normal(0, 5, n)
    rows = [f"{a:.2f},{b},{c:.2f}" for a, b, c in zip(size, rooms, price)]
    (folder / "houses.csv").write_text("size,rooms,price\n" + "\n".join(rows) + "\n")
    return np.loadtxt(folder / "houses.csv", delimiter=",", skiprows=1)


@pytest.mark.parametrize("fraction", [0.2, 0.35])
def test_validation_rows_do_not_shape_the_csv_scalers(tmp_path, fraction):
    table = _houses(tmp_path)
    code, _, err = cli("train", "--csv", "houses.csv", "--target", "price", "--validation",
                       fraction, "--epochs", "2", "--no-plots", "--quiet", "--out", "run",
                       cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    meta = json.loads((tmp_path / "run" / "spec.json").read_text())
    data = backprop.io.read(tmp_path / "run" / "model.safetensors").full_spec["data"]
    # fit's own split of the 300 rows (seed 0, no strata for regression): numpy on its rows
    train, val = validation_rows(len(table), fraction, meta["seed"])
    x, y = table[train, :2], table[train, 2]
    np.testing.assert_allclose(data["scaler"]["mean"], x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(data["scaler"]["std"], x.std(0), rtol=1e-12)
    np.testing.assert_allclose(data["target_scaler"]["mean"], [y.mean()], rtol=1e-12)
    np.testing.assert_allclose(data["target_scaler"]["std"], [y.std()], rtol=1e-12)
    assert len(val) == int(len(table) * fraction)


def test_a_class_csv_scaler_is_fitted_on_fits_stratified_training_rows(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.normal(3.0, 2.0, (120, 2))
    label = (x[:, 0] + rng.normal(0, 1, 120) > 3).astype(int)
    rows = [f"{a:.4f},{b:.4f},{c}" for (a, b), c in zip(x, label)]
    (tmp_path / "c.csv").write_text("a,b,label\n" + "\n".join(rows) + "\n")
    code, _, err = cli("train", "--csv", "c.csv", "--target", "label", "--validation", "0.25",
                       "--epochs", "2", "--no-plots", "--quiet", "--out", "run",
                       cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    scaler = backprop.io.read(tmp_path / "run" / "model.safetensors").full_spec["data"]["scaler"]
    table = np.loadtxt(tmp_path / "c.csv", delimiter=",", skiprows=1)
    train, _ = validation_rows(len(table), 0.25, 0, table[:, 2].astype(int))
    np.testing.assert_allclose(scaler["mean"], table[train, :2].mean(0), rtol=1e-12)
    np.testing.assert_allclose(scaler["std"], table[train, :2].std(0), rtol=1e-12)


def _trained(argv, cwd):
    """`backprop train ARGV` in process, its spec trained (the model and its data)."""
    import argparse
    import os
    import warnings

    from backprop.cli.commands.train import add_parser, build_spec

    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    old = os.getcwd()
    os.chdir(cwd)
    try:
        args = parser.parse_args(["train", *map(str, argv), "--quiet"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return backprop.run(build_spec(args))
    finally:
        os.chdir(old)


def _r2(run):
    from sklearn.metrics import r2_score

    x = backprop.tensor(run.dataset.x, dtype=backprop.float32)
    return r2_score(np.asarray(run.dataset.y), run.net(x).detach().numpy())


@pytest.mark.parametrize(
    "argv",
    [
        ["--data", "square", "--lr", "1000"],
        ["--csv", "houses.csv", "--target", "price", "--lr", "100"],
        ["--data", "square", "--optimizer", "sgd", "--lr", "1"],
    ],
    ids=["square-adam-1000", "csv-adam-100", "square-sgd-1"],
)
def test_advice_after_too_large_an_lr_is_smaller_and_really_learns(tmp_path, argv):
    import re

    _houses(tmp_path, n=160)
    code, out, err = cli("train", *argv, "--no-plots", "--out", "run", cwd=tmp_path)
    assert code == 0, err
    assert "smaller learning rate" in err  # fit's diagnosis
    assert "larger" not in out, out
    lr = float(argv[argv.index("--lr") + 1])
    tried = [float(v) for v in re.findall(r"^  --lr (\S+)", out, re.M)]
    assert tried and all(v < lr for v in tried), out
    advice = re.search(r"^advice: rerun with ((?:--\S+ \S+ ?)+) \(", out, re.M)
    assert advice, out
    flags = advice.group(1).split()
    rerun = list(argv)
    for name, value in zip(flags[::2], flags[1::2]):
        if name in rerun:
            rerun[rerun.index(name) + 1] = value
        else:
            rerun += [name, value]
    # the advised run, scored by scikit-learn: clearly better than predicting the mean
    assert _r2(_trained(rerun, tmp_path)) > 0.5, (flags, out)


@pytest.mark.parametrize(
    ("argv", "meant"),
    [(["demo", "--epoch", "100"], "--epochs"), (["demo", "--seeds", "3"], "--seed")],
)
def test_a_misspelt_flag_before_a_positional_is_named_as_a_flag(capsys, argv, meant):
    from backprop.cli.app import main

    with pytest.raises(SystemExit) as done:
        main(argv)
    err = capsys.readouterr().err
    assert done.value.code == 2 and err.count("\n") == 1, err
    assert f"unrecognized arguments: {argv[1]} {argv[2]}. Did you mean '{meant}'?" in err, err
    assert "invalid choice" not in err


def test_a_misspelt_data_name_is_refused_before_any_defaults_are_printed(tmp_path):
    from cli_helpers import one_line

    code, out, err = cli("train", "--data", "sqaure", "--no-plots", cwd=tmp_path)
    one_line(code, err, "--data (spec field data.name)", "'sqaure'", "Did you mean 'square'?")
    assert out == ""  # no "defaults for --data sqaure: …" first
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--activation", "rleu"], "--activation (spec field model.activation)"),
        (["--activation", "relu,rleu"], "--activation (spec field model.activation[1])"),
        (["--optimizer", "adm"], "--optimizer (spec field optimizer.name)"),
        (["--init", "foo"], "--init (spec field model.init)"),
        (["--lr", "-1"], "--lr (spec field optimizer.lr)"),
    ],
)
def test_a_refused_flag_value_is_named_by_its_flag(tmp_path, flags, named):
    from cli_helpers import one_line

    code, _, err = cli("train", "--data", "square", *flags, "--no-plots", cwd=tmp_path)
    one_line(code, err, f"backprop train: error: {named}: ", flags[1].split(",")[-1])


def test_a_spec_files_own_value_is_not_blamed_on_a_flag(tmp_path):
    from cli_helpers import one_line

    spec = {"data": {"name": "square"}, "model": {"activation": "rleu"}}
    (tmp_path / "bad.json").write_text(json.dumps(spec))
    code, _, err = cli("train", "bad.json", "--activation", "tanh", cwd=tmp_path)
    one_line(code, err, "error: spec field model.activation: ", "'rleu'")


def _class_files(folder):
    """A CSV with text labels, one with a continuous target, one with whole ages."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2))
    kind = np.where(x[:, 0] > 0, "big", "small")
    rows = [f"{a:.3f},{b:.3f},{c}" for (a, b), c in zip(x, kind)]
    (folder / "kinds.csv").write_text("a,b,kind\n" + "\n".join(rows) + "\n")
    age = np.clip(np.round(x[:, 0] * 15 + 40), 1, 99).astype(int)
    rows = [f"{a:.3f},{b}" for a, b in zip(x[:, 1], age)]
    (folder / "ages.csv").write_text("x,age\n" + "\n".join(rows) + "\n")
    _houses(folder, n=200)
    return {"kinds.csv": "kind", "ages.csv": "age", "houses.csv": "price"}


def test_the_task_lines_offer_runs_when_followed(tmp_path):
    import re

    for name, target in _class_files(tmp_path).items():
        base = ["train", "--csv", name, "--target", target, "--epochs", "2", "--no-plots"]
        code, out, err = cli(*base, "--out", "a", "--overwrite", cwd=tmp_path)
        assert code == 0, err
        line = next(x for x in out.splitlines() if x.startswith("task: "))
        offer = re.search(r"--task (\w+) to change it", line)
        if name == "ages.csv":  # whole numbers: either task is accepted, and offered
            assert offer, line
        if offer:
            code, _, err = cli(*base, "--task", offer.group(1), "--out", "b", "--overwrite",
                               cwd=tmp_path)  # fmt: skip
            assert code == 0, (line, err)


def test_text_labels_with_task_regression_are_explained_in_flags(tmp_path):
    from cli_helpers import one_line

    _class_files(tmp_path)
    code, _, err = cli("train", "--csv", "kinds.csv", "--target", "kind", "--task",
                       "regression", "--no-plots", cwd=tmp_path)  # fmt: skip
    one_line(code, err, "'big'", "leave out --task regression", "--task classification")
    assert "task='" not in err


@pytest.mark.parametrize(
    ("argv", "joined"),
    [(["0.7", "-1.2"], "--x 0.7,-1.2"), (["0.7", "1.2"], "--x 0.7,1.2")],
)
def test_explain_inputs_split_by_spaces_get_the_comma_form(capsys, tmp_path, argv, joined):
    from backprop.cli.app import main

    with pytest.raises(SystemExit) as done:
        main(["explain", "vector", "--x", *argv])
    err = capsys.readouterr().err
    assert done.value.code == 2 and err.count("\n") == 1, err
    assert f"comma-separated: {joined}" in err, err
    code, _, err = cli("explain", "vector", *joined.split(), cwd=tmp_path)  # the hint runs
    assert code == 0, err


def test_predict_names_a_samples_length_in_the_users_words(tmp_path):
    from cli_helpers import one_line

    _houses(tmp_path, n=80)
    code, _, err = cli("train", "--csv", "houses.csv", "--target", "price", "--epochs", "2",
                       "--no-plots", "--quiet", "--out", "run", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    code, _, err = cli("predict", "run/model.safetensors", "--x", "100", cwd=tmp_path)
    one_line(code, err, "--x 100: a sample of 1 number", "takes 2 inputs (size, rooms)",
             "--x 0.5,0.5")  # fmt: skip
    assert "features" not in err and "X has" not in err


def test_the_readmes_command_table_has_every_command():
    from pathlib import Path

    from backprop.cli import commands

    readme = Path(__file__).resolve().parents[1] / "README.md"
    rows = [line for line in readme.read_text().splitlines() if line.startswith("| `backprop ")]
    for module in commands.ALL:
        name = module.__name__.rpartition(".")[2]
        assert any(row.startswith(f"| `backprop {name}") for row in rows), name


def test_a_list_flags_values_split_by_a_space_are_not_taken_for_a_spec(tmp_path):
    from cli_helpers import one_line

    code, _, err = cli("train", "--data", "square", "--hidden", "8", "8", cwd=tmp_path)
    one_line(code, err, "SPEC '8': numbers, not a spec file", "--hidden 8,8")
