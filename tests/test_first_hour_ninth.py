"""The eighth newcomer trial's findings (issue 15, brief C15G).

A demo's epoch header counts the updates the run makes (minibatches: many per epoch); with
a validation split the advice judges on the validation rows and advises only a clear gain;
a run of very few epochs is unfinished; ``explain`` names a classifier's logit and a
standardised model's z; sweep's misspelt --out names --db.
"""

import csv
import math
import re

import numpy as np
import pytest

import backprop
from cli_helpers import cli


# -- 1. the demo's epoch header counts minibatch updates -----------------------------------------
@pytest.mark.parametrize("name", ["digits", "xor"])
def test_a_minibatch_demo_header_counts_its_updates(tmp_path, name):
    code, out, err = cli("demo", name, "--epochs", 10, "--no-plots", "--out", "d", cwd=tmp_path)
    assert code == 0, err
    spec = backprop.spec.builtin(name)
    rows = int(re.search(r": (\d+) training points", out).group(1))
    per_epoch = math.ceil(rows / spec["batch_size"])  # torch's DataLoader, drop_last=False
    assert per_epoch > 1
    m = re.search(r"'Epoch (\d+)' is the mean loss of updates ([\d,]+) to ([\d,]+)", out)
    assert m, out
    k, first, last = (int(g.replace(",", "")) for g in m.groups())
    assert (first, last) == (k * per_epoch + 1, (k + 1) * per_epoch), out
    assert "loss before update" not in out


