"""Writing files without destroying what is at the path (floor 0).

Every file the library and the CLI write — model files, checkpoints, backups, histories,
specs, plots, predictions, ONNX and PyTorch exports — goes through ``atomic_write_bytes``,
which applies one rule to the node at the path:

- **missing, or a regular file**: atomic replace. The bytes go to a temporary file
  ``.NAME.*.tmp`` in the same folder, which is flushed, fsynced and renamed over the path
  (atomic on POSIX); then the folder is fsynced. A process killed at any moment leaves the
  old file or the new one, never a mix. A new file gets the mode ``open()`` would give it,
  a replaced one keeps its mode. Missing parent folders are created.
- **a symlink**: followed (each hop, at most 40; a loop is refused) and the node it ends at
  is judged by this same rule. A regular file there is replaced atomically *at the target*,
  so the link stays a link. A dangling symlink creates its target, as the shell's ``>``
  does, provided the target's folder exists (no folders are created through a link).
- **a character device or a FIFO** (``/dev/null``, a terminal, a named pipe): the bytes
  are streamed into it — no temporary file, no rename, the node is never replaced. A FIFO
  that no process has open for reading is waited for ``FIFO_WAIT`` seconds (2), then
  refused ("no process is reading the FIFO"), so a forgotten reader cannot hang a command.
- **this process's own stdout or stderr** reached through a symlink (``/dev/stdout``,
  ``/dev/fd/2``, ``/proc/self/fd/1``), whatever it is (a terminal, a pipe, ``> log``): the
  bytes are written to that descriptor, after what was printed before.
- **anything else** (a folder, a socket, a block device): refused.

``follow_symlinks=False`` is for files the program names itself inside folders it manages
(backup files, markers): a symlink at the path is replaced itself (atomically, its target
untouched: a planted link never redirects the write), and only a regular file or a missing
path is taken; a FIFO, a device or a folder there is refused.

Every refusal and every ``OSError`` on the way (read-only file system, disk full,
permission denied, name too long, a file where a folder belongs, ...) becomes one
``PathError`` (raised ``from`` the ``OSError``) that names the path, says the cause in words
and how to fix it; a failed atomic write removes its temporary file and leaves the old file
intact. ``-`` is an ordinary file name here; the CLI maps ``--output -`` to standard output
with ``write_stdout``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from .errors import PathError
from .reading import kind_of

FIFO_WAIT = 2.0  # seconds a FIFO may take to get a reader before the write is refused
MAX_LINKS = 40  # symlink hops before the path counts as a loop (the kernel's own limit)

_CAUSES = {  # errno -> (the cause in words, the fix)
    errno.EROFS: ("the file system is read-only", "write to a folder on a writable disk"),
    errno.ENOSPC: (
        "no space is left on the device (the disk is full)",
        "free some space or write to another disk",
    ),
    errno.EDQUOT: ("the disk quota is exceeded", "free some space or write elsewhere"),
    errno.EFBIG: ("the file is too large for this file system", "write to another disk"),
    errno.EACCES: ("permission denied", "choose a path you may write, or change its rights"),
    errno.EPERM: ("the operation is not permitted", "choose a path you may write"),
    errno.ENAMETOOLONG: ("the name is too long", "choose a shorter name"),
    errno.ELOOP: ("the symlinks on the path form a loop", "fix or remove the symlink"),
    errno.EISDIR: ("it is a folder", "give a file path inside it"),
    errno.ENOTDIR: ("a part of the path is a file, not a folder", "fix the folder part"),
    errno.ENOENT: ("a folder on the path does not exist", "create it first"),
    errno.ENXIO: ("no process is reading the FIFO", "start its reader first"),
    errno.EPIPE: ("the reader closed the pipe before all bytes arrived", "keep it reading"),
    errno.EIO: ("an input/output error (a failing disk or device)", "check the device"),
}


def atomic_write_bytes(
    path: str | os.PathLike,
    data: bytes,
    *,
    who: str | None = None,
    follow_symlinks: bool = True,
    guard: Callable[[], None] | None = None,
) -> Path:
    """Write ``data`` to ``path`` by the module's rule; returns ``path`` as a ``Path``.

    ``who`` names the argument in error messages (``"--output"``, ``"io.save(path)"``).
    ``follow_symlinks=False`` is for files the program names itself inside folders it
    manages (backups, lock and marker files): a symlink at the path is *replaced itself*
    (atomically, never written through, its target untouched), a regular file or a missing
    path is replaced as usual, and anything else (FIFO, device, folder, ...) is refused.
    ``guard`` (``replacing.guard``: may this output replace what is at the path?) is called
    at write time, after the bytes are in the temporary file and just before the rename, so
    a file that appeared at the path while the command worked is judged too; it raises to
    refuse, and the old file stays. Streams (FIFOs, devices, stdout) are not judged.
    Raises ``PathError`` for a path that cannot take the bytes (see the module docstring).
    """
    given = Path(path)
    if not follow_symlinks:
        _replace_own(given, data, who, guard)
        return given
    try:
        st = os.stat(given)  # the kernel follows the links, /proc/self/fd/1's magic ones too
    except FileNotFoundError:
        st = None  # missing, or a dangling symlink: _follow finds the node to create
    except OSError as error:
        raise _error(given, None, error, who) from error
    own = _own_stream(given, st)
    if own is not None:  # /dev/stdout, /proc/self/fd/2, ...: write where the fd writes
        _write_all(own, given, data, who)
        return given
    if st is not None and (stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode)):
        _stream(given, data, who, fifo=stat.S_ISFIFO(st.st_mode))
        return given
    if st is None or stat.S_ISREG(st.st_mode):
        node, st = _follow(given, who)
        if st is None or stat.S_ISREG(st.st_mode):
            _replace(given, node, data, who, exists=st is not None, guard=guard)
            return given
    what = kind_of(st.st_mode)
    fix = f"give a file path such as {str(given / 'out')!r}" if stat.S_ISDIR(st.st_mode) else (
        "give the path of a regular file, a FIFO or a character device")  # fmt: skip
    raise PathError(_message(given, None, f"it is {what}", fix, who))


def atomic_write_text(
    path: str | os.PathLike,
    text: str,
    encoding: str = "utf-8",
    *,
    who: str | None = None,
    follow_symlinks: bool = True,
    guard: Callable[[], None] | None = None,
) -> Path:
    """Write ``text`` to ``path`` by the module's rule; returns the path."""
    data = text.encode(encoding)
    return atomic_write_bytes(path, data, who=who, follow_symlinks=follow_symlinks, guard=guard)


