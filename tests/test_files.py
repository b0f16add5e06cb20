"""Atomic writes: the new content or the old, never a mix; ordinary file permissions."""

import os

import pytest

from backprop.files import atomic_write_bytes, atomic_write_text


def test_write_replace_and_no_temp_left(tmp_path):
    target = tmp_path / "sub" / "f.txt"
    atomic_write_text(target, "one")
    atomic_write_text(target, "two")
    assert target.read_text() == "two"
    assert [p.name for p in target.parent.iterdir()] == ["f.txt"]


def test_new_files_get_the_umask_mode_and_replacements_keep_theirs(tmp_path):
    umask = os.umask(0o022)
    try:
        path = atomic_write_bytes(tmp_path / "model.bin", b"x")
        assert os.stat(path).st_mode & 0o777 == 0o644  # like open(..., "w"), not mkstemp's 0600
        os.chmod(path, 0o640)
        atomic_write_bytes(path, b"y")
        assert os.stat(path).st_mode & 0o777 == 0o640
    finally:
        os.umask(umask)


def test_writing_over_a_folder_names_the_folder(tmp_path):
    # os.replace named the temporary file instead ("Is a directory: .x.abc.tmp")
    with pytest.raises(IsADirectoryError) as info:
        atomic_write_text(tmp_path, "text")
    assert info.value.filename == str(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == []
