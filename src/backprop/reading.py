"""Reading a file a user names, safely: a regular file of bounded size, or a clear refusal.

Every reader of a user-named file (model files, spec files, CSV files, training backups)
goes through ``read_bytes`` or ``read_text`` (floor 0). They never block and never read
without bound:

- the path must be a ``str`` or ``os.PathLike`` (bytes are refused: the likely mistake is
  passing the file's *contents*; a bytes path can be passed as ``os.fsdecode(path)``);
- the target is judged by ``stat`` (a symlink is followed and its target judged) and opened
  with ``O_NONBLOCK`` and ``O_NOCTTY``, so a FIFO without a writer cannot hang the open
  (for the regular files that are then read, ``O_NONBLOCK`` has no effect); the open
  descriptor is checked again (``fstat``) so a path swapped in between is caught;
- anything but a regular file (folder, FIFO, character or block device, socket) is refused
  before a byte is read, naming what it is;
- the size is checked against the caller's ``limit`` before reading, and at most
  ``limit + 1`` bytes are read, so a file that grows while read is caught too;
- missing paths, dangling symlinks, symlink loops, a file where a folder belongs and
  permission problems each get their own sentence.

A refusal is ``error(message)`` (default ``errors.PathError``); callers pass one of the
classes below that is also their own error type (``ModelFilePathError`` is a
``ModelFileError`` and a ``PathError``), so existing ``except`` clauses still catch it.
Messages start with ``label`` (who reads, e.g. ``"CSV file 'x.csv'"``) and end with a fix.

Size limits (the callers' defaults, documented in ``docs/reliability.md``): model files
``MODEL_LIMIT`` (2 GiB), training backups ``BACKUP_LIMIT`` (4 GiB: weights plus optimizer
state), spec files ``SPEC_LIMIT`` (4 MiB), CSV files ``CSV_LIMIT`` (512 MiB).

``READ_CHECK`` (a context variable, default None) is called as ``check(path, data)`` with the
bytes ``read_bytes`` read, before they are returned: a sweep's trial checks there that a
pinned data file's bytes are the ones it pinned (``sweep.pins.verifying``), in the same read.
"""

from __future__ import annotations

import errno
import os
import stat
from contextvars import ContextVar

from .errors import DataError, ModelFileError, PathError, SpecError

READ_CHECK: ContextVar = ContextVar("backprop_read_check", default=None)

__all__ = [
    "BACKUP_LIMIT",
    "CSV_LIMIT",
    "MODEL_LIMIT",
    "SPEC_LIMIT",
    "DataPathError",
    "ModelFilePathError",
    "SpecPathError",
    "check_path",
    "read_bytes",
    "read_text",
]

GiB, MiB = 1 << 30, 1 << 20
MODEL_LIMIT = 2 * GiB
BACKUP_LIMIT = 4 * GiB
SPEC_LIMIT = 4 * MiB
CSV_LIMIT = 512 * MiB
_CHUNK = 1 << 20


class ModelFilePathError(ModelFileError, PathError):
    """A model or backup path that is not a readable regular file (or is too large)."""


class SpecPathError(SpecError, PathError):
    """A spec path that is not a readable regular file (or is too large)."""


class DataPathError(DataError, PathError):
    """A data (CSV) path that is not a readable regular file (or is too large)."""


def check_path(path, param: str, error: type[Exception] = PathError) -> str:
    """``path`` as a ``str`` (``os.fspath``), or ``error`` naming ``param`` and the value."""
    if isinstance(path, bytes | bytearray | memoryview):
        size = len(path)
        raise error(
            f"{param}: expected a path (str or os.PathLike) to a file, got {type(path).__name__} "
            f"({size} bytes, starting {bytes(path[:16])!r}). If these are the file's contents, "
            "write them to a file and pass its path; if they are a path, pass "
            "os.fsdecode(path)."
        )
    if not isinstance(path, str | os.PathLike):
        shown = repr(path)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        raise error(
            f"{param}: expected a path (str or os.PathLike) to a file, got "
            f"{type(path).__name__} {shown}."
        )
    try:
        text = os.fspath(path)
    except TypeError as exc:  # a PathLike whose __fspath__ returns something else
        raise error(f"{param}: the path object gives no usable path ({exc}).") from None
    if not isinstance(text, str):
        return check_path(text, param, error)
    if not text:
        raise error(f"{param}: the path is empty; give a file name.")
    if "\0" in text:
        raise error(f"{param}: the path {text[:60]!r} contains a NUL character; no file has one.")
    return text


