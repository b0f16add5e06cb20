"""``sweep --db PATH`` through a symlink (sweep/paths.py ``check_db``, one rule): a sweep
database is never MADE through a link — a link to an empty file was followed and the file it
pointed to became a SQLite database (issue 18, the seventh attacker's last item) — but a link
to a SQLite database that already exists is followed, as the file itself would be: ``--show``
and ``--resume`` through it work (brief SWF: they were refused too), and SQLite keeps its
-wal and -shm files beside the file, not the link."""

from __future__ import annotations

import json
import os

import pytest

import backprop
from backprop.errors import SweepError
from cli_helpers import cli, one_line
from sweep_helpers import SMALL


def _linked_empty(tmp_path):
    victim = tmp_path / "notes.txt"
    victim.write_bytes(b"")
    (tmp_path / "link.db").symlink_to(victim)
    return victim


def _untouched(tmp_path, victim, *names):
    assert victim.read_bytes() == b"" and (tmp_path / "link.db").is_symlink()
    assert sorted(os.listdir(tmp_path)) == sorted(["link.db", victim.name, *names])


def test_the_cli_makes_no_database_through_a_link(tmp_path):
    victim = _linked_empty(tmp_path)
    (tmp_path / "s.json").write_text(json.dumps(SMALL))
    code, out, err = cli("sweep", "s.json", "--db", "link.db", "--seeds", "0..1", cwd=tmp_path)
    one_line(code, err, "sweep database", "link.db", "symlink", "notes.txt", "an empty file")
    assert "never through a link" in err and "trial" not in out  # refused before any ran
    _untouched(tmp_path, victim, "s.json")  # no -wal, -shm or -journal beside either


def test_the_library_makes_no_database_through_a_link(tmp_path):
    victim = _linked_empty(tmp_path)
    with pytest.raises(SweepError, match=r"symlink.*never through a link"):
        backprop.sweep(SMALL, {"optimizer.lr": [0.1, 0.2]}, seeds=1, workers=1,
                       db=tmp_path / "link.db")  # fmt: skip
    _untouched(tmp_path, victim)


def _finished_sweep(tmp_path):
    """A finished 2-trial sweep in a folder of its own; returns its database."""
    folder = tmp_path / "kept"
    folder.mkdir()
    real = folder / "real.db"
    backprop.sweep(SMALL, {"optimizer.lr": [0.1, 0.2]}, seeds=1, workers=1, db=real)
    return real


def test_a_link_to_a_sweep_database_reads_and_resumes_as_the_file(tmp_path):
    real = _finished_sweep(tmp_path)
    link = tmp_path / "link.db"
    link.symlink_to(real)
    direct = backprop.sweep.load(real)
    through = backprop.sweep.load(link)
    assert through.counts() == direct.counts() and direct.counts()["done"] == 2
    assert [r.mean for r in through] == [r.mean for r in direct]
    again = backprop.sweep.resume(link, workers=1)  # nothing left to run: the same table
    assert [r.mean for r in again] == [r.mean for r in direct]
    assert link.is_symlink() and sorted(os.listdir(tmp_path)) == ["kept", "link.db"]


def test_a_link_to_a_sweep_database_goes_on_with_its_unfinished_trials(tmp_path):
    """Two trials marked todo again: --resume through the link runs them into the file."""
    import sqlite3

    real = _finished_sweep(tmp_path)
    with sqlite3.connect(real) as con:
        con.execute("UPDATE trial SET status = 'todo', final_loss = NULL WHERE id = 2")
    link = tmp_path / "link.db"
    link.symlink_to(real)
    code, _, err = cli("sweep", "--resume", "link.db", "--workers", "1", cwd=tmp_path)
    assert code == 0, err
    assert backprop.sweep.load(real).counts()["done"] == 2
    assert sorted(os.listdir(tmp_path)) == ["kept", "link.db"]  # no -wal, -shm by the link


def test_the_cli_shows_a_sweep_through_a_link(tmp_path):
    real = _finished_sweep(tmp_path)
    (tmp_path / "link.db").symlink_to(real)
    code, out, err = cli("sweep", "--show", "link.db", cwd=tmp_path)
    assert code == 0, err
    assert "optimizer.lr=0.1" in out and "optimizer.lr=0.2" in out


@pytest.mark.parametrize("target", ["missing.db", "notes.csv"])
def test_a_link_to_no_database_is_still_refused(tmp_path, target):
    """A dangling link, or one to a file that is not a database: nothing is made or written."""
    if target == "notes.csv":
        (tmp_path / target).write_text("x,y\n1,2\n")
    (tmp_path / "link.db").symlink_to(tmp_path / target)
    with pytest.raises(SweepError, match="symlink"):
        backprop.sweep(SMALL, seeds=1, workers=1, db=tmp_path / "link.db")
    assert not (tmp_path / "missing.db").exists()
    if target == "notes.csv":
        assert (tmp_path / target).read_text() == "x,y\n1,2\n"
