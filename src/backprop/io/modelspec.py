"""The model part of an experiment spec: describing an MLP as JSON and building it back.

``model_spec(model)`` reads an ``nn.MLP`` or an ``nn.Sequential`` of ``Linear`` layers and
registry activations (through ``backprop.delta.layers``, the project's one MLP reader) and
returns plain JSON values; ``build_model(spec)`` is its inverse. ``expected_tensors(spec)``
gives the state-dict keys and shapes of the built model without building it, so a model
file can be checked before any model exists. Errors here are ``SpecError`` naming the field
(``model.activation[1]``); ``backprop.io`` turns them into ``ModelFileError`` for files.
"""

from __future__ import annotations

import itertools
import math

from ..autograd import dtypes as _dt
from ..autograd.activations import ACTIVATIONS, ALIASES
from ..errors import ConfigError, ModelFileError, SpecError

__all__ = ["build_model", "describe", "expected_tensors", "model_spec", "normalize_model_spec"]

FIELDS = (
    "sizes",
    "activation",
    "activation_options",
    "output_activation",
    "output_activation_options",
    "bias",
    "dtype",
)
ROWWISE = ("softmax", "log_softmax")  # allowed as the output activation only
DTYPES = ("float32", "float64")
_ADVICE = (
    "Save such a model with your own code: safetensors.numpy.save_file({k: v.numpy() for k, v "
    "in model.state_dict().items()}, path), and rebuild it yourself before load_state_dict."
)


# -- model -> spec -------------------------------------------------------------------------
def model_spec(model) -> dict:
    """The model part of an experiment spec for ``model`` (an nn.MLP or nn.Sequential).

    >>> from backprop import nn
    >>> from backprop.io import model_spec
    >>> model_spec(nn.MLP([1, 8, 1], "tanh"))["activation"]
    ['tanh']

    Raises ``ModelFileError`` naming the part that a spec cannot describe (a custom module,
    a Sequential subclass with its own ``forward``, extra parameters, mixed dtypes, ...).
    """
    return describe(model)[0]


def describe(model) -> tuple[dict, list]:
    """``(model_spec(model), backprop.delta.layers(model))``: the spec and the layers read."""
    found = _layers(model)
    _check_nothing_else(model, found)
    sizes = [found[0].n_in]
    for layer in found:
        if layer.n_in != sizes[-1]:
            _undescribable(
                model,
                f"layer {layer.index} takes {layer.n_in} inputs but the layer before it gives "
                f"{sizes[-1]} outputs",
            )
        sizes.append(layer.n_out)
    dtypes = {layer.weight._data.dtype.name for layer in found}
    dtypes |= {layer.bias._data.dtype.name for layer in found if layer.bias is not None}
    if len(dtypes) != 1 or not dtypes <= set(DTYPES):
        _undescribable(model, f"its weights have dtypes {sorted(dtypes)}; a spec has one dtype")
    biases = {layer.bias is not None for layer in found}
    if len(biases) != 1:
        _undescribable(model, "some Linear layers have a bias and some do not")
    *hidden, last = found
    spec = {
        "sizes": sizes,
        "activation": [layer.activation.name for layer in hidden],
        "activation_options": [dict(layer.options) for layer in hidden],
        "output_activation": None,
        "output_activation_options": {},
        "bias": biases.pop(),
        "dtype": dtypes.pop(),
    }
    if last.rowwise is not None:
        spec["output_activation"] = last.rowwise
        spec["output_activation_options"] = {"dim": getattr(last.module, "dim", -1)}
    elif last.module is not None:
        spec["output_activation"] = last.activation.name
        spec["output_activation_options"] = dict(last.options)
    return spec, found


def _layers(model):
    from ..delta import DeltaEngineError, layers
    from ..nn import Identity, Linear, Module, Sequential

    if not isinstance(model, Module):
        raise ModelFileError(
            f"io: expected a backprop model (nn.MLP or nn.Sequential), got {type(model).__name__}."
        )
    for name, module in model.named_modules():
        where = f"part {name!r}" if name else "the model"
        kind = type(module).__name__
        for base in (Sequential, Linear):
            if isinstance(module, base) and type(module).forward is not base.forward:
                reason = f"{where} is a {kind}, a {base.__name__} subclass with its own forward()"
                _undescribable(model, reason)
        if isinstance(module, Sequential | Linear | Identity):
            continue
        if next(module.children(), None) is not None:
            _undescribable(model, f"{where} is a {kind}, a custom module (not nn.Sequential)")
        if not isinstance(getattr(type(module), "activation", None), str):
            _undescribable(
                model, f"{where} is a {kind}, neither nn.Linear nor an activation module"
            )
    try:
        return layers(model)
    except DeltaEngineError as error:
        text = " ".join(str(error).removeprefix("delta engine: ").split())
        reason = text.split(". ")[0].replace("the engine", "a model spec")
        _undescribable(model, reason, error)


