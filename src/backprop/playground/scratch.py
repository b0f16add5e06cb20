"""Where the playground server keeps its temporary files, and their removal at shutdown.

A model export is written to a file (``io.save``) and read back, and an uploaded CSV is
written to a file for ``data.from_csv``; both files are deleted right after. They go into
one private folder per server process (``backprop-playground-<pid>-…`` in the system's
temporary folder, mode 0700), which ``remove()`` deletes with whatever is in it when the
server stops (``server.serve`` calls it on shutdown, SIGTERM included; any other process
removes it when it exits normally). A process killed
with SIGKILL cannot clean up: the next server removes the folders whose process is gone.
Nothing here reads a message; file names are made by ``tempfile``, never from data.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
import threading

from ..errors import PathError

PREFIX = "backprop-playground-"

_lock = threading.Lock()
_folder: str | None = None
_removed = False


def folder() -> str:
    """This process's private temporary folder (made on first use)."""
    global _folder
    with _lock:
        if _folder is None or not os.path.isdir(_folder):
            if _removed:
                raise PathError(
                    "playground: the server is stopping; its temporary folder is gone, so "
                    "exports and uploads are refused. Start it again and reload the page."
                )
            _sweep()
            _folder = tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-")
            atexit.register(_remove_at_exit, _folder)
        return _folder


def remove() -> None:
    """Delete the folder and everything in it (at shutdown; later uses raise PathError)."""
    global _folder, _removed
    with _lock:
        _removed = True
        if _folder is not None:
            shutil.rmtree(_folder, ignore_errors=True)
            _folder = None


def _remove_at_exit(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)  # a process that ends normally leaves nothing


def _sweep() -> None:
    """Remove the folders of playground servers that died without cleaning up (SIGKILL).

    Names found in the shared temporary folder are data anyone on the machine can make: a
    name whose process id does not parse (``_pid``) is skipped, and no entry can stop the
    sweep, so one stranger's folder never stops this server's uploads and exports (fourth
    attacker trial: ``backprop-playground-99999999999999999999-x`` raised OverflowError
    from ``os.kill`` in every server, and "²" passed ``isdigit`` but not ``int``)."""
    root = tempfile.gettempdir()
    try:
        names = os.listdir(root)
    except OSError:
        return
    for name in names:
        pid = _pid(name)
        if pid is None or pid == os.getpid() or _alive(pid):
            continue
        path = os.path.join(root, name)
        try:
            if (
                os.path.isdir(path)
                and not os.path.islink(path)
                and os.stat(path).st_uid == (os.getuid())
            ):
                shutil.rmtree(path, ignore_errors=True)
        except (OSError, ValueError):
            continue


_PID = re.compile(r"[1-9][0-9]{0,9}", re.ASCII)  # ASCII digits: int() reads '²' and '١' too
PID_MAX = 2**31 - 1  # a pid is a C int (Linux's pid_max is at most 2**22)


def _pid(name: str) -> int | None:
    """The process id in a folder name ``backprop-playground-<pid>-…``, or None for a name
    that is not one of ours: another prefix, no ASCII whole number, or past ``PID_MAX``."""
    if not isinstance(name, str) or not name.startswith(PREFIX):
        return None
    text = name[len(PREFIX) :].split("-", 1)[0]
    if not _PID.fullmatch(text):
        return None
    pid = int(text)
    return pid if pid <= PID_MAX else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError, ValueError):
        return True  # someone else's process, or no pid this system has: left alone
    return True
