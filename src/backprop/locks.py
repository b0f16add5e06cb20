"""One writer at a time: an exclusive ``flock`` on a lock file that names its holder (floor 0).

``WriterLock(path).try_acquire()`` takes the lock without waiting and writes the holder's
pid, host, start time and command into the file; when another process holds it, it returns
what that file says instead, so the refusal can name the other writer
(``describe(holder)``). The lock file's name is the program's own, so nothing at it is
followed: it is opened with ``O_NOFOLLOW``; a symlink there (planted, or dangling) or a
second name of another file (a hard link) is removed and a fresh file made, and a FIFO,
device, folder or socket is refused with a ``PathError``; the holder's info is written
through the descriptor only. The kernel drops a lock when its process dies, so a lock file left
by a killed process never blocks anyone. ``release()`` unlinks the file while still holding
the lock; a process that opened the old file meanwhile notices (the inode changed) and
starts over, so two writers never both hold "the" lock. Used by run folders
(``spec.runfolder``) and crash backups (``train.BackupAndRestore``). Local file systems
only: ``flock`` over NFS may not exclude anyone; without ``fcntl`` (Windows) the lock
excludes no one.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import json
import os
import stat
import sys
from pathlib import Path

from .errors import PathError

try:
    import fcntl
except ImportError:  # Windows: no flock; the lock file is written but excludes no one
    fcntl = None

__all__ = ["WriterLock", "describe"]


class WriterLock:
    """An exclusive, non-blocking lock on the file ``path`` (created when needed)."""

    def __init__(self, path) -> None:
        self.path = Path(path)
        self.fd: int | None = None

    @property
    def held(self) -> bool:
        return self.fd is not None

    def try_acquire(self) -> dict | None:
        """None when acquired (or already held); else what the file says of the holder."""
        if self.fd is not None:
            return None
        for _ in range(50):
            fd = self._open()
            if fd is None:
                continue  # a planted link or extra name was removed: start over
            try:
                if fcntl is not None:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_holder(fd)
                os.close(fd)
                return holder
            except BaseException:
                os.close(fd)
                raise
            try:  # the holder before us may have unlinked the file it locked: start over
                same = os.lstat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
            info = {"pid": os.getpid(), "host": _host(),
                    "started": _dt.datetime.now().isoformat(timespec="seconds"),
                    "command": " ".join(sys.argv)[:300]}  # fmt: skip
            with contextlib.suppress(OSError):  # a full disk: the lock holds, unnamed
                os.ftruncate(fd, 0)
                os.pwrite(fd, json.dumps(info).encode(), 0)
            self.fd = fd
            return None
        return {}

    def _open(self) -> int | None:
        """An fd on the lock file, a regular file with one name; None: try again.

        The name is the program's own, so nothing at it is followed: a symlink (planted, or
        dangling) is removed, never written through nor its target created; a regular file
        with more than one name (a hard link to someone's file) loses this name; a FIFO, a
        device, a folder or a socket is refused (``PathError``) and left alone.
        """
        flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK
        flags |= getattr(os, "O_NOCTTY", 0)
        try:
            st = os.lstat(self.path)
        except FileNotFoundError:
            st = None
        if st is not None and stat.S_ISLNK(st.st_mode):
            _unlink(self.path)
            return None
        if st is not None and not stat.S_ISREG(st.st_mode):
            self._refuse(st.st_mode)  # checked before open(): opening a device can act
        try:
            fd = os.open(self.path, flags, 0o644)
        except OSError as error:
            if error.errno == errno.ELOOP:  # a link planted between lstat and open
                _unlink(self.path)
                return None
            raise  # the caller names its argument (a read-only disk, ...)
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            os.close(fd)
            self._refuse(st.st_mode)
        if st.st_nlink != 1:
            os.close(fd)
            if st.st_nlink > 1:  # another name points at this file: not ours to write
                _unlink(self.path)
            return None  # 0: its holder unlinked it meanwhile
        os.set_blocking(fd, True)
        return fd

    def _refuse(self, mode: int) -> None:
        what = {stat.S_IFIFO: "a FIFO", stat.S_IFDIR: "a folder", stat.S_IFCHR:
                "a character device", stat.S_IFBLK: "a block device", stat.S_IFSOCK:
                "a socket"}.get(stat.S_IFMT(mode), "not a regular file")  # fmt: skip
        raise PathError(
            f"the lock file {str(self.path)!r} is {what}, not a lock file this program wrote; "
            "remove or rename it (the program names this file itself), then run again."
        )

    def release(self) -> None:
        """Unlink the lock file and drop the lock (nothing when not held)."""
        if self.fd is None:
            return
        with contextlib.suppress(OSError):
            os.unlink(self.path)  # while locked: a waiter finds a new file and starts over
        os.close(self.fd)
        self.fd = None

    def __del__(self) -> None:  # an object dropped after a failure must not keep the lock
        with contextlib.suppress(Exception):
            self.release()


def describe(holder: dict) -> str:
    """'pid 1234 (this process), started 2026-12-06T21:30:02' from ``try_acquire``'s answer."""
    if "pid" not in holder:
        return "another process"
    mine = " (this process)" if holder["pid"] == os.getpid() else ""
    since = f", started {holder['started']}" if "started" in holder else ""
    return f"pid {holder['pid']}{mine}{since}"


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _read_holder(fd: int) -> dict:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        info = json.loads(os.read(fd, 4096).decode() or "{}")
        return info if isinstance(info, dict) else {}
    except (OSError, ValueError):
        return {}


def _host() -> str:
    """The host name (``socket.gethostname()``'s answer; without importing socket on POSIX)."""
    if hasattr(os, "uname"):
        return os.uname().nodename
    import socket

    return socket.gethostname()
