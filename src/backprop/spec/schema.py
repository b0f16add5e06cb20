"""The experiment spec's fields, their rules and defaults, and the checker (floor 5).

A spec is one JSON document. ``normalize(spec)`` checks every field — unknown fields are
errors, each message names the field by its path (``optimizer.lr``), the rule and the
value, with a did-you-mean for misspelt names — and returns the spec with every default
filled in, so that the normalised document alone says exactly what will run.
"""

from __future__ import annotations

from ..errors import SpecError
from .schemarules import (  # noqa: F401 - the field rules, schema's names as before
    MAX_FLOAT_INT,
    _choice,
    _fields,
    _finite,
    _int,
    _number,
    _object,
    _short,
    _shown,
    every_unknown,
    fail,
)

SPEC_VERSION = 1

TOP = {
    "version": SPEC_VERSION,
    "name": "experiment",
    "seed": 0,
    "data": None,
    "model": None,
    "loss": None,
    "optimizer": None,
    "schedule": None,
    "epochs": 100,
    "batch_size": None,
    "validation": None,
    "early_stopping": None,
    "engine": "auto",
}
DATA = {
    "name": None,
    "n": None,
    "noise": None,
    "train_ratio": None,
    "seed": None,
    "options": {},
    "csv": None,
    "target": None,
    "features": None,
    "task": None,
    "test_ratio": None,
    "standardize": None,  # null: the set decides (a CSV's inputs yes, square's raw x no)
    # regression targets: None = "auto" (a CSV's targets, yes; the built-in sets, which the
    # lecture's numbers are in, no), or true/false
    "standardize_target": None,
}
MODEL = {
    "sizes": None,
    "hidden": None,
    "activation": "relu",
    "output_activation": None,
    "bias": True,
    "init": "default",
    "dtype": "float32",
    "activation_options": None,
}
LOSS = {"name": None, "reduction": "mean", "options": {}}
OPTIMIZER = {"name": "adam", "lr": None, "options": {}}
SCHEDULE = {"name": None, "options": {}}
EARLY = {"monitor": "val_loss", "patience": 10, "min_delta": 0.0, "restore_best_weights": True}

INITS = (
    "default",
    "xavier_uniform",
    "xavier_normal",
    "kaiming_uniform",
    "kaiming_normal",
    "zeros",
)
SCHEDULES = ("step", "multistep", "exponential", "cosine", "plateau")
ENGINES = ("auto", "delta", "fused", "autograd")

# Bounds of the numbers a spec holds (docs/reliability.md, "Bounds"): far above any real run
# (the lecture's is 1-8-8-1, 200 samples, 10,000 epochs; digits is 64-128-128-10), low enough
# that what a spec asks for stays finite. runner.prepare checks the products once the data
# and the model are known: epochs × samples, parameters, one batch's activations, the work.
MAX_EPOCHS = 10_000_000
MAX_SAMPLES = 10_000_000  # data.n and batch_size
MAX_WIDTH = 65_536  # units in one layer
MAX_DEPTH = 1_000  # hidden layers
MAX_SEED = 2**63 - 1
MAX_NOISE = 1e6


def _data(section, path="data") -> dict:
    if isinstance(section, str):
        section = {"name": section}
    if section is None:
        raise SpecError(
            'spec field data: required; give a dataset, e.g. "data": {"name": "square"}.'
        )
    d = _fields(section, DATA, path)
    if (d["name"] is None) == (d["csv"] is None):
        raise fail(
            path, "give exactly one of 'name' (a built-in dataset) or 'csv' (a file)", section
        )
    if d["name"] is not None:
        from ..data import DATASETS

        d["name"] = _choice(d["name"], f"{path}.name", tuple(sorted(DATASETS)))
    else:
        if not isinstance(d["csv"], str) or not d["csv"]:
            raise fail(f"{path}.csv", "must be a file path", d["csv"])
        if d["target"] is None:
            raise fail(
                f"{path}.target", "is required with csv: the name of the target column", None
            )
        if not _names(d["target"], allow_one=True):
            raise fail(f"{path}.target", "must be a column name or a list of them", d["target"])
        if d["features"] is not None and not _names(d["features"]):
            raise fail(f"{path}.features", "must be a list of column names", d["features"])
    d["n"] = _int(d["n"], f"{path}.n", 1, MAX_SAMPLES, allow_none=True)
    d["noise"] = _number(d["noise"], f"{path}.noise", 0, MAX_NOISE, allow_none=True)
    d["train_ratio"] = _number(d["train_ratio"], f"{path}.train_ratio", 0, 1, allow_none=True)
    d["test_ratio"] = _number(d["test_ratio"], f"{path}.test_ratio", 0, 0.9, allow_none=True)
    d["seed"] = _int(d["seed"], f"{path}.seed", 0, MAX_SEED, allow_none=True)
    d["options"] = _object(d["options"], f"{path}.options")
    if d["task"] is not None:
        d["task"] = _choice(d["task"], f"{path}.task", ("regression", "classification"))
    if d["standardize"] is not None and not isinstance(d["standardize"], bool):
        raise fail(
            f"{path}.standardize",
            "must be true, false or null (null: yes for a CSV's inputs, the set's own "
            "choice for a built-in set)",
            d["standardize"],
        )
    if d["standardize_target"] is not None and not isinstance(d["standardize_target"], bool):
        raise fail(
            f"{path}.standardize_target",
            "must be true, false or null (null: yes for a CSV's regression targets)",
            d["standardize_target"],
        )
    return d