def test_a_full_batch_demo_header_is_as_before(tmp_path):
    code, out, err = cli("demo", "square", "--epochs", 10, "--no-plots", "--out", "d",
                         cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    assert "'Epoch 1' is the loss before update 2" in out, out


# -- 2. with a validation split the advice judges on it, and advises only a clear gain -----------
def _houses(folder, n=200, seed=1):
    """price ≈ 3·size + 10·rooms + noise (the README's example)."""
    rng = np.random.default_rng(seed)
    size, rooms = rng.uniform(50, 200, n), rng.integers(1, 6, n)
    price = 3 * size + 10 * rooms + rng.normal(0, 5, n)
    rows = [f"{a:.1f},{b},{c:.1f}" for a, b, c in zip(size, rooms, price)]
    (folder / "houses.csv").write_text("size,rooms,price\n" + "\n".join(rows) + "\n")
    return np.column_stack([size.round(1), rooms]), price.round(1)


def _last(folder, column):
    with open(folder / "history.csv") as f:
        return float(list(csv.DictReader(f))[-1][column])


def _advised(out):
    m = re.search(r"advice: rerun with ((?:--\S+ ?\S*?)+) \(", out)
    return None if m is None else m.group(1).split()


def _predict_r2(folder, x, y):
    from sklearn.metrics import r2_score

    model = backprop.load(str(folder / "model.safetensors"))
    with backprop.no_grad():
        pred = model(backprop.tensor(x, dtype=backprop.float32)).numpy()
    return r2_score(y, pred)


def test_the_readme_houses_advice_is_judged_on_validation_and_a_line_note_follows(tmp_path):
    from sklearn.linear_model import LinearRegression

    from backprop.train.inputs import validation_rows

    x, y = _houses(tmp_path)
    base = ["train", "--csv", "houses.csv", "--target", "price", "--hidden", "32,32",
            "--validation", "0.2", "--no-plots", "--quiet"]  # fmt: skip
    code, out, err = cli(*base, "--out", "a", cwd=tmp_path)
    assert code == 0, err
    assert "advice: " in out and "judged on its validation rows" in out, out
    flags = _advised(out)
    if flags is not None:  # a promise: its validation rmse (the run's own file) clearly lower
        code, _, err = cli(*base, *flags, "--out", "b", cwd=tmp_path)
        assert code == 0, err
        assert _last(tmp_path / "b", "val_rmse") * 1.1 < _last(tmp_path / "a", "val_rmse")
    # the least-squares note is not held back by the advice (scikit-learn's line)
    train, val = validation_rows(len(y), 0.2, 0, None)
    line = LinearRegression().fit(x[train], y[train]).predict(x[val])
    want = np.sqrt(np.mean((line - y[val]) ** 2))
    found = re.search(r"least squares on the same inputs has rmse ([\d.]+) on the validation", out)
    assert found and float(found.group(1)) == float(f"{want:.4g}"), out


def test_square_at_lr_1_is_not_advised_a_change_that_is_no_better(tmp_path):
    code, out, err = cli("train", "--data", "square", "--lr", 1, "--no-plots", "--quiet",
                         "--out", "a", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    flags = _advised(out)
    if flags is not None:  # then the advised run's r² (scikit-learn's) is clearly higher
        said = re.search(r"\(r² (\S+) against (\S+) now", out)
        assert said.group(1) != said.group(2), out  # and the line shows it is
        code, _, err = cli("train", "--data", "square", "--lr", 1, *flags, "--no-plots",
                           "--quiet", "--out", "b", cwd=tmp_path)  # fmt: skip
        assert code == 0, err
        r = backprop.run("square")
        x, y = r.dataset.x, r.dataset.y
        now, then = _predict_r2(tmp_path / "a", x, y), _predict_r2(tmp_path / "b", x, y)
        assert (1 - then) * 1.1**2 < 1 - now, (now, then, out)


# -- 3. a run of very few epochs is unfinished; a loss that jumps at the end is not a fit --------
def test_three_epochs_are_unfinished_and_the_default_epochs_are_tried(tmp_path):
    code, _, err = cli("train", "--data", "square", "--no-plots", "--quiet", "--out", "d",
                       cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    with open(tmp_path / "d" / "history.csv") as f:
        default = len(list(csv.DictReader(f)))  # the epochs a run without --epochs trains
    code, out, err = cli("train", "--data", "square", "--epochs", 3, "--no-plots", "--quiet",
                         "--out", "a", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    assert "3 epochs are too few" in err and "unfinished" in err, err
    assert re.search(rf"^  --epochs {default}\s+r² ", out, re.M), out


def test_a_loss_that_jumps_in_the_last_epoch_is_called_no_fit(tmp_path):
    code, out, err = cli("train", "--data", "square", "--epochs", 3, "--lr", 1, "--no-plots",
                         "--quiet", "--out", "a", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    with open(tmp_path / "a" / "history.csv") as f:
        losses = [float(r["loss"]) for r in csv.DictReader(f)]
    assert losses[-1] > 10 * min(losses[:-1])  # the run's own file: it jumped at the end
    assert "not a fit" in err and f"{losses[-1]:.4g}" in err, err
    assert "advice: " in out, out


# -- 4. explain: a classifier's ŷ is a logit; a standardised model's a[0] is z -------------------
def _pets(folder, n=200, seed=0):
    rng = np.random.default_rng(seed)
    label = rng.integers(0, 2, n)
    x = rng.normal(0, 1, (n, 2)) + 1.5 * label[:, None]
    rows = [f"{a:.3f},{b:.3f},{'dog' if k else 'cat'}" for (a, b), k in zip(x, label)]
    (folder / "pets.csv").write_text("x1,x2,label\n" + "\n".join(rows) + "\n")


def test_explain_on_a_classifier_without_y_names_the_logit_and_its_probability(tmp_path):
    _pets(tmp_path)
    code, _, err = cli("train", "--csv", "pets.csv", "--target", "label", "--no-plots", "-q",
                       "--out", "p", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    code, out, err = cli("explain", "p/model.safetensors", "--x", "1,2", cwd=tmp_path)
    assert code == 0, err
    assert "logit" in out, out
    # the probability is σ(ŷ) of the model's own output, and as explain --y dog says it
    model = backprop.load(str(tmp_path / "p" / "model.safetensors"))
    with backprop.no_grad():
        z = float(model(backprop.tensor([[1.0, 2.0]], dtype=backprop.float32)).numpy()[0, 0])
    p = 1 / (1 + math.exp(-z))
    assert f"p('dog') = {p:.4f}" in out, (p, out)
    code, with_y, err = cli("explain", "p/model.safetensors", "--x", "1,2", "--y", "dog",
                            cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    assert f"p('dog') = {p:.4f}" in with_y


def test_explain_on_a_standardised_model_calls_a0_z_with_its_values(tmp_path):
    from sklearn.preprocessing import StandardScaler

    x, _ = _houses(tmp_path)
    code, _, err = cli("train", "--csv", "houses.csv", "--target", "price", "--standardize",
                       "--no-plots", "-q", "--out", "h", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    code, out, err = cli("explain", "h/model.safetensors", "--x", "100,3", cwd=tmp_path)
    assert code == 0, err
    assert "a[0] = x =" not in out, out
    m = re.search(r"a\[0\] = z = \[\s*(\S+),\s*(\S+)\]ᵀ", out)
    assert m, out
    z = StandardScaler().fit(x).transform([[100.0, 3.0]])[0]
    assert [float(g) for g in m.groups()] == pytest.approx(z, abs=1e-4)


# -- 5. sweep --out names --db, and that --out is compare's ---------------------------------------
def test_sweep_out_names_db_not_quiet(tmp_path):
    import contextlib
    import io

    from backprop.cli.app import main
    from cli_helpers import one_line

    err = io.StringIO()
    with pytest.raises(SystemExit) as exited, contextlib.redirect_stderr(err):
        main(["sweep", "square", "--grid", "optimizer.lr=0.1,0.01", "--out", "sw1"])
    one_line(exited.value.code, err.getvalue(), "--db", "compare")
    assert "--quiet" not in err.getvalue(), err.getvalue()


def test_a_demo_judged_on_its_test_rows_states_a_margin_of_those_rows(tmp_path):
    code, out, err = cli("demo", "xor", "--epochs", 5, "--no-plots", "--out", "d", cwd=tmp_path)
    assert code == 0, err
    m = re.search(r"judged on its validation rows \(advised only when clearly better: accuracy "
                  r"over (\S+) higher\)", out)  # fmt: skip
    assert m, out
    held = len(backprop.run(dict(backprop.spec.builtin("xor"), epochs=0)).dataset.x_test)
    assert float(m.group(1)) == pytest.approx(max(0.01, 1 / held), rel=1e-2)
