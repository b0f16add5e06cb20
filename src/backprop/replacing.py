"""May an output replace the file already at its path? One rule for every file a command writes.

``compare --out DIR`` replaced the user's own ``DIR/table.csv``, and ``sweep --csv`` /
``--trials-csv`` any regular file (a model among them), without a word, while ``predict
--output`` refused the same. Every output FILE (``predict --output``, ``export --out``,
``vanishing --plot``, ``sweep --csv`` and ``--trials-csv``, compare's ``table.csv`` and
PNGs in ``--out``) now asks ``foreign`` before any work, and again at write time
(``guard``, which ``backprop.files`` calls just before its rename: a file put at the path
while the command worked was replaced):

- a missing path, or an empty file: written freely;
- a file of the kind this output writes, recognised by its content: the header row for the
  CSVs (predict's exact layout, a sweep's table and its trials each have their own columns),
  and backprop's own mark for the binary kinds (a PNG's tEXt ``Software: backprop VERSION``,
  an ONNX ``producer_name`` ``backprop``, a torch export's ``producer: backprop`` metadata:
  a photo, another program's ONNX model or transformers' ``format: pt`` file is the user's):
  replaced, as re-running a command is normal;
- anything else (the user's own CSV or notes, a model, a spec, another command's CSV): refused
  in one line naming the flag, the file, what it is, what would replace it and the fixes
  (another path, deleting it, or ``--overwrite``), unless ``overwrite`` is given.

Folders, FIFOs and devices (``special``) are not judged here: ``backprop.files`` writes into
FIFOs and devices and refuses the rest. Floor 0: imports only ``filekind`` and ``errors``.
"""

from __future__ import annotations

import csv
import os

from .errors import PathError
from .filekind import Kind, sniff

__all__ = ["WRITES", "foreign", "guard", "own_stream", "refuse", "sweep_table_header"]

PRODUCER = "backprop"  # the mark backprop's exports carry (torch metadata, ONNX producer_name)

# the sweep table's columns after the grid's keys (trialcsv.table_text writes these)
TABLE_TAIL = (
    "seeds_done",
    "seeds",
    "failed",
    "diverged",
    "mean_loss",
    "std_loss",
    "median_loss",
    "best_loss",
    "success_rate",
    "parameters",
    "seconds_per_trial",
)
_TRIALS_HEAD = ("trial", "configuration")  # trialcsv.text: then the grid's keys, then "seed"


def sweep_table_header(cells: list[str]) -> bool:
    """Whether a CSV header row is a sweep table's (``--csv``, compare's table.csv)."""
    return tuple(cells[-len(TABLE_TAIL) :]) == TABLE_TAIL


def _sweep_trials_header(cells: list[str]) -> bool:
    return tuple(cells[:2]) == _TRIALS_HEAD and "seed" in cells and "final_loss" in cells


def _predicted(cell: str) -> bool:
    return cell == "prediction" or cell.endswith(" (predicted)")


def _predictions_header(cells: list[str]) -> bool:
    """predict's header, exactly as it writes it: one or more input columns (the features,
    or ``--input``'s own header), then either the regression outputs ("prediction" for a
    lone unnamed one, else each "NAME (predicted)" / "y1 (predicted)") and nothing after,
    or a classifier's one predicted column followed only by its ``p(CLASS)`` columns (two
    or more). Any other CSV with such a column is the user's (a "prediction" column then
    notes was replaced)."""
    first = next((i for i, c in enumerate(cells) if _predicted(c)), None)
    if not first:  # none, or no input column before it
        return False
    tail = cells[first:]
    if all(c.startswith("p(") and c.endswith(")") for c in tail[1:]) and len(tail) >= 3:
        return True  # a classifier's: the predicted class, then its probabilities
    if tail == ["prediction"]:
        return True
    return all(c.endswith(" (predicted)") for c in tail)


def _header(path: str) -> list[str]:
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            first = handle.readline(1 << 16)
    except (OSError, UnicodeDecodeError):
        return []
    try:
        return next(csv.reader([first]), [])
    except csv.Error:
        return []


def _torch_export(path: str) -> bool:
    """Whether the safetensors file at ``path`` is backprop's torch export: its metadata has
    ``producer: backprop`` (``export --to torch`` writes it beside ``format: pt``, which
    transformers' ``save_pretrained`` writes too; an export older than the mark is then a
    safetensors file, replaced only with ``--overwrite``)."""
    import json

    try:
        with open(path, "rb") as handle:
            n = int.from_bytes(handle.read(8), "little")
            if n > 1 << 24:
                return False
            meta = json.loads(handle.read(n)).get("__metadata__") or {}
    except (OSError, ValueError, AttributeError, RecursionError):
        return False
    if not isinstance(meta, dict):
        return False
    return meta.get("format") == "pt" and meta.get("producer") == PRODUCER


def _top_fields(data: bytes):
    """``(field number, bytes)`` of a protobuf message's top-level length-delimited fields,
    in order, until the data end or stop making sense (ONNX's ModelProto: 2 is
    producer_name)."""
    at = 0

    def varint():
        nonlocal at
        value = shift = 0
        while at < len(data) and shift < 64:
            byte = data[at]
            at += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return value
        raise ValueError("cut short")

    try:
        while at < len(data):
            tag = varint()
            field, wire = tag >> 3, tag & 7
            if wire == 0:
                varint()
            elif wire == 1:
                at += 8
            elif wire == 5:
                at += 4
            elif wire == 2:
                n = varint()
                yield field, data[at : at + n]
                at += n
            else:
                return
    except ValueError:
        return


