"""compare --out against the eighth attacker (issue 18 item 9, brief PGN): the folder is judged
before the first line names a path in it, by one rule (sweep/paths.check_folder): a file or
device (/dev/null), a dangling symlink and a folder no file can be made in (/proc/self) are
refused in words naming what they are, before any trial and before "trials go to ..."."""

from __future__ import annotations

import os
import sys

import pytest

from cli_helpers import cli, one_line
from test_sweep_hostile2 import _no_trial

ARGS = ("compare", "activations", "--epochs", "5", "--seeds", "1", "--workers", "1", "--no-plots")


def refused(tmp_path, monkeypatch, out, *phrases):
    ran = _no_trial(monkeypatch)
    code, printed, err = cli(*ARGS, "--out", out, cwd=tmp_path)
    one_line(code, err, "compare --out", *phrases)
    assert printed == "" and ran == [], printed  # before "trials go to ..."
    return err


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="needs /dev/null")
@pytest.mark.parametrize("out", ["/dev/null", "/dev/null/x"])
def test_a_device_is_not_a_folder_for_a_sweep(tmp_path, monkeypatch, out):
    refused(tmp_path, monkeypatch, out, "character device", "not a directory you can write")


def test_a_file_is_not_a_folder_for_a_sweep(tmp_path, monkeypatch):
    (tmp_path / "f").write_text("x")
    refused(tmp_path, monkeypatch, tmp_path / "f", "not a directory you can write")
    refused(tmp_path, monkeypatch, tmp_path / "f" / "sub", "not a directory you can write")


def test_a_dangling_symlink_is_named_as_such(tmp_path, monkeypatch):
    os.symlink(tmp_path / "nowhere", tmp_path / "dangl")
    err = refused(tmp_path, monkeypatch, tmp_path / "dangl", "dangling", "nowhere")
    assert "file exists" not in err.lower()
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc is Linux's")
def test_proc_self_is_not_a_folder_for_a_sweep(tmp_path, monkeypatch):
    err = refused(tmp_path, monkeypatch, "/proc/self", "not a directory you can write")
    assert "sweep database" not in err


def test_a_new_folder_and_an_existing_one_are_taken(tmp_path):
    from backprop.sweep.paths import check_folder

    check_folder(tmp_path / "new" / "deeper")  # made later, parents too
    check_folder(tmp_path)
    assert sorted(os.listdir(tmp_path)) == []  # the probe leaves nothing
