"""``torch.save`` / ``torch.load`` for backprop, without pickle (floor 5).

PyTorch's ``torch.save`` pickles whatever it is given, and unpickling can run arbitrary code;
backprop never pickles and never unpickles. What it does instead:

- ``save(model, path)`` for an ``nn.MLP`` or an ``nn.Sequential`` of ``Linear`` and
  activations writes a backprop model file (``backprop.io.save``: weights and the model's
  description in one safetensors file), and ``load(path)`` gives the ready model back.
- ``save(obj, f)`` for a tensor or a nest of dicts, lists and tuples holding tensors, numbers,
  strings, booleans and ``None`` -- a ``state_dict()``, a checkpoint
  ``{"epoch": 3, "model": model.state_dict(), "optimizer": opt.state_dict()}`` -- writes a
  safetensors file whose metadata holds the nest's shape as JSON (format
  ``backprop-tree-1``); ``load(f)`` rebuilds the same nest with tensors in place.
  ``f`` is a path or a binary file object.
- Any other object (a user's own ``nn.Module`` subclass, a function, ...) is refused with a
  message saying what to save instead (its ``state_dict()``).
- ``load`` of a file written by PyTorch's ``torch.save`` (a zip archive or a raw pickle) is
  refused with a message telling how to convert it with PyTorch
  (``safetensors.torch.save_file(torch.load(p), out)``), since reading it means unpickling.

``map_location`` may be ``None``, ``"cpu"`` or ``backprop.device("cpu")``; ``weights_only``,
``mmap`` and ``pickle_module`` are accepted and change nothing (nothing is unpickled).
"""

from __future__ import annotations

import json
import math
import os
from collections import OrderedDict

import numpy as np

from .errors import ConfigError, DeviceError, ModelFileError

__all__ = ["TREE_FORMAT", "load", "save"]

TREE_FORMAT = "backprop-tree-1"
_SCALARS = {bool: "bool", int: "int", float: "float", str: "str"}


def _encode(obj, tensors: dict, where: str):
    from .autograd.tensor import Tensor

    if isinstance(obj, Tensor):
        key = f"t{len(tensors)}"
        tensors[key] = np.array(obj._data, order="C")
        return {"t": "tensor", "k": key}
    if obj is None:
        return {"t": "none"}
    if isinstance(obj, np.ndarray) and obj.dtype.kind in "biuf":
        key = f"t{len(tensors)}"
        tensors[key] = np.array(obj, order="C")
        return {"t": "ndarray", "k": key}
    if isinstance(obj, (np.integer, np.floating, np.bool_)):
        obj = obj.item()
    kind = _SCALARS.get(type(obj))
    if kind == "float" and not math.isfinite(obj):
        return {"t": "float", "v": repr(obj)}
    if kind is not None:
        return {"t": kind, "v": obj}
    if isinstance(obj, dict):
        items = []
        for k, v in obj.items():
            if type(k) not in _SCALARS:
                raise ConfigError(
                    f"save: dict keys must be strings, numbers or booleans; {where} has a key "
                    f"of type {type(k).__name__} ({k!r}). Use string keys."
                )
            items.append([_encode(k, tensors, where), _encode(v, tensors, f"{where}[{k!r}]")])
        return {"t": "odict" if isinstance(obj, OrderedDict) else "dict", "items": items}
    if isinstance(obj, (list, tuple)):
        kind = "list" if isinstance(obj, list) else "tuple"
        return {
            "t": kind,
            "items": [_encode(v, tensors, f"{where}[{i}]") for i, v in enumerate(obj)],
        }
    from .nn.module import Module

    if isinstance(obj, Module):
        fix = (
            "save its weights instead: torch.save(model.state_dict(), f), then rebuild the "
            "model in code and call model.load_state_dict(torch.load(f))"
        )
        raise ConfigError(
            f"save: {where} is a {type(obj).__name__} module; saving a whole module needs "
            f"pickle, which backprop refuses (loading a pickle can run any code). Whole "
            f"models are saved only for nn.MLP and nn.Sequential stacks of Linear and "
            f"activations; {fix}."
        )
    raise ConfigError(
        f"save: {where} is a {type(obj).__name__}, which backprop cannot store without "
        f"pickle. Storable: tensors, NumPy arrays, numbers, strings, booleans, None, and "
        f"dicts, lists and tuples of these (a state_dict() is fine)."
    )


