"""Where a notebook widget starts: playground settings from a spec, a model or keywords.

``backprop.playground.widget(spec_or_model, **settings)`` accepts what a student has in a
notebook: nothing (the page's defaults), the name of one of the page's exercises
(``"square"``, ``"abs"``, ``"step"``, ``"sigmoid6"``, ``"relu6"``: the settings its button
sets) or of a built-in spec (``"xor"``, ``"spiral"``), the name of a dataset (``"circle"``: the
page's defaults on it, as ``dataset="circle"``), an experiment spec (a dict, as
``backprop.run`` takes it), or a backprop ``nn.MLP``; keyword settings
(``dataset="spiral"``, ``hidden=[8, 8]``, ``lr=0.1`` …, the names of ``fields.FIELDS``)
go on top. ``start_settings`` turns them into the checked
settings a ``Session`` starts from, and ``model_weights`` copies a model's weights into
the session's network. Anything the playground cannot show is refused with a
``ConfigError`` that names the parameter, the rule, the value and a fix. This module
trains nothing.
"""

from __future__ import annotations

from ..errors import BackpropError, ConfigError
from . import fields, settings
from .protocol import ProtocolError

PLAYGROUND_SETS = tuple(d for d in fields.DATASETS if d != "csv")
ONE_D = fields.FUNCTION_SETS
# the model's activation modules, by class name, as the playground names them
MODULE_ACTIVATIONS = {
    "ReLU": "relu", "Tanh": "tanh", "Sigmoid": "sigmoid", "Identity": "linear",
    "LeakyReLU": "leaky_relu", "ELU": "elu", "GELU": "gelu", "Softplus": "softplus",
    "Step": "step", "Sign": "step",
}  # fmt: skip
# the spec's optimizer (name, momentum) as the playground's choice
SPEC_OPTIMIZERS = {("sgd", 0.0): "sgd", ("sgd", 0.9): "momentum", ("adam", 0.0): "adam",
                   ("rmsprop", 0.0): "rmsprop"}  # fmt: skip


def start_settings(spec_or_model=None, overrides: dict | None = None) -> dict:
    """The settings a widget starts from (checked), for ``widget(spec_or_model, **overrides)``."""
    from ..nn import MLP

    if spec_or_model is None:
        base = {}
    elif isinstance(spec_or_model, str):
        base = from_name(spec_or_model)
        given = (overrides or {}).get("dataset", spec_or_model)
        if base == {"dataset": spec_or_model} and given != spec_or_model:
            raise ConfigError(
                f"widget: spec_or_model={spec_or_model!r} names a dataset and dataset={given!r} "
                "another; give one of them."
            )
    elif isinstance(spec_or_model, dict):
        base = from_spec(spec_or_model, "spec_or_model (a spec)")
    elif isinstance(spec_or_model, MLP):
        base = from_model(spec_or_model)
    else:
        raise ConfigError(
            "widget: spec_or_model must be None, an exercise's, a built-in spec's or a "
            "dataset's name ('abs', 'spiral', 'circle'), "
            f"an experiment spec (a dict) or a backprop nn.MLP; got {type(spec_or_model).__name__}."
        )
    settings = {**base, **(overrides or {})}
    if isinstance(settings.get("activation"), str):  # one name for every hidden layer, as
        hidden = settings.get("hidden")  # nn.MLP(activation="relu") takes it
        count = len(hidden) if isinstance(hidden, list | tuple) else 1
        settings["activation"] = [settings["activation"]] * count
    return checked(settings)


def from_name(name: str) -> dict:
    """The settings of one of the page's exercises (``lessons.PRESETS``: the same as its
    button), else of a built-in spec (``backprop.spec.builtin``), else of a dataset's name
    alone (``{"dataset": name}``: the page's defaults on it)."""
    from ..spec import builtin, builtin_names
    from .lessons import PRESETS

    if name in PRESETS:
        return dict(PRESETS[name]["settings"])
    if name not in builtin_names():
        if name in PLAYGROUND_SETS:  # a dataset alone: the page's defaults on it, as
            return {"dataset": name}  # widget(dataset=name) (an exercise or spec wins)
        from ..errors import did_you_mean

        hint = did_you_mean(name, [*PRESETS, *builtin_names(), *PLAYGROUND_SETS])
        raise ConfigError(
            f"widget: spec_or_model={name!r} is neither one of the page's exercises "
            f"({', '.join(PRESETS)}) nor a built-in spec ({', '.join(builtin_names())}), nor a "
            f"dataset (widget(dataset=...): {', '.join(PLAYGROUND_SETS)}).{hint}"
        )
    return from_spec(builtin(name), f"spec_or_model={name!r}")


def checked(changes: dict) -> dict:
    """``changes`` checked as the page's ``set`` message is, errors as ``ConfigError``."""
    try:
        out = fields.check_changes(changes)
    except ProtocolError as exc:
        raise ConfigError(f"widget: {exc}") from None
    if "dataset" in out and out["dataset"] == "csv":
        raise ConfigError(
            "widget: dataset='csv' needs an uploaded file; open the widget on another set "
            "and press Upload CSV in it."
        )
    return out


