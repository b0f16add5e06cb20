"""The tenth CLI student's findings (issue 15, brief C15J).

A run of fewer than ten epochs gets one verdict; a diverged run is not told to restore its
best (untrained) epoch; a training-accuracy 'last epoch is not the best' note is beyond
chance; predict on a built-in spec's name says to train it first.
"""

from cli_helpers import cli


# -- item 5: a 3-epoch run worse than the mean gets the few-epochs verdict alone -----------------
def test_a_three_epoch_run_worse_than_the_mean_gets_one_verdict(tmp_path):
    code, _, err = cli("train", "--data", "square", "--epochs", 3, "--seed", 1, "--no-plots",
                       "--quiet", "--out", "a", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    assert "3 epochs are too few" in err, err
    assert "predicting the mean of the targets" not in err, err
    assert "has not learned yet" not in err, err
