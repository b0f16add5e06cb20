"""The safetensors container, read as untrusted bytes: every number checked before use.

A safetensors file is an 8-byte little-endian header length n, n bytes of UTF-8 JSON, then
the raw tensor data. The JSON maps each tensor name to ``{"dtype", "shape",
"data_offsets": [begin, end]}`` (offsets counted from the end of the header) and may hold
``"__metadata__"``, a str -> str dict. ``parse(data, label)`` checks the header length
against the file size, the JSON, every dtype, shape and byte range, and that the ranges
tile the data exactly (no gap, no overlap, nothing after the last tensor), as the
safetensors library itself requires. Any failure is a one-line ``ModelFileError`` that
starts with ``label`` (the path). It does not know what a backprop model is.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from ..errors import ModelFileError

__all__ = ["ITEMSIZE", "MAX_HEADER", "Container", "Entry", "parse"]

MAX_HEADER = 100 * 1024 * 1024  # the limit the safetensors library applies too
ITEMSIZE = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1,
    "U16": 2, "I16": 2, "F16": 2, "BF16": 2,
    "U32": 4, "I32": 4, "F32": 4,
    "U64": 8, "I64": 8, "F64": 8,
}  # fmt: skip


@dataclass(frozen=True)
class Entry:
    """One tensor's header entry; ``begin``/``end`` are offsets into the data section."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    begin: int
    end: int

    def describe(self) -> str:
        return f"{self.name} {self.dtype}{list(self.shape)}"


@dataclass(frozen=True)
class Container:
    """A checked header: metadata (None if absent), entries in header order, data start."""

    metadata: dict[str, str] | None
    entries: dict[str, Entry]
    data_start: int

    def describe(self, limit: int = 8) -> str:
        """A short listing of what the file holds, for "this is not a model file" errors."""
        names = [entry.describe() for entry in self.entries.values()]
        more = f", … ({len(names) - limit} more)" if len(names) > limit else ""
        tensors = f"{len(names)} tensor(s): " + ", ".join(names[:limit]) + more
        keys = "no metadata" if not self.metadata else f"metadata keys {sorted(self.metadata)}"
        return f"{tensors}; {keys}"


def _fail(label: str, message: str) -> ModelFileError:
    return ModelFileError(f"{label}: {message}")


def _looks_like(data: bytes) -> str:
    """ " (it looks like a PNG image)" for a file ``backprop.filekind`` recognises, else ""."""
    from ..filekind import of_bytes

    kind = of_bytes(data[:65536])
    if kind.name in ("binary", "safetensors", "model", "backup", "empty"):
        return ""
    caution = "; never load pickles you did not write" if kind.name in ("pickle", "torch") else ""
    return f" (it looks like {kind.phrase}{caution})"


def parse(data: bytes, label: str) -> Container:
    """Check the bytes of a safetensors file; returns its header or a ModelFileError."""
    size = len(data)
    if size == 0:
        raise _fail(label, "the file is empty (0 bytes), so it holds no model; save it again.")
    if size < 8:
        raise _fail(
            label,
            f"the file is truncated or not a safetensors file: it has {size} bytes, fewer than "
            "the 8-byte header length every safetensors file starts with.",
        )
    n = int.from_bytes(data[:8], "little")
    if n > MAX_HEADER:
        raise _fail(
            label,
            f"not a safetensors file{_looks_like(data)}: its first 8 bytes give a header "
            f"length of {n} bytes, more than any safetensors header (at most {MAX_HEADER}); "
            f"the file has {size} bytes.",
        )
    if 8 + n > size:
        raise _fail(
            label,
            f"the file is truncated (or not a safetensors file{_looks_like(data)}): its header "
            f"length says {n} bytes of JSON follow the first 8, so the file must have at least "
            f"{8 + n} bytes, but it has {size}.",
        )
    header = _json_header(data[8 : 8 + n], label)
    metadata = _metadata(header.pop("__metadata__", None), label)
    entries = {name: _entry(name, info, label) for name, info in header.items()}
    _check_tiling(entries, size - 8 - n, 8 + n, label)
    return Container(metadata, entries, 8 + n)


