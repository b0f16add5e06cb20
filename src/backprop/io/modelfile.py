"""``save``, ``read`` and ``load``: a model and its description in one safetensors file.

Layout of a file written by ``save``: tensors under the state-dict keys of the MLP that
``build_model(model_spec)`` builds (``0.weight``, ``0.bias``, ``2.weight``, …, what
``torch.nn.Sequential`` expects too), and safetensors metadata (str -> str)::

    format            "backprop"
    backprop_version  "0.1.0"
    model             JSON of the model spec (sizes, activations, options, bias, dtype)
    spec              JSON of the full experiment spec, if one was given (data scaler, ...)
    <key>             JSON of each user metadata value

Reading checks, in this order: the path is a regular file of at most ``MODEL_LIMIT`` bytes
(``backprop.reading``: a FIFO, device or folder is refused before a byte is read); a JSON
spec, history, CSV, ONNX file, pickle, image or backup given as a
model is named as such (``backprop.filekind``); the container (``container``); the
metadata says ``format: backprop`` (else the file is foreign and the error lists what it
holds); the JSON fields parse and the model spec is valid; the stored experiment spec, if
any, passes ``filespec.check_file_spec`` (so readers may trust ``ModelFile.full_spec``);
the tensor names, dtypes and shapes are exactly the ones the spec implies; the weights are
finite (unless ``allow_nan``). Only then is a model built. The checks themselves are in
``modelread``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ModelFileError
from ..files import atomic_write_bytes
from ..reading import ModelFilePathError, check_path
from .container import parse
from .modelread import (  # the checks of an untrusted file, in the order read runs them
    FORMAT,
    RESERVED,
    _arrays,
    _build,
    _check_tensors,
    _fields,
    _not_text,
    _read_bytes,
)
from .modelspec import describe

__all__ = ["FORMAT", "RESERVED", "ModelFile", "load", "read", "save"]


@dataclass
class ModelFile:
    """What a model file holds.

    ``model`` is the rebuilt model (eval mode), ``spec`` the model part of the spec (as
    ``model_spec`` gives it), ``metadata`` every metadata field decoded (``format``,
    ``backprop_version``, ``model``, ``spec`` if saved, and the user's keys), ``tensors``
    the stored arrays by state-dict key (copies, independent of the model's weights).

    Examples:
        >>> import os, tempfile
        >>> import backprop as bp
        >>> from backprop import io, nn
        >>> _ = bp.manual_seed(0)
        >>> model = nn.MLP([2, 4, 1], activation='tanh')
        >>> folder = tempfile.TemporaryDirectory()  # deleted with the object
        >>> path = os.path.join(folder.name, 'model.safetensors')
        >>> _ = io.save(model, path)
        >>> file = io.read(path)  # a ModelFile
        >>> type(file.model).__name__, file.spec['activation']
        ('MLP', ['tanh'])
        >>> file.tensors['0.weight'].shape
        (4, 2)
    """

    model: object
    spec: dict
    metadata: dict
    tensors: dict[str, np.ndarray]
    path: Path | None = None
    full_spec: dict | None = field(default=None)  # the experiment spec given to save(spec=)

    @property
    def scaler(self) -> dict | None:
        """``full_spec["data"]["scaler"]`` (input standardisation) if the file has one."""
        data = (self.full_spec or {}).get("data")
        return data.get("scaler") if isinstance(data, dict) else None


# -- saving --------------------------------------------------------------------------------
def save(model, path, *, spec=None, metadata=None, allow_nan: bool = False) -> Path:
    """Write ``model`` (nn.MLP or nn.Sequential of Linear + activations) to ``path``.

    ``spec`` (the full experiment spec, e.g. with ``spec["data"]["scaler"]``) and
    ``metadata`` (a dict of JSON values) are stored as JSON. NaN/inf weights are refused
    unless ``allow_nan=True``. Parent folders are created; the write is atomic (temp file
    ``.NAME.*.tmp`` in the same folder, fsync, rename), so a crash leaves the old file or
    the new one. A process killed mid-save can leave that temp file behind; it is safe to
    delete. Returns the path.

    Examples:
        >>> import os, tempfile
        >>> import backprop as bp
        >>> from backprop import io, nn
        >>> _ = bp.manual_seed(0)
        >>> model = nn.MLP([2, 4, 1], activation='tanh')
        >>> folder = tempfile.TemporaryDirectory()  # deleted with the object
        >>> path = os.path.join(folder.name, 'model.safetensors')
        >>> io.save(model, path, metadata={'note': 'xor'}).name
        'model.safetensors'
        >>> loaded = io.load(path)
        >>> bp.equal(loaded[0].weight, model[0].weight)
        True
    """
    import safetensors.numpy

    target = Path(check_path(path, "io.save(model, path)", ModelFileError))
    who = f"io.save({str(target)!r})"
    described, found = describe(model)
    own_names = {id(p): name for name, p in model.named_parameters()}
    tensors, names = {}, {}
    for i, layer in enumerate(found):
        for kind, param in (("weight", layer.weight), ("bias", layer.bias)):
            if param is not None:
                key = f"{2 * i}.{kind}"
                tensors[key] = np.ascontiguousarray(param._data)
                names[key] = own_names.get(id(param), key)
    if not allow_nan:
        _check_finite(tensors, who, "save them anyway, pass allow_nan=True", names)
    fields = {
        "format": FORMAT,
        "backprop_version": _version(),
        "model": _dumps(described, "the model spec"),
    }
    if spec is not None:
        if not isinstance(spec, dict):
            raise ModelFileError(f"{who}: spec must be a dict, got {type(spec).__name__}.")
        fields["spec"] = _dumps(spec, "spec")
    if metadata is not None and not isinstance(metadata, dict):
        raise ModelFileError(f"{who}: metadata must be a dict, got {type(metadata).__name__}.")
    for key, value in (metadata or {}).items():
        if not isinstance(key, str) or key in RESERVED:
            raise ModelFileError(
                f"{who}: metadata key {key!r} is not allowed; keys must be strings other than "
                f"the reserved {list(RESERVED)} (pass the experiment spec as spec=...)."
            )
        fields[key] = _dumps(value, f"metadata[{key!r}]")
    if os.path.isdir(target):  # os.path: no OSError for a name too long (the write says why)
        raise ModelFileError(
            f"{who}: {target} is a folder; give a file path such as {target / 'model.safetensors'}."
        )
    data = safetensors.numpy.save(tensors, metadata=fields)
    try:
        return atomic_write_bytes(target, data, who="io.save(model, path)")
    except OSError as error:  # the writer's PathError (path, cause, fix), as both kinds
        raise ModelFilePathError(str(error)) from (error.__cause__ or error)


def _version() -> str:
    from .. import __version__

    return __version__


def _json_default(value):
    if isinstance(value, np.ndarray | np.generic):
        return value.tolist()
    data = getattr(value, "_data", None)  # a backprop Tensor
    if isinstance(data, np.ndarray):
        return data.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"a {type(value).__name__} is not JSON serialisable")


def _dumps(value, what: str) -> str:
    try:
        return json.dumps(value, default=_json_default, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError) as error:
        raise ModelFileError(
            f"io.save: {what} cannot be stored as JSON: {error}. Use numbers, strings, lists, "
            "dicts, booleans and null (NaN and infinity are not JSON)."
        ) from error


def _check_finite(tensors: dict, who: str, fix: str, names: dict | None = None) -> None:
    bad = []
    for key, array in tensors.items():
        if not np.issubdtype(array.dtype, np.floating):
            continue
        nans, infs = int(np.isnan(array).sum()), int(np.isinf(array).sum())
        if nans or infs:
            name = (names or {}).get(key, key)
            shown = key if name == key else f"{key} (model's {name})"
            bad.append(f"{shown} has {nans} NaN and {infs} inf of {array.size} values")
    if bad:
        raise ModelFileError(
            f"{who}: refusing NaN/inf weights ({'; '.join(bad)}); the training probably "
            f"diverged (lower the learning rate). To {fix}."
        )


# -- reading -------------------------------------------------------------------------------
def read(path, *, allow_nan: bool = False) -> ModelFile:
    """Check and read a model file; returns a ``ModelFile`` (model in eval mode).

    Examples:
        >>> import os, tempfile
        >>> import backprop as bp
        >>> from backprop import io, nn
        >>> _ = bp.manual_seed(0)
        >>> model = nn.MLP([2, 4, 1], activation='tanh')
        >>> folder = tempfile.TemporaryDirectory()  # deleted with the object
        >>> path = os.path.join(folder.name, 'model.safetensors')
        >>> _ = io.save(model, path, metadata={'note': 'xor'})
        >>> file = io.read(path)
        >>> file.spec['sizes'], file.metadata['note']
        ([2, 4, 1], 'xor')
        >>> sorted(file.tensors)
        ['0.bias', '0.weight', '2.bias', '2.weight']
    """
    return _read(path, allow_nan, None, "io.read(path)")


def load(path, *, allow_nan: bool = False, dtype=None):
    """The ready model (eval mode) stored in ``path``; ``dtype`` converts its weights.

    A model trained on standardised inputs (a CSV run: the file's ``data.scaler``) comes
    back with that scaling folded into its first Linear layer (``spec.predicting``), so
    ``model(x)`` takes x in the CSV's own units and answers as ``backprop predict`` does.
    ``io.read(path).model`` is the network exactly as stored, which sees standardised x.

    Examples:
        >>> import os, tempfile
        >>> import backprop as bp
        >>> from backprop import io, nn
        >>> _ = bp.manual_seed(0)
        >>> model = nn.MLP([2, 4, 1], activation='tanh')
        >>> folder = tempfile.TemporaryDirectory()  # deleted with the object
        >>> path = os.path.join(folder.name, 'model.safetensors')
        >>> _ = io.save(model, path)
        >>> loaded = io.load(path)  # the model, in eval mode
        >>> loaded
        MLP(
          (0): Linear(in_features=2, out_features=4, bias=True)
          (1): Tanh()
          (2): Linear(in_features=4, out_features=1, bias=True)
        )
        >>> x = bp.tensor([[0.5, -1.0]])
        >>> bp.equal(loaded(x), model(x))
        True
    """
    f = _read(path, allow_nan, dtype, "load(path)")
    if f.scaler is not None:  # model(x) in the user's units, never silently in z's
        from ..spec.predicting import fold_inputs

        fold_inputs(f.model, f.scaler)
    return f.model


def _read(path, allow_nan: bool, dtype, who: str) -> ModelFile:
    text = check_path(path, who, ModelFilePathError)
    target = Path(text)
    label = text
    data = _read_bytes(target, label)
    _not_text(data, label)
    container = parse(data, label)
    fields = _fields(container, label)
    spec = fields["model"]
    _check_tensors(container, spec, label)
    tensors = _arrays(data, label)
    if not allow_nan:
        _check_finite(tensors, label, "load it anyway, pass allow_nan=True")
    model = _build(spec, dtype, label)
    model.load_state_dict(tensors)
    model.eval()
    return ModelFile(model, spec, fields, tensors, target, fields.get("spec"))
