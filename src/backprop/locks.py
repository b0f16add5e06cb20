"""One writer at a time: an exclusive ``flock`` on a lock file that names its holder (floor 0).

``WriterLock(path).try_acquire()`` takes the lock without waiting and writes the holder's
pid, host, start time and command into the file; when another process holds it, it returns
what that file says instead, so the refusal can name the other writer
(``describe(holder)``). The kernel drops a lock when its process dies, so a lock file left
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
import json
import os
import socket
import sys
from pathlib import Path

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
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
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
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
            info = {"pid": os.getpid(), "host": socket.gethostname(),
                    "started": _dt.datetime.now().isoformat(timespec="seconds"),
                    "command": " ".join(sys.argv)[:300]}  # fmt: skip
            with contextlib.suppress(OSError):  # a full disk: the lock holds, unnamed
                os.ftruncate(fd, 0)
                os.write(fd, json.dumps(info).encode())
            self.fd = fd
            return None
        return {}

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


def _read_holder(fd: int) -> dict:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        info = json.loads(os.read(fd, 4096).decode() or "{}")
        return info if isinstance(info, dict) else {}
    except (OSError, ValueError):
        return {}