def _decode(node, arrays: dict):
    from .autograd.factories import from_numpy

    kind = node["t"]
    if kind == "tensor":
        return from_numpy(np.array(arrays[node["k"]], copy=True))
    if kind == "ndarray":
        return np.array(arrays[node["k"]], copy=True)
    if kind == "none":
        return None
    if kind == "float":
        return float(node["v"])
    if kind in ("int", "bool", "str"):
        value = node["v"]
        want = {"int": int, "bool": bool, "str": str}[kind]
        if type(value) is not want:  # noqa: E721 - bool is an int; the exact type is the rule
            raise TypeError(f"a {kind} entry holds {type(value).__name__} {value!r}")
        return value
    if kind in ("dict", "odict"):
        pairs = [(_decode(k, arrays), _decode(v, arrays)) for k, v in node["items"]]
        return OrderedDict(pairs) if kind == "odict" else dict(pairs)
    if kind in ("list", "tuple"):
        values = [_decode(v, arrays) for v in node["items"]]
        return values if kind == "list" else tuple(values)
    raise ModelFileError(f"load: unknown entry kind {kind!r} in a {TREE_FORMAT} file.")


def _is_whole_model(obj) -> bool:
    from .nn.module import Module

    return isinstance(obj, Module)


def _check_map_location(map_location) -> None:
    if map_location is None or callable(map_location) or isinstance(map_location, dict):
        return
    if str(map_location) != "cpu":
        raise DeviceError(
            f"load: map_location={map_location!r}, but backprop runs on the CPU only; "
            f"pass map_location='cpu' or leave it out."
        )


def save(obj, f, *args, **kwargs):
    """Save a model (MLP/Sequential), a tensor, or a nest of tensors (see module docstring).

    Extra torch keywords (``pickle_module``, ``pickle_protocol``,
    ``_use_new_zipfile_serialization``) are accepted and ignored; backprop's model-file
    keywords (``spec=``, ``metadata=``, ``allow_nan=``) go to ``backprop.io.save``.

    Examples:
        >>> import backprop as bp
        >>> import os, tempfile
        >>> folder = tempfile.TemporaryDirectory()  # deleted with the object
        >>> path = os.path.join(folder.name, 'weights.pt')
        >>> bp.save({'w': bp.tensor([1.0, 2.0])}, path)
        >>> bp.load(path)
        {'w': tensor([1., 2.])}
    """
    torch_only = {
        "pickle_module",
        "pickle_protocol",
        "_use_new_zipfile_serialization",
        "_disable_byteorder_record",
    }
    for name in torch_only:
        kwargs.pop(name, None)
    if _is_whole_model(obj):
        from .io import save as save_model

        if hasattr(f, "write"):
            raise ConfigError(
                "save: a whole model is saved to a path (a backprop model file), not to a "
                "file object; pass a path, or save model.state_dict() to the file object."
            )
        try:
            return save_model(obj, f, *args, **kwargs)
        except ModelFileError as error:
            if "cannot describe" in str(error):
                _encode(obj, {}, "obj")  # raises the clear 'save its state_dict' error
            raise
    if args or kwargs:
        raise ConfigError(
            f"save: unexpected arguments {list(args) + sorted(kwargs)} for saving a "
            f"{type(obj).__name__}; torch.save(obj, f) takes only the object and the file."
        )
    import safetensors.numpy

    tensors: dict = {}
    try:
        tree = _encode(obj, tensors, "obj")
    except RecursionError:
        raise ConfigError(
            "save: the object contains itself (a list or dict inside itself, or nested too "
            "deeply to write); save a tree of tensors, numbers and strings."
        ) from None
    data = safetensors.numpy.save(
        tensors, metadata={"format": TREE_FORMAT, "tree": json.dumps(tree)}
    )
    if hasattr(f, "write"):
        f.write(data)
        return None
    from .files import atomic_write_bytes

    atomic_write_bytes(os.fspath(f), data, who="save(obj, f)")
    return None


