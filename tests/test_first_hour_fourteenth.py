"""The eleventh CLI student's findings, items 4, 7, 8, 10, 11 and 12 (issue 15, brief C15L).

What the CLI says must match what it did: a constant CSV column is named at training time
and summary/predict never show it a fake std; the dead-unit warning counts the rows it
checked; a run whose stdout reader went away says its folder on stderr; vanishing takes the
step unit; small words (one plural rule, counted files, install hints, the ε sentence).
"""

import itertools
import os
import subprocess
import sys

import pytest

from cli_helpers import cli, one_line


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


# -- item 4: a constant CSV column is named at training time; no fake std afterwards ---------
def _houses_with_a_year(path, rows=120):
    import numpy as np

    rng = np.random.default_rng(3)
    size, rooms, age = (
        rng.uniform(40, 250, rows),
        rng.integers(1, 6, rows),
        rng.uniform(0, 80, rows),
    )
    price = 3 * size + 10 * rooms - age + rng.normal(0, 10, rows)
    lines = ["size,rooms,age,year,price"] + [
        f"{s:.1f},{r},{a:.0f},2024,{p:.1f}" for s, r, a, p in zip(size, rooms, age, price)
    ]
    path.write_text("\n".join(lines) + "\n")


def test_a_constant_csv_column_is_named_at_training_and_never_shown_a_fake_std(tmp_path):
    from safetensors.torch import load_file

    _houses_with_a_year(tmp_path / "h.csv")
    flags = ("--csv", "h.csv", "--target", "price", "--validation", 0.2, "--no-plots", "--quiet")
    code, _, err = cli("train", *flags, "--out", "a", cwd=tmp_path)
    assert code == 0, err
    said = [line for line in err.splitlines() if "'year' is 2024" in line]
    assert len(said) == 1 and "--features size,rooms,age" in said[0], err
    # the claim it makes, checked with PyTorch's tensors: the weights from year never moved
    code, _, err0 = cli("train", *flags, "--epochs", 0, "--out", "b", cwd=tmp_path)
    assert code == 0, err0
    trained, start = (load_file(tmp_path / d / "model.safetensors")["0.weight"] for d in "ab")
    assert (trained[:, 3] == start[:, 3]).all() and not (trained[:, 0] == start[:, 0]).all()
    code, out, err = cli("summary", "a/model.safetensors", cwd=tmp_path)
    assert code == 0, err
    line = next(x for x in out.splitlines() if x.startswith("input standardisation"))
    assert line.endswith("constant in training (2024)]"), line
    code, out, err = cli("predict", "a/model.safetensors", "--x", "150,3,20,1990", cwd=tmp_path)
    assert code == 0, err
    assert "standard deviations" not in err, err  # std 1 was the scaler's guard, not data
    assert "year a value it never had in training (e.g. 1990; it was 2024" in err, err
    code, out, err = cli("predict", "a/model.safetensors", "--x", "150,3,20,2024", cwd=tmp_path)
    assert code == 0 and err == "", err


