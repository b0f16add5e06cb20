"""Smaller defects an outside attack found this round, each compared with its reference:
the estimators' n_iter_no_change counts epochs as scikit-learn does; History refuses column
names and epoch numbers that would corrupt its files; --backup-every needs --backup; a
resumed run names why its engine was chosen."""

import warnings

import numpy as np
import pytest

from backprop.train import History
from cli_helpers import cli


@pytest.mark.parametrize("patience", [1, 3, 5])
def test_n_iter_no_change_stops_at_scikit_learns_epoch(patience):
    sk = pytest.importorskip("sklearn.neural_network")
    from backprop.sklearn import MLPRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=60)
    kw = dict(hidden_layer_sizes=(4,), solver="sgd", learning_rate_init=0.5, batch_size=60,
              max_iter=200, tol=1e9, n_iter_no_change=patience, random_state=0)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = sk.MLPRegressor(**kw).fit(X, y)
    kw.pop("solver")
    ours = MLPRegressor(optimizer="sgd", **kw).fit(X, y)
    # tol = 1e9: no epoch ever improves enough, so both stop after the same count of epochs
    # (the first epoch improves on +inf; then n + 1 epochs without improvement)
    assert ours.n_iter_ == theirs.n_iter_ == patience + 2


def test_history_refuses_columns_and_epochs_that_would_corrupt_its_files():
    h = History()
    h.append(1, {"loss": 1.0})
    for bad in ({"epoch": 2.0}, {3: 1.0}, {"val loss": 1.0}):
        with pytest.raises(ValueError, match="metric name"):
            h.append(2, bad)
    for epoch in (1, 0, -3):
        with pytest.raises(ValueError, match="epochs must rise"):
            h.append(epoch, {"loss": 1.0})
    assert h.epochs == [1]


def test_backup_every_needs_backup(tmp_path):
    code, _, err = cli("train", "--data", "square", "--epochs", "2", "--backup-every", "2",
                       "--out", str(tmp_path / "r"), "--no-plots", "-q", cwd=tmp_path)  # fmt: skip
    assert code == 2 and "--backup-every 2 needs --backup DIR" in err
    assert not (tmp_path / "r").exists()


def test_history_series_pairs_each_metric_with_its_epochs():
    """A student's plt.plot(h.epochs, h["rmse"]) failed once rmse was measured at some
    epochs only; series() gives the matching pair."""
    h = History()
    h.extend([1, 2, 3, 4], {"loss": [4.0, 3.0, 2.0, 1.0]})
    h.add_measured(4, {"rmse": 0.5})
    assert h.series("loss") == ([1, 2, 3, 4], [4.0, 3.0, 2.0, 1.0])
    assert h.series("rmse") == ([4], [0.5])
    with pytest.raises(KeyError):
        h.series("accuracy")


def test_digits_read_without_importing_scikit_learn_equal_its_loader():
    """The digits file is read directly (scikit-learn's import cost ~0.8 s of a short CLI
    run); rows, classes and names equal load_digits'."""
    import subprocess
    import sys

    sk = pytest.importorskip("sklearn.datasets")
    from backprop.data.real import _digits_direct

    x, y, features, classes = _digits_direct()
    bunch = sk.load_digits()
    assert np.array_equal(x, bunch.data) and np.array_equal(y, bunch.target)
    assert features == list(bunch.feature_names)
    assert classes == [str(t) for t in bunch.target_names]
    code = (
        "import sys, backprop.data as d\n"
        "ds = d.make('digits', seed=0)\n"
        "print(ds.x.shape[1], 'sklearn' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.split() == ["64", "False"], done.stderr


def test_playground_export_names_what_its_spec_cannot_reproduce():
    pytest.importorskip("starlette")
    from backprop.playground.session import Session

    s = Session({"dataset": "circle", "batch_size": 10, "optimizer": "sgd"})
    assert s.spec_gaps() == []
    for _ in range(3):
        s.step_batch()
    assert any("middle of an epoch (3 of" in g for g in s.spec_gaps())
    s.step_epoch()
    assert s.spec_gaps() == []  # whole epochs again: the spec reproduces the session
    s.apply({"batch_size": 25})
    s.apply({"optimizer": "adam"})
    gaps = " | ".join(s.spec_gaps())
    assert "batch size changed" in gaps and "optimizer changed" in gaps
    s.reset()
    assert s.spec_gaps() == []


def test_the_run_folders_history_does_not_depend_on_how_the_run_was_watched(tmp_path):
    """An attack found accuracy/r² measured at the epochs a display asked for: the files of
    --quiet, a pipe and --log-every 7 differed. Now the measured epochs are the same."""
    import csv

    tables = []
    for flags in (["-q"], [], ["--log-every", "7"]):
        out = tmp_path / f"run{len(tables)}"
        code, _, err = cli("train", "--data", "square", "--epochs", "250", "--out", out,
                           "--no-plots", *flags, cwd=tmp_path)  # fmt: skip
        assert code == 0, err
        with open(out / "history.csv", newline="") as f:
            rows = list(csv.DictReader(f))
        tables.append([{k: v for k, v in r.items() if k != "time"} for r in rows])
    assert tables[0] == tables[1] == tables[2]
    measured = [r["epoch"] for r in tables[0] if r["r2"]]
    assert measured[0] == "1" and measured[-1] == "250" and 50 <= len(measured) <= 130
