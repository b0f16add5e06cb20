"""A sweep killed with SIGKILL at random moments resumes to the same table; two sweeps on one
database share its trials (issue 18). Slow: many processes (tests/conftest.py SLOW)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time

import backprop

SPEC = {
    "name": "killed",
    "data": {"name": "square", "n": 50},
    "model": {"hidden": [4], "activation": "relu"},
    "optimizer": {"name": "adam", "lr": 0.1},
    "epochs": 4000,
    "engine": "delta",  # NumPy: a worker starts in a fraction of a second
}
SEEDS = "0..39"
TRIALS = 3 * 40  # enough that 20 kills, each after a trial or two, land before the end
GRID = ["--grid", "model.hidden=2,4,8", "--seeds", SEEDS]


def _command(tmp_path, db, workers=2):
    return [
        sys.executable,
        "-m",
        "backprop",
        "sweep",
        str(tmp_path / "spec.json"),
        *GRID,
        "--workers",
        str(workers),
        "--db",
        str(db),
        "--quiet",
    ]


def _reference(tmp_path):
    """The same sweep, never killed, in this process."""
    results = backprop.sweep(
        SPEC,
        {"model.hidden": [[2], [4], [8]]},
        seeds=SEEDS,
        workers=2,
        db=tmp_path / "reference.db",
    )
    return {
        (t["config"], t["seed"]): (t["final_loss"], results.history(t["id"]))
        for t in results.trials
    }


def _same_as_reference(db, reference):
    import sqlite3

    results = backprop.sweep.load(db)
    assert results.complete and results.counts()["done"] == len(reference) == TRIALS
    con = sqlite3.connect(db)
    rows = con.execute("SELECT config, seed, count(*) FROM trial GROUP BY config, seed").fetchall()
    con.close()
    assert len(rows) == TRIALS and all(
        n == 1 for _, _, n in rows
    )  # one row per trial, no duplicate
    for t in results.trials:
        loss, history = reference[(t["config"], t["seed"])]
        assert t["status"] == "done" and t["final_loss"] == loss
        assert results.history(t["id"]) == history  # every epoch, bit for bit
    return results


def _workers_of(pid: int) -> list[int]:
    """Worker processes started by ``pid`` still alive (their command line names it)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                words = f.read().split(b"\0")
        except OSError:
            continue
        if b"backprop.sweep.worker" in words and str(pid).encode() in words[-3:]:
            found.append(int(entry))
    return found


def _done(db) -> int:
    import sqlite3

    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
        try:
            return con.execute("SELECT count(*) FROM trial WHERE status = 'done'").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:  # no file or no tables yet
        return -1


def _random_moment(rng, db, proc) -> None:
    """Sleep to a random moment of the sweep: during its start-up (a third of the kills),
    or once 1 or 2 more trials are written, plus 0-0.1 s (while trials run, or while a
    result is being written). Start-up takes seconds on a loaded machine, so a plain random
    delay would rarely reach a trial."""
    if rng.random() < 1 / 3 or _done(db) < 0:
        time.sleep(rng.uniform(0.05, 0.6))
        return
    target = _done(db) + rng.randint(1, 2)
    deadline = time.monotonic() + 120
    while _done(db) < target and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(rng.uniform(0.0, 0.1))


def test_killed_twenty_times_at_random_moments_then_resumed(tmp_path):
    (tmp_path / "spec.json").write_text(json.dumps(SPEC))
    reference = _reference(tmp_path)
    rounds = 1
    db = tmp_path / "killed-1.db"
    rng = random.Random(18)
    kills = 0
    done_before = []
    while kills < 20:
        proc = subprocess.Popen(
            _command(tmp_path, db), cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        _random_moment(rng, db, proc)
        if proc.poll() is not None:  # finished before the kill (workers write chunks of
            assert proc.returncode == 0, proc.stderr.read()  # trials at once): this round's
            proc.stderr.close()  # database must be whole; the kills go on in a new one
            _same_as_reference(db, reference)
            rounds += 1
            db = tmp_path / f"killed-{rounds}.db"
            continue
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stderr.close()
        kills += 1
        deadline = time.monotonic() + 10
        while _workers_of(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _workers_of(proc.pid), "workers outlived the killed sweep"
        if db.exists():
            try:
                done_before.append(backprop.sweep.load(db).counts()["done"])
            except backprop.BackpropError:
                done_before.append(0)  # killed while it made the file: no sweep in it yet
    assert kills == 20 and rounds <= 5, (kills, rounds)
    assert any(0 < n < TRIALS for n in done_before), done_before  # kills landed mid-sweep
    finished = subprocess.run(
        [
            sys.executable,
            "-m",
            "backprop",
            "sweep",
            "--resume",
            str(db),
            "--workers",
            "2",
            "--quiet",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert finished.returncode == 0, finished.stderr
    _same_as_reference(db, reference)


def test_two_sweeps_on_one_database_share_its_trials(tmp_path):
    import sqlite3

    (tmp_path / "spec.json").write_text(json.dumps(SPEC))
    reference = _reference(tmp_path)
    db = tmp_path / "shared.db"
    procs = [
        subprocess.Popen(
            _command(tmp_path, db, workers=1),
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=600) for p in procs]
    for p, (_out, err) in zip(procs, outs):
        assert p.returncode == 0, err
    _same_as_reference(db, reference)
    con = sqlite3.connect(db)
    attempts = [a for (a,) in con.execute("SELECT attempts FROM trial")]
    owners = {o for (o,) in con.execute("SELECT DISTINCT owner FROM trial")}
    con.close()
    assert attempts == [1] * TRIALS  # no trial was run by both
    assert len(owners) == 2  # both processes ran some


def test_a_worker_killed_mid_trial_has_its_trials_run_again(tmp_path):
    import sqlite3

    (tmp_path / "spec.json").write_text(json.dumps(SPEC))
    reference = _reference(tmp_path)
    db = tmp_path / "worker.db"
    proc = subprocess.Popen(
        _command(tmp_path, db),
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while _done(db) < 5 and time.monotonic() < deadline:  # mid-sweep, trials in hand
        time.sleep(0.02)
    victims = _workers_of(proc.pid)
    assert victims, "no worker to kill"
    os.kill(victims[0], signal.SIGKILL)
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err  # the sweep itself went on
    _same_as_reference(db, reference)
    con = sqlite3.connect(db)
    again = con.execute("SELECT count(*) FROM trial WHERE attempts > 1").fetchone()[0]
    con.close()
    assert again >= 1  # the killed worker's trials ran a second time