def kind_of(mode: int) -> str | None:
    """What a non-regular ``st_mode`` is, in words (None for a regular file)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_bytes(
    path,
    *,
    label: str,
    limit: int,
    what: str = "file",
    param: str | None = None,
    error: type[Exception] = PathError,
    fix: str = "",
) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them; else ``error``.

    ``label`` starts every message (e.g. ``"model file 'm.safetensors'"``), ``what`` names
    the file's kind in sentences (``"model file"``), ``param`` names the argument for a
    path of the wrong type (default: ``label``), ``fix`` is added to "not a regular file"
    and "too large" refusals.
    """
    text = check_path(path, param or label, error)
    fix = f" {fix}" if fix else ""
    try:
        info = os.stat(text)
    except OSError as exc:
        raise error(f"{label}: {_stat_problem(text, exc, what)}") from None
    kind = kind_of(info.st_mode)
    if kind is not None:
        raise error(f"{label}: is {kind}, not a {what}; give the path of a regular file.{fix}")
    _check_size(info.st_size, limit, label, what, error, fix)
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(text, flags)
    except OSError as exc:
        raise error(f"{label}: {_stat_problem(text, exc, what)}") from None
    try:
        info = os.fstat(fd)
        kind = kind_of(info.st_mode)
        if kind is not None:  # the path changed between stat and open
            raise error(f"{label}: is {kind}, not a {what}; give the path of a regular file.{fix}")
        _check_size(info.st_size, limit, label, what, error, fix)
        data = _read_all(fd, info.st_size, limit, label, what, error, fix)
    finally:
        os.close(fd)
    check = READ_CHECK.get()
    if check is not None:
        check(text, data)
    return data


def read_text(path, *, encoding: str = "utf-8", **kwargs) -> str:
    """``read_bytes(path, **kwargs)`` decoded; ``UnicodeDecodeError`` is left to the caller."""
    return read_bytes(path, **kwargs).decode(encoding)


def _read_all(fd: int, size: int, limit: int, label: str, what: str, error, fix: str) -> bytes:
    """At most ``limit + 1`` bytes: first the ``size`` fstat gave (+1, to see growth) in one
    read, so a whole file is one bytes object, never copied by the join; then chunks."""
    chunks, total, want = [], 0, size + 1
    while total <= limit:
        try:
            chunk = os.read(fd, min(max(want, 1), limit + 1 - total))
            want = _CHUNK
        except OSError as exc:
            raise error(f"{label}: cannot read the {what}: {exc.strerror or exc}.") from None
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    if total > limit:
        raise error(
            f"{label}: the {what} grew past {_size(limit)} while being read (the limit for a "
            f"{what}); let whatever writes it finish first.{fix}"
        )
    return b"".join(chunks)


def _check_size(size: int, limit: int, label: str, what: str, error, fix: str) -> None:
    if size > limit:
        raise error(
            f"{label}: the {what} has {_size(size)}, more than the {_size(limit)} a {what} may "
            f"have; this is not a {what}, or give a smaller one.{fix}"
        )


def _size(n: int) -> str:
    for unit, scale in (("GiB", GiB), ("MiB", MiB), ("KiB", 1024)):
        if n >= scale:
            return f"{n / scale:.4g} {unit}"
    return f"{n} bytes"


def _stat_problem(text: str, exc: OSError, what: str) -> str:
    """One sentence for a path that cannot be opened: missing, dangling, loop, denied, ..."""
    code = exc.errno
    if code == errno.ENOENT:
        if os.path.islink(text):
            try:
                target = os.readlink(text)
            except OSError:
                target = "?"
            return (
                f"is a dangling symbolic link (to {target!r}, which does not exist); fix the "
                "link or give the file's real path."
            )
        return "no such file; check the path."
    if code == errno.ELOOP:
        return "is a symbolic link loop (links pointing at each other); fix the links."
    if code == errno.ENOTDIR:
        return "a part of the path is a file, not a folder, so there is no such file."
    if code in (errno.EACCES, errno.EPERM):
        return f"cannot read the {what}: permission denied; check its permissions."
    if code == errno.ENAMETOOLONG:
        return "the path is too long for the file system; give a shorter one."
    if code == errno.ENXIO:
        return f"is a socket or a device without a driver, not a {what}."
    return f"cannot read the {what}: {exc.strerror or exc}."