def write_stdout(data: bytes | str, *, who: str = "--output -") -> None:
    """Write to standard output, as the CLI's ``--output -`` asks. A reader that went away
    (``| head``) is not an error; any other failure is a ``PathError``."""
    stream = sys.stdout
    try:
        if isinstance(data, str):
            stream.write(data)
        else:
            stream.flush()
            stream.buffer.write(data)
        stream.flush()
    except BrokenPipeError:
        pass
    except OSError as error:
        raise _error(Path("<stdout>"), None, error, who) from error


def explain(error: OSError) -> tuple[str, str]:
    """``(cause, fix)`` in words for an ``OSError`` (``"the disk is full"``, ...)."""
    return _cause(error)


# -- the rule ------------------------------------------------------------------------------
def _follow(given: Path, who) -> tuple[Path, os.stat_result | None]:
    """The node the path ends at after following symlinks, and its lstat (None: missing)."""
    node = given
    for _ in range(MAX_LINKS + 1):
        try:
            st = os.lstat(node)
        except FileNotFoundError:
            if node != given and not os.path.isdir(node.parent):
                raise PathError(
                    _message(given, node, "the symlink points into a folder that does not exist",
                             "create that folder or fix the link", who)
                ) from None  # fmt: skip
            return node, None
        except OSError as error:
            raise _error(given, node, error, who) from error
        if not stat.S_ISLNK(st.st_mode):
            return node, st
        try:
            node = node.parent / os.readlink(node)
        except OSError as error:
            raise _error(given, node, error, who) from error
    raise PathError(_message(given, None, *_CAUSES[errno.ELOOP], who))


def _replace_own(given: Path, data: bytes, who, guard=None) -> None:
    """``follow_symlinks=False``: replace a symlink or regular file at ``given`` itself."""
    try:
        st = os.lstat(given)
    except FileNotFoundError:
        st = None
    except OSError as error:
        raise _error(given, None, error, who) from error
    if st is None or stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode):
        regular = st is not None and stat.S_ISREG(st.st_mode)
        mode = st.st_mode & 0o777 if regular else _new_mode()  # never the link target's
        _replace(given, given, data, who, exists=st is not None, mode=mode, guard=guard)
        return
    what = kind_of(st.st_mode)
    raise PathError(
        _message(given, None, f"it is {what}, not a file this program wrote",
                 "remove or rename it (the program names this file itself)", who)
    )  # fmt: skip


