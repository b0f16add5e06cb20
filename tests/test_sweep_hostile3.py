"""Sweeps and compare against what the sixth attacker found (issue 18), each test naming its
class and failing on the code before the fix.

S5 stored text reaches a terminal escaped (notes, errors, CSV cells); S6 a trial that failed
on a changed data file waits, and --resume re-runs it once the file is back; S9/S16 a stored
criterion and stored metrics are checked on open; S11 numbers of --success and --show-trial
follow the ASCII rule; S12 a refused compare leaves no --out folder; S15 no secret echoed;
compare's words say "N× lower" only when it means something, and name the best median."""

from __future__ import annotations

import json
import os
import sqlite3

import numpy as np
import pytest

import backprop
from backprop.errors import SweepError
from backprop.sweep.compare import QUESTIONS
from backprop.sweep.compare_words import words
from cli_helpers import cli, one_line
from sweep_helpers import GRID, SMALL, edited

ESCAPES = "\x1b]0;PWNED\x07\x1b[2J\x1b[31m red \u202e gnirts"


def _raw(text: str) -> bool:
    """Whether ``text`` holds a terminal control or a direction override as it is."""
    return any(c in text for c in "\x1b\x07\u202e")


# S5: every stored text a terminal shows goes through textrules.escape --------------------
def test_stored_notes_are_escaped_on_show(done_db, tmp_path):
    db = edited(done_db, tmp_path, ("UPDATE trial SET notes = ?", (json.dumps([ESCAPES]),)))
    code, out, _ = cli("sweep", "--show", db, cwd=tmp_path)
    assert code == 0 and "PWNED" in out, out
    assert not _raw(out) and "\\x1b" in out and "\\u202e" in out


def test_a_stored_error_is_escaped_in_the_trials_csv(done_db, tmp_path):
    db = edited(
        done_db,
        tmp_path,
        (
            "UPDATE trial SET status = 'failed', error = ?, final_loss = NULL, metrics = '{}', "
            "history = NULL, epochs = NULL, seconds = NULL, train_seconds = NULL, "
            "finished = NULL WHERE id = 2",
            (ESCAPES,),
        ),
    )
    out_csv = tmp_path / "trials.csv"
    code, out, _ = cli("sweep", "--show", db, "--trials-csv", out_csv, cwd=tmp_path)
    assert code == 1, out  # a failed trial
    text = out_csv.read_text()
    assert "PWNED" in text and not _raw(text) and not _raw(out)


# S6: an environmental failure waits; --resume re-runs it once the file is back ------------
def _csv(path, targets) -> None:
    x = np.linspace(-1, 1, len(targets))
    path.write_text("x,y\n" + "".join(f"{float(a)!r},{float(b)!r}\n" for a, b in zip(x, targets)))


def test_trials_that_failed_on_a_changed_file_run_again_once_it_is_back(tmp_path):
    data = tmp_path / "d.csv"
    _csv(data, np.linspace(-1, 1, 60) ** 2)
    kept = data.read_bytes()
    spec = {**SMALL, "data": {"csv": str(data), "target": "y"}}
    seen = []

    def change_after_first(p) -> None:
        seen.append(p.done)
        if len(seen) == 1:
            _csv(data, np.random.default_rng(0).normal(size=60))

    db = tmp_path / "race.db"
    results = backprop.sweep(
        spec, {"optimizer.lr": [0.1]}, seeds=4, workers=1, db=db, progress=change_after_first
    )
    assert results.counts()["failed"] == 3
    code, out, _ = cli("sweep", "--show", db, cwd=tmp_path)  # the table says they wait
    assert code == 1 and "3 of them waiting for a data file" in out and str(data) in out, out
    code, _, err = cli("sweep", "--resume", db, cwd=tmp_path)  # still changed: said, exit 2
    one_line(code, err, "changed since the sweep was planned", "--resume re-runs")
    data.write_bytes(kept)  # put back as it was, as the advice says
    code, out, err = cli("sweep", "--resume", db, cwd=tmp_path)
    assert code == 0, (out, err)
    again = backprop.sweep.load(db)
    assert again.counts() == {"todo": 0, "running": 0, "done": 4, "failed": 0}
    alone = backprop.run(again.spec(4), verbose=False).history.history["loss"][-1]
    assert again.trials[3]["final_loss"] == alone  # re-run on the pinned file: same numbers