def _names(value, allow_one: bool = False) -> bool:
    """A list of strings (or, with ``allow_one``, one string)."""
    if allow_one and isinstance(value, str):
        return True
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _activation_name(value, path: str) -> str:
    from ..autograd.activations import ACTIVATIONS, ALIASES, get_activation
    from ..errors import ConfigError

    try:
        return get_activation(value).name
    except ConfigError:
        names = sorted(ACTIVATIONS) + sorted(ALIASES)
        raise fail(path, f"must be one of {', '.join(names)}", value, names) from None


def _model(section, path="model") -> dict:
    m = _fields(section or {}, MODEL, path)
    if m["sizes"] is not None and m["hidden"] is not None:
        raise fail(
            path, "give 'sizes' (all layers) or 'hidden' (hidden layers only), not both", section
        )
    if m["sizes"] is not None:
        if not isinstance(m["sizes"], list) or not 2 <= len(m["sizes"]) <= MAX_DEPTH + 2:
            raise fail(
                f"{path}.sizes",
                f"must be a list of 2 to {MAX_DEPTH + 2} layer sizes, e.g. [1, 8, 8, 1]",
                _short(m["sizes"]),
            )
        m["sizes"] = [_int(n, f"{path}.sizes[{i}]", 1, MAX_WIDTH) for i, n in enumerate(m["sizes"])]
        n_hidden = len(m["sizes"]) - 2
    else:
        hidden = [8, 8] if m["hidden"] is None else m["hidden"]
        if not isinstance(hidden, list) or len(hidden) > MAX_DEPTH:
            raise fail(
                f"{path}.hidden",
                f"must be a list of at most {MAX_DEPTH} hidden layer sizes, e.g. [8, 8] (or [])",
                _short(hidden),
            )
        m["hidden"] = [_int(n, f"{path}.hidden[{i}]", 1, MAX_WIDTH) for i, n in enumerate(hidden)]
        n_hidden = len(m["hidden"])
    act = m["activation"]
    if isinstance(act, list):
        if len(act) != n_hidden:
            raise fail(
                f"{path}.activation", f"must name one activation per hidden layer ({n_hidden})", act
            )
        m["activation"] = [
            _activation_name(a, f"{path}.activation[{i}]") for i, a in enumerate(act)
        ]
    else:
        m["activation"] = [_activation_name(act, f"{path}.activation")] * n_hidden
    if m["output_activation"] is not None:
        out = m["output_activation"]
        if isinstance(out, str) and out.lower() in ("softmax", "log_softmax"):
            m["output_activation"] = out.lower()
        else:
            m["output_activation"] = _activation_name(out, f"{path}.output_activation")
    if not isinstance(m["bias"], bool):
        raise fail(f"{path}.bias", "must be true or false", m["bias"])
    m["init"] = _choice(m["init"], f"{path}.init", INITS)
    m["dtype"] = _choice(m["dtype"], f"{path}.dtype", ("float32", "float64"))
    if m["activation_options"] is not None and not isinstance(m["activation_options"], list):
        raise fail(
            f"{path}.activation_options",
            "must be a list of option objects, one per hidden layer",
            m["activation_options"],
        )
    return m


def _loss(section, path="loss") -> dict | None:
    if section is None:
        return None
    if isinstance(section, str):
        section = {"name": section}
    loss = _fields(section, LOSS, path)
    from ..nn.losses import LOSSES, get_loss

    if loss["name"] is None:
        raise fail(f"{path}.name", f"is required: one of {', '.join(sorted(LOSSES))}", None)
    try:
        loss["name"] = get_loss(loss["name"]).name
    except Exception:
        raise fail(
            f"{path}.name", f"must be one of {', '.join(sorted(LOSSES))}", loss["name"], LOSSES
        ) from None
    loss["reduction"] = _choice(loss["reduction"], f"{path}.reduction", ("mean", "sum"))
    from ..nn.loss_modules import loss_class
    from .optiontypes import typed_options

    loss["options"] = typed_options(
        _object(loss["options"], f"{path}.options"), loss_class(loss["name"]), f"{path}.options"
    )
    return loss


