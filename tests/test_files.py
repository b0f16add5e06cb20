"""The writer's rule (``backprop.files``): regular files replaced atomically, FIFOs and
devices streamed, symlinks followed to their targets, everything else refused with one
``PathError`` naming the path and the cause; ordinary permissions; no temp file left."""

import errno
import os
import stat
import threading

import pytest

from backprop import files
from backprop.errors import PathError
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
    with pytest.raises(PathError, match="it is a folder") as info:
        atomic_write_text(tmp_path, "text", who="--output")
    assert str(info.value).startswith(f"--output: cannot write {str(tmp_path)!r}")
    assert isinstance(info.value, OSError)
    assert [p.name for p in tmp_path.iterdir()] == []


def test_a_symlink_stays_a_link_and_its_target_is_replaced(tmp_path):
    (tmp_path / "real.csv").write_text("old")
    os.chmod(tmp_path / "real.csv", 0o640)
    (tmp_path / "link").symlink_to("real.csv")
    (tmp_path / "link2").symlink_to("link")  # a chain
    atomic_write_text(tmp_path / "link2", "new")
    assert os.readlink(tmp_path / "link2") == "link"
    assert os.readlink(tmp_path / "link") == "real.csv"
    assert (tmp_path / "real.csv").read_text() == "new"
    assert os.stat(tmp_path / "real.csv").st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "link2", "real.csv"]


def test_a_dangling_link_creates_its_target_but_no_folders(tmp_path):
    (tmp_path / "dangling").symlink_to("made.txt")
    atomic_write_text(tmp_path / "dangling", "x")
    assert (tmp_path / "made.txt").read_text() == "x" and (tmp_path / "dangling").is_symlink()
    (tmp_path / "deep").symlink_to("no/such/folder/f.txt")
    with pytest.raises(PathError, match="points into a folder that does not exist"):
        atomic_write_text(tmp_path / "deep", "x")
    assert not (tmp_path / "no").exists()


def test_a_symlink_loop_is_refused(tmp_path):
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    with pytest.raises(PathError, match="loop"):
        atomic_write_text(tmp_path / "a", "x")
    assert os.readlink(tmp_path / "a") == "b"


def test_a_fifo_is_streamed_to_its_reader_and_stays_a_fifo(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    data = os.urandom(300_000)  # more than a pipe's buffer: the writer waits for the reader
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    atomic_write_bytes(fifo, data)
    reader.join(10)
    assert got == [data] and stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_fifo_without_reader_is_refused_after_the_wait(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "FIFO_WAIT", 0.2)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(PathError, match="no process is reading the FIFO"):
        atomic_write_text(fifo, "x")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


@pytest.mark.skipif(os.geteuid() != 0, reason="mknod of a character device needs root")
def test_a_character_device_is_written_to_never_replaced(tmp_path):
    null, full = tmp_path / "null", tmp_path / "full"
    os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    os.mknod(full, stat.S_IFCHR | 0o666, os.makedev(1, 7))
    atomic_write_bytes(null, b"gone")
    with pytest.raises(PathError, match="no space is left"):
        atomic_write_bytes(full, b"x")
    for node, dev in ((null, (1, 3)), (full, (1, 7))):
        st = os.lstat(node)
        assert stat.S_ISCHR(st.st_mode) and st.st_rdev == os.makedev(*dev)


def test_a_socket_and_a_file_as_folder_are_refused(tmp_path):
    import socket

    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(tmp_path / "sock"))
    with pytest.raises(PathError, match="it is a socket"):
        atomic_write_text(tmp_path / "sock", "x")
    (tmp_path / "file").write_text("f")
    with pytest.raises(PathError, match="is a file, not a folder"):
        atomic_write_text(tmp_path / "file" / "out.txt", "x")
    with pytest.raises(PathError, match="the name is too long"):
        atomic_write_text(tmp_path / ("n" * 300), "x")


@pytest.mark.parametrize(
    ("code", "words"),
    [(errno.ENOSPC, "the disk is full"), (errno.EROFS, "read-only"), (errno.EACCES, "permission")],
)
def test_os_errors_mid_write_leave_the_old_file_and_no_temp(tmp_path, monkeypatch, code, words):
    target = tmp_path / "model.bin"
    target.write_bytes(b"old")

    def fail(fd):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(files.os, "fsync", fail)
    with pytest.raises(PathError, match=words) as info:
        atomic_write_bytes(target, b"new" * 1000)
    assert str(target) in str(info.value) and isinstance(info.value.__cause__, OSError)
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["model.bin"]


def test_dash_is_a_file_name_in_the_library(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    atomic_write_text("-", "x")
    assert (tmp_path / "-").read_text() == "x"


def test_the_cli_turns_any_os_error_into_one_line(monkeypatch, capsys):
    from backprop.cli import app
    from backprop.cli.commands import summary

    def boom(args):
        raise OSError(errno.EROFS, "Read-only file system", "/mnt/ro/x")

    monkeypatch.setattr(summary, "run", boom)
    code = app.main(["summary", "m.safetensors"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("backprop summary: error: the file system is read-only: /mnt/ro/x")


def test_a_fifo_reader_that_leaves_early_is_one_error(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)

    def read_a_little():
        with open(fifo, "rb") as handle:
            handle.read(10)

    reader = threading.Thread(target=read_a_little, daemon=True)
    reader.start()
    with pytest.raises(PathError, match="the reader closed the pipe"):
        atomic_write_bytes(fifo, b"x" * 5_000_000)
    reader.join(10)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_follow_symlinks_false_replaces_the_link_itself(tmp_path):
    # files the program names itself (backups, locks) must never be written through a
    # planted link: the link is replaced, its target (and the target's folder) untouched
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "victim.txt").write_text("keep")
    own = tmp_path / "own"
    own.mkdir()
    (own / "backup").symlink_to("../elsewhere/victim.txt")
    (own / "dangling").symlink_to("../elsewhere/created")
    atomic_write_text(own / "backup", "new", follow_symlinks=False)
    atomic_write_text(own / "dangling", "new2", follow_symlinks=False)
    assert (elsewhere / "victim.txt").read_text() == "keep"
    assert sorted(p.name for p in elsewhere.iterdir()) == ["victim.txt"]
    for name, text in (("backup", "new"), ("dangling", "new2")):
        assert not (own / name).is_symlink() and (own / name).read_text() == text
    assert sorted(p.name for p in own.iterdir()) == ["backup", "dangling"]
    atomic_write_text(own / "backup", "again", follow_symlinks=False)  # a regular file
    assert (own / "backup").read_text() == "again"
    os.mkfifo(own / "fifo")
    with pytest.raises(PathError, match="is a FIFO"):
        atomic_write_text(own / "fifo", "x", follow_symlinks=False)
    (own / "dir").mkdir()
    with pytest.raises(PathError, match="it is a folder"):
        atomic_write_text(own / "dir", "x", follow_symlinks=False)