# -- item 12: one plural rule, counted files, install lines for where they are read ----------
def test_one_epoch_is_too_few_in_the_singular(tmp_path):
    code, out, err = cli("train", "--data", "square", "--epochs", 1, "--no-plots", "--quiet",
                         "--out", "a", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    assert "1 epoch is too few" in err and "1 epoch are" not in err, err
    assert out.startswith("square: 1 epoch;"), out


def test_a_refused_out_counts_the_files_ls_shows_and_names_the_run_marker(tmp_path):
    code, _, err = cli("train", "--data", "square", "--epochs", 10, "--no-plots", "--quiet",
                       "--out", "a", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    shown = [n for n in os.listdir(tmp_path / "a") if not n.startswith(".")]  # what ls shows
    code, _, err = cli("train", "--data", "square", "--epochs", 10, "--no-plots", "--quiet",
                       "--out", "a", cwd=tmp_path)  # fmt: skip
    one_line(code, err, f"({len(shown)} files and the run marker .backprop-run.json, e.g.")


def test_install_lines_say_the_notebook_form_only_inside_a_kernel(monkeypatch):
    import types

    from backprop._extras import in_kernel, install_hint

    assert not in_kernel()  # pytest is no kernel
    assert install_hint("data").startswith("in a terminal: pip install")
    assert "%pip" not in install_hint("data")
    fake = types.ModuleType("IPython")  # a kernel's shell, as ipykernel's has
    fake.get_ipython = lambda: types.SimpleNamespace(kernel=object())
    monkeypatch.setitem(sys.modules, "IPython", fake)
    assert in_kernel() and install_hint("data").startswith("in a notebook cell: %pip install")
    fake.get_ipython = lambda: types.SimpleNamespace()  # IPython in a terminal: no kernel
    assert "%pip" not in install_hint("data")


def test_demo_digits_without_scikit_learn_names_the_data_extra(tmp_path, monkeypatch):
    from backprop.data import real

    real._load_cached.cache_clear()
    monkeypatch.setattr(real, "_digits_file", lambda: None)
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    try:
        code, _, err = cli("demo", "digits", "--no-plots", "--out", "d", cwd=tmp_path)
    finally:
        real._load_cached.cache_clear()
    one_line(code, err, "data extra", "[data]", "in a terminal: pip install")
    assert "notebook" not in err, err


def test_gradcheck_on_tanh_says_which_eps_has_the_larger_error_and_it_is_true(tmp_path):
    import json

    import torch

    spec = {"name": "t", "data": {"name": "square"}, "epochs": 10,
            "model": {"sizes": [1, 4, 1], "activation": "tanh"}}  # fmt: skip
    (tmp_path / "t.json").write_text(json.dumps(spec))
    code, out, err = cli("gradcheck", "t.json", cwd=tmp_path)
    assert code == 0, err
    assert ("at the slide's ε = 0.001 the truncation error alone is about ε² = 1e-06, larger "
            "than the about 1e-10 (ε² + 1e-16/ε) at ε = 1e-06 used here") in out, out  # fmt: skip
    assert "larger than ε = 1e-6's" not in out  # the garbled sentence
    # the claim, measured: a float64 central difference of tanh against its exact slope
    x = torch.linspace(-2, 2, 41, dtype=torch.float64)
    exact = 1 - torch.tanh(x) ** 2

    def worst(e):
        return ((torch.tanh(x + e) - torch.tanh(x - e)) / (2 * e) - exact).abs().max().item()

    assert 1e-8 < worst(1e-3) < 1e-6 and worst(1e-6) < 1e-9 < worst(1e-3)


# -- item 11: vanishing takes the step unit (zeros, said why) and explains tanh's growth ------
def _torch_ratio(act, depth, seed, gain):
    """‖∂E/∂W[1]‖ / ‖∂E/∂W[L]‖ of a width-32 MLP on 64 samples, built and differentiated by
    PyTorch alone (Xavier normal, zero biases, MSE)."""
    import torch

    g = torch.Generator().manual_seed(seed)
    x = torch.randn(64, 32, generator=g, dtype=torch.float64)
    y = torch.randn(64, 1, generator=g, dtype=torch.float64)
    sizes = [32] * (depth + 1) + [1]
    weights = []
    for n_in, n_out in itertools.pairwise(sizes):
        w = torch.empty(n_out, n_in, dtype=torch.float64)
        torch.nn.init.xavier_normal_(w, gain=gain, generator=g)
        weights.append(w.requires_grad_())
    a = x
    for w in weights[:-1]:
        f = a @ w.T
        a = torch.tanh(f) if act == "tanh" else torch.sign(f)  # sign: the step, slope 0
    torch.nn.functional.mse_loss(a @ weights[-1].T, y).backward()
    return (weights[0].grad.norm() / weights[-1].grad.norm()).item()


def test_vanishing_takes_the_step_unit_and_says_its_ratio_is_zero(tmp_path):
    code, out, err = cli("vanishing", "--activations", "step,tanh", "--depths", "2,4",
                         cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    rows = [line.split() for line in out.splitlines() if line[:1].isdigit()]
    assert [float(r[2]) for r in rows] == [0.0, 0.0], out  # the step column: exactly 0
    assert _torch_ratio("step", 4, 0, 1.0) == 0.0  # PyTorch's autograd agrees: slope 0
    assert "step: ‖∂E/∂W[l]‖ is exactly 0 for every hidden layer" in out, out


def test_vanishing_explains_tanhs_growing_ratio_and_torch_shows_the_same_drift(tmp_path):
    import statistics

    code, out, err = cli("vanishing", "--activations", "tanh", "--depths", "2,20",
                         cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    ratio = float(next(line.split()[1] for line in out.splitlines() if line.startswith("20 ")))
    assert ratio > 1, out  # the premise (3.66 with seed 0)
    assert f"tanh: the ratio is {ratio:.3g} at depth 20, above 1" in out, out
    # the note's reason, measured with PyTorch alone: gain 5/3 drifts up, gain 1 does not
    drift = statistics.median(_torch_ratio("tanh", 20, s, 5 / 3) for s in range(9))
    plain = statistics.median(_torch_ratio("tanh", 20, s, 1.0) for s in range(9))
    assert drift > 2 and plain < 2 and drift > plain, (drift, plain)


# -- item 8: demo abs says its seed was picked, and what the other seeds do -------------------
def test_demo_abs_says_first_that_its_seed_finds_the_two_relus_and_most_do_not(tmp_path):
    import warnings

    from backprop.cli.commands.demo import ABS_SEEDS_FIT
    from backprop.spec import builtin
    from backprop.spec import run as run_spec

    code, out, err = cli("demo", "abs", "--no-plots", "--out", "d", cwd=tmp_path)
    assert code == 0, err
    first = out.splitlines()[:4]
    assert any("the seed this demo uses finds them" in line for line in first), first
    assert any(f"only {len(ABS_SEEDS_FIT)} do" in line for line in first), first
    # the claim, measured: every seed 0-19 of the demo's own spec, r² after its 3,000 epochs
    fits = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dead units are warned of; the score is the point
        for s in range(20):
            spec = builtin("abs")
            spec["seed"] = s
            r2 = run_spec(spec, verbose=False).history.history["r2"][-1]
            assert r2 > 0.999 or r2 < 0.5, (s, r2)  # found, or stuck with a dead unit
            fits += [s] if r2 > 0.999 else []
    assert tuple(fits) == ABS_SEEDS_FIT and 2 in fits and not {0, 1, 3} & set(fits)


def test_a_csvs_column_problems_come_in_one_message(tmp_path):
    rows = ["size,city,country,age,price", "61.5,York,UK,15,201.5", "144.3,Leeds,UK,,422.1",
            "90.0,Hull,UK,30,300.2", "70.0,York,UK,12,250.0"]  # fmt: skip
    (tmp_path / "h.csv").write_text("\n".join(rows) + "\n")
    code, _, err = cli("train", "--csv", "h.csv", "--target", "price", "--no-plots",
                       "--out", "a", cwd=tmp_path)  # fmt: skip
    one_line(code, err, "3 columns cannot be read as numbers", "column 'city' holds 'York'",
             "column 'country' holds 'UK'", "line 3, column 'age' is empty (a missing value)",
             "(the columns left then: size, age)", "fill it in or drop the row")  # fmt: skip


def test_the_confusion_plot_of_a_split_run_shows_the_validation_rows_alone(tmp_path, monkeypatch):
    import csv

    import numpy as np
    import torch
    from safetensors.torch import load_file
    from sklearn.metrics import accuracy_score

    import backprop.plots as plots

    rng = np.random.default_rng(5)
    x = rng.normal(size=(150, 3))
    label = np.array(["a", "b", "c"])[(x[:, 0] > 0).astype(int) + (x[:, 1] > 0.5)]
    lines = ["u,v,w,k"] + [f"{a:.3f},{b:.3f},{c:.3f},{k}" for (a, b, c), k in zip(x, label)]
    (tmp_path / "c.csv").write_text("\n".join(lines) + "\n")
    seen = {}
    real = plots.confusion_matrix

    def record(net, xs, ys, path, **kw):
        seen.update(x=np.array(xs), y=np.array(ys), which=kw.get("which"))
        return real(net, xs, ys, path, **kw)

    monkeypatch.setattr(plots, "confusion_matrix", record)
    code, _, err = cli("train", "--csv", "c.csv", "--target", "k", "--validation", 0.3,
                       "--quiet", "--out", "a", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    assert len(seen["y"]) == 45 and seen["which"] == "validation rows (45 held out)", seen
    state = load_file(tmp_path / "a" / "model.safetensors")  # PyTorch's forward: the oracle
    a = torch.tensor(seen["x"], dtype=torch.float32)
    for i in (0, 2):
        a = torch.relu(a @ state[f"{i}.weight"].T + state[f"{i}.bias"])
    pred = (a @ state["4.weight"].T + state["4.bias"]).argmax(1).numpy()
    with open(tmp_path / "a" / "history.csv") as f:
        val_accuracy = float(list(csv.DictReader(f))[-1]["val_accuracy"])
    assert accuracy_score(seen["y"], pred) == pytest.approx(val_accuracy, abs=1e-6)