def test_a_trial_whose_worker_died_runs_again_on_resume(done_db, tmp_path):
    before = backprop.sweep.load(done_db).trials[1]["final_loss"]
    db = edited(
        done_db,
        tmp_path,
        (
            "UPDATE trial SET status = 'failed', error = 'its worker process died (exit code "
            "-9), 3 times', final_loss = NULL, metrics = '{}', history = NULL, epochs = NULL, "
            "seconds = NULL, train_seconds = NULL, finished = NULL, attempts = 3 WHERE id = 2",
        ),
    )
    code, out, _ = cli("sweep", "--show", db, cwd=tmp_path)
    assert code == 1 and "1 of them lost their worker: --resume runs them again" in out, out
    code, out, err = cli("sweep", "--resume", db, cwd=tmp_path)
    assert code == 0, (out, err)
    assert backprop.sweep.load(db).trials[1]["final_loss"] == before


def test_a_trial_that_failed_for_itself_stays_failed_on_resume(done_db, tmp_path):
    db = edited(
        done_db,
        tmp_path,
        (
            "UPDATE trial SET status = 'failed', error = 'SpecError: its own fault', "
            "final_loss = NULL, metrics = '{}', history = NULL, epochs = NULL, seconds = NULL, "
            "train_seconds = NULL, finished = NULL WHERE id = 2",
        ),
    )
    code, out, _ = cli("sweep", "--resume", db, cwd=tmp_path)
    assert code == 1 and "waiting" not in out
    assert backprop.sweep.load(db).counts()["failed"] == 1


# S9 + S16: what the table shows is checked against what the sweep records, on open -------
def test_a_stored_criterion_on_a_metric_never_recorded_is_refused(done_db, tmp_path):
    db = edited(done_db, tmp_path, ("UPDATE sweep SET success = 'accuracy>0.5'",))
    code, out, err = cli("sweep", "--show", db, cwd=tmp_path)
    one_line(code, err, "success criterion", "'accuracy>0.5'", "record loss, r2, rmse")
    assert out == ""


@pytest.mark.parametrize("metric", ["r2", "rmse", "loss"])
def test_a_metric_edited_to_an_infinity_is_refused(done_db, tmp_path, metric):
    con = sqlite3.connect(done_db)
    metrics = json.loads(con.execute("SELECT metrics FROM trial WHERE id = 1").fetchone()[0])
    con.close()
    metrics[metric] = -math_inf() if metric == "r2" else math_inf()
    db = edited(
        done_db, tmp_path, ("UPDATE trial SET metrics = ? WHERE id = 1", (json.dumps(metrics),))
    )
    with pytest.raises(SweepError, match=rf"trial 1's (metrics\.{metric}|final_loss)"):
        backprop.sweep.load(db)


def test_a_validation_loss_is_tied_to_its_history(tmp_path):
    db = tmp_path / "val.db"
    backprop.sweep({**SMALL, "validation": 0.2}, GRID, seeds=1, workers=1, db=db)
    last = backprop.sweep.load(db).history(1)["val_loss"][-1]
    con = sqlite3.connect(db)
    con.execute("UPDATE trial SET metrics = json_set(metrics, '$.val_loss', 1e-9) WHERE id = 1")
    con.commit()
    con.close()
    code, out, err = cli("sweep", "--show", db, cwd=tmp_path)
    one_line(code, err, "trial 1's history", "val_loss", repr(last))
    assert out == ""


def math_inf() -> float:
    return float("inf")


# S11: one rule for numbers -----------------------------------------------------------------
@pytest.mark.parametrize("criterion", ["loss<\uff11", "loss<1_0", "loss<\u0661"])
def test_a_criterion_number_in_other_digits_is_refused(done_db, tmp_path, criterion):
    code, _, err = cli("sweep", "--show", done_db, "--success", criterion, cwd=tmp_path)
    one_line(code, err, "ASCII")


@pytest.mark.parametrize("tid", ["\uff11", "\u0661", "1_0"])
def test_a_trial_id_in_other_digits_is_refused(done_db, tmp_path, tid):
    code, out, err = cli("sweep", "--show-trial", done_db, tid, cwd=tmp_path)
    one_line(code, err, "whole number", "ASCII")
    assert out == ""


