"""The eighth newcomer trial's last findings (issue 15, brief C15H, items 8, 10, 11).

A divergence's words agree with the history a user can read; a model file keeps the run's
final advice; compare says what its trial count is; messages reached from Python name
Python's calls; a spec's misspelt fields are all named at once; the step-unit fit plot keeps
its labels and markers apart.
"""

import csv
import re

import numpy as np

from cli_helpers import cli
from test_first_hour_ninth import _houses


def _history(folder):
    with open(folder / "history.csv") as f:
        return [(int(r["epoch"]), float(r["loss"])) for r in csv.DictReader(f)]


def _diverged(tmp_path):
    _houses(tmp_path)
    code, out, err = cli("train", "--csv", "houses.csv", "--target", "price", "--optimizer",
                         "sgd", "--lr", 5, "--no-plots", "--out", "r", cwd=tmp_path)  # fmt: skip
    assert code == 3, err
    return out


# -- 8. a divergence: the words agree with history.csv; the file keeps the final advice ---------
def test_the_divergence_names_which_loss_it_quotes_and_the_epoch_it_rose_from(tmp_path):
    out = _diverged(tmp_path)
    stopped = next(line for line in out.splitlines() if line.startswith("stopped:"))
    history = _history(tmp_path / "r")
    assert history and all(np.isfinite(v) for _, v in history)
    m = re.search(r"went from (\S+) at the run's first batch", stopped)
    assert m, stopped  # which quantity: one batch's loss, where
    first = float(m.group(1))
    # the epoch it rose from: the first one whose mean in history.csv is far above the start
    rose = next(e for e, v in history if v > 10 * first)
    assert f"it rose from epoch {rose} on" in stopped, stopped
    # every epoch mean the line quotes is history.csv's, at the epoch it names
    quoted = re.findall(r"(\S+) in epoch (\d+)", stopped.split("history.csv's loss")[1])
    assert quoted, stopped
    for value, epoch in quoted:
        assert float(value) == float(f"{dict(history)[int(epoch)]:.4g}"), (value, epoch)


def test_summary_shows_the_runs_checked_advice_never_the_superseded_one(tmp_path):
    out = _diverged(tmp_path)
    advised = re.search(r"advice: (.*rerun with --lr (\S+))", out)
    assert advised, out
    code, summary, err = cli("summary", "r/model.safetensors", cwd=tmp_path)
    assert code == 0, err
    stopped = next(line for line in summary.splitlines() if line.startswith("stopped:"))
    # the guard's untested guess named lr/10 first; the check found it did not learn
    failed = re.findall(r"lr=(\S+) did not learn", advised.group(1))
    assert failed, out
    for lr in failed:
        assert f"lr={lr}, then" not in stopped, stopped
    assert f"rerun with --lr {advised.group(2)}" in stopped, stopped
    assert "until a run does not diverge" not in stopped


# -- 10. compare's count, Python's calls in Python, every misspelt field ------------------------
def test_compare_says_what_its_trials_trained_again_are():
    from backprop.sweep.compare import QUESTIONS, Fit
    from backprop.sweep.compare_words import words
    from test_compare import _acts

    def fit(config, seed, unmoved):
        grid = np.linspace(-3, 5, 5)
        return Fit(0, config, seed, grid, grid, grid, grid, unmoved=unmoved, layers=2, same=True)

    rows = _acts({"relu": 0.8, "tanh": 0.0, "sigmoid": 0.1, "step": 0.0})  # 10 trials each
    fits = [fit(c, s, [1] if c == 3 else []) for c in range(4) for s in (0, 4, 9)]
    said = words(QUESTIONS["activations"], rows, fits)
    step = next(w for w in said if w.startswith("step never succeeds"))
    # why 3: they are the step trials compare trained again, 3 of its 10, these seeds
    assert "all 3 trials trained again" in step, step
    assert "3 of its 10 trials" in step and "seeds 0, 4, 9" in step, step


def test_a_spec_given_to_load_in_python_names_backprop_run(tmp_path):
    import json

    import backprop
    from backprop.errors import ModelFileError, SpecError

    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"data": "square", "epochs": 5}))
    try:
        backprop.load(str(spec))
    except ModelFileError as e:
        said = str(e)
    assert f"backprop.run({str(spec)!r})" in said and "backprop train" not in said, said
    table = tmp_path / "t.csv"
    table.write_text("a,b\n1,2\n3,4\n")
    try:
        backprop.run(str(table))
    except SpecError as e:
        said = str(e)
    assert "backprop.run({" in said and "backprop train" not in said, said
    # the command line keeps its own words
    code, _, err = cli("predict", spec, "--x", 1, cwd=tmp_path)
    assert code == 2 and f"backprop train {spec}" in err, err


