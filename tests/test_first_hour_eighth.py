"""The seventh newcomer trial's findings (issue 15, brief C15F): advice is a promise.

One voice per run: every fix a warning names is a row of the 'advice:' table, which
measures it, and no line advises what the table found not to help; a "last epoch is not the
best" note only beyond chance (McNemar's exact test) and with no learning rate of its own
(its lr ÷ 3 chain); a too-short run of a built-in job says it is unfinished; a classifier
whose loss ends above a constant model's says so.
"""

import math
import re

import numpy as np
import pytest
from scipy.stats import binomtest
from sklearn.metrics import r2_score

import backprop
from cli_helpers import cli


def _houses(folder, n=200, seed=1):
    """price ≈ 3·size + 10·rooms + noise (the README's example); rooms: 5 classes."""
    rng = np.random.default_rng(seed)
    size, rooms = rng.uniform(50, 200, n), rng.integers(1, 6, n)
    price = 3 * size + 10 * rooms + rng.normal(0, 5, n)
    rows = [f"{a:.1f},{b},{c:.1f}" for a, b, c in zip(size, rooms, price)]
    (folder / "houses.csv").write_text("size,rooms,price\n" + "\n".join(rows) + "\n")


def _pets(folder, n=200, seed=0):
    """Two overlapping Gaussian blobs, labels 'cat' and 'dog' (the trial's pets.csv)."""
    rng = np.random.default_rng(seed)
    label = rng.integers(0, 2, n)
    x = rng.normal(0, 1, (n, 2)) + 1.5 * label[:, None]
    rows = [f"{a:.3f},{b:.3f},{'dog' if k else 'cat'}" for (a, b), k in zip(x, label)]
    (folder / "pets.csv").write_text("x1,x2,label\n" + "\n".join(rows) + "\n")


def _table(out: str) -> dict[str, str]:
    """The 'advice:' table's rows: flags → verdict."""
    rows = {}
    for line in out.splitlines():
        m = re.match(r"  (--\S+(?: \S+)?)\s{2,}(.*)", line)
        if m:
            rows[m.group(1)] = m.group(2)
    return rows


def _head(out: str) -> str:
    return next(ln for ln in out.splitlines() if ln.startswith("advice: "))


def _named_flags(text: str) -> set[str]:
    return set(re.findall(r"--[a-z][a-z-]*", text))