def _optimizer(section, path="optimizer") -> dict:
    if isinstance(section, str):
        section = {"name": section}
    opt = _fields(section or {}, OPTIMIZER, path)
    from ..optim import OPTIMIZERS

    opt["name"] = _choice(opt["name"], f"{path}.name", tuple(sorted(OPTIMIZERS)))
    opt["lr"] = _number(opt["lr"], f"{path}.lr", 0, 1e3, allow_none=True, strict_low=True)
    from .optiontypes import typed_options

    opt["options"] = typed_options(
        _object(opt["options"], f"{path}.options"), OPTIMIZERS[opt["name"]], f"{path}.options"
    )
    return opt


def _schedule(section, path="schedule") -> dict | None:
    if section is None:
        return None
    if isinstance(section, str):
        section = {"name": section}
    s = _fields(section, SCHEDULE, path)
    s["name"] = _choice(s["name"], f"{path}.name", SCHEDULES)
    s["options"] = _object(s["options"], f"{path}.options")
    return s


def _validation(value, path="validation"):
    if value is None or value == "test":
        return value
    if isinstance(value, str):
        raise fail(path, 'must be null, a fraction in (0, 1) or "test"', value)
    return _number(value, path, 0, 0.9, strict_low=True)


def _early(section, path="early_stopping") -> dict | None:
    if section is None or section is False:
        return None
    if section is True:
        section = {}
    e = _fields(section, EARLY, path)
    from ..train.metrics import METRIC_NAMES

    if e["monitor"] not in METRIC_NAMES:
        raise fail(
            f"{path}.monitor",
            "must be a metric name such as val_loss or val_accuracy",
            e["monitor"],
        )
    e["patience"] = _int(e["patience"], f"{path}.patience", 0, MAX_EPOCHS)
    e["min_delta"] = _number(e["min_delta"], f"{path}.min_delta", 0)
    if not isinstance(e["restore_best_weights"], bool):
        raise fail(
            f"{path}.restore_best_weights", "must be true or false", e["restore_best_weights"]
        )
    return e


def _name(value, path: str = "name") -> str:
    """The run's name, which picks its folder runs/<name>-<time>/: a slug, never a path."""
    from .runnames import is_safe_name, slug

    if not is_safe_name(value):
        raise SpecError(
            f"spec field {path}: must be a short name of letters, digits, '.', '_' and '-' "
            "that starts with a letter or digit, at most 64 characters (it names the run "
            f"folder runs/<name>-<time>/, so no '/' or '..'); got {_shown(value)}. Use e.g. "
            f"{slug(value if isinstance(value, str) else '', 'experiment')!r}."
        )
    return value


def normalize(spec: dict) -> dict:
    """Check ``spec`` and return it with every default filled in (a new dict).

    Examples:
        >>> from backprop import spec
        >>> full = spec.normalize({'data': {'name': 'xor'}, 'model': {'sizes': [2, 4, 1]}})
        >>> full['model']['activation'], full['optimizer']['name'], full['epochs'], full['seed']
        (['relu'], 'adam', 500, 0)
        >>> full['optimizer']['lr'], full['batch_size']  # xor's own, as the spec left them out
        (0.01, 32)
        >>> full['loss'] is None  # chosen by the task when the run starts
        True
    """
    tables = {"": TOP, "data": DATA, "model": MODEL, "loss": LOSS, "optimizer": OPTIMIZER,
              "schedule": SCHEDULE, "early_stopping": EARLY}  # fmt: skip
    every_unknown(spec, tables)  # all of them in one message, not the first alone
    s = _fields(spec, TOP, "")
    s["version"] = _int(s["version"], "version", 1, SPEC_VERSION)
    s["name"] = _name(s["name"])
    s["seed"] = _int(s["seed"], "seed", 0, MAX_SEED)
    s["data"] = _data(s["data"])
    s["model"] = _model(s["model"])
    s["loss"] = _loss(s["loss"])
    s["optimizer"] = _optimizer(s["optimizer"])
    s["schedule"] = _schedule(s["schedule"])
    # 0: build the data and the model from the seed and train nothing (the model as
    # initialised; a notebook widget at epoch 0 says so in its spec)
    s["epochs"] = _int(s["epochs"], "epochs", 0, MAX_EPOCHS)
    s["batch_size"] = _int(s["batch_size"], "batch_size", 1, MAX_SAMPLES, allow_none=True)
    s["validation"] = _validation(s["validation"])
    s["early_stopping"] = _early(s["early_stopping"])
    s["engine"] = _choice(s["engine"], "engine", ENGINES)
    from .setdefaults import apply, open_settings

    apply(s, open_settings(spec))  # a built-in set's own lr, epochs, batch size, if left out
    return s