def test_every_misspelt_spec_field_is_named_in_one_message(tmp_path):
    import json

    spec = {"data": {"name": "square", "nosie": 0.1}, "epocs": 5, "optimiser": {"name": "sgd"},
            "model": {"hiden": [8]}}  # fmt: skip
    (tmp_path / "s.json").write_text(json.dumps(spec))
    code, _, err = cli("train", "s.json", "--no-plots", "--out", "r", cwd=tmp_path)
    assert code == 2 and err.count("\n") == 1, err
    for wrong, right in [("epocs", "epochs"), ("optimiser", "optimizer"),
                         ("data.nosie", "noise"), ("model.hiden", "hidden")]:  # fmt: skip
        assert f"{wrong} (did you mean {right!r}?)" in err, (wrong, err)


# -- 11. the step-unit fit plot: counts inside the axes, shared corners show both layers --------
def test_step_fit_plot_counts_stay_off_the_ticks_and_shared_jumps_show_both_layers():
    import matplotlib

    matplotlib.use("Agg")
    import backprop
    from backprop.plots.fit import fit_1d

    r = backprop.run({"data": "square", "model": {"sizes": [1, 8, 8, 1], "activation": "step"},
                      "seed": 0})  # fmt: skip
    fig = fit_1d(r.net, r.dataset.x, r.dataset.y, truth=np.square)
    ax = fig.axes[0]
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    counts = [t for t in ax.texts if t.get_text().startswith("×")]
    assert counts
    box = ax.get_window_extent(renderer)
    ticks = [t.get_window_extent(renderer) for t in ax.get_xticklabels() + ax.get_yticklabels()
             if t.get_text() and t.get_visible()]  # fmt: skip
    for text in counts:
        extent = text.get_window_extent(renderer)
        assert box.x0 <= extent.x0 and extent.x1 <= box.x1, text.get_text()
        assert box.y0 <= extent.y0 and extent.y1 <= box.y1, text.get_text()
        assert not any(extent.overlaps(tick) for tick in ticks), text.get_text()
    # where both layers jump at one x, the later marker leaves the earlier one's fill visible
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    first = next(v for k, v in lines.items() if k.startswith("jumps of layer 1"))
    second = next(v for k, v in lines.items() if k.startswith("jumps of layer 2"))
    shared = set(np.round(first.get_xdata(), 6)) & set(np.round(second.get_xdata(), 6))
    assert shared
    covers = matplotlib.colors.to_rgba(second.get_markerfacecolor())[3] > 0
    assert not covers or second.get_markersize() < 0.5 * first.get_markersize()


# -- the advice's one judge: the rows it counts are fit's own split's -------------------------
def _classes_csv(folder, n=103, seed=3):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=n), rng.normal(size=n)
    label = (a + 0.3 * rng.normal(size=n) > 0).astype(int)
    rows = [f"{x:.4f},{y:.4f},{c}" for x, y, c in zip(a, b, label)]
    (folder / "c.csv").write_text("a,b,label\n" + "\n".join(rows) + "\n")
    return label


def test_the_last_epoch_note_and_the_advice_count_fits_own_validation_rows(tmp_path):
    import backprop
    from backprop.cli.judged import Judge
    from backprop.cli.lastepoch import _rows
    from backprop.train.inputs import validation_rows

    label = _classes_csv(tmp_path)  # 103 rows × 0.3 = 30.9: fit holds out floor() = 30
    r = backprop.run({"data": {"csv": str(tmp_path / "c.csv"), "target": "label",
                               "task": "classification"},
                      "validation": 0.3, "epochs": 3, "seed": 0})  # fmt: skip
    train, val = validation_rows(len(label), 0.3, 0, r.dataset.y)  # fit's own split
    assert _rows(r, "val_accuracy") == len(val)  # round(30.9) = 31 before
    assert _rows(r, "accuracy") == len(train)
    judge = Judge.of(r)
    assert judge.key == "val_accuracy" and judge.rows == len(val)
    # 'at chance' with a validation split: above the most common class by one JUDGED row
    # (the validation rows), not one of every row (1/103 before)
    from fractions import Fraction

    share = Fraction(int(np.bincount(label).max()), len(label))
    for k in range(len(val) + 1):  # counted in rows (issue 15, C15K item 2): exact
        above = k - share * len(val) > max(1, Fraction(len(val), 100))
        assert judge.learned(r, k / len(val)) is above, k
