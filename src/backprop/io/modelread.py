"""Reading a model file as untrusted bytes: each check ``modelfile.read`` runs, in order.

The file's kind (a spec, history, CSV, ONNX or pickle given as a model is named as such),
the metadata's fields (``format: backprop``, valid JSON, a valid model spec, a stored
experiment spec that passes ``filespec.check_file_spec``), the tensors' names, dtypes and
shapes against that spec, the arrays, and building the model without touching the global
random stream. Every problem is one ``ModelFileError`` (a path's, ``ModelFilePathError``)
with a one-line reason; a lying file's long values are clipped in it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from ..errors import ModelFileError, SpecError
from ..filekind import HEAD, of_bytes, wrong_kind
from ..reading import MODEL_LIMIT, ModelFilePathError, read_bytes
from .container import Container
from .filespec import check_file_spec
from .modelspec import build_model, expected_tensors, normalize_model_spec

FORMAT = "backprop"
RESERVED = ("format", "backprop_version", "model", "spec")
_ST_DTYPE = {"float32": "F32", "float64": "F64"}


def _read_bytes(target: Path, label: str) -> bytes:
    """The file's bytes (``backprop.reading``: a regular file of at most MODEL_LIMIT)."""
    if os.path.isdir(target):
        inside = sorted(p.name for p in target.glob("*.safetensors"))[:5]
        hint = f"; model files in it: {inside}" if inside else ""
        raise ModelFilePathError(f"{label}: is a folder, not a model file{hint}.")
    if not os.path.lexists(target) and os.path.isdir(target.parent):  # else reading says
        sibling = target.with_name(target.name + ".safetensors")
        hint = f" Did you mean {sibling}?" if sibling.is_file() else ""
        raise ModelFilePathError(f"{label}: model file not found.{hint}")
    return read_bytes(
        target, label=label, limit=MODEL_LIMIT, what="model file", error=ModelFilePathError
    )


def _not_text(data: bytes, label: str) -> None:
    """A file of another kind given as a model (a spec, a history, a CSV, ONNX, a PyTorch
    pickle, an image, a backup): say what it is and what fits (``backprop.filekind``),
    before the container's header-length check, whose number would be meaningless."""
    if len(data) < 8:  # shorter than a header length: the container says "truncated"
        return
    kind = of_bytes(data[:HEAD], label)
    if kind.name not in ("model", "safetensors", "binary", "empty"):
        raise ModelFileError(wrong_kind(kind, label, "model"))


def _fields(container: Container, label: str) -> dict:
    meta = container.metadata or {}
    if meta.get("format") != FORMAT:
        got = f"format {_clip(repr(meta['format']), 80)}" if "format" in meta else "no format field"
        raise ModelFileError(
            f"{label}: not a backprop model file (its metadata has {got}, expected "
            f"{FORMAT!r}). It holds {container.describe()}. Load such weights with "
            "safetensors.numpy.load_file and model.load_state_dict."
        )
    if "model" not in meta:
        raise ModelFileError(
            f"{label}: the model description (metadata 'model') is missing, so the file "
            "cannot rebuild its model; it was not written by backprop.io.save or was edited."
        )
    fields = {}
    first = [key for key in RESERVED if key in meta]
    for key in first + sorted(set(meta) - set(RESERVED)):
        text = meta[key]
        if key in ("format", "backprop_version"):
            fields[key] = text
            continue
        try:
            fields[key] = json.loads(text, parse_constant=_no_constant)
        except (ValueError, RecursionError) as error:
            if key not in RESERVED:
                fields[key] = text  # a user's plain string, e.g. added by another tool
                continue
            raise ModelFileError(
                f"{label}: metadata {key!r} is not valid JSON ({str(error)[:80]}); the file is "
                "corrupted."
            ) from None
    try:
        fields["model"] = normalize_model_spec(fields["model"])
    except SpecError as error:
        raise ModelFileError(
            f"{label}: the stored model description (metadata 'model') is invalid: "
            f"{_clip(str(error))}"
        ) from None
    if "spec" in fields:
        check_file_spec(fields["spec"], fields["model"], label)
    return fields


def _clip(text: str, width: int = 300) -> str:
    """A message part cut to ``width`` characters (a lying file may hold 100 kB values)."""
    return text if len(text) <= width else text[: width - 3] + "..."


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _check_tensors(container: Container, spec: dict, label: str) -> None:
    expected = expected_tensors(spec)
    dtype = _ST_DTYPE[spec["dtype"]]
    entries = container.entries
    problems = []
    missing = [key for key in expected if key not in entries]
    unexpected = [key for key in entries if key not in expected]
    if missing:
        problems.append(f"missing tensor(s) {missing}")
    if unexpected:
        problems.append(f"unexpected tensor(s) {unexpected}")
    for key, shape in expected.items():
        entry = entries.get(key)
        if entry is None:
            continue
        if entry.shape != shape:
            problems.append(f"{key} has shape {list(entry.shape)}, expected {list(shape)}")
        if entry.dtype != dtype:
            problems.append(f"{key} is {entry.dtype}, expected {dtype} ({spec['dtype']})")
    if problems:
        raise ModelFileError(
            f"{label}: the tensors do not match the model description (sizes "
            f"{spec['sizes']}, bias={spec['bias']}): {'; '.join(problems)}."
        )


def _arrays(data: bytes, label: str) -> dict[str, np.ndarray]:
    import safetensors.numpy

    try:
        loaded = safetensors.numpy.load(data)
    except Exception as error:  # the library's own checks, after ours: wrap, never leak
        raise ModelFileError(f"{label}: safetensors cannot read the file: {error}.") from None
    return {key: np.array(value, copy=True) for key, value in loaded.items()}


def _build(spec: dict, dtype, label: str):
    """Build without drawing from the global random stream (loading must not change it)."""
    from ..autograd.random import default_generator

    generator = default_generator()
    state = generator.get_state()
    try:
        return build_model(spec, dtype=dtype)
    except SpecError as error:
        raise ModelFileError(
            f"{label}: cannot build the stored model: {_clip(str(error))}"
        ) from None
    finally:
        generator.set_state(state)
