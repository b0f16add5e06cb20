"""The eleventh CLI student's findings on the advice (issue 15, brief C15K, items 1 2 5 6 9).

The advice must be what it says: each change tried alone on this run's rows, margins counted
in rows, "learned" meaning clearly better than ignoring the inputs, and no untested fix.
"""

import json
import re

import numpy as np
import pytest

from cli_helpers import cli


# -- item 2: a one-row gain is not "clearly better" (26/29 against 25/29) ------------------------
def test_a_one_row_accuracy_gain_is_not_clearly_better():
    from backprop.cli.judged import Judge

    judge = Judge("val_accuracy", 29, 120)
    assert 26 / 29 - 25 / 29 > 1 / 29  # the premise: floats put one row above one row
    assert not judge.clearly_better(26 / 29, 25 / 29)  # 1 row: not more than one row
    assert judge.clearly_better(27 / 29, 25 / 29)  # 2 rows, 6.9 % > 1 %: better
    big = Judge("val_accuracy", 1000, 4000)  # 2 rows of 1,000 are 0.2 %: under 1 %
    assert not big.clearly_better(0.502, 0.500) and big.clearly_better(0.511, 0.500)


# -- item 1: another --seed draws other rows, so it is not tried as "this run" -------------------
def test_same_rows_follows_the_split_the_run_draws():
    from backprop.cli.judged import same_rows
    from backprop.spec import builtin
    from backprop.train.inputs import validation_rows

    spec = builtin("square")
    spec["validation"] = 0.2
    other = {**spec, "seed": spec["seed"] + 1}
    # the oracle: fit's own split of 100 rows under each seed
    a = validation_rows(100, 0.2, spec["seed"])[1]
    b = validation_rows(100, 0.2, other["seed"])[1]
    assert set(a) != set(b)
    assert not same_rows(spec, other)
    wider = {**spec, "model": {**spec["model"], "sizes": [1, 16, 16, 1]}}
    assert same_rows(spec, wider)
    csv = {**spec, "validation": None, "data": {**spec["data"], "name": None, "csv": "t.csv"}}
    assert same_rows(csv, {**csv, "seed": 5})  # a CSV's rows: the seed draws no split


