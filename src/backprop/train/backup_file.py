"""The training backup file: a run's whole state in one safetensors file, checked on read.

``write(path, tree)`` stores a tree of plain values (dicts, lists, tuples, str, int, float,
bool, None) and arrays (NumPy arrays and scalars, backprop Tensors). Each array becomes a
safetensors tensor named by its place in the tree (``optimizer/state/0/exp_avg``); the tree
becomes JSON in the file's metadata with every array replaced by a reference to its tensor,
and a SHA-256 over that JSON and every tensor (name, dtype, shape, bytes) is stored beside
it. Floats keep every bit (``repr`` in JSON; NaN and infinities tagged), tuples stay tuples.
The write is atomic (``backprop.files``): a crash leaves the previous backup or the new one;
a symlink at the path is replaced itself, never followed (``follow_symlinks=False``).

``read(path)`` treats the file as untrusted: it must be a regular file of at most
``reading.BACKUP_LIMIT`` (a FIFO or device is refused before a byte is read); the container
(``io.container``), the format tag, the version, the JSON and the checksum are checked
before the tree is rebuilt, and every problem is one ``ModelFileError`` naming the file,
what is wrong and the fix. Nothing is pickled or executed. What the tree means, and whether
it fits the model, is ``backup.BackupAndRestore``'s business.

Metadata (str -> str): ``format`` "backprop-backup", ``backup_version`` "1",
``backprop_version``, ``state`` (the JSON tree), ``sha256``.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np

from ..errors import ModelFileError
from ..files import atomic_write_bytes

__all__ = ["FORMAT", "VERSION", "read", "write"]

FORMAT = "backprop-backup"
VERSION = 1


def _fix(label: str) -> str:
    return (
        f"BackupAndRestore cannot resume from it: delete {label} (training then starts at "
        "epoch 1) or put back an intact copy."
    )


# -- writing -------------------------------------------------------------------------------
def write(path, tree: dict) -> Path:
    """Write ``tree`` (plain values and arrays) to ``path`` atomically; returns the path."""
    import safetensors.numpy

    from .. import __version__

    arrays: dict[str, np.ndarray] = {}
    text = json.dumps(_encode(tree, "", arrays), allow_nan=False, ensure_ascii=False)
    fields = {
        "format": FORMAT,
        "backup_version": str(VERSION),
        "backprop_version": __version__,
        "state": text,
        "sha256": _digest(text, arrays),
    }
    data = safetensors.numpy.save(arrays, metadata=fields)
    # the backup is the program's own file: a symlink planted at its name is replaced, never
    # written through (its target stays untouched, no temp file appears beside it)
    return atomic_write_bytes(path, data, who="the training backup", follow_symlinks=False)


def _encode(value, where: str, arrays: dict):
    """The JSON form of ``value``; arrays go into ``arrays`` under their place in the tree."""
    from ..autograd.tensor import Tensor

    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, float) and not isinstance(value, np.generic):
        return value if math.isfinite(value) else {"$float": repr(value)}
    if isinstance(value, Tensor | np.ndarray | np.generic):  # NumPy scalars keep their type
        kind = "$tensor" if isinstance(value, Tensor) else "$array"
        array = value._data if isinstance(value, Tensor) else np.asarray(value)
        kind = "$scalar" if isinstance(value, np.generic) else kind
        if array.dtype.kind not in "biuf":
            raise TypeError(f"{where or 'the state'} is an array of dtype {array.dtype}")
        name = where or "value"
        while name in arrays:
            name += "'"
        arrays[name] = _contiguous(array)
        return {kind: name}
    if isinstance(value, tuple):
        return {"$tuple": [_encode(v, f"{where}/{i}", arrays) for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [_encode(v, f"{where}/{i}", arrays) for i, v in enumerate(value)]
    if isinstance(value, dict):
        plain = all(isinstance(k, str) and not k.startswith("$") for k in value)
        if plain:
            return {k: _encode(v, f"{where}/{k}" if where else k, arrays) for k, v in value.items()}
        return {
            "$items": [
                [_encode(k, f"{where}/key", arrays), _encode(v, f"{where}/{k}", arrays)]
                for k, v in value.items()
            ]
        }
    raise TypeError(f"{where or 'the state'} is a {type(value).__name__}")


def _contiguous(array: np.ndarray) -> np.ndarray:
    """C order, same shape (``np.ascontiguousarray`` turns 0-d arrays into 1-d ones)."""
    return array if array.flags.c_contiguous else array.copy(order="C")


def _digest(text: str, arrays: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256(text.encode("utf-8"))
    for name in sorted(arrays):
        array = _contiguous(arrays[name])
        h.update(f"\0{name}\0{array.dtype.str}\0{list(array.shape)}\0".encode())
        h.update(array.reshape(-1).view(np.uint8))
    return h.hexdigest()


# -- reading -------------------------------------------------------------------------------
def read(path) -> dict:
    """The tree stored in the backup ``path``, after every check; else ModelFileError."""
    from ..io.container import parse
    from ..reading import BACKUP_LIMIT, ModelFilePathError, check_path, read_bytes

    label = check_path(path, "backup_file.read(path)", ModelFilePathError)
    data = read_bytes(label, label=label, limit=BACKUP_LIMIT, what="training backup",
                      error=ModelFilePathError, fix=_fix(label))  # fmt: skip
    try:
        container = parse(data, label)
    except ModelFileError as error:
        raise ModelFileError(f"{error} {_fix(label)}") from None
    meta = container.metadata or {}
    if meta.get("format") != FORMAT:
        got = f"format {meta['format']!r}" if "format" in meta else "no format field"
        model_file = meta.get("format") == "backprop"
        what = " (a model file, from io.save or ModelCheckpoint)" if model_file else ""
        raise ModelFileError(
            f"{label}: not a training backup{what}: its metadata has {got}, expected "
            f"{FORMAT!r}. Keep model files out of the backup folder (give ModelCheckpoint "
            f"another path), and delete {label} so training can start."
        )
    version = meta.get("backup_version")
    if version != str(VERSION):
        raise ModelFileError(
            f"{label}: backup version {version!r}, but this backprop reads version "
            f"{VERSION}; resume with the backprop that wrote it, or delete {label}."
        )
    text, digest = meta.get("state"), meta.get("sha256")
    if not isinstance(text, str) or not isinstance(digest, str):
        raise ModelFileError(f"{label}: the metadata lacks 'state' or 'sha256'. {_fix(label)}")
    arrays = _arrays(data, label)
    if _digest(text, arrays) != digest:
        raise ModelFileError(
            f"{label}: checksum mismatch: the SHA-256 of its contents differs from the one "
            f"stored when it was written, so the file was changed since (disk error, partial "
            f"copy, edit). {_fix(label)}"
        )
    try:
        tree = json.loads(text)
        return _decode(tree, arrays)
    except (ValueError, KeyError, TypeError, IndexError, RecursionError) as error:
        raise ModelFileError(
            f"{label}: the stored state cannot be decoded ({type(error).__name__}: "
            f"{str(error)[:80]}). {_fix(label)}"
        ) from None


def _arrays(data: bytes, label: str) -> dict[str, np.ndarray]:
    import safetensors.numpy

    try:
        loaded = safetensors.numpy.load(data)
    except Exception as error:  # the library's own checks, after ours: wrap, never leak
        raise ModelFileError(
            f"{label}: safetensors cannot read the file: {error}. {_fix(label)}"
        ) from None
    return {key: np.array(value, copy=True) for key, value in loaded.items()}


def _decode(value, arrays: dict):
    from ..autograd.tensor import Tensor

    if isinstance(value, list):
        return [_decode(v, arrays) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        tag, inner = next(iter(value.items()))
        if tag in ("$array", "$tensor", "$scalar"):
            array = arrays[inner]
            if tag == "$tensor":
                return Tensor._wrap(array)
            return array[()] if tag == "$scalar" else array
        if tag == "$float":
            if inner not in ("nan", "inf", "-inf"):
                raise ValueError(f"$float {inner!r}")
            return float(inner)
        if tag == "$tuple":
            return tuple(_decode(v, arrays) for v in inner)
        if tag == "$items":
            return {_decode(k, arrays): _decode(v, arrays) for k, v in inner}
    return {k: _decode(v, arrays) for k, v in value.items()}