def _json_header(raw: bytes, label: str) -> dict:
    if not raw.startswith(b"{"):
        raise _fail(
            label,
            f"not a safetensors file, or its header is corrupted: the header should be a JSON "
            f"object starting with '{{' but starts with {raw[:12]!r}.",
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _fail(
            label,
            f"the header is corrupted: byte {error.start} of the JSON header is not valid UTF-8.",
        ) from None
    try:
        header = json.loads(text, object_pairs_hook=_unique, parse_constant=_no_constant)
    except (ValueError, RecursionError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise _fail(label, f"the header is corrupted: it is not valid JSON ({reason}).") from None
    if not isinstance(header, dict):
        raise _fail(label, "the header is corrupted: it is JSON but not an object.")
    return header


def _unique(pairs: list) -> dict:
    out = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"the key {key!r} appears twice")
        out[key] = value
    return out


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _metadata(meta, label: str) -> dict[str, str] | None:
    if meta is None:
        return None
    if not isinstance(meta, dict):
        raise _fail(label, f"__metadata__ must be a JSON object, got {type(meta).__name__}.")
    for key, value in meta.items():
        if not isinstance(value, str):
            raise _fail(
                label,
                f"__metadata__[{key!r}] must be a string (safetensors metadata maps strings to "
                f"strings), got {type(value).__name__}.",
            )
    return meta


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _entry(name: str, info, label: str) -> Entry:
    where = f"tensor {name!r}"
    if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
        got = sorted(info) if isinstance(info, dict) else type(info).__name__
        raise _fail(
            label,
            f"the header entry of {where} must have exactly dtype, shape and data_offsets, "
            f"got {got}.",
        )
    dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
    if dtype not in ITEMSIZE:
        raise _fail(label, f"{where} has an unknown dtype {dtype!r}; known: {sorted(ITEMSIZE)}.")
    if not isinstance(shape, list) or not all(_is_count(d) for d in shape):
        raise _fail(label, f"{where} has an invalid shape {shape!r}; expected a list of sizes.")
    if (
        not isinstance(offsets, list)
        or len(offsets) != 2
        or not all(_is_count(o) for o in offsets)
        or offsets[0] > offsets[1]
    ):
        raise _fail(
            label,
            f"{where} has invalid data_offsets {offsets!r}; expected [begin, end] with "
            "0 <= begin <= end.",
        )
    nbytes = math.prod(shape) * ITEMSIZE[dtype]
    if offsets[1] - offsets[0] != nbytes:
        raise _fail(
            label,
            f"{where} ({dtype}, shape {shape}) needs {nbytes} bytes but its data_offsets "
            f"{offsets} give {offsets[1] - offsets[0]}; the header is corrupted.",
        )
    return Entry(name, dtype, tuple(shape), offsets[0], offsets[1])


def _check_tiling(entries: dict[str, Entry], body: int, start: int, label: str) -> None:
    """The byte ranges must cover the data section exactly, in order, without overlap."""
    cursor = 0
    for entry in sorted(entries.values(), key=lambda e: (e.begin, e.end)):
        if entry.begin != cursor:
            problem = "overlaps the tensor before it" if entry.begin < cursor else "leaves a gap"
            raise _fail(
                label,
                f"tensor {entry.name!r} starts at data byte {entry.begin}, which {problem} "
                f"(expected {cursor}); the header is corrupted.",
            )
        cursor = entry.end
    if cursor > body:
        raise _fail(
            label,
            f"the file is truncated: its header describes {cursor} bytes of tensor data, so the "
            f"file should have {start + cursor} bytes, but it has {start + body} "
            f"({cursor - body} missing).",
        )
    if cursor < body:
        raise _fail(
            label,
            f"the file has {body - cursor} unexpected bytes after the last tensor (expected "
            f"{start + cursor} bytes, found {start + body}); it is corrupted or was appended to.",
        )
