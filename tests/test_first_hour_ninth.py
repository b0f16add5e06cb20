"""The eighth newcomer trial's findings (issue 15, brief C15G).

A demo's epoch header counts the updates the run makes (minibatches: many per epoch); with
a validation split the advice judges on the validation rows and advises only a clear gain;
a run of very few epochs is unfinished; ``explain`` names a classifier's logit and a
standardised model's z; sweep's misspelt --out names --db.
"""

import math
import re

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
