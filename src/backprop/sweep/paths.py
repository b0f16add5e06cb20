"""The paths a sweep opens and writes, checked before any work: its database and its CSV.

- ``check_db``: a sweep database is a regular file or a new name in an existing folder;
  a symlink only to a SQLite file that already exists (``_links_to_a_database``: reading or
  going on with a sweep through a link is what the file itself allows), never to nothing,
  an empty or another file (SQLite would make a database of whatever the link points to —
  an empty file became one).
  Judged by ``os.stat``, never by opening it: a FIFO would block the open for ever, a
  device would take SQLite's journal beside it. A missing folder and a dangling symlink
  are named as such.
- ``check_output``: ``--csv`` is a regular file or a new name in an existing folder, and
  never the sweep's own database (or its WAL files), any other SQLite database (another
  sweep's, named or through a link) or its spec file, and never a symlink (judged by
  ``os.lstat``): the table is written after every trial ran, so a path that cannot take it
  is refused before the first one. ``write_output`` checks again and replaces the node
  itself, never writing through a link put there since — the rule compare's files follow.
- ``check_owned`` / ``write_owned``: the files a command names itself in a folder it writes
  (``compare``'s table.csv and PNGs in ``--out``): each missing or a regular file, never a
  symlink, never the sweep's database, judged before any work; written by replacing the
  node itself (``files.atomic_write_bytes(follow_symlinks=False)``), never through a link.
- ``check_folder``: ``compare --out`` is a folder this process can write into, or a new
  name whose nearest existing folder is one (made later); judged before the first line is
  printed: a dangling symlink is named as such (as ``check_db`` names one), a file, device
  or ``/proc/self`` is "not a directory you can write a sweep into" (eighth attacker 9:
  ``/dev/null`` printed "trials go to /dev/null/trials.db" first, a dangling link was
  "file exists", ``/proc/self`` "not a sweep database"). Writing is judged by making and
  removing a file there (``os.access`` says yes to root on ``/proc``).
- ``default_db``: ``runs/sweep-<name>-<time>.db``, or ``…-2.db``, ``…-3.db`` when taken, made
  with ``O_EXCL`` so two sweeps started in the same second never share one.
"""

from __future__ import annotations

import os
import stat
import tempfile
import time

from ..errors import ConfigError, SweepError


def _kind(mode: int) -> str:
    from ..reading import kind_of

    return kind_of(mode)


def _new_in_folder(path: str, what: str, error) -> None:
    """A missing path: its folder must exist (and a dangling symlink is named)."""
    if os.path.islink(path):
        raise error(
            f"{what} {path!r}: a symlink to {os.readlink(path)!r}, which does not exist; "
            "remove the link or give another file name."
        )
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        exists = os.path.lexists(folder)
        raise error(
            f"{what} {path!r}: its folder {folder!r} "
            f"{'is not a folder' if exists else 'does not exist'}; create it first "
            "(mkdir -p) or give a file in an existing folder."
        )


def check_db(path: str) -> None:
    """A path a sweep database may be at (see the module docstring); SweepError otherwise."""
    what = "sweep database"
    try:
        st = os.stat(path)
    except FileNotFoundError:
        _new_in_folder(path, what, SweepError)
        return
    except OSError as exc:
        raise SweepError(f"{what} {path!r}: cannot be read ({exc.strerror}).") from None
    if os.path.islink(path) and not _links_to_a_database(st, path):
        kind = _kind(st.st_mode) or ("an empty file" if st.st_size == 0 else "a file")
        raise SweepError(
            f"{what} {path!r}: is a symlink (to {os.readlink(path)!r}, {kind}); a sweep "
            "makes a new database itself and never through a link (a link is followed only "
            "to a SQLite database that already exists). Give the file it points to, or a "
            "new file name."
        )
    if stat.S_ISDIR(st.st_mode):
        raise SweepError(
            f"{what} {path!r}: is a folder; give a file name such as "
            f"{os.path.join(path, 'sweep.db')!r}."
        )
    if not stat.S_ISREG(st.st_mode):
        raise SweepError(
            f"{what} {path!r}: is {_kind(st.st_mode)}, not a regular file; give the file "
            "a sweep wrote, or a new file name."
        )
    from ..filekind import HEAD, of_bytes

    try:
        with open(path, "rb") as f:
            head = f.read(HEAD)
    except OSError as exc:
        raise SweepError(f"{what} {path!r}: cannot be read ({exc.strerror}).") from None
    if head and head[:16] != b"SQLite format 3\x00":
        kind = of_bytes(head, path)  # named by its content: 'a CSV table', 'a PNG image'
        beside = os.path.join(os.path.dirname(path), "trials.db")
        near = f" ({beside} beside it is one)" if os.path.isfile(beside) else ""
        raise SweepError(
            f"{what} {path!r}: this is {kind.phrase}, not a SQLite file (a sweep database is one); "
            f"give the database file a sweep wrote{near}, or a new file name for a new sweep."
        )


