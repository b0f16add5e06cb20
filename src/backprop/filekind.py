"""What kind of file is this? One answer, from the file's content, for every reader.

A student gave ``summary`` a ``history.json``, ``gradcheck`` a ``history.csv`` and
``predict`` a ``model.onnx``; each got a message about something else (an unknown spec
field, an unknown built-in spec, a header length of 7.7e18 bytes). Readers of user-named
files (``io.read``/``load``, ``spec.load``, the CSV reader, and the CLI's ``summary`` and
``gradcheck``, which take a model or a spec) ask ``of_bytes`` or ``sniff`` first and refuse
a wrong kind with ``wrong_kind``: one sentence naming what the file is, what was wanted, and
the command or file that fits. The suffix is a hint only (an ``.onnx`` name); the content
decides.

Kinds (``Kind.name``): ``model`` and ``backup`` (safetensors with backprop's format tag),
``safetensors`` (any other, or a header too large to see), ``spec``, ``history`` (what
``History.to_json`` writes), ``history-csv`` (the run's ``history.csv``), ``json``,
``csv``, ``text``, ``onnx``, ``torch`` (a zip holding ``data.pkl``), ``zip``, ``pickle``,
``gzip``, ``png``, ``jpeg``, ``npy``, ``hdf5``, ``pdf``, ``empty``, ``binary`` (none of
these). ``sniff`` adds ``missing`` and ``special`` (folder, FIFO, device: ``reading``
refuses those with its own sentence). It reads at most ``HEAD`` bytes, with ``reading``'s
care (``O_NONBLOCK``, regular files only). It does not check that a file is valid; the
readers do.
"""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass

__all__ = ["CSV_LIKE", "HEAD", "Kind", "model_or_spec", "of_bytes", "sniff", "wrong_kind"]

HEAD = 1 << 16  # bytes looked at: enough for any header a backprop file starts with
_MAX_HEADER = 100 * 1024 * 1024  # io.container.MAX_HEADER (not imported: floor 0)
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "png", "a PNG image"),
    (b"\xff\xd8\xff", "jpeg", "a JPEG image"),
    (b"\x1f\x8b", "gzip", "a gzip file"),
    (b"\x93NUMPY", "npy", "a NumPy .npy file"),
    (b"\x89HDF", "hdf5", "an HDF5 file"),
    (b"%PDF", "pdf", "a PDF document"),
)
# protobuf field tags that follow ModelProto's ir_version (field 1) in an ONNX file
_ONNX_NEXT = frozenset(b"\x12\x1a\x22\x2a\x32\x3a\x42\x52\x5a\x72\x7a")


@dataclass(frozen=True)
class Kind:
    """``name`` (see the module docstring) and ``phrase``, e.g. "a training history"."""

    name: str
    phrase: str


