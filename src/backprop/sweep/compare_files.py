"""What ``compare`` writes into ``--out`` (table.csv, a PNG per plot), judged before its trials.

``check`` runs before the first trial: each file is missing or a regular file, never a
symlink and never the sweep's database (``paths.check_owned``), in compare's own words (it
has no ``--csv``), and one that exists is of the kind compare writes there (a sweep table,
a PNG) unless ``--overwrite`` (``backprop.replacing``); ``plots_possible`` asks for
matplotlib then too, so a missing extra is said before minutes of training, not after.
``write`` replaces the file itself (``paths.write_owned``): a link put there after the
check is replaced, never written through.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from .paths import check_owned, write_owned

TABLE = "table.csv"


def png(q, kind: str) -> str:
    """The file name of question ``q``'s plot ``kind`` in ``--out``."""
    return f"{q.name}-{kind.replace('_', '-')}.png"


def written(q, plots: bool) -> list[str]:
    """The files ``compare.answer`` writes in ``--out``."""
    return [TABLE, *(png(q, kind) for kind in (q.plots if plots else ()))]


def check(out, q, plots: bool, db, overwrite: bool = False) -> None:
    """Every file compare will write in ``out`` can take it (``paths.check_owned``), and
    each that exists is one compare wrote (a sweep table, a PNG) unless ``overwrite``
    (``backprop.replacing``: a folder of compare's own outputs is run again freely)."""
    from ..replacing import refuse

    names = written(q, plots)
    check_owned(out, names, db=None if db is None else os.fspath(db))
    for name in names:
        writes = "sweep-table" if name == TABLE else "png"
        refuse(os.path.join(os.fspath(out), name), "--out", writes, overwrite=overwrite)


def write(path, data: bytes, overwrite: bool = False):
    """``data`` to ``path`` in ``--out``, never through a link (``paths.write_owned``),
    judged again at write time as ``check`` judged it before the trials (a file put there
    while they ran is the user's, ``backprop.replacing.guard``)."""
    from ..replacing import guard

    writes = "sweep-table" if os.path.basename(os.fspath(path)) == TABLE else "png"
    return write_owned(path, data, guard=guard(path, "--out", writes, overwrite=overwrite))


def plots_possible() -> None:
    """matplotlib is installed, or a PlotDependencyError that offers ``--no-plots`` too."""
    from ..plots._base import PlotDependencyError, require_matplotlib

    try:
        require_matplotlib()
    except PlotDependencyError as exc:
        said = str(exc).rstrip()
        said += "" if said.endswith(".") else "."
        raise PlotDependencyError(f"compare: {said} Or draw no plots: --no-plots.") from None


@contextlib.contextmanager
def undone_if_refused(*paths):
    """Folders among ``paths`` and their parents that do not exist yet are removed again
    when the block raises, if they are still empty: a refused compare (a FIFO --db, too many
    seeds) leaves no empty --out behind. Only what this run made, never what existed; a
    folder holding anything (a database with finished trials) stays."""
    missing = []
    for path in paths:
        if path is None:
            continue
        at = Path(path).absolute()
        while not os.path.lexists(at) and at != at.parent:
            missing.append(at)
            at = at.parent
    try:
        yield
    except BaseException:
        for folder in sorted(set(missing), key=lambda p: len(p.parts), reverse=True):
            with contextlib.suppress(OSError):  # not empty, not a folder, gone: left as is
                if folder.is_dir() and not folder.is_symlink():
                    folder.rmdir()
        raise