# S12: a refused compare leaves nothing behind ------------------------------------------------
@pytest.mark.parametrize("how", ["fifo", "too_many_seeds", "devnull"])
def test_a_refused_compare_leaves_no_out_folder(tmp_path, how):
    out = tmp_path / "runs" / "o"
    argv = ["compare", "activations", "--out", out, "--no-plots", "--workers", "1"]
    if how == "fifo":
        os.mkfifo(tmp_path / "f.db")
        argv += ["--db", tmp_path / "f.db"]
    elif how == "devnull":
        argv += ["--db", "/dev/null"]
    else:
        argv += ["--seeds", "0..9999"]  # 10,000 seeds × 8 configurations: over the limit
    code, _, err = cli(*argv, cwd=tmp_path)
    assert code == 2, err
    assert not (tmp_path / "runs").exists()  # neither --out nor its new parent


def test_a_refused_library_compare_leaves_no_out_folder(tmp_path):
    out = tmp_path / "new" / "o"
    with pytest.raises(backprop.errors.ConfigError):
        backprop.compare("activations", seeds="0..9999", out=out, plots=False, workers=1)
    assert not (tmp_path / "new").exists()


def test_a_refused_compare_keeps_a_folder_that_existed(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    code, _, _ = cli("compare", "activations", "--out", out, "--seeds", "0..99999", cwd=tmp_path)
    assert code == 2 and out.is_dir()


# S15: no secret echoed -------------------------------------------------------------------------
def test_a_password_in_a_cluster_address_is_never_echoed(tmp_path):
    secret = "hunter2secret"
    code, out, err = cli(
        "sweep", "square", "--grid", "epochs=5", "--cluster", f"tcp://me:{secret}@127.0.0.1:1",
        cwd=tmp_path,
    )  # fmt: skip
    one_line(code, err, "***@127.0.0.1", "no user name or password")
    assert secret not in out + err
    with pytest.raises(backprop.errors.ConfigError) as caught:
        backprop.sweep(SMALL, GRID, workers=1, cluster=f"tcp://me:{secret}@h:1")
    assert secret not in str(caught.value) and "***@h:1" in str(caught.value)


@pytest.mark.parametrize(
    "first_line", ["SECRET=hunter2\x00PATH=/bin\n", "root:hunter2:0:0:root:/root:/bin/bash\n"]
)
def test_a_grid_file_is_never_echoed_with_its_contents(tmp_path, first_line):
    leaky = tmp_path / "leaky"
    leaky.write_text(first_line + "1\n2\n")
    good = tmp_path / "d.csv"
    _csv(good, np.linspace(-1, 1, 20) ** 2)
    spec = {**SMALL, "data": {"csv": str(good), "target": "y"}}
    with pytest.raises(backprop.errors.SpecError) as caught:
        backprop.sweep(spec, {"data.csv": [str(leaky)]}, workers=1)
    said = str(caught.value)
    assert "hunter2" not in said and str(leaky) in said and "left out" in said, said


# compare's words (student trial 15g, item 6) ----------------------------------------------------
def _rows(medians: dict):
    from test_compare import _sizes

    return _sizes(medians, {k: 0.5 for k in medians})


def test_the_words_say_about_the_same_for_a_ratio_near_one_and_name_the_best():
    q = QUESTIONS["width-depth"]
    # the student's numbers: knee 8 (0.882), 16x16 the best (0.74), 16x16x16 0.871
    said = words(q, _rows({"2": 150, "8": 0.882, "16x16": 0.74, "16x16x16": 0.871}))
    text = " ".join(said)
    assert "1× lower" not in text and "1× higher" not in text, text
    beyond = [w for w in said if w.startswith(("Beyond it", "The largest"))]
    assert any("the best median, 16x16," in w for w in beyond), beyond
    assert any("16x16x16" in w and "about the same" in w for w in beyond), beyond
    # the knee is within 1.5× of the best, so a clear ratio is the largest network's, higher
    clear = words(q, _rows({"2": 150, "8": 1.0, "16x16": 0.9, "16x16x16": 3.0}))
    assert any("16x16x16" in w and "3× higher (3)" in w for w in clear), clear