def onnx_producer(path) -> str | None:
    """The ``producer_name`` of the ONNX model at ``path`` (None when it has none)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(1 << 16)  # producer_name (field 2) comes before the graph
    except OSError:
        return None
    for field, value in _top_fields(data):
        if field == 2:
            return value.decode("utf-8", "replace")
        if field > 2:
            return None
    return None


def png_software(path) -> str | None:
    """The PNG's tEXt ``Software`` value (None when it has none): the chunks before the
    image data, as the PNG specification lays them out."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(1 << 16)
    except OSError:
        return None
    at = 8  # after the signature
    while at + 8 <= len(data):
        n = int.from_bytes(data[at : at + 4], "big")
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + n]
        if kind in (b"IDAT", b"IEND"):
            return None
        if kind == b"tEXt" and body.startswith(b"Software\x00"):
            return body[9:].decode("latin-1")
        at += 12 + n
    return None


def _ours(text: str | None) -> bool:
    return text is not None and (text == PRODUCER or text.startswith(PRODUCER + " "))


# what each output writes: (its phrase, the file kinds it may be, the content check)
WRITES = {
    "csv": ("a predictions CSV", ("csv",), lambda p: _predictions_header(_header(p))),
    "sweep-table": ("a sweep's table (CSV)", ("csv",), lambda p: sweep_table_header(_header(p))),
    "sweep-trials": (
        "a sweep's trials (CSV)",
        ("csv",),
        lambda p: _sweep_trials_header(_header(p)),
    ),
    "onnx": ("an ONNX model", ("onnx",), lambda p: _ours(onnx_producer(p))),
    "torch": ("a torch export (safetensors)", ("safetensors",), _torch_export),
    "png": ("a PNG plot", ("png",), lambda p: _ours(png_software(p))),
}


def own_stream(path) -> int | None:
    """1 or 2 when ``path`` is a symlink to this process's own stdout or stderr
    (``/dev/stdout``, ``/proc/self/fd/1``, ``/dev/fd/2``): whatever it is (a terminal, a pipe,
    ``> log``), an output there is written into the stream, never replaces a file
    (``backprop.files`` writes to the descriptor)."""
    text = os.fspath(path)
    if not os.path.islink(text):
        return None
    try:
        target = os.stat(text)  # the kernel follows /proc/self/fd/1's magic link
    except (OSError, ValueError):
        return None
    for fd in (1, 2):
        try:
            own = os.fstat(fd)
        except OSError:
            continue
        if (own.st_dev, own.st_ino) == (target.st_dev, target.st_ino):
            return fd
    return None


def foreign(path, writes: str) -> Kind | None:
    """The kind of the file at ``path`` when an output of ``writes`` (a ``WRITES`` key) may
    not replace it; None when it may (missing, empty, its own kind, this process's own
    stdout or stderr, or not a regular file: ``backprop.files``' rule)."""
    text = os.fspath(path)
    if own_stream(text) is not None:
        return None
    kind = sniff(text)
    if kind.name in ("missing", "special", "empty"):
        return None
    _, kinds, check = WRITES[writes]
    if kind.name in kinds and (check is None or check(text)):
        return None
    if kind.name == "safetensors" and _torch_export(text):
        return Kind("torch-export", "a torch export (safetensors)")
    if kind.name == "onnx" and writes == "onnx":
        made = onnx_producer(text)
        return Kind("onnx", f"an ONNX model made by {made!r}, not by backprop" if made else
                    "an ONNX model that does not say backprop made it")  # fmt: skip
    if kind.name == "png" and writes == "png":
        made = png_software(text)
        return Kind("png", f"a PNG image made by {made!r}, not a backprop plot" if made else
                    "a PNG image that does not say backprop drew it")  # fmt: skip
    csvs = ("csv", "sweep-table", "sweep-trials")  # which CSV it is, when a CSV is refused
    if kind.name == "csv" and writes in csvs and _header(text):
        for name in csvs:
            if name != writes and WRITES[name][2](text):
                return Kind(name, WRITES[name][0])
    return kind


def refuse(path, flag: str, writes: str, *, overwrite: bool = False, how: str = "--overwrite"):
    """``PathError`` when ``foreign`` says no and ``overwrite`` is not given; ``how`` names
    the way to replace it anyway (the CLI's ``--overwrite``)."""
    if overwrite or path is None or os.fspath(path) == "-":
        return
    kind = foreign(path, writes)
    if kind is None:
        return
    raise PathError(
        f"{flag}: {os.fspath(path)!r} already exists and is {kind.phrase}; the command writes "
        f"{WRITES[writes][0]} and would replace it; pick another path, delete it first, or "
        f"give {how} to replace it."
    )


def guard(path, flag: str, writes: str, *, overwrite: bool = False, how: str = "--overwrite"):
    """``refuse`` for ``backprop.files``' ``guard=``: judged at write time, just before the
    rename, so a file put at ``path`` while the command worked (minutes of training, a big
    ``--input``) is judged too, not only what was there when it started; None when
    ``overwrite`` is given (nothing to judge)."""
    if overwrite or path is None or os.fspath(path) == "-":
        return None
    return lambda: refuse(path, flag, writes, overwrite=overwrite, how=how)