# -- 1. a too-short run of a built-in job says it is unfinished ----------------------------------
@pytest.mark.parametrize("epochs", [10, 20, 30])
def test_a_too_short_square_run_says_it_is_unfinished_and_what_finishes_it(tmp_path, epochs):
    code, out, err = cli("train", "square", "--epochs", epochs, "--no-plots", "--quiet",
                         "--out", "r", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    assert "has not finished learning" in err, err
    head = _head(out)
    m = re.match(r"advice: rerun with (--\S+ \S+) \(r² (\S+) against (\S+) now\)", head)
    assert m, head
    flag, value, now = m.group(1).split(), float(m.group(2)), float(m.group(3))
    # the promise holds: the advised run reaches that r² (scikit-learn's r2 on its rows)
    code, _, err2 = cli("train", "square", "--epochs", epochs, *flag, "--no-plots",
                           "--quiet", "--out", "r2", cwd=tmp_path)  # fmt: skip
    assert code == 0, err2
    model = backprop.load(str(tmp_path / "r2" / "model.safetensors"))
    r = backprop.run("square")
    x, y = r.dataset.x, r.dataset.y
    with backprop.no_grad():
        pred = model(backprop.tensor(x, dtype=backprop.float32)).numpy()
    assert r2_score(y, pred) == pytest.approx(value, abs=1e-3) and value > now


def test_demo_with_few_epochs_says_it_is_unfinished_in_train_s_flags(tmp_path):
    code, out, err = cli("demo", "--epochs", "20", "--no-plots", "--out", "d", cwd=tmp_path)
    assert code == 0, err
    assert "has not finished learning" in err, err
    assert _head(out).startswith("advice: rerun with backprop train square --epochs "), out


# -- 2. the still-falling warning's advice is measured, never a circle ---------------------------
def test_an_unfinished_classifier_is_advised_only_what_helped(tmp_path):
    _houses(tmp_path)
    code, out, err = cli("train", "--csv", "houses.csv", "--target", "rooms", "--no-plots",
                         "--quiet", "--out", "r", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    assert "has not finished learning" in err and "a larger learning rate" not in err, err
    table = _table(out)
    # nothing advised anywhere is a row the table found not to help
    for line in (err + out).splitlines():
        if line.startswith("  --"):
            continue
        for flag in _named_flags(line):
            for row, verdict in table.items():
                if row.split()[0] == flag and "not advised" in verdict:
                    assert f"{row} " not in line + " ", (row, line)
    assert "--lr" not in next((ln for ln in out.splitlines() if ln.startswith("note:")), "")


# -- 3. "the last epoch is not the best": beyond chance only, and no lr chain -------------------
def test_the_last_epoch_note_needs_more_rows_than_chance_moves(tmp_path, monkeypatch):
    _pets(tmp_path)
    monkeypatch.chdir(tmp_path)
    spec = {"data": {"csv": "pets.csv", "target": "label"}, "model": {"hidden": [8]},
            "validation": 0.2, "epochs": 20, "optimizer": {"name": "adam", "lr": 0.01}}  # fmt: skip
    r = backprop.run(spec)
    from backprop.cli.lastepoch import last_epoch_note

    rows = 40  # 20 % of 200
    for d in range(1, 11):  # the best epoch had d more of the 40 validation rows right
        values = [0.8] * 20
        values[3], values[-1] = 0.8 + d / rows, 0.8
        r.history.history["val_accuracy"] = values
        note = last_epoch_note(r)
        beyond_chance = binomtest(d, d, 0.5).pvalue < 0.05  # McNemar, all d one way
        assert (note is not None) == beyond_chance, (d, note)
        assert note is None or "--lr" not in note, note


# -- 4. the dead-units warning names only fixes the table measured -------------------------------
@pytest.mark.parametrize("flags", [("--lr", "1000"), ("--optimizer", "sgd", "--lr", "1")])
def test_every_fix_a_warning_names_is_measured_and_none_is_advised_against(tmp_path, flags):
    _, out, err = cli("train", "--data", "square", *flags, "--no-plots", "--quiet",
                         "--out", "r", cwd=tmp_path)  # fmt: skip
    assert "units died" in err, err
    table = _table(out)
    warned = _named_flags(next(ln for ln in err.splitlines() if "units died" in ln))
    for flag in warned:  # a fix the warning names is a row, and not one 'not advised'
        if flag == "--lr":
            continue  # the warning's "smaller" lr: the table's --lr rows
        assert not any(row.split()[0] == flag and "not advised" in v for row, v in table.items()), (
            flag,
            err,
            out,
        )
    if "sgd" in flags:
        assert "--optimizer adam" in table and "leaky_relu" in " ".join(table), out
    best = re.match(r"advice: rerun with (.*?) \(", _head(out)).group(1)
    assert "not advised" not in table[best]


# -- 5. step units: the advice is the activation, not an lr that ties ---------------------------
def test_step_units_are_advised_another_activation(tmp_path):
    _, out, _ = cli("train", "--data", "square", "--layers", "1,8,8,1", "--activation",
                         "step", "--epochs", "500", "--no-plots", "--quiet", "--out", "r",
                         cwd=tmp_path)  # fmt: skip
    head = _head(out)
    assert head.startswith("advice: rerun with --activation "), head
    assert "--lr" not in head


def test_step_units_too_large_to_try_are_advised_the_activation_only(tmp_path):
    _, out, _ = cli("train", "--data", "square", "--n", "10000", "--layers", "1,8,8,1",
                    "--activation", "step", "--epochs", "300", "--no-plots", "--quiet",
                    "--out", "r", cwd=tmp_path)  # fmt: skip
    head = _head(out)
    assert head.startswith("advice: try --activation relu"), head
    assert "--lr" not in head and "--epochs" not in head, head


# -- 12. a classifier's loss above a constant model's ------------------------------------------
def test_a_classifier_whose_loss_ends_above_a_constant_model_s_is_told(tmp_path):
    _pets(tmp_path)
    code, out, err = cli("train", "--csv", "pets.csv", "--target", "label", "--lr", "50",
                         "--no-plots", "--quiet", "--out", "r", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    import csv

    history = (tmp_path / "r/history.csv").read_text().splitlines()
    losses = [float(row["loss"]) for row in csv.DictReader(history)]
    table = (tmp_path / "pets.csv").read_text().splitlines()
    labels = [row["label"] for row in csv.DictReader(table)]
    shares = np.unique(labels, return_counts=True)[1] / len(labels)
    entropy = float(-(shares * np.log(shares)).sum())  # the best constant model's loss
    assert losses[-1] > entropy  # the case: the run ends above it
    line = next(ln for ln in err.splitlines() if "ignores its inputs" in ln)
    assert f"{entropy:.3g}" in line and "steps were too large" in line, line
    lrs = [float(v) for v in re.findall(r"--lr (\S+?)[ ;)]", _head(out) + " ")]
    assert lrs and all(v < 50 for v in lrs), out
    assert math.isfinite(losses[-1])


# -- 7, 8, 9: demo's train flags, percentages, the bar's first frame ----------------------------
@pytest.mark.parametrize(
    ("argv", "meant"),
    [
        (["demo", "spiral", "--lr", "0.01"], "backprop train spiral --lr 0.01"),
        (["demo", "--batch-size", "8"], "backprop train square --batch-size 8"),
    ],
)
def test_demo_points_a_train_flag_to_the_train_command_that_takes_it(capsys, argv, meant):
    from backprop.cli.app import main

    with pytest.raises(SystemExit) as done:
        main(argv)
    err = capsys.readouterr().err
    assert done.value.code == 2 and err.count("\n") == 1 and meant in err, err
    assert "Did you mean" not in err


def test_a_share_of_the_fall_is_written_as_a_percentage(tmp_path):
    # fit's own warning (the CLI says only 'too few epochs' for a 2-epoch run, brief C15I)
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        backprop.run({"data": "iris", "epochs": 2})
    err = "\n".join(str(w.message) for w in caught)
    assert "e+" not in " ".join(re.findall(r"\S+ %", err)), err
    assert re.search(r"\b100 % of the run's whole fall", err), err


def test_the_bar_counts_the_epoch_whose_loss_it_shows(monkeypatch):
    import io

    import backprop.train.spans as spans
    from backprop.cli.progress import NUMBER, progress_callback
    from backprop.train import Callback

    monkeypatch.setattr(spans, "TICK", 0.0)  # a frame after every span
    bar = progress_callback(3000, tty=True, stream=io.StringIO(), log_every=1000)
    frames = []

    class Watch(Callback):
        def on_train_begin(self, state):
            real = bar.progress.update

            def update(task, completed, metrics):
                frames.append((completed, metrics))
                return real(task, completed=completed, metrics=metrics)

            bar.progress.update = update

    from backprop.spec import builtin

    spec = builtin("square")
    spec["epochs"] = 3000
    r = backprop.run(spec, callbacks=[bar, Watch()])
    losses = r.history.history["loss"]  # full batch: an epoch's loss is its one batch's
    shown = [(c, m) for c, m in frames if m.startswith("loss ") and c >= 1]
    assert shown
    for completed, metrics in shown:
        assert metrics == f"loss {losses[completed - 1]:{NUMBER}}", (completed, metrics)


# -- 11. the README's predict example runs on the README's own demo model ----------------------
def test_the_readme_predict_example_runs_on_the_demo_model(tmp_path):
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    found = re.search(r"`backprop predict\s+runs/square-…/model\.safetensors (--x [^`]*)`", readme)
    assert found, "the README's predict example names the demo's model"
    code, _, err = cli("demo", "--epochs", "3", "--no-plots", "--quiet", "--out", "d",
                       cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    code, out, err = cli("predict", "d/model.safetensors", *found.group(1).split(), cwd=tmp_path)
    assert code == 0, err
    assert len(out.strip().splitlines()) == 1 + len(found.group(1).split()) - 1, out


# -- 13. the defaults line only after the arguments were accepted ------------------------------
@pytest.mark.parametrize("bad", [("--target", "Price"), ("--target", "price", "--out", "full")])
def test_a_refused_csv_run_prints_only_its_error(tmp_path, bad):
    _houses(tmp_path)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x.txt").write_text("kept\n")
    code, out, err = cli("train", "--csv", "houses.csv", *bad, "--no-plots", cwd=tmp_path)
    assert code == 2 and err.count("\n") == 1, err
    assert out == "", out  # no 'defaults for --csv' line before a refusal
    code, out, err = cli("train", "--csv", "houses.csv", "--target", "price", "--epochs", "2",
                         "--no-plots", "--out", "ok", cwd=tmp_path)  # fmt: skip
    assert code == 0 and out.startswith("defaults for --csv houses.csv: "), out


def test_explain_writes_label_smoothing_without_the_course_s_epsilon(tmp_path):
    _houses(tmp_path)  # rooms: 5 classes, cross-entropy
    code, _, err = cli("train", "--csv", "houses.csv", "--target", "rooms", "--epochs", "2",
                       "--no-plots", "--quiet", "--out", "r", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    code, out, err = cli("explain", "r/model.safetensors", "--x", "100,3", "--y", "2",
                         cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    loss = next(ln for ln in out.splitlines() if ln.startswith("loss: cross_entropy"))
    assert "ε" not in loss and "label_smoothing" in loss, loss


# -- 10. a step network's fit plot: every layer-1 jump visible, the legend truthful -------------
def test_a_step_network_s_fit_plot_shows_every_layer_1_jump(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from backprop.plots.fit import fit_1d

    r = backprop.run({"data": "square", "model": {"sizes": [1, 8, 8, 1], "activation": "step"},
                      "epochs": 500, "seed": 0})  # fmt: skip
    x, y = r.dataset.x, r.dataset.y
    fig = fit_1d(r.net, x, y, truth=np.square)
    ax = fig.axes[0]
    lo, hi = ax.get_xlim()
    w = r.net[0].weight.detach().numpy()[:, 0]
    b = r.net[0].bias.detach().numpy()
    jumps = -b / w  # numpy: where f[1] = w·x + b crosses 0
    expected = int(np.sum((jumps >= lo) & (jumps <= hi)))
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    first = next(v for k, v in lines.items() if k.startswith("jumps of layer 1"))
    second_label = next(k for k in lines if k.startswith("jumps of layer 2"))
    second = lines[second_label]
    assert "f[2] jumps across 0" in second_label and "f[2] = 0" not in second_label
    counts = {(round(a.xy[0], 9), round(a.xy[1], 9)): int(a.get_text()[1:])
              for a in ax.texts if a.get_text().startswith("×")}  # fmt: skip
    xs, ys = first.get_xdata(), first.get_ydata()
    shown = sum(counts.get((round(a, 9), round(c, 9)), 1) for a, c in zip(xs, ys))
    assert shown == expected >= 5  # every layer-1 jump is a marker or counted in one
    # where layer 2's marker sits on a layer-1 one, it is smaller: the layer-1 one shows
    shared = set(np.round(xs, 6)) & set(np.round(second.get_xdata(), 6))
    assert shared and second.get_markersize() < first.get_markersize()