def _replace(
    given: Path, node: Path, data: bytes, who, *, exists: bool, mode: int | None = None, guard=None
) -> None:
    folder = node.parent if str(node.parent) else Path(".")
    if not exists and node == given:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise _error(given, node, error, who) from error
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{node.name}.", suffix=".tmp", dir=folder)
        # mkstemp makes the file 0600; give it the mode an ordinary open() would (or keep
        # the mode of the file it replaces), so saved models stay readable as usual
        os.fchmod(fd, _mode_for(node) if mode is None else mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if guard is not None:  # judged now, not only before the work (a file may have come)
            guard()
        os.replace(tmp, node)
    except BaseException as error:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        if isinstance(error, OSError) and not isinstance(error, PathError):
            raise _error(given, node, error, who) from error
        raise
    fsync_dir(folder)


def _stream(given: Path, data: bytes, who, *, fifo: bool) -> None:
    flags = os.O_WRONLY | os.O_NOCTTY | os.O_CLOEXEC | (os.O_NONBLOCK if fifo else 0)
    deadline = time.monotonic() + FIFO_WAIT
    while True:
        try:
            fd = os.open(given, flags)
            break
        except OSError as error:
            if fifo and error.errno == errno.ENXIO and time.monotonic() < deadline:
                time.sleep(0.02)  # no reader yet: one may be starting (cmd --output p & cat p)
                continue
            raise _error(given, None, error, who) from error
    try:
        if fifo:
            os.set_blocking(fd, True)  # a reader exists: wait for it like any pipe write
        _write_all(fd, given, data, who)
    finally:
        os.close(fd)


def _own_stream(given: Path, st: os.stat_result | None) -> int | None:
    """1 or 2 when ``given`` is a symlink to this process's own stdout or stderr
    (``replacing.own_stream``), after flushing what was printed before.

    ``/dev/stdout`` is such a link (through ``/proc/self/fd/1``); when stdout is a file
    (``cmd > log``), replacing that file would cut the log off from the shell, and opening
    it anew would write from its first byte: the bytes go to the descriptor instead.
    """
    from .replacing import own_stream

    if st is None:
        return None
    fd = own_stream(given)
    if fd is not None:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()  # what was printed before comes first
    return fd


def _write_all(fd: int, given: Path, data: bytes, who) -> None:
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    except OSError as error:
        raise _error(given, None, error, who) from error


# -- messages ------------------------------------------------------------------------------
def _error(given: Path, node: Path | None, error: OSError, who) -> PathError:
    if isinstance(error, PathError):
        return error
    cause, fix = _cause(error)
    if error.errno == errno.ENXIO:
        cause = f"no process is reading the FIFO (waited {FIFO_WAIT:g} s)"
        fix = f"start its reader first (e.g. cat {str(given)!r} &) or write to a regular file"
    return PathError(_message(given, node, cause, fix, who))


def _cause(error: OSError) -> tuple[str, str]:
    if error.errno == errno.ENOENT:
        made = _not_made(error)
        if made is not None:
            return made
    if error.errno in _CAUSES:
        return _CAUSES[error.errno]
    words = error.strerror or str(error) or type(error).__name__
    return words[:1].lower() + words[1:], "choose another path"


def _not_made(error: OSError) -> tuple[str, str] | None:
    """ENOENT from making a file or folder in a folder that exists: /proc and /sys answer so
    (``--output /proc/1/status`` was told "a folder on the path does not exist"). None when
    the folder is really missing, or the error names no file."""
    name = error.filename
    if not isinstance(name, str | os.PathLike):
        return None
    folder = os.path.dirname(os.path.abspath(name))
    if not os.path.isdir(folder):
        return None
    for mount in ("/proc", "/sys"):
        with contextlib.suppress(OSError):
            if os.stat(folder).st_dev == os.stat(mount).st_dev:
                return (
                    f"{folder!r} is in {mount}, the kernel's virtual file system, where no "
                    "file can be written or made (its entries exist but are not regular files)",
                    "write to a folder on an ordinary disk",
                )
    return (
        f"the folder {folder!r} exists, but the system would not make a new entry in it "
        "('No such file or directory': a virtual or special file system)",
        "write to a folder on an ordinary disk",
    )


def _message(given: Path, node: Path | None, cause: str, fix: str, who) -> str:
    head = f"{who}: " if who else ""
    via = f" (a symlink to {str(node)!r})" if node is not None and node != given else ""
    return f"{head}cannot write {str(given)!r}{via}: {cause}; {fix}."


def _mode_for(target: Path) -> int:
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        return _new_mode()


def _new_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (a rename in it) to disk; best effort: errors are ignored."""
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