def from_spec(spec: dict, what: str) -> dict:
    """Playground settings of an experiment spec (checked by ``spec.normalize`` first)."""
    from ..data.registry import DATASETS
    from ..spec import normalize

    try:
        spec = normalize(spec)
    except BackpropError as exc:
        raise ConfigError(f"widget: {what}: {exc}") from None
    data, model, opt = spec["data"], spec["model"], spec["optimizer"]
    ds = data["name"]
    if ds not in PLAYGROUND_SETS:
        raise ConfigError(
            f"widget: {what}: data.name must be one of the playground's sets "
            f"({', '.join(PLAYGROUND_SETS)}); got {ds!r}. Train it with backprop.run(spec) "
            "instead, or pass dataset=... to the widget."
        )
    hidden = list(model["sizes"][1:-1]) if model.get("sizes") else list(model["hidden"] or [])
    act = model["activation"]
    acts = [act] * len(hidden) if isinstance(act, str) else list(act or [])
    defaults = DATASETS[ds].defaults
    noise = data.get("noise")
    noise = defaults.get("noise", 0.0) if noise is None else noise
    out = {
        "dataset": ds,
        "problem": "regression" if ds not in fields.CLASSIFICATION_SETS else "classification",
        "n": data.get("n") or defaults["n"],
        "noise": round(100 * (noise or 0.0) / settings.SCALE_1D.get(ds, 1.0)),
        "seed": spec["seed"],
        "features": ["x1"] if ds in ONE_D else ["x1", "x2"],
        "hidden": hidden,
        "activation": acts,
        "optimizer": _optimizer(opt, what),
        "lr": opt["lr"] if opt.get("lr") is not None else fields.FIELDS["lr"].default,
        "batch_size": spec["batch_size"] or fields.FIELDS["batch_size"].high,
        "stop_epochs": spec["epochs"] or 0,
    }
    if data.get("train_ratio") is not None:
        out["train_ratio"] = round(100 * data["train_ratio"])
    if spec.get("loss"):
        out["loss"] = spec["loss"]["name"]
    if "classes" in (data.get("options") or {}):
        out["classes"] = data["options"]["classes"]
    return out


def _optimizer(opt: dict, what: str) -> str:
    momentum = float((opt.get("options") or {}).get("momentum", 0.0))
    name = SPEC_OPTIMIZERS.get((opt["name"], momentum))
    if name is None:
        raise ConfigError(
            f"widget: {what}: optimizer {opt['name']!r} (momentum {momentum:g}) is not one the "
            "playground trains; use sgd, sgd with momentum 0.9, adam or rmsprop."
        )
    return name


def from_model(model) -> dict:
    """Playground settings of an ``nn.MLP``: its layer sizes, activations and a set to fit."""
    sizes = list(model.sizes)
    n_in, n_out = sizes[0], sizes[-1]
    if n_in not in (1, 2) or n_out != 1:
        raise ConfigError(
            f"widget: the model's sizes are {sizes}; the playground draws networks of 1 or 2 "
            "inputs and 1 output (its 2-class and regression sets). Build nn.MLP([2, ..., 1]) "
            "or nn.MLP([1, ..., 1])."
        )
    if len(sizes) - 2 > fields.MAX_LAYERS or any(n > fields.MAX_NEURONS for n in sizes[1:-1]):
        raise ConfigError(
            f"widget: the model's sizes are {sizes}; the playground shows at most "
            f"{fields.MAX_LAYERS} hidden layers of at most {fields.MAX_NEURONS} neurons."
        )
    acts = []
    for module in model:
        name = type(module).__name__
        if name == "Linear":
            continue
        if name not in MODULE_ACTIVATIONS:
            raise ConfigError(
                f"widget: the model's activation {name} has no playground counterpart; "
                f"use one of {', '.join(sorted(MODULE_ACTIVATIONS))}."
            )
        acts.append(MODULE_ACTIVATIONS[name])
    if len(acts) != len(sizes) - 2:
        raise ConfigError(
            f"widget: the model has {len(acts)} activations for {len(sizes) - 2} hidden "
            "layers (an output activation?); the playground's output has none: its loss "
            "applies the sigmoid (bce_with_logits)."
        )
    out = {"hidden": sizes[1:-1], "activation": acts}
    out.update({"dataset": "square", "problem": "regression", "features": ["x1"]}
               if n_in == 1 else {"dataset": "circle", "features": ["x1", "x2"]})  # fmt: skip
    return out


def model_weights(model) -> list[tuple]:
    """The (weight, bias) arrays of a model's Linear layers, copied."""
    out = []
    for module in model:
        if type(module).__name__ == "Linear":
            bias = None if module.bias is None else module.bias._data.copy()
            out.append((module.weight._data.copy(), bias))
    return out


def load_weights(session, weights: list[tuple]) -> None:
    """Put ``weights`` (``model_weights``) into the session's network, as typed-in edits."""
    for layer, (w, b) in zip(session.plan.net, weights, strict=True):
        layer.weight._data[...] = w
        if layer.bias is not None:
            layer.bias._data[...] = 0.0 if b is None else b  # a model without biases: 0
    session.edited = True
    session.edits += 1
    session._reload()
