"""One rule for every command that writes: an output may not be one of its own inputs.

``predict MODEL --output MODEL`` used to replace the model with a CSV, ``--input in.csv
--output in.csv`` the data, and ``train runs/a/spec.json --out runs/a --overwrite`` deleted
the spec it was run from. Every output flag is checked here against the files the same
command reads, before any work starts, by identity and not by spelling: both paths are
resolved (symlinks followed) and, when both exist, compared by ``(st_dev, st_ino)``, so a
symlink, a hard link or ``./x`` is the same file as ``x``. A refusal is one ``PathError``
naming both flags and the path ("--output: 'x' is the model file given as MODEL; pick
another path."), so the CLI prints one line and exits 2 with nothing written.

``-`` (standard output) is never a file here. Whether an output path is writable (FIFOs,
devices, folders) is ``backprop.files``' rule, and a run folder ``spec.runfolder``'s.

``refuse_foreign_output`` is the second rule for every output FILE flag (``predict
--output``, ``export --out`` and its default path, ``vanishing --plot``): ``--output
other.safetensors`` replaced another trained model with a CSV, exit 0. An existing regular
file is replaced only when it is of the kind the command writes, judged by content
(``backprop.replacing``, the rule every output file follows): predict's own header for a
predictions CSV, an ONNX file whose producer is backprop for ONNX, a safetensors marked
``producer: backprop`` for a torch export, a PNG marked ``Software: backprop`` for a plot
(an empty file for any), or with ``--overwrite``; judged before the work and again at write
time (``foreign_output_guard``). Anything else (a backprop model, a backup, a spec, a
history, ...) is refused, and so is any output file inside a backprop run folder (one
holding ``.backprop-run.json``): its files belong to the run.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import PathError

__all__ = [
    "foreign_output_guard",
    "refuse_foreign_output",
    "refuse_input_inside",
    "refuse_output_over_input",
    "same_file",
]


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


def _run_folder(path: str) -> str | None:
    """The backprop run folder ``path`` lies in (itself or any folder above), or None."""
    from ..spec.runnames import MARKER

    real = Path(os.path.realpath(path))
    for folder in real.parents:
        if os.path.lexists(folder / MARKER):
            return str(folder)
    return None


def refuse_foreign_output(output, flag: str, writes: str, *, overwrite: bool = False) -> None:
    """Refuse the output file ``output`` (given as ``flag``) when it lies in a run folder, or
    is an existing file that an output of ``writes`` ("csv", "onnx", "torch", "png", ...)
    may not replace (``backprop.replacing``: not of its kind) and ``overwrite`` is not given.
    Missing-file, FIFO, device and ``-`` rules are ``backprop.files``'."""
    from ..filekind import sniff
    from ..replacing import refuse

    if output is None or str(output) == "-":
        return
    text = os.fspath(output)
    if sniff(text).name == "special":
        return
    folder = _run_folder(text)
    if folder is not None:
        raise PathError(
            f"{flag}: {text!r} is inside the backprop run folder {folder!r}, whose files "
            "belong to the run; pick a path outside it."
        )
    refuse(text, flag, writes, overwrite=overwrite)


def foreign_output_guard(output, flag: str, writes: str, *, overwrite: bool = False):
    """``refuse_foreign_output`` again at write time, for ``backprop.files``' ``guard=``:
    the check before the work is kept (no minutes of work for a refused path), and this one
    judges what is at the path when the bytes go there (a file that came meanwhile)."""
    if output is None or str(output) == "-":
        return None
    return lambda: refuse_foreign_output(output, flag, writes, overwrite=overwrite)