def _check_nothing_else(model, found) -> None:
    """Refuse parameters or buffers that the Linear layers do not account for."""
    described = {id(layer.weight) for layer in found}
    described |= {id(layer.bias) for layer in found if layer.bias is not None}
    state = model.state_dict(keep_vars=True)
    extra = [key for key, value in state.items() if id(value) not in described]
    if extra:
        _undescribable(model, f"it holds tensors that are not Linear weights: {extra}")


def _undescribable(model, reason: str, cause: Exception | None = None):
    raise ModelFileError(
        f"io: cannot describe this {type(model).__name__} as a model spec (sizes + "
        f"activations): {reason}. backprop model files hold nn.MLP models and nn.Sequential "
        f"stacks of nn.Linear and activation modules only. {_ADVICE}"
    ) from cause


# -- spec -> checked spec ------------------------------------------------------------------
def normalize_model_spec(spec, where: str = "model") -> dict:
    """``spec`` checked and completed with defaults, in ``model_spec``'s exact form.

    Accepts the shorthand a person writes (``"activation": "relu"`` for every hidden layer,
    one options dict for all, missing ``bias``/``dtype``/options). Raises ``SpecError``
    naming the field (``model.sizes[2]``), the rule and the value.

    Examples:
        >>> from backprop import io
        >>> spec = {'sizes': [2, 4, 1], 'activation': 'tanh'}
        >>> full = io.normalize_model_spec(spec)
        >>> full['activation'], full['output_activation'], full['bias'], full['dtype']
        (['tanh'], None, True, 'float32')
    """
    if not isinstance(spec, dict):
        raise SpecError(f"{where}: must be a JSON object, got {type(spec).__name__}.")
    unknown = sorted(set(spec) - set(FIELDS))
    if unknown:
        raise SpecError(f"{where}: unknown field(s) {unknown}; the fields are {list(FIELDS)}.")
    sizes = spec.get("sizes")
    if not isinstance(sizes, list) or len(sizes) < 2:
        raise SpecError(
            f"{where}.sizes: must be a list of at least two layer widths such as [1, 8, 8, 1], "
            f"got {sizes!r}."
        )
    for i, n in enumerate(sizes):
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise SpecError(f"{where}.sizes[{i}]: must be a positive whole number, got {n!r}.")
    hidden = len(sizes) - 2
    names = _per_layer(spec.get("activation", "relu"), hidden, f"{where}.activation", str)
    options = _per_layer(
        spec.get("activation_options", {}), hidden, f"{where}.activation_options", dict
    )
    out = {"sizes": list(sizes), "activation": [], "activation_options": []}
    for i, (name, opts) in enumerate(zip(names, options)):
        name = _activation_name(name, f"{where}.activation[{i}]", rowwise=False)
        out["activation"].append(name)
        out["activation_options"].append(_options(name, opts, f"{where}.activation_options[{i}]"))
    name = spec.get("output_activation")
    opts = spec.get("output_activation_options", {})
    if name is None:
        if opts:
            raise SpecError(
                f"{where}.output_activation_options: given ({opts!r}) but output_activation "
                "is null; remove them or name the output activation."
            )
        out["output_activation"], out["output_activation_options"] = None, {}
    else:
        name = _activation_name(name, f"{where}.output_activation", rowwise=True)
        out["output_activation"] = name
        out["output_activation_options"] = _options(
            name, opts, f"{where}.output_activation_options"
        )
    bias = spec.get("bias", True)
    if not isinstance(bias, bool):
        raise SpecError(f"{where}.bias: must be true or false, got {bias!r}.")
    dtype = spec.get("dtype", "float32")
    if dtype not in DTYPES:
        raise SpecError(f"{where}.dtype: must be one of {list(DTYPES)}, got {dtype!r}.")
    out["bias"], out["dtype"] = bias, dtype
    return out


def _per_layer(value, hidden: int, where: str, kind: type) -> list:
    if isinstance(value, kind):
        return [value] * hidden
    if not isinstance(value, list):
        raise SpecError(
            f"{where}: must be a {_json_name(kind)} (for every hidden layer) or a list of "
            f"{hidden} of them (one per hidden layer), got {value!r}."
        )
    if len(value) != hidden:
        raise SpecError(
            f"{where}: has {len(value)} entries but the sizes give {hidden} hidden layers; give "
            f"one per hidden layer or a single {_json_name(kind)} for all."
        )
    for i, item in enumerate(value):
        if not isinstance(item, kind):
            raise SpecError(
                f"{where}[{i}]: must be a {_json_name(kind)}, got {type(item).__name__} {item!r}."
            )
    return list(value)