def test_the_advice_never_scores_another_seed_on_other_rows(tmp_path):
    from backprop.spec.build import dataset_for

    code, out, err = cli("train", "--data", "abs", "--hidden", 2, "--seed", 0, "--no-plots",
                         "--quiet", "--out", "a", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    spec = json.loads((tmp_path / "a" / "spec.json").read_text())
    other = {**spec, "seed": 1, "data": {**spec["data"], "seed": 1}}  # what --seed 1 runs
    assert spec["data"]["seed"] == 0  # the premise: the data's seed followed the run's
    assert not np.array_equal(dataset_for(spec).x, dataset_for(other).x)  # other rows
    table = out[out.index("advice:") :]
    assert "  --seed 1 " not in table, table  # no score of other rows
    assert re.search(r"not tried: [^\n]*--seed 1 \(another seed also draws", table), table


# -- item 5: the lecture's vanishing case ------------------------------------------------------
def test_the_vanishing_case_says_why_and_tries_relu(tmp_path):
    import torch
    from safetensors.torch import load_file  # noqa: F401 - the saved file is not the start

    from backprop.spec.build import dataset_for, model_for

    hidden = ",".join(["8"] * 10)
    code, out, err = cli("train", "--data", "square", "--hidden", hidden, "--activation",
                         "sigmoid", "--lr", 0.1, "--no-plots", "--quiet", "--out", "a",
                         cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    assert "worse than predicting the mean" not in err, err
    assert "no better than predicting the mean" in err, err
    said = re.search(r"‖∂E/∂W\[1\]‖ = ([\d.e+-]+) against the output layer's "
                     r"‖∂E/∂W\[11\]‖ = ([\d.e+-]+)", err)  # fmt: skip
    assert said and "0.25^10" in err, err
    # the oracle: PyTorch's gradients of the same starting weights on the same rows
    spec = json.loads((tmp_path / "a" / "spec.json").read_text())
    ds = dataset_for(spec)
    start = model_for(spec, ds, spec["loss"]["name"])
    weights = [torch.tensor(p._data, requires_grad=True) for p in start.parameters()]
    a = torch.tensor(np.asarray(ds.x, np.float32))
    for i in range(0, len(weights), 2):
        a = a @ weights[i].T + weights[i + 1]
        if i < len(weights) - 2:
            a = torch.sigmoid(a)
    y = torch.tensor(np.asarray(ds.y, np.float32).reshape(-1, 1))
    torch.nn.functional.mse_loss(a, y).backward()
    first, last = float(weights[0].grad.norm()), float(weights[-2].grad.norm())
    assert float(said[1]) == pytest.approx(first, rel=0.06)
    assert float(said[2]) == pytest.approx(last, rel=0.06)
    assert first / last <= 0.25**10
    table = out[out.index("advice:") :]
    assert "  --activation relu " in table, table


def test_a_constant_output_is_within_the_rounding_of_the_mean():
    from sklearn.metrics import r2_score

    from backprop.train.poorfit import mean_rounding

    rng = np.random.default_rng(0)
    y = rng.uniform(-11, 11, 100) ** 2 + rng.normal(0, 1, 100)
    constant = np.full_like(y, np.float32(y.mean()), dtype=np.float32)  # the mean, float32
    assert abs(r2_score(y, constant.astype(np.float64))) <= mean_rounding(y)
    assert r2_score(y, np.full_like(y, y.mean() + 0.01 * y.std())) < -mean_rounding(y)


# -- item 6: without --validation the advice says it is judged on training rows --------------------
def test_advice_on_training_rows_says_so_and_names_validation(tmp_path):
    code, out, err = cli("train", "--data", "square", "--epochs", 3, "--no-plots", "--quiet",
                         "--out", "a", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    line = next(x for x in out.splitlines() if x.startswith("advice:"))
    assert "judged on its training rows, as the run held none out" in line, line
    assert "--validation 0.2 judges each change on rows it did not train on" in line, line


# -- item 9: after a divergence, "learned" is the Judge's, and --standardize was checked ----------
def test_after_a_divergence_the_advised_lr_learned_clearly_and_standardize_is_checked(tmp_path):
    from sklearn.metrics import r2_score

    import backprop

    base = ("--data", "square", "--optimizer", "sgd", "--activation", "tanh", "--no-plots",
            "--quiet")  # fmt: skip
    code, out, err = cli("train", *base, "--lr", 100, "--out", "a", cwd=tmp_path)
    assert code == 3, err
    advised = re.search(r"rerun with --lr ([\d.e+-]+)", out)
    assert advised, out
    assert "checked on this run: with it, at lr=100, it diverged" in out, out
    code, _, _ = cli("train", *base, "--lr", 100, "--standardize", "--out", "s", cwd=tmp_path)
    assert code == 3  # the check's verdict: standardising alone does not stop the divergence
    for lr, learned in ((advised[1], True), ("0.1", False)):  # 0.1: r² 0.0134, was 'learned'
        code, _, err = cli("train", *base, "--lr", lr, "--out", f"lr{lr}", cwd=tmp_path)
        assert code == 0, err
        run = backprop.load(tmp_path / f"lr{lr}" / "model.safetensors")
        spec = json.loads((tmp_path / f"lr{lr}" / "spec.json").read_text())
        from backprop.spec.build import dataset_for

        ds = dataset_for(spec)
        with backprop.no_grad():
            pred = run(backprop.tensor(np.asarray(ds.x, np.float32))).numpy()
        r2 = r2_score(ds.y, pred)
        # learned: rmse over 10 % below the mean's, 1 - r² < 1 / 1.21
        assert ((1 - r2) * 1.21 < 1) is learned, (lr, r2)
