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
    """Finished trials in ``db`` as another reader sees them now; -1 while it holds no
    sweep (no file yet, or the first process still making its tables)."""
    state = _state(db, readonly=True)
    return -1 if state is None else sum(s == "done" for s, _, _ in state.values())


def _state(db, *, readonly=False) -> dict | None:
    """{trial id: (status, finished, attempts)}, or None while ``db`` holds no sweep."""
    import sqlite3

    if not os.path.exists(db):
        return None
    try:
        where = f"file:{db}?mode=ro" if readonly else f"file:{db}"
        con = sqlite3.connect(where, uri=True, timeout=30)
        try:
            if not con.execute("SELECT count(*) FROM sweep").fetchone()[0]:
                return None
            rows = con.execute("SELECT id, status, finished, attempts FROM trial")
            return {tid: (status, finished, attempts) for tid, status, finished, attempts in rows}
        finally:
            con.close()
    except sqlite3.Error:  # no tables yet (the sweep's transaction has not committed)
        return None


START = 600  # seconds a sweep may take to start or to finish a trial on a loaded machine


def _wait(what: str, ready, proc) -> bool:
    """Wait until ``ready()``; False when the sweep ended first. A sweep that neither gets
    there nor ends in ``START`` seconds fails the test (it is stuck)."""
    deadline = time.monotonic() + START
    while not ready():
        if proc.poll() is not None:
            return False
        assert time.monotonic() < deadline, f"the sweep did not reach {what} in {START} s"
        time.sleep(0.02)
    return True


def _random_moment(rng, db, proc, phase: str) -> str:
    """Wait for the sweep's own progress, then sleep to a random moment after it, so the
    kills land where they are meant to at any load (a fixed delay landed every kill before
    the sweep's tables on a loaded machine: its start-up alone takes over a second).

    ``phase``: 'creating' (the file is there, the sweep's tables maybe not: 0-0.2 s after
    the file appears; 'starting' once the file holds a sweep), 'starting' (0-0.5 s after
    the sweep's rows are there: workers starting, first claims) or 'trials' (once 1 to 3
    more trials are written, plus 0-0.1 s: while trials run, or while a result is being
    written). Returns the phase aimed at."""
    if phase == "creating" and _done(db) >= 0:
        phase = "starting"
    if phase == "creating":
        if _wait("its database file", lambda: os.path.exists(db), proc):
            time.sleep(rng.uniform(0.0, 0.2))
        return phase
    if not _wait("its sweep's rows", lambda: _done(db) >= 0, proc):
        return phase
    if phase == "starting":
        time.sleep(rng.uniform(0.0, 0.5))
        return phase
    target = _done(db) + rng.randint(1, 3)
    if _wait(f"{target} finished trials", lambda: _done(db) >= target, proc):
        time.sleep(rng.uniform(0.0, 0.1))
    return phase


def _kept(before: dict, after: dict, where: str) -> None:
    """Every trial finished before a kill is untouched after it: still done, written at the
    same moment, claimed no more often (a finished trial is never run or counted again)."""
    for tid, (status, finished, attempts) in before.items():
        if status == "done":
            assert after.get(tid) == (status, finished, attempts), (where, tid, after.get(tid))


def test_killed_twenty_times_at_random_moments_then_resumed(tmp_path):
    (tmp_path / "spec.json").write_text(json.dumps(SPEC))
    reference = _reference(tmp_path)
    rounds = 1
    db = tmp_path / "killed-1.db"
    rng = random.Random(18)
    kills = 0
    landed = []  # (phase aimed at, trials done when killed: -1 before the sweep's rows)
    state = None  # the database after the last kill
    phases = ["starting"] * 4 + ["trials"] * 14
    rng.shuffle(phases)
    phases = ["creating"] * 2 + phases  # first: only a new file can be killed while made
    while kills < 20:
        proc = subprocess.Popen(
            _command(tmp_path, db), cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        phase = _random_moment(rng, db, proc, phases[kills])
        if proc.poll() is not None:  # finished before the kill (workers write chunks of
            assert proc.returncode == 0, proc.stderr.read()  # trials at once): this round's
            proc.stderr.close()  # database must be whole; the kills go on in a new one
            _kept(state or {}, _state(db) or {}, f"round {rounds}, finished")
            _same_as_reference(db, reference)
            rounds += 1
            db = tmp_path / f"killed-{rounds}.db"
            state = None
            continue
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stderr.close()
        kills += 1
        deadline = time.monotonic() + 10
        while _workers_of(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _workers_of(proc.pid), "workers outlived the killed sweep"
        now = _state(db)
        if state is not None:
            assert now is not None, f"kill {kills}: the sweep's rows are gone"
            _kept(state, now, f"kill {kills}")
        state = now
        landed.append((phase, -1 if now is None else sum(s == "done" for s, _, _ in now.values())))
    print("kills (phase aimed at, trials done when killed):", landed, "rounds:", rounds)
    assert kills == 20 and rounds <= 5, (kills, rounds, landed)
    mid = [n for _, n in landed if 0 < n < TRIALS]
    assert len(mid) >= 10, landed  # most kills landed mid-sweep, with trials written and to go
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
    _kept(state or {}, _state(db) or {}, "the resume")
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