def _json_name(kind: type) -> str:
    return {str: "name", dict: "JSON object"}[kind]


def _activation_name(name, where: str, rowwise: bool) -> str:
    key = ALIASES.get(str(name).lower(), str(name).lower()) if isinstance(name, str) else None
    if key in ACTIVATIONS or (rowwise and key in ROWWISE):
        return key
    choices = sorted(ACTIVATIONS) + (list(ROWWISE) if rowwise else [])
    hint = " (softmax/log_softmax only as output_activation)" if key in ROWWISE else ""
    raise SpecError(f"{where}: unknown activation {name!r}{hint}; choose one of {choices}.")


def _options(name: str, options: dict, where: str) -> dict:
    if not isinstance(options, dict):
        raise SpecError(
            f"{where}: must be a JSON object of option names to values (like {{}}), got "
            f"{type(options).__name__} {_short(options)}."
        )
    defaults = {"dim": -1} if name in ROWWISE else ACTIVATIONS[name].defaults
    unknown = sorted(set(options) - set(defaults))
    if unknown:
        allowed = sorted(defaults) or "none"
        raise SpecError(f"{where}: {name} has no option(s) {unknown}; its options: {allowed}.")
    out = dict(defaults)
    for key, value in options.items():
        default = defaults[key]
        if key == "dim":
            ok = value is None or (isinstance(value, int) and not isinstance(value, bool))
        elif isinstance(default, str):
            ok = isinstance(value, str)
        else:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            ok = ok and math.isfinite(value)
            value = float(value) if ok else value
        if not ok:
            raise SpecError(f"{where}.{key}: must be like the default {default!r}, got {value!r}.")
        out[key] = value
    return out


# -- checked spec -> model / tensors -------------------------------------------------------
def expected_tensors(spec: dict) -> dict[str, tuple[int, ...]]:
    """State-dict key -> shape of the model ``build_model(spec)`` builds (spec normalised).

    Linear layer l (from 0) is child ``2 l`` of the MLP: every hidden layer has an activation
    module after it, ``Identity`` for ``"identity"``.

    Examples:
        >>> from backprop import io
        >>> spec = {'sizes': [2, 4, 1], 'activation': 'tanh'}
        >>> io.expected_tensors(io.normalize_model_spec(spec))
        {'0.weight': (4, 2), '0.bias': (4,), '2.weight': (1, 4), '2.bias': (1,)}
    """
    sizes = spec["sizes"]
    out = {}
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        out[f"{2 * i}.weight"] = (n_out, n_in)
        if spec["bias"]:
            out[f"{2 * i}.bias"] = (n_out,)
    return out


def build_model(model_spec: dict, *, dtype=None):
    """A fresh ``nn.MLP`` (random weights from the global seed) for a model spec.

    ``dtype`` overrides the spec's ``dtype``. Raises ``SpecError`` for a bad spec.

    >>> from backprop.io import build_model
    >>> build_model({"sizes": [1, 8, 8, 1], "activation": "relu"})
    MLP(
      (0): Linear(in_features=1, out_features=8, bias=True)
      (1): ReLU()
      (2): Linear(in_features=8, out_features=8, bias=True)
      (3): ReLU()
      (4): Linear(in_features=8, out_features=1, bias=True)
    )
    """
    from ..nn import MLP

    spec = normalize_model_spec(model_spec)
    try:
        dtype = _dt.to_dtype(spec["dtype"] if dtype is None else dtype)
        hidden = [
            _module(name, opts)
            for name, opts in zip(spec["activation"], spec["activation_options"])
        ]
        output = spec["output_activation"]
        if output is not None:
            output = _module(output, spec["output_activation_options"])
        return MLP(spec["sizes"], hidden, output, bias=spec["bias"], dtype=dtype)
    except ConfigError as error:
        raise SpecError(f"model: {error}") from error


def _module(name: str, options: dict):
    from ..nn import Identity, LogSoftmax, Softmax
    from ..nn.activation import ACTIVATION_MODULES

    if name == "identity":
        return Identity()
    if name in ROWWISE:
        return (LogSoftmax if name == "log_softmax" else Softmax)(**options)
    return ACTIVATION_MODULES[name](**options)


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