def _header(data: bytes) -> dict | None:
    if len(data) < 8:
        return None
    size = int.from_bytes(data[:8], "little")
    if size <= 0 or size > len(data) - 8 or size > 100_000_000:
        return None
    try:
        return json.loads(data[8 : 8 + size])
    except ValueError:
        return None


def _refuse_torch_file(data: bytes, label: str) -> None:
    # only for a file that is not safetensors: a safetensors file starts with its header's
    # length, whose first byte may well be 0x80 (a 128-byte header), as a pickle's does
    if _header(data) is not None or data[8:10] == b'{"':  # a header, maybe past what we read
        return
    if data[:4] == b"PK\x03\x04" or (data[:1] == b"\x80" and data[1:2] in b"\x02\x03\x04\x05"):
        kind = "zip archive" if data[:2] == b"PK" else "pickle"
        raise ModelFileError(
            f"load({label}): this is a PyTorch torch.save file (a {kind} holding a pickle); "
            f"backprop never unpickles (a pickle can run any code). Convert it once with "
            f"PyTorch: `from safetensors.torch import save_file; "
            f"save_file(torch.load(path, weights_only=True), 'weights.safetensors')`, then "
            f"load that file's tensors with safetensors.numpy.load_file."
        )


def load(f, map_location=None, *args, weights_only=None, mmap=None, pickle_module=None, **kwargs):
    """Load what ``save`` wrote: the tensor nest, or the model of a backprop model file.

    Examples:
        >>> import backprop as bp
        >>> import os, tempfile
        >>> folder = tempfile.TemporaryDirectory()  # deleted with the object
        >>> path = os.path.join(folder.name, 'x.pt')
        >>> bp.save(bp.tensor([[1.0, 2.0]]), path)
        >>> bp.load(path)
        tensor([[1., 2.]])
    """
    _check_map_location(map_location)
    from .reading import MODEL_LIMIT, ModelFilePathError, read_bytes

    if hasattr(f, "read"):
        label = repr(getattr(f, "name", "<file object>"))
        data = f.read(MODEL_LIMIT + 1)  # a stream with no end (/dev/zero) stops here
        if len(data) > MODEL_LIMIT:
            raise ModelFileError(
                f"load({label}): more than {MODEL_LIMIT >> 30} GiB; not a file save() wrote."
            )
    else:
        if not isinstance(f, (str, os.PathLike)):
            from .io import load as load_model

            return load_model(f, *args, **kwargs)  # its own clear message for a bad path
        label = repr(os.fspath(f))
        # the project's reader: a FIFO, device or folder is refused before it is opened (a
        # FIFO with no writer blocked open() for ever), and the size is bounded
        data = read_bytes(
            f, label=f"load({label})", limit=MODEL_LIMIT, what="file save() wrote",
            param="load(f)", error=ModelFilePathError,
        )  # fmt: skip
        header = _header(data)
        if header is None or header.get("__metadata__", {}).get("format") != TREE_FORMAT:
            _refuse_torch_file(data, label)
            from .io import load as load_model

            return load_model(f, *args, **kwargs)
    header = _header(data)
    if header is None or header.get("__metadata__", {}).get("format") != TREE_FORMAT:
        _refuse_torch_file(data, label)
        raise ModelFileError(
            f"load({label}): not a file written by backprop's save(obj, f) (no "
            f"{TREE_FORMAT} metadata); a model file is loaded from its path."
        )
    import safetensors.numpy

    try:
        arrays = safetensors.numpy.load(data)
        tree = json.loads(header["__metadata__"]["tree"])
    except Exception as error:  # noqa: BLE001 - the library's and json's own checks: wrap
        raise ModelFileError(f"load({label}): the file is damaged: {error}.") from None
    try:
        return _decode(tree, arrays)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError) as err:
        # the tree is the file's own JSON: a lying one must not reach the caller as a bare
        # KeyError (and a value of the wrong type is caught by _decode's checks)
        raise ModelFileError(
            f"load({label}): the file's {TREE_FORMAT} tree is not one save() writes "
            f"({type(err).__name__}: {err}); the file is damaged or was edited."
        ) from None
