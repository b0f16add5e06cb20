"""The eleventh CLI student's findings, items 4, 7, 8, 10, 11 and 12 (issue 15, brief C15L).

What the CLI says must match what it did: a constant CSV column is named at training time
and summary/predict never show it a fake std; the dead-unit warning counts the rows it
checked; a run whose stdout reader went away says its folder on stderr; vanishing takes the
step unit; small words (one plural rule, counted files, install hints, the ε sentence).
"""

import os
import subprocess
import sys

from cli_helpers import cli


# -- item 10: `train … | head -2`: the run ends, keeps its files and says its folder ---------
def test_a_reader_that_closes_the_pipe_early_gets_the_run_folder_on_stderr(tmp_path):
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    # --log-every 1: 3,000 lines overflow the pipe's buffer, so the run writes after the close
    proc = subprocess.Popen(
        [sys.executable, "-m", "backprop", "train", "--data", "square", "--epochs", "3000",
         "--log-every", "1", "--no-plots", "--out", "kept"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip
    first = [proc.stdout.readline() for _ in range(2)]
    proc.stdout.close()  # the reader goes away, as head -2 does
    err = proc.stderr.read().decode()
    code = proc.wait(timeout=600)
    assert all(first), first
    assert code == 0, err
    assert (tmp_path / "kept" / "model.safetensors").is_file()
    said = [line for line in err.splitlines() if "run folder:" in line]
    assert len(said) == 1, err
    assert str(tmp_path / "kept") in said[0] and "printing stopped" in said[0], err
    assert "Traceback" not in err, err


# -- item 7: the dead-unit warning counts the rows it checked, and only a share that matters ---
def _torch_dead(folder, x):
    """Units never active on rows ``x``, per hidden layer: PyTorch's forward of the saved
    weights (the oracle), for a ReLU net of Linear layers 0, 2, 4, …"""
    import torch
    from safetensors.torch import load_file

    state = load_file(folder / "model.safetensors")
    a, dead = torch.tensor(x, dtype=torch.float32), []
    layers = sorted({int(k.split(".")[0]) for k in state})
    for i in layers[:-1]:
        a = torch.relu(a @ state[f"{i}.weight"].T + state[f"{i}.bias"])
        dead.append(int((a == 0).all(dim=0).sum()))
    return dead


def test_the_dead_unit_warning_counts_the_training_rows_not_the_validation_rows(tmp_path):
    import json
    import re

    from backprop.spec.build import dataset_for

    code, _, err = cli("train", "--data", "abs", "--hidden", 2, "--seed", 0, "--validation",
                       0.3, "--no-plots", "--quiet", "--out", "a", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    x = dataset_for(json.loads((tmp_path / "a" / "spec.json").read_text())).x
    assert _torch_dead(tmp_path / "a", x) == [1]  # the premise: 1 of 2 dead on every row
    said = re.search(r"never activates? on any of the ([\d,]+) training rows", err)
    assert said, err
    assert int(said[1].replace(",", "")) == len(x) - int(0.3 * len(x)) == 70, err  # not 100


def _noisy_pass_csv(path, rows=150):
    import numpy as np

    rng = np.random.default_rng(7)  # passed = a noisy linear rule: no net reaches 0.9
    hours, sleep = rng.uniform(0, 20, rows).round(1), rng.uniform(5, 9, rows).round(1)
    z = 0.4 * (hours - 10) + 0.8 * (sleep - 7) + rng.normal(0, 1.5, rows)
    lines = ["hours,sleep,passed"] + [
        f"{h},{s},{'yes' if v > 0 else 'no'}" for h, s, v in zip(hours, sleep, z)
    ]
    path.write_text("\n".join(lines) + "\n")
    return np.column_stack([hours, sleep]), z > 0


def test_one_dead_unit_of_eight_on_noisy_data_is_not_blamed_for_the_fit(tmp_path, monkeypatch):
    import json

    from sklearn.linear_model import LogisticRegression

    from backprop.spec.build import dataset_for

    x, y = _noisy_pass_csv(tmp_path / "s.csv")
    code, _, err = cli("train", "--csv", "s.csv", "--target", "passed", "--validation",
                       0.3, "--seed", 0, "--no-plots", "--quiet", "--out", "a",
                       cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    monkeypatch.chdir(tmp_path)  # the spec names s.csv
    ds = dataset_for(json.loads((tmp_path / "a" / "spec.json").read_text()))
    dead = _torch_dead(tmp_path / "a", ds.x)
    assert 0 < max(dead) < 4, dead  # the premise: some dead units, under half of a layer's 8
    # the data's own ceiling: the right model family fitted on every row stays under 0.9
    assert LogisticRegression().fit(x, y).score(x, y) < 0.9
    assert "never activate" not in err, err
