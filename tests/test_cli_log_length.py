"""A piped `backprop train` log is readable (issue 15): at most 40 epoch lines at round
epochs, whatever the run's length (it printed 10,005 lines once)."""

import re
import subprocess
import sys

import pytest


@pytest.mark.parametrize(("epochs", "every"), [(30, 1), (600, 20), (3000, 100)])
def test_a_piped_log_has_at_most_40_epoch_lines_at_round_epochs(tmp_path, epochs, every):
    done = subprocess.run(
        [sys.executable, "-m", "backprop", "train", "--data", "square", "--n", "20",
         "--layers", "1,4,1", "--epochs", str(epochs), "--no-plots", "--out", str(tmp_path / "o")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    shown = [int(m.group(1)) for m in re.finditer(r"^epoch (\d+)/", done.stdout, re.M)]
    assert len(shown) <= 41  # the first epoch, then every `every`
    assert shown[-1] == epochs
    assert all(e % every == 0 for e in shown[1:]), shown
    assert len(done.stdout.splitlines()) <= 50
