"""One rule for every command that writes: an output may not be one of its own inputs.

``predict MODEL --output MODEL`` used to replace the model with a CSV, ``--input in.csv
--output in.csv`` the data, and ``train runs/a/spec.json --out runs/a --overwrite`` deleted
the spec it was run from. Every output flag is checked here against the files the same
command reads, before any work starts, by identity and not by spelling: both paths are
resolved (symlinks followed) and, when both exist, compared by ``(st_dev, st_ino)``, so a
symlink, a hard link or ``./x`` is the same file as ``x``. A refusal is one ``PathError``
naming both flags and the path ("--output: 'x' is the model file given as MODEL; pick
another path."), so the CLI prints one line and exits 2 with nothing written.

``-`` (standard output) is never a file here. This module does not judge whether an output
path is writable or of the right kind; ``backprop.files`` and ``spec.runfolder`` do.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import PathError

__all__ = ["refuse_input_inside", "refuse_output_over_input", "same_file"]


def _identity(path: str):
    """``(st_dev, st_ino)`` of what ``path`` names (symlinks followed), or None."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    return info.st_dev, info.st_ino


def same_file(a, b) -> bool:
    """Whether ``a`` and ``b`` name one file: same inode when both exist, else same real path."""
    a, b = os.fspath(a), os.fspath(b)
    ia, ib = _identity(a), _identity(b)
    if ia is not None and ib is not None:
        return ia == ib
    return os.path.realpath(a) == os.path.realpath(b)  # realpath: no error on loops


def _inside(path: str, folder: str) -> bool:
    """Whether ``path`` is ``folder`` or lies anywhere below it (by identity)."""
    target = _identity(folder)
    real = Path(os.path.realpath(path))
    for candidate in (real, *real.parents):
        if target is not None:
            if _identity(str(candidate)) == target:
                return True
        elif str(candidate) == os.path.realpath(folder):
            return True
    return False


def refuse_output_over_input(output, flag: str, inputs) -> None:
    """Refuse ``output`` (given as ``flag``) if it is one of ``inputs``.

    ``inputs`` holds ``(path, what)`` pairs, ``what`` saying how the input was given, e.g.
    ``"the model file given as MODEL"``; a ``None`` path (an input not given) is skipped.
    """
    if output is None or str(output) == "-":
        return
    for path, what in inputs:
        if path is None or str(path) == "-":
            continue
        if same_file(output, path):
            also = "" if str(path) == str(output) else f" ({str(path)!r})"
            raise PathError(
                f"{flag}: {str(output)!r} is {what}{also}; writing there would replace it; "
                "pick another path."
            )


def refuse_input_inside(folder, flag: str, inputs, why: str) -> None:
    """Refuse the output ``folder`` (``flag``) if one of ``inputs`` lies inside it.

    ``why`` says what would happen to it (e.g. "the run replaces that folder whole").
    """
    if folder is None:
        return
    for path, what in inputs:
        if path is None or str(path) == "-":
            continue
        if _inside(os.fspath(path), os.fspath(folder)):
            raise PathError(
                f"{flag}: {what} ({str(path)!r}) is inside the run folder {str(folder)!r}, "
                f"and {why}; write the run to another folder, or move it out first."
            )