def of_bytes(data: bytes, name: str = "") -> Kind:
    """The kind of a file whose first bytes (at least ``HEAD`` of them, or all) are ``data``;
    ``name`` (the path) is a hint for ONNX and history files only."""
    if not data:
        return Kind("empty", "an empty file (0 bytes)")
    safetensors = _safetensors(data)
    if safetensors is not None:
        return safetensors
    for magic, kind, phrase in _MAGIC:
        if data.startswith(magic):
            return Kind(kind, phrase)
    if data.startswith(b"PK\x03\x04"):
        if b"data.pkl" in data[:HEAD]:
            return Kind("torch", "a PyTorch checkpoint (torch.save: a zip holding a pickle)")
        return Kind("zip", "a ZIP archive")
    if data[:1] == b"\x80" and data[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return Kind("pickle", "a Python pickle (torch.save's old format, or pickle.dump)")
    if _onnx(data, name):
        return Kind("onnx", "an ONNX model")
    return _text(data, name) or Kind("binary", "a binary file of unknown kind")


def sniff(path) -> Kind:
    """The kind of the file at ``path`` (a str or PathLike), reading at most ``HEAD`` bytes."""
    text = os.fspath(path)
    try:
        info = os.stat(text)
    except (OSError, ValueError):
        if os.path.lexists(text):
            return Kind("special", "a path that cannot be opened")
        return Kind("missing", "no such file")
    if not stat.S_ISREG(info.st_mode):
        return Kind("special", "not a regular file")
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(text, flags)
    except OSError:
        return Kind("special", "a file that cannot be read")
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped since the stat
            return Kind("special", "not a regular file")
        return of_bytes(os.read(fd, HEAD), text)
    except OSError:
        return Kind("special", "a file that cannot be read")
    finally:
        os.close(fd)


def _safetensors(data: bytes) -> Kind | None:
    """8-byte little-endian header length, then a JSON object: backprop's, or another's."""
    if len(data) < 9 or data[8:9] != b"{":
        return None
    n = int.from_bytes(data[:8], "little")
    if n > _MAX_HEADER:
        return None
    fmt = None
    try:
        header = json.loads(data[8 : 8 + n])
        fmt = (header.get("__metadata__") or {}).get("format")
    except (ValueError, AttributeError, RecursionError):  # cut off at HEAD, or broken
        found = re.search(rb'"format"\s*:\s*"([^"]{0,40})"', data[8 : 8 + min(n, HEAD)])
        fmt = found.group(1).decode("utf-8", "replace") if found else None
    if fmt == "backprop":
        return Kind("model", "a model file (safetensors)")
    if fmt == "backprop-backup":
        return Kind("backup", "a training backup (the state `--backup` keeps for resuming)")
    return Kind("safetensors", "a safetensors file")


def _onnx(data: bytes, name: str) -> bool:
    """ModelProto starts with ir_version (tag 0x08, a small varint) then another field."""
    signature = len(data) >= 3 and data[0] == 0x08 and 1 <= data[1] <= 64 and data[2] in _ONNX_NEXT
    return signature or (name.lower().endswith(".onnx") and data[:1] == b"\x08")


def _text(data: bytes, name: str) -> Kind | None:
    head = data[:HEAD]
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 4:  # a character cut at the HEAD edge is still text
            return None
        text = head[: error.start].decode("utf-8-sig", errors="ignore")
    if any(ch in text for ch in "\0\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f"):
        return None
    stripped = text.lstrip()
    if stripped.startswith("{"):
        # a spec's "epochs" is a number; a history's is a list, and its first key: a long
        # run's list pushes "history" past the bytes looked at
        if re.search(r'"epochs"\s*:\s*\[', stripped):
            return Kind("history", "a training history (history.json)")
        spec_keys = r'"(data|model|optimizer|epochs|version|seed|loss)"\s*:'
        if re.search(spec_keys, stripped):
            return Kind("spec", "a spec file (JSON)")
        return Kind("json", "a JSON document")
    if stripped.startswith("["):
        return Kind("json", "a JSON document")
    first = stripped.splitlines()[0] if stripped else ""
    if not first:
        return None  # blank: nothing to go by
    if first.startswith("epoch,") and "loss" in first:
        return Kind("history-csv", "a training history (history.csv)")
    if any(sep in first for sep in ",;\t"):
        return Kind("csv", f"a text file (a CSV?) starting {first[:40]!r}")
    return Kind("text", f"a text file starting {first[:40]!r}")


# -- refusals ------------------------------------------------------------------------------
_WANTS = {
    "model": "a model file (the .safetensors file a training writes)",
    "spec": "a spec file (the JSON experiment spec `backprop train` reads)",
    "model or spec": "a model file (.safetensors) or a spec file (JSON)",
    "csv": "a CSV file (a header row, then one row per sample)",
}
CSV_LIKE = ("csv", "history-csv", "text", "binary", "empty")  # the CSV reader's own checks


def wrong_kind(kind: Kind, label: str, wants: str) -> str:
    """One sentence: ``label`` is ``kind``, not what ``wants`` ("model", "spec", "model or
    spec"); and what to give or run instead."""
    from .apinames import in_cli

    wanted = (
        _WANTS[wants] if in_cli() else _WANTS[wants].replace("`backprop train`", "backprop.run")
    )
    return f"{label}: this is {kind.phrase}, not {wanted}; {_fix(kind, label, wants)}"


def _fix(kind: Kind, label: str, wants: str) -> str:
    from .apinames import in_cli  # floor 0, as this module

    python = None if in_cli() else _python_fix(kind, label, wants)
    return python or _cli_fix(kind, label, wants)


def _python_fix(kind: Kind, label: str, wants: str) -> str | None:
    """The fix in Python's calls, for a file refused inside a Python call (``backprop.load(
    "spec.json")`` suggested `backprop train spec.json`); None: the command line's words fit."""
    path = _path(label)
    if kind.name == "spec" and wants != "csv":
        beside = os.path.join(os.path.dirname(path), "model.safetensors")
        if wants == "model" and os.path.isfile(beside):
            return (
                f"the model this spec trained is beside it: give {beside!r} "
                f"(`backprop.run({path!r})` would train it again)."
            )
        return (
            f"did you mean `backprop.run({path!r})`? (it trains the spec; run.model is the network)"
        )
    if kind.name == "model" and wants != "csv":
        return (
            f"load it with `backprop.load({path!r})`, or predict with "
            f"`backprop.predict({path!r}, x)`."
        )
    if kind.name == "model":
        return f"it is the model, not the data: `backprop.predict({path!r}, x)` with x the rows."
    if kind.name == "spec":
        return f"it is the spec, not the data: `backprop.run({path!r})` trains it."
    if kind.name == "csv":
        if wants == "spec":
            data = f'{{"csv": {json.dumps(path)}, "target": "COLUMN"}}'
            return f'to train on it, `backprop.run({{"data": {data}}})`.'
        return "to predict for its rows, `backprop.predict(MODEL, x)` with x its rows as an array."
    if kind.name == "backup":
        return (
            "`backprop.run(SPEC, callbacks=[backprop.train.BackupAndRestore(DIR)])` resumes from "
            "it; the finished run's model.safetensors is in its run folder."
        )
    return None


def _cli_fix(kind: Kind, label: str, wants: str) -> str:
    run_file = "model.safetensors" if wants != "spec" else "spec.json"
    if kind.name in ("history", "history-csv"):
        return f"the run folder beside it holds {run_file}; give that."
    if wants == "csv":
        if kind.name in ("model", "spec"):
            usage = "predict MODEL --input" if kind.name == "model" else "train SPEC --csv"
            return f"it goes before the data: `backprop {usage} DATA.csv`."
        if kind.name == "history":
            return "the run folder beside it holds the same as history.csv."
        return "give a UTF-8 CSV file with a header row."
    if kind.name == "spec":
        path = _path(label)
        beside = os.path.join(os.path.dirname(path), "model.safetensors")
        if wants == "model" and os.path.isfile(beside):  # a run folder: its model is there
            return (
                f"the model this spec trained is beside it: give {beside} (`backprop train "
                f"{path}` would train it again)."
            )
        return f"did you mean `backprop train {path}`? (summary and gradcheck take a spec too)"
    if kind.name == "model":
        return "give it to `backprop predict`, `summary`, `explain`, `gradcheck` or `export`."
    if kind.name == "backup":
        return (
            "`backprop train SPEC --backup DIR` resumes from it; the finished run's "
            f"{run_file} is in its run folder."
        )
    if kind.name == "csv":
        if wants == "spec":
            return "to train on it, `backprop train --csv FILE --target COLUMN`."
        return "to predict for its rows, `backprop predict MODEL --input FILE`."
    if kind.name == "onnx":
        return (
            "backprop reads the .safetensors model it wrote (`backprop export --to onnx` writes "
            "ONNX files; run one with ONNX Runtime)."
        )
    if kind.name in ("torch", "pickle"):
        return (
            "backprop never loads pickles (they can run code); give the .safetensors model "
            "backprop wrote."
        )
    if kind.name == "empty":
        return "it holds nothing; write it again, or give another file."
    if wants == "spec":
        return "give a spec .json (a run folder holds its spec.json; README: Experiment specs)."
    return "it is not a safetensors file at all; give the model.safetensors a training wrote."


def _path(label: str) -> str:
    """The path inside a label like "spec file 'x.json'" (or the label itself)."""
    found = re.search(r"'(.*)'", label)
    return found.group(1) if found else label


def model_or_spec(path, label: str) -> str:
    """``"model"`` or ``"spec"``: which reader a command that takes either (``summary``,
    ``gradcheck``) hands ``path`` to, by content; any other kind is refused (``ConfigError``).
    A missing or special path goes by its suffix, so that reader names the problem."""
    from .errors import ConfigError

    kind = sniff(path)
    if kind.name in ("model", "safetensors", "binary", "empty"):
        return "model"
    if kind.name in ("spec", "json", "text"):
        return "spec"
    if kind.name in ("missing", "special"):
        return "model" if os.fspath(path).endswith(".safetensors") else "spec"
    raise ConfigError(wrong_kind(kind, label, "model or spec"))
