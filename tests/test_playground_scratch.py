"""The playground server's temporary folder (``playground.scratch``).

Private (mode 0700) under the system's temporary folder, named after the process; model
exports and uploads pass through it; ``remove()`` deletes it with what is in it and later
uses are refused with a ``PathError``; a new folder sweeps away the folders of servers that
died without cleaning up (SIGKILL), and only those.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tempfile

import pytest

from backprop.errors import PathError
from backprop.playground import scratch


@pytest.fixture
def fresh(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(scratch, "_folder", None)
    monkeypatch.setattr(scratch, "_removed", False)
    return tmp_path


def test_the_folder_is_private_and_removed_with_its_files(fresh):
    folder = scratch.folder()
    assert os.path.dirname(folder) == str(fresh)
    assert os.path.basename(folder).startswith(f"{scratch.PREFIX}{os.getpid()}-")
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    fd, _ = tempfile.mkstemp(dir=scratch.folder())  # what a killed export leaves
    os.close(fd)
    scratch.remove()
    assert os.listdir(fresh) == []
    with pytest.raises(PathError, match="stopping"):
        scratch.folder()


def test_folders_of_dead_servers_are_swept_and_live_ones_kept(fresh):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    gone = fresh / f"{scratch.PREFIX}{int(dead.stdout)}-abc"
    alive = fresh / f"{scratch.PREFIX}{os.getppid()}-def"
    other = fresh / "someone-elses-folder"
    for d in (gone, alive, other):
        d.mkdir()
        (d / "model-x.safetensors").write_bytes(b"")
    mine = scratch.folder()
    assert sorted(os.listdir(fresh)) == sorted([alive.name, other.name, os.path.basename(mine)])
