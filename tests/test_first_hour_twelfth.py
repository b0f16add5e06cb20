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


# -- item 1: some ReLU units never active and a poor fit: said, and the fixes tried ------------
def test_some_dead_relu_units_with_a_poor_fit_are_counted_and_their_fixes_tried(tmp_path):
    import json
    import re

    import torch
    from safetensors.torch import load_file

    from backprop.spec.build import dataset_for

    code, out, err = cli("train", "--data", "abs", "--hidden", 2, "--seed", 0, "--no-plots",
                         "--quiet", "--out", "a", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    # the oracle: PyTorch's own forward pass of the saved weights on the run's training rows
    spec = json.loads((tmp_path / "a" / "spec.json").read_text())
    x = torch.tensor(dataset_for(spec).x, dtype=torch.float32)
    state = load_file(tmp_path / "a" / "model.safetensors")
    hidden = torch.relu(x @ state["0.weight"].T + state["0.bias"])
    dead = int((hidden == 0).all(dim=0).sum())
    assert 0 < dead < 2, dead  # the premise: some, not all, units dead
    from sklearn.metrics import r2_score

    pred = hidden @ state["2.weight"].T + state["2.bias"]
    assert r2_score(dataset_for(spec).y, pred.numpy()) < 0.9  # and a poor fit
    said = re.search(r"(\d+) of the (\d+) relu units of layer 1 never activates? on any of "
                     r"the ([\d,]+) training rows", err)  # fmt: skip
    assert said, err
    assert (int(said[1]), int(said[2]), int(said[3].replace(",", ""))) == (dead, 2, len(x))
    table = out[out.index("advice:") :]
    for fix in ("--seed 1", "--hidden 4", "--activation leaky_relu"):
        assert f"  {fix} " in table, table