def _links_to_a_database(st: os.stat_result, path: str) -> bool:
    """Whether a symlink's target (``st``: its ``os.stat``) is a regular file that already
    is a SQLite database: the one case ``check_db`` follows a link (``--resume``, ``--show``
    and ``--db`` of a sweep that exists, as on the file itself; SQLite puts its -wal and
    -shm files beside the file, not the link). A link is never followed to make a new one:
    to nothing, an empty or any other file (SQLite would make a database of it)."""
    if not stat.S_ISREG(st.st_mode) or st.st_size < 16:
        return False
    try:
        with open(path, "rb") as f:
            return f.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def _same(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def check_output(
    path: str,
    *,
    db: str | None = None,
    spec: str | None = None,
    who: str = "--csv",
    overwrite: bool = False,
) -> None:
    """``--csv PATH`` (or ``who``'s): a regular file or a new one in an existing folder, not
    the database ``db`` (nor its -wal, -shm, -journal files) nor the spec file ``spec``; an
    existing file only if it is the CSV ``who`` writes (``replacing``) or ``overwrite``."""
    ends = ("", "-wal", "-shm", "-journal") if db else ()
    mine = [(db + end, "the sweep's own database") for end in ends]
    if spec and os.path.exists(spec):
        mine.append((spec, "the sweep's spec file"))
    for other, what in mine:
        if _same(path, other):
            raise ConfigError(
                f"{who} {path!r}: is {what}; writing the table there would destroy it. "
                "Give another file name, e.g. results.csv."
            )
    try:
        st = os.stat(path)
    except FileNotFoundError:
        _new_in_folder(path, who, ConfigError)
        return
    except OSError as exc:
        raise ConfigError(f"{who} {path!r}: cannot be used ({exc.strerror}).") from None
    if not stat.S_ISREG(st.st_mode):
        raise ConfigError(
            f"{who} {path!r}: is {_kind(st.st_mode)}, not a regular file; give a file "
            "name such as results.csv."
        )
    if _sqlite(path):  # another sweep's database (named, or reached through a link)
        raise ConfigError(
            f"{who} {path!r}: is a SQLite database (another sweep's?); writing the table "
            "there would destroy it. Give another file name, e.g. results.csv."
        )
    if os.path.islink(path):  # compare's rule (check_owned): never written through a link
        raise ConfigError(
            f"{who} {path!r}: is a symlink (to {os.readlink(path)!r}); sweep writes its own "
            "files and never through a link. Remove the link, or give another file name."
        )
    from ..replacing import refuse

    writes = "sweep-trials" if who == "--trials-csv" else "sweep-table"
    refuse(path, who, writes, overwrite=overwrite)


def write_output(path, text: str, *, db=None, who: str = "--csv", overwrite: bool = False):
    """``text`` to ``path`` (``--csv``, ``--trials-csv``): checked again by
    ``check_output``, then the node itself replaced, never written through a link."""
    from ..files import atomic_write_text

    db = None if db is None else os.fspath(db)
    check_output(os.fspath(path), db=db, who=who, overwrite=overwrite)
    return atomic_write_text(path, text, who=who, follow_symlinks=False)


def _sqlite(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def check_owned(folder, names, *, db=None, who: str = "compare --out") -> None:
    """Each ``folder/name`` a file this command may write (module docstring); else a
    ConfigError in ``who``'s words naming the file and the fix."""
    folder = os.fspath(folder)
    dbs = [db + end for end in ("", "-wal", "-shm", "-journal")] if db else []
    for name in names:
        path = os.path.join(folder, name)
        where = f"{who} {folder!r}: {name}"
        for other in dbs:
            if os.path.abspath(path) == os.path.abspath(other) or _same(path, other):
                raise ConfigError(
                    f"{where} is the sweep's own database; writing it would destroy every "
                    "trial. Give --db another file name, or another --out folder."
                )
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise ConfigError(f"{where} cannot be used ({exc.strerror}).") from None
        if stat.S_ISLNK(st.st_mode):
            raise ConfigError(
                f"{where} is a symlink (to {os.readlink(path)!r}); compare writes its own "
                "files there and never through a link. Remove the link, or give another "
                "--out folder."
            )
        if not stat.S_ISREG(st.st_mode):
            raise ConfigError(
                f"{where} is {_kind(st.st_mode)}, not a regular file; remove it, or give "
                "another --out folder."
            )


def write_owned(path, data: bytes, who: str = "compare --out", guard=None):
    """``data`` to ``path`` (checked by ``check_owned``): a symlink put there since is
    replaced itself, its target untouched; ``guard`` judged at write time."""
    from ..files import atomic_write_bytes

    return atomic_write_bytes(path, data, who=who, follow_symlinks=False, guard=guard)


def check_folder(path, who: str = "compare --out") -> None:
    """A folder ``who`` may write its files into, or one it may make (module docstring);
    ConfigError otherwise, naming the path, what it is and the fix."""
    path = os.fspath(path)
    at = os.path.abspath(path)
    while not os.path.lexists(at) and at != os.path.dirname(at):
        at = os.path.dirname(at)  # the nearest part of the path that exists
    where = f"{who} {path!r}" + ("" if at == os.path.abspath(path) else f": {at!r}")
    if os.path.islink(at) and not os.path.exists(at):
        raise ConfigError(
            f"{where} is a symlink to {os.readlink(at)!r}, which does not exist (a dangling "
            "link); remove the link or give another folder."
        )
    st = os.stat(at)
    if not stat.S_ISDIR(st.st_mode):
        raise ConfigError(
            f"{where} is {_kind(st.st_mode) or 'a file'}, not a directory you can write a sweep "
            "into; give a folder (a new name is made as one)."
        )
    try:
        fd, probe = tempfile.mkstemp(prefix=".backprop-probe-", dir=at)
    except OSError as exc:
        raise ConfigError(
            f"{where} is not a directory you can write a sweep into ({exc.strerror}); give a "
            "folder you can write."
        ) from None
    os.close(fd)
    os.unlink(probe)


def default_db(name: str, parent: str = "runs") -> str:
    """A new, empty file ``<parent>/sweep-<name>-<time>[-N].db``, made here (``O_EXCL``)."""
    os.makedirs(parent, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in range(1, 1000):
        path = os.path.join(parent, f"sweep-{name}-{stamp}{'' if n == 1 else f'-{n}'}.db")
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
        except FileExistsError:
            continue
        return path
    raise SweepError(f"sweep database: {parent}/sweep-{name}-{stamp}-*.db: all names taken.")
