"""``sweep --db PATH`` follows the output-file rule of ``--csv`` (sweep/paths.py): a sweep
database is never made or written through a symlink. Before, a link to an empty file was
followed and the file it pointed to became a SQLite database (issue 18, the seventh
attacker's last item)."""

from __future__ import annotations

import json
import os
import shutil

import pytest

import backprop
from backprop.errors import SweepError
from cli_helpers import cli, one_line

SMALL = {
    "name": "small",
    "data": {"name": "square", "n": 30},
    "model": {"hidden": [3], "activation": "relu"},
    "optimizer": {"name": "adam", "lr": 0.1},
    "epochs": 20,
    "engine": "delta",
}


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


def test_a_sweep_database_is_not_written_through_a_link_either(tmp_path):
    real = tmp_path / "real.db"
    backprop.sweep(SMALL, {"optimizer.lr": [0.1, 0.2]}, seeds=1, workers=1, db=real)
    for end in ("-wal", "-shm"):
        if os.path.exists(f"{real}{end}"):
            os.remove(f"{real}{end}")
    kept = tmp_path / "kept.db"
    shutil.copy(real, kept)
    (tmp_path / "link.db").symlink_to(real)
    with pytest.raises(SweepError, match=r"symlink .*real\.db.* Give the file it points to"):
        backprop.sweep.resume(tmp_path / "link.db", workers=1)
    assert real.read_bytes() == kept.read_bytes()
    assert backprop.sweep.load(real).counts()["done"] == 2  # the file itself still opens
