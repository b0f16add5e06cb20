"""Run folders: where a training run's files land — whole, by one writer, never outside (floor 5).

A run folder holds what one run wrote: ``model.safetensors``, ``spec.json``,
``history.csv``, ``history.json`` and the plots. ``backprop train``, ``backprop demo``, the
library (``save_run``, ``RunFolder``) and, later, the sweeps all write them through here, so
the rules below hold everywhere:

- **Names from data are slugs.** The spec's ``name`` picks the default folder
  ``runs/<name>-<YYYYmmdd-HHMMSS>/``; it must match ``NAME_RULE`` (letters, digits, ``.``,
  ``_``, ``-``; starts with a letter or digit; at most 64 characters), which
  ``spec.normalize`` checks. A name the program derives itself (``--csv "my data.csv"``) goes
  through ``slug``. A computed folder that is not a direct child of the parent it meant is
  refused anyway (defence in depth).
- **Complete or absent.** The run is written into a hidden sibling
  ``.<name>.partial-<random>/`` and renamed to ``<name>`` only once every file is written,
  the last being the marker ``.backprop-run.json`` (what was written, when, by which pid).
  A run that fails (an exception, Ctrl-C, a full disk while plotting) removes its partial
  folder and any parent folder it created, so a failed ``train`` leaves no empty ``--out``.
  A killed run leaves the partial folder, marked incomplete by its name; the next writer in
  the same parent removes it once no one holds its lock — unless it holds the marker (a
  finished run, kept for the user) or anything that is not a run file.
- **No silent overwrite.** A non-empty folder is refused before training starts, unless
  ``overwrite`` (``--overwrite``) is given: then the finished run replaces it whole (the old
  folder is renamed aside to ``.<name>.old-<random>``, the new one renamed in, the old one
  deleted), so no old plot stays beside new files. Only an empty folder or a run folder is
  replaced: one holding the run marker and whose every entry is a regular file named as a
  run names its files (``runnames.foreign``; a folder named ``spec.json``, a link,
  ``notes.txt`` make it foreign, and so does a missing marker: a user's folder of a
  ``model.safetensors`` and a ``spec.json`` was replaced): ``--out ~ --overwrite`` is
  refused. The check is repeated when the run commits,
  under the lock: a file added during training makes the commit refuse, the finished run
  kept in its partial folder. The current folder and the folders that hold it, and a mount
  point (it cannot be renamed over), are refused up front.
- **A kill during the swap loses no run.** ``.<name>.old-*`` is never removed as stale.
  The marker of the new run names the old folder it replaces (``"replaces"``). The next
  writer of ``<name>``, holding its lock, renames the old folder back when ``<name>`` is
  missing (the swap did not finish: the old run is the one in place, the new one stays in
  its partial folder with its marker), or finishes deleting it when ``<name>``'s marker
  names it and it holds run files only; any other ``.old-*`` folder is left alone.
- **One writer per folder.** ``.<name>.lock`` beside the folder is locked with ``flock``
  from the start of the run until its folder is in place; a second writer is refused at
  once, naming the first one's pid and start time. The kernel drops the lock of a process
  that died, so a stale lock file never blocks; a default folder name that is taken moves
  on to ``<name>-<time>-2``. Files the program names itself (the lock, the marker, the
  partial and old folders) never follow a symlink planted at their name (see ``locks``).

The parent folder must be writable (the partial folder and the lock live there).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from ..errors import PathError
from ..files import atomic_write_text, fsync_dir
from ..locks import WriterLock, describe
from .runnames import MARKER, NAME_RULE, RUN_FILES, foreign, is_safe_name, read_marker, short, slug

__all__ = ["MARKER", "NAME_RULE", "RUN_FILES", "RunFolder", "is_safe_name", "save_run", "slug"]


def _umask() -> int:
    mask = os.umask(0o22)
    os.umask(mask)
    return mask


class RunFolder:
    """One run folder being written: claimed, staged, then put in place whole — or removed.

    Args:
        path: the run folder. ``RunFolder.new(name)`` picks ``runs/<name>-<time>/`` instead.
        overwrite: replace an existing run folder (whole, once the run is finished).
        param, overwrite_flag: how errors name the path and the way to overwrite
            (``"--out"``, ``"--overwrite"`` for the CLI).

    Use as a context manager: ``with RunFolder("runs/a") as staging:`` write the files into
    ``staging``; on a normal exit they appear as ``runs/a`` at once, on an exception the
    partial folder is removed. ``folder.path`` is the final folder, ``folder.final(p)`` the
    final path of a file written into ``staging``.

    Examples:
        >>> import os, tempfile
        >>> from backprop import spec
        >>> folder = tempfile.TemporaryDirectory()  # deleted with the object
        >>> target = os.path.join(folder.name, 'run-a')
        >>> with spec.RunFolder(target) as staging:
        ...     _ = (staging / 'notes.txt').write_text('hello')
        ...     print(os.path.exists(target))  # not yet: written in a staging folder
        False
        >>> sorted(os.listdir(target))  # there, whole, on a normal exit
        ['.backprop-run.json', 'notes.txt']
    """

    def __init__(self, path, *, overwrite: bool = False, param: str = "path",
                 overwrite_flag: str = "overwrite=True") -> None:  # fmt: skip
        if not isinstance(path, str | os.PathLike) or not str(path).strip():
            raise PathError(
                f"{param}: expected a folder path (str or pathlib.Path), got {path!r}; "
                "e.g. 'runs/try1'."
            )
        if "\0" in str(path):
            raise PathError(f"{param}: {str(path)!r} holds a NUL character; give a folder path.")
        self.requested, self.overwrite = Path(path), bool(overwrite)
        self.param, self.flag = param, overwrite_flag
        self.path = Path(os.path.realpath(path))
        self.staging: Path | None = None
        self._lock: WriterLock | None = None
        self._made: list[Path] = []
        self._candidates: list[Path] | None = None
        self._within: Path | None = None

    @classmethod
    def new(cls, name: str, parent="runs", *, param: str = "name") -> RunFolder:
        """``<parent>/<name>-<YYYYmmdd-HHMMSS>/``, or ``…-2``, ``…-3`` if that one is taken."""
        if not is_safe_name(name):
            shown = repr(name) if len(repr(name)) <= 80 else repr(name)[:70] + "…"
            raise PathError(
                f"{param}: {shown} cannot name a run folder: use letters, digits, '.', '_' "
                f"and '-', starting with a letter or digit (at most 64); e.g. {slug(name)!r}."
            )
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        base = Path(parent) / f"{name}-{stamp}"
        folder = cls(base, param=param)
        folder._candidates = [base] + [Path(f"{base}-{i}") for i in range(2, 100)]
        folder._within = Path(os.path.realpath(parent))
        return folder

    # -- the three steps -------------------------------------------------------------------
    def open(self) -> Path:
        """Check the folder, take the lock, make the partial folder; returns where to write."""
        try:
            for i, candidate in enumerate(self._candidates or [self.requested]):
                self.path = Path(os.path.realpath(candidate))
                self._check_place()
                if self._claim(last=self._candidates is None or i == len(self._candidates) - 1):
                    break
            self._remove_stale()
            self.staging = Path(tempfile.mkdtemp(prefix=f".{short(self.path.name)}.partial-",
                                                 dir=self.path.parent))  # fmt: skip
            os.chmod(self.staging, 0o777 & ~_umask())  # mkdtemp's 0700 → what mkdir gives
        except BaseException as exc:
            self.abort()
            if isinstance(exc, OSError) and not isinstance(exc, PathError):
                raise self._os_error(exc) from None
            raise
        return self.staging

    def commit(self) -> Path:
        """Put the finished run in place (replacing the old folder when asked); returns it."""
        if self.staging is None:
            raise RuntimeError("RunFolder.commit() before open()")
        old = None
        try:
            if self.path.exists() and any(self.path.iterdir()):
                strange = foreign(self.path) if self.overwrite else ["?"]
                if not strange and not _marked(self.path):  # replaced by an unmarked one
                    strange = [MARKER + " (missing)"]
                if strange:  # someone who ignores the lock wrote there meanwhile: check again
                    how = f"gained {strange[0]!r}, not a run file," if self.overwrite else (
                        "was filled by another program")  # fmt: skip
                    raise PathError(
                        f"{self.param}: {self._shown()} {how} during the run, so it is left "
                        f"as it is; the finished run is kept in {self.staging}."
                    )
                old = Path(tempfile.mkdtemp(prefix=f".{short(self.path.name)}.old-",
                                            dir=self.path.parent))  # fmt: skip
            self._write_marker(old)  # names the old folder: a kill below loses no run
            if old is not None:
                os.replace(self.path, old)  # an empty folder can be replaced by rename
            os.replace(self.staging, self.path)
            self.staging = None
            fsync_dir(self.path.parent)
            if old is not None and not foreign(old):  # files added in the last instant stay
                shutil.rmtree(old, ignore_errors=True)
        except PathError:
            self._unlock()
            raise
        except BaseException as exc:
            if old is not None and not self.path.exists():  # put the old run back
                with contextlib.suppress(OSError):
                    os.replace(old, self.path)
            if old is not None:
                with contextlib.suppress(OSError):
                    old.rmdir()  # the empty placeholder, if the swap never started
            self.abort()
            if isinstance(exc, OSError):
                raise self._os_error(exc) from None
            raise
        self._made = []
        self._unlock()
        return self.path

    def abort(self) -> None:
        """Remove the partial folder and the parents this run created; release the lock."""
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
            self.staging = None
        self._unlock()  # first: the lock file lives in the parent
        for folder in reversed(self._made):
            with contextlib.suppress(OSError):
                folder.rmdir()  # only if still empty
        self._made = []

    def final(self, written: dict) -> dict:
        """``{key: path in staging}`` → ``{key: path in the final folder}``."""
        return {key: self.path / Path(p).name for key, p in written.items()}

    def __enter__(self) -> Path:
        return self.open()

    def __exit__(self, kind, exc, tb) -> None:
        if kind is None:
            self.commit()
            return
        staging = self.staging
        self.abort()
        if staging is not None and isinstance(exc, OSError) and _names(exc, staging):
            raise self._os_error(_root(exc)) from exc  # name --out, not the partial folder

    # -- helpers ---------------------------------------------------------------------------
    def _shown(self) -> str:
        return repr(str(self.requested))

    def _os_error(self, exc: OSError) -> PathError:
        cause, fix = exc.strerror or str(exc), "choose a folder you can write"
        if exc.errno is not None:
            with contextlib.suppress(ImportError):
                from ..files import explain

                cause, fix = explain(exc)
        return PathError(
            f"{self.param}: cannot write the run folder {self._shown()}: {cause}; {fix}."
        )

    def _check_place(self) -> None:
        path = self.path
        if self._within is not None and path.parent != self._within:
            raise PathError(
                f"{self.param}: the run folder {str(path)!r} would leave {str(self._within)!r}; "
                "a name must not hold '/' or '..'."
            )
        cwd = Path(os.path.realpath(os.getcwd()))
        if path == cwd or path in cwd.parents or path.parent == path:
            raise PathError(
                f"{self.param}: {self._shown()} is the current folder or holds it; give a new "
                "folder for the run, e.g. runs/try1."
            )
        if path.exists() and not path.is_dir():
            raise PathError(
                f"{self.param}: {self._shown()} exists and is not a folder; pick another path."
            )
        if path.is_dir() and os.path.ismount(path):
            raise PathError(
                f"{self.param}: {self._shown()} is a mount point; the finished run is renamed "
                "into place, which a mount point cannot take: give a folder inside it, e.g. "
                f"{str(self.requested / 'run1')!r}."
            )
        missing = [p for p in [path.parent, *path.parent.parents] if not p.exists()]
        for folder in reversed(missing):
            folder.mkdir()
            self._made.append(folder)

    def _claim(self, last: bool) -> bool:
        """Lock the folder and check what is there; False: taken, try the next name."""
        lock = WriterLock(self.path.parent / f".{short(self.path.name)}.lock")
        try:
            holder = lock.try_acquire()
        except PathError as exc:  # a FIFO or device at the lock's name
            raise PathError(f"{self.param}: {exc}") from None
        if holder is not None:
            if not last:
                return False
            raise PathError(
                f"{self.param}: {self._shown()} is being written by another run "
                f"({describe(holder)}; lock {lock.path}); wait for it to finish or choose "
                "another folder."
            )
        self._lock = lock
        self._recover_old()
        found = os.listdir(self.path) if self.path.is_dir() else []
        entries = sorted(found, key=lambda e: (e.startswith("."), e))  # visible names first
        if not entries:
            return True
        if self._candidates is not None and not last:
            self._unlock()
            return False
        if not self.overwrite:
            self._unlock()
            raise PathError(
                f"{self.param}: {self._shown()} is not empty ({_counted_as_ls(entries)}, e.g. "
                f"{entries[0]!r}); pass {self.flag} to replace it whole, or choose another folder."
            )
        strange = foreign(self.path)
        if strange:
            self._unlock()
            raise PathError(
                f"{self.param}: {self._shown()} holds files a run does not write (e.g. "
                f"{strange[0]!r}); {self.flag} replaces run folders only: choose another folder."
            )
        if not _marked(self.path):  # named as run files, but no run made the folder
            self._unlock()
            raise PathError(
                f"{self.param}: {self._shown()} has no run marker {MARKER}, so no backprop "
                f"run made it ({_counted_as_ls(entries)}, e.g. {entries[0]!r}); {self.flag} "
                "replaces run folders only: choose another folder, or move its files out."
            )
        return True

    def _remove_stale(self) -> None:
        """Partial folders in the parent whose writer is gone (its lock is free).

        Only folders named as ``open`` names them, holding nothing but run files (regular
        files with run-file names) and no marker: a partial folder with the marker is a
        finished run kept for the user (see ``commit``). ``.NAME.old-*`` folders are never
        removed here (see ``_recover_old``).
        """
        pattern = re.compile(r"^\.(.+)\.partial-[a-z0-9_]{8}$")
        for entry in os.scandir(self.path.parent):
            match = pattern.match(entry.name)
            if not match or not entry.is_dir(follow_symlinks=False):
                continue
            try:
                if foreign(entry.path) or os.path.lexists(os.path.join(entry.path, MARKER)):
                    continue  # not ours to delete
            except OSError:
                continue
            ours = match.group(1) == short(self.path.name)
            other = WriterLock(self.path.parent / f".{match.group(1)}.lock")
            with contextlib.suppress(PathError):
                if ours or other.try_acquire() is None:
                    shutil.rmtree(entry.path, ignore_errors=True)
            other.release()

    def _recover_old(self) -> None:
        """``.NAME.old-*``: an old run moved aside by an ``--overwrite`` swap that was killed.

        Called holding NAME's lock. With NAME missing, the newest is renamed back to NAME
        (the swap never finished: the old run is the one in place; the new run stays in its
        ``.NAME.partial-*`` folder with its marker). With NAME a run whose marker says it
        replaced that folder, and the folder holding run files only, the interrupted delete
        is finished. Anything else is left where it is.
        """
        pattern = re.compile(rf"^\.{re.escape(short(self.path.name))}\.old-[a-z0-9_]{{8}}$")
        olds = [e for e in os.scandir(self.path.parent)
                if pattern.match(e.name) and e.is_dir(follow_symlinks=False)]  # fmt: skip
        olds.sort(key=lambda e: e.stat(follow_symlinks=False).st_mtime_ns, reverse=True)
        for entry in olds:
            if not os.path.lexists(self.path):
                os.replace(entry.path, self.path)
                fsync_dir(self.path.parent)
            elif read_marker(self.path).get("replaces") == entry.name and not foreign(entry.path):
                shutil.rmtree(entry.path, ignore_errors=True)

    def _write_marker(self, old: Path | None) -> None:
        files = sorted(p.name for p in self.staging.iterdir())
        info = {"format": 1, "name": self.path.name, "files": files, "pid": os.getpid(),
                "finished": _dt.datetime.now().isoformat(timespec="seconds")}  # fmt: skip
        if old is not None:
            info["replaces"] = old.name
        # the writer fsyncs the file, then the folder (backprop.files' rule): all of staging
        atomic_write_text(self.staging / MARKER, json.dumps(info, indent=1),
                          who="the run folder's marker", follow_symlinks=False)  # fmt: skip

    def _unlock(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None


def _marked(folder: Path) -> bool:
    """Whether ``folder`` holds the run marker (a regular file, not a link): a run made it."""
    marker = folder / MARKER
    return marker.is_file() and not marker.is_symlink()


def _root(exc: OSError) -> OSError:
    """The OSError with an errno behind ``exc`` (a PathError raised from one), or ``exc``."""
    cause = exc.__cause__
    return cause if exc.errno is None and isinstance(cause, OSError) else exc


def _names(exc: OSError, folder: Path) -> bool:
    """Whether ``exc`` (or the OSError it was raised from) is about a file in ``folder``."""
    for error in (exc, exc.__cause__):
        for name in (getattr(error, "filename", None), getattr(error, "filename2", None)):
            if name is not None and str(folder) in os.fsdecode(name):
                return True
    return str(folder) in str(exc)


# the files of a finished run, written into a folder: runfiles (runfolder's names, as before)
from .runfiles import _jsonable, save_run, write_files  # noqa: E402, F401


def _counted_as_ls(entries: list[str]) -> str:
    """The folder's entries as ``ls`` shows them, the hidden ones named apart: '7 files and
    the run marker' (the run's own hidden .backprop-run.json), '2 files and 1 hidden entry'."""
    from ..plural import counted

    visible = [e for e in entries if not e.startswith(".")]
    hidden = [e for e in entries if e.startswith(".")]
    parts = [counted(len(visible), "file")] if visible else []
    if MARKER in hidden:
        parts.append(f"the run marker {MARKER}")
        hidden.remove(MARKER)
    if hidden:
        parts.append(counted(len(hidden), "hidden entry", "hidden entries"))
    return " and ".join(parts)
