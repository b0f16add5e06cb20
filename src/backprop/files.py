"""Writing files so that nothing is lost: temp file, fsync, rename (floor 0).

``atomic_write_bytes(path, data)`` writes to a temporary file in the same folder, flushes
and fsyncs it, then renames it over ``path`` (atomic on POSIX) and fsyncs the folder. A
process killed at any moment leaves either the old file or the new one, never a truncated
mix. Every file the library writes — model files, checkpoints, histories, specs, plots —
goes through here.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; returns the path."""
    target = Path(path)
    if target.is_dir():  # else os.replace reports the temporary file's name
        raise IsADirectoryError(errno.EISDIR, "Is a directory", str(target))
    folder = target.parent if str(target.parent) else Path(".")
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        # mkstemp makes the file 0600; give it the mode an ordinary open() would (or keep
        # the mode of the file it replaces), so saved models stay readable as usual
        os.fchmod(fd, _mode_for(target))
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(folder)
    return target


def atomic_write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically; returns the path."""
    return atomic_write_bytes(path, text.encode(encoding))


def _mode_for(target: Path) -> int:
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
