"""The tenth CLI student's findings (issue 15, brief C15J).

A run of fewer than ten epochs gets one verdict; a diverged run is not told to restore its
best (untrained) epoch; a training-accuracy 'last epoch is not the best' note is beyond
chance; predict on a built-in spec's name says to train it first.
"""

import csv

from cli_helpers import cli


def _losses(folder):
    with open(folder / "history.csv") as f:
        return [float(r["loss"]) for r in csv.DictReader(f)]


# -- item 5: a 3-epoch run worse than the mean gets the few-epochs verdict alone -----------------
def test_a_three_epoch_run_worse_than_the_mean_gets_one_verdict(tmp_path):
    code, _, err = cli("train", "--data", "square", "--epochs", 3, "--seed", 1, "--no-plots",
                       "--quiet", "--out", "a", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    assert "3 epochs are too few" in err, err
    assert "predicting the mean of the targets" not in err, err
    assert "has not learned yet" not in err, err


# -- item 2: a diverged run is not told to restore its best epoch (untrained weights) -----------
def test_a_run_whose_only_good_epoch_was_the_first_gets_no_restore_best_note(tmp_path):
    code, out, err = cli("train", "--data", "square", "--optimizer", "sgd", "--lr", 1, "--epochs",
                         50, "--no-plots", "--quiet", "--out", "a", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    losses = _losses(tmp_path / "a")
    assert min(losses) == losses[0] < losses[-1]  # the premise: only epoch 1 was good
    assert "last epoch is not the best" not in out + err, out
    assert "restore_best_weights" not in out + err, out
