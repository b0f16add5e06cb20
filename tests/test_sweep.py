"""backprop.sweep and `backprop sweep` (issue 18, part 1): trials are ordinary specs, the grid
is checked like a spec, the store refuses another sweep and resumes, the table's numbers.

The kill-and-resume and two-processes tests are in test_sweep_kill.py (slow)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import backprop
from backprop.errors import ConfigError, SpecError, SweepError
from cli_helpers import cli, one_line

# small trials: 50 rows, 200 epochs; the NumPy engine named so no worker loads numba
SMALL = {
    "name": "small",
    "data": {"name": "square", "n": 50},
    "model": {"hidden": [4], "activation": "relu"},
    "optimizer": {"name": "adam", "lr": 0.1},
    "epochs": 200,
    "engine": "delta",
}


def test_a_trial_reruns_alone_with_backprop_train_bit_for_bit(tmp_path):
    # engine "auto": the sweep settles it per configuration; in a fresh process `backprop
    # train` on the written-out spec must take the same engine and give the same losses
    spec = {**SMALL, "engine": "auto", "epochs": 300}
    db = tmp_path / "s.db"
    code, _out, err = cli(
        "sweep",
        _write(tmp_path / "spec.json", spec),
        "--grid",
        "model.hidden=4,8x8",
        "--seeds",
        "0..1",
        "--workers",
        "2",
        "--db",
        db,
        "--quiet",
        cwd=tmp_path,
    )
    assert code == 0, err
    results = backprop.sweep.load(db)
    for tid in (1, 4):
        code, trial, err = cli("sweep", "--show-trial", db, tid, cwd=tmp_path)
        assert code == 0, err
        (tmp_path / f"t{tid}.json").write_text(trial)
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "backprop",
                "train",
                f"t{tid}.json",
                "--out",
                f"r{tid}",
                "--quiet",
                "--no-plots",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        ran = json.loads((tmp_path / f"r{tid}" / "history.json").read_text())["history"]["loss"]
        stored = results.history(tid)["loss"]
        assert len(stored) == 300 and stored == ran  # every epoch's loss, bit for bit
        row = next(t for t in results.trials if t["id"] == tid)
        assert row["final_loss"] == ran[-1]
        assert json.loads(trial)["engine"] == row["engine"]  # the spec names the engine that ran


def _write(path, spec) -> str:
    path.write_text(json.dumps(spec))
    return str(path)


def test_the_table_is_the_stored_trials_statistics(tmp_path):
    results = backprop.sweep(
        SMALL,
        {"optimizer.lr": [0.1, 0.01]},
        seeds=3,
        workers=1,
        success="loss<20",
        db=tmp_path / "s.db",
    )
    assert [r.label for r in results] == ["optimizer.lr=0.1", "optimizer.lr=0.01"]
    for row in results:
        losses = [t["final_loss"] for t in results.trials if t["config"] == row.config]
        assert len(losses) == 3 == row.done
        assert row.mean == pytest.approx(np.mean(losses), rel=1e-12)
        assert row.std == pytest.approx(np.std(losses, ddof=1), rel=1e-12)
        assert row.median == pytest.approx(np.median(losses), rel=1e-12)
        assert row.success == sum(x < 20 for x in losses) / 3
        assert row.parameters == 4 + 4 + 4 + 1  # 1-4-1: W1, b1, W2, b2
    for t in results.trials:  # each trial is backprop.run of its spec
        run = backprop.run(results.spec(t["id"]), verbose=False)
        assert run.history["loss"] == results.history(t["id"])["loss"]
    text = results.table()
    assert "optimizer.lr=0.01" in text and "success (loss<20)" in text
    csv = results.to_csv().splitlines()
    assert csv[0].startswith("optimizer.lr,") and len(csv) == 3
    assert "<table>" in results._repr_html_()


def test_resume_runs_nothing_twice_and_load_gives_the_table(tmp_path):
    db = tmp_path / "s.db"
    first = backprop.sweep(SMALL, {"model.hidden": [[2], [4]]}, seeds=2, workers=1, db=db)
    seen = []
    again = backprop.sweep(
        SMALL, {"model.hidden": [[2], [4]]}, seeds=2, workers=1, db=db, progress=seen.append
    )
    assert seen == []  # every trial was done: none ran again
    loaded = backprop.sweep.load(db)
    for a, b in zip(first.trials, loaded.trials):
        assert a["final_loss"] == b["final_loss"] and a["id"] == b["id"]
    assert [r.mean for r in again] == [r.mean for r in loaded]


def test_a_trial_held_by_a_dead_process_is_run_again(tmp_path):
    import sqlite3

    db = tmp_path / "s.db"
    backprop.sweep(SMALL, {"model.hidden": [[2], [4]]}, seeds=2, workers=1, db=db)
    reference = backprop.sweep.load(db).history(3)
    con = sqlite3.connect(db)
    dead = f"{os.uname().nodename}:999999999:0"  # no such pid
    con.execute(
        "UPDATE trial SET status = 'running', owner = ?, final_loss = NULL, "
        "history = NULL WHERE id = 3",
        (dead,),
    )
    con.commit()
    con.close()
    assert not backprop.sweep.load(db).complete
    seen = []
    results = backprop.sweep.resume(db, workers=1, progress=seen.append)
    assert len(seen) == 1 and results.complete
    assert results.history(3) == reference


def test_grid_keys_and_values_are_checked_like_a_spec():
    with pytest.raises(SpecError, match=r"Did you mean 'model\.hidden'"):
        backprop.sweep(SMALL, {"model.hiden": [[4]]})
    with pytest.raises(SpecError, match=r"optimizer\.lr.*-0\.1.*greater than 0"):
        backprop.sweep(SMALL, {"optimizer.lr": [0.1, -0.1]})
    with pytest.raises(SpecError, match="Did you mean 'tanh'"):
        backprop.sweep(SMALL, {"model.activation": ["relu", "tahn"]})
    with pytest.raises(SpecError, match="given twice"):
        backprop.sweep(SMALL, {"epochs": [10, 10]})
    with pytest.raises(SpecError, match="data: required"):
        backprop.sweep({"model": {"hidden": [4]}}, {"epochs": [10]})
    with pytest.raises(ConfigError, match="seeds"):
        backprop.sweep(SMALL, {"epochs": [10]}, seeds="0..x")


def test_a_grid_over_the_maximum_is_refused_before_work(tmp_path):
    grid = {"epochs": list(range(1, 102))}
    with pytest.raises(ConfigError, match=r"101 epochs × 100 seed\(s\) = 10,100 trials"):
        backprop.sweep(SMALL, grid, seeds=100, db=tmp_path / "s.db")
    assert not (tmp_path / "s.db").exists()  # nothing was started
    code, _out, err = cli(
        "sweep",
        _write(tmp_path / "spec.json", SMALL),
        "--grid",
        "epochs=" + ",".join(map(str, range(1, 102))),
        "--seeds",
        "0..99",
        "--db",
        "c.db",
        cwd=tmp_path,
    )
    one_line(code, err, "10,100 trials", "maximum of 10,000")
    assert not (tmp_path / "c.db").exists()


def test_a_database_of_another_sweep_is_refused(tmp_path):
    db = tmp_path / "s.db"
    backprop.sweep(SMALL, {"epochs": [5]}, workers=1, db=db)
    with pytest.raises(SweepError, match="holds another sweep"):
        backprop.sweep(SMALL, {"epochs": [6]}, workers=1, db=db)
    spec = _write(tmp_path / "spec.json", SMALL)
    code, _out, err = cli("sweep", spec, "--grid", "epochs=7", "--db", db, cwd=tmp_path)
    one_line(code, err, "holds another sweep", "--resume")
    (tmp_path / "x.db").write_text("not a database")
    code, _out, err = cli("sweep", spec, "--grid", "epochs=7", "--db", "x.db", cwd=tmp_path)
    one_line(code, err, "not a SQLite file")


@pytest.mark.parametrize(
    ("words", "phrases"),
    [
        (["--grid", "model.hiden=4"], ["Did you mean 'model.hidden'"]),
        (["--grid", "model.activation=relu,tahn"], ["Did you mean 'tanh'"]),
        (["--grid", "optimizer.lr=abc"], ["optimizer.lr", "'abc'", "finite number"]),
        (["--grid", "epochs"], ["KEY=V1,V2"]),
        (["--grid", "epochs=5", "--success", "lost<1"], ["Did you mean 'loss'"]),
        (["--grid", "epochs=5", "--seeds", "3..1"], ["empty or too long range"]),
        (["--grid", "epochs=5", "--workers", "0"], ["--workers", "between 1 and 256"]),
        (["--grid", "seed=1,2"], ["--seeds"]),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, monkeypatch, words, phrases):
    import contextlib
    import io

    from backprop.cli.app import main

    spec = _write(tmp_path / "spec.json", SMALL)
    err = io.StringIO()
    monkeypatch.chdir(tmp_path)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        try:  # argparse's own errors (--workers 0) leave main as SystemExit(2)
            code = main(["sweep", spec, *words, "--db", "s.db"])
        except SystemExit as exc:
            code = exc.code
    one_line(code, err.getvalue(), *phrases)
    assert not (tmp_path / "s.db").exists()  # refused before the database was made


def test_resume_and_show_trial_errors_are_one_line(tmp_path):
    one_line(*cli("sweep", "--resume", "missing.db", cwd=tmp_path)[::2], "no such file")
    db = tmp_path / "s.db"
    backprop.sweep(SMALL, {"epochs": [5]}, workers=1, db=db)
    one_line(*cli("sweep", "--show-trial", db, "99", cwd=tmp_path)[::2], "no such trial")


def test_the_command_through_a_pipe_prints_plain_lines(tmp_path):
    spec = _write(tmp_path / "spec.json", SMALL)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "backprop",
            "sweep",
            spec,
            "--grid",
            "model.hidden=2,4",
            "--seeds",
            "0..1",
            "--workers",
            "1",
            "--db",
            "p.db",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout and "\r" not in done.stdout
    lines = done.stdout.splitlines()
    assert any(line.startswith("trials 4/4") for line in lines)
    table = [line for line in lines if line.startswith("model.hidden=")]
    stored = backprop.sweep.load(tmp_path / "p.db")
    assert len(table) == 2 and f"{stored[1].median:.4g}" in table[1]


def test_seeds_and_grid_words():
    from backprop.sweep import parse_grid, parse_seeds

    assert parse_seeds("0..3") == [0, 1, 2, 3] and parse_seeds("10") == list(range(10))
    assert parse_seeds("0,5,7") == [0, 5, 7] and parse_seeds(None, default=4) == [4]
    grid = parse_grid(["model.hidden=8,8x8,none", "optimizer.lr=0.1,1e-2", "optimizer=adam,sgd"])
    assert grid == {
        "model.hidden": [[8], [8, 8], []],
        "optimizer.lr": [0.1, 0.01],
        "optimizer": ["adam", "sgd"],
    }


def test_a_spec_with_no_data_is_one_line(tmp_path):
    spec = _write(tmp_path / "nodata.json", {"model": {"hidden": [4]}, "epochs": 5})
    code, _out, err = cli("sweep", spec, "--grid", "epochs=5,6", "--db", "s.db", cwd=tmp_path)
    one_line(code, err, "spec field data: required")
    assert not (tmp_path / "s.db").exists()
