"""The playground's messages: the settings schema, URL encoding and message checks.

Every message between page and server is one JSON object with ``"v": 1`` (``VERSION``)
and a ``"type"``. ``parse(text)`` checks a message from the page — JSON, size, type, every
field's kind and range — and returns it as a dict, or raises ``ProtocolError`` whose text
is sent back to the page as an ``error`` message. The session's settings (the spec part
and UI-only switches) are described once in ``FIELDS``; ``from_url`` reads them from a
page's URL hash (strings) and ``to_url`` writes them back, so a link carries the whole
state with its seed. This module trains nothing and draws nothing.

Messages from the page::

    hello       {"url": {key: text}}            start (or restart) the tab's session
    set         {"changes": {field: value}}     change settings (partial)
    play, pause, reset, regenerate, ping
    step        {"unit": "epoch" | "batch"}
    edit        {"kind": "weight" | "bias", "layer": l, "row": j, "col": i, "value": v}
    upload      {"name": file name, "text": CSV text}
    export      {"what": "model" | "spec"}
    ack         {"seq": n}                      the page drew snapshot n

Messages to the page: ``ready`` (state, URL hash, dataset previews), ``state``, ``data``
(points and feature thumbnails after a rebuild), ``snapshot``, ``export``, ``error``,
``pong``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from .features import FEATURES

VERSION = 1
MAX_MESSAGE = 1_500_000  # characters of one message; larger ones close the connection
MAX_CSV_CHARS = 1_000_000
MAX_CSV_ROWS = 5_000
MAX_LAYERS = 8
MAX_NEURONS = 16
MAX_NAME = 200

CLASSIFICATION_SETS = ("circle", "xor", "gauss", "spiral")
REGRESSION_SETS = ("plane", "multigauss")
FUNCTION_SETS = ("square", "abs", "sine")  # the lecture's 1-D sets (regression)
DATASETS = (*CLASSIFICATION_SETS, *REGRESSION_SETS, *FUNCTION_SETS, "csv")
ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear", "leaky_relu", "elu", "gelu", "softplus")
CLASS_LOSSES = ("bce_with_logits", "cross_entropy")
REGRESSION_LOSSES = ("mse", "half_mse", "l1", "huber")
LOSSES = ("auto", *CLASS_LOSSES, *REGRESSION_LOSSES)
OPTIMIZERS = ("sgd", "momentum", "adam", "rmsprop")
LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10)
REG_RATES = (0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10)


class ProtocolError(ValueError):
    """A message or setting the server refuses; ``str(err)`` is shown in the page."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Field:
    """One setting: its kind, default and rule. ``ui`` fields never change the training."""

    kind: str  # choice, int, float, bool, int_list, choice_list, feature_list
    default: Any
    low: float | None = None
    high: float | None = None
    choices: tuple = ()
    ui: bool = False


FIELDS: dict[str, Field] = {
    "problem": Field("choice", "classification", choices=("classification", "regression")),
    "dataset": Field("choice", "circle", choices=DATASETS),
    "classes": Field("int", 2, 2, 5),
    "noise": Field("int", 0, 0, 50),
    "train_ratio": Field("int", 50, 10, 90),
    "n": Field("int", 500, 20, 2000),
    "batch_size": Field("int", 10, 1, 2000),
    "seed": Field("int", 0, 0, 2**31 - 1),
    "features": Field("feature_list", ["x1", "x2"], choices=tuple(FEATURES)),
    "hidden": Field("int_list", [4, 2], 1, MAX_NEURONS),
    "activation": Field("choice_list", ["tanh", "tanh"], choices=ACTIVATIONS),
    "loss": Field("choice", "auto", choices=LOSSES),
    "optimizer": Field("choice", "sgd", choices=OPTIMIZERS),
    "lr": Field("float", 0.03, 1e-5, 10),
    "regularization": Field("choice", "none", choices=("none", "l1", "l2")),
    "reg_rate": Field("float", 0.0, 0, 10),
    "stop_epochs": Field("int", 0, 0, 1_000_000),
    "stop_loss": Field("float", 0.0, 0, 1e6),
    "discretize": Field("bool", False, ui=True),
    "show_test": Field("bool", False, ui=True),
    "view": Field("choice", "weights", choices=("weights", "gradients"), ui=True),
    "speed": Field("choice", "normal", choices=("slow", "normal", "fast"), ui=True),
}


def defaults() -> dict:
    """A fresh copy of every setting's default."""
    return {k: (list(f.default) if isinstance(f.default, list) else f.default)
            for k, f in FIELDS.items()}  # fmt: skip


def check_value(name: str, value: Any) -> Any:
    """``value`` checked against ``FIELDS[name]`` (JSON types); returns it normalised."""
    f = FIELDS.get(name)
    if f is None:
        raise ProtocolError(
            f"setting {str(name)[:40]!r}: unknown; known settings: {', '.join(FIELDS)}.", name
        )
    if f.kind == "bool":
        if not isinstance(value, bool):
            raise ProtocolError(f"setting {name}: must be true or false; got {_show(value)}.", name)
        return value
    if f.kind == "choice":
        if not isinstance(value, str) or value.lower() not in f.choices:
            raise ProtocolError(
                f"setting {name}: must be one of {', '.join(f.choices)}; got {_show(value)}.", name
            )
        return value.lower()
    if f.kind == "int":
        return _int(name, value, f)
    if f.kind == "float":
        return _float(name, value, f)
    if not isinstance(value, list):
        raise ProtocolError(f"setting {name}: must be a list; got {_show(value)}.", name)
    if f.kind == "int_list":
        if len(value) > MAX_LAYERS:
            raise ProtocolError(
                f"setting {name}: at most {MAX_LAYERS} hidden layers; got {len(value)}.", name
            )
        return [_int(f"{name}[{i}]", v, f) for i, v in enumerate(value)]
    if len(value) > max(MAX_LAYERS, len(FEATURES)):
        raise ProtocolError(f"setting {name}: too many entries ({len(value)}).", name)
    out = []
    for i, v in enumerate(value):
        if not isinstance(v, str) or v.lower() not in f.choices:
            raise ProtocolError(
                f"setting {name}[{i}]: must be one of {', '.join(f.choices)}; got {_show(v)}.",
                name,
            )
        out.append(v.lower() if f.kind == "choice_list" else v)
    if f.kind == "feature_list" and len(set(out)) != len(out):
        raise ProtocolError(f"setting {name}: lists a feature twice; got {out}.", name)
    return out


def _int(name: str, value: Any, f: Field) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProtocolError(f"setting {name}: must be a whole number; got {_show(value)}.", name)
    if not f.low <= value <= f.high:
        raise ProtocolError(
            f"setting {name}: must be between {_num(f.low)} and {_num(f.high)}; got {value}.",
            name,
        )
    return value


def _float(name: str, value: Any, f: Field) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ProtocolError(f"setting {name}: must be a finite number; got {_show(value)}.", name)
    if not f.low <= value <= f.high:
        raise ProtocolError(
            f"setting {name}: must be between {_num(f.low)} and {_num(f.high)}; got {value}.",
            name,
        )
    return float(value)


def _num(x) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _show(value: Any) -> str:
    text = json.dumps(value) if _jsonable(value) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _jsonable(value) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def check_changes(changes: Any) -> dict:
    """A ``set`` message's ``changes``: a non-empty object of known settings, each checked."""
    if not isinstance(changes, dict) or not changes:
        raise ProtocolError("set: 'changes' must be a non-empty object of setting: value.")
    return {name: check_value(name, value) for name, value in changes.items()}


# -- the URL hash ---------------------------------------------------------------------------
def from_url(params: Any) -> tuple[dict, list[str]]:
    """Settings from a URL hash's ``key=text`` pairs; returns (settings, notes).

    Unknown keys and bad values are skipped with a note (a hand-edited link still opens),
    never an error.
    """
    if not isinstance(params, dict):
        raise ProtocolError("hello: 'url' must be an object of key: text.")
    out: dict = {}
    notes: list[str] = []
    for key, text in list(params.items())[:64]:
        if not isinstance(key, str) or not isinstance(text, str) or len(text) > 400:
            notes.append(f"link: ignored a malformed entry {str(key)[:30]!r}.")
            continue
        if key == "v":
            continue
        f = FIELDS.get(key)
        if f is None:
            notes.append(f"link: ignored the unknown setting {key[:30]!r}.")
            continue
        try:
            out[key] = check_value(key, _from_text(f, unquote(text)))
        except (ProtocolError, ValueError):
            notes.append(f"link: ignored {key}={text[:30]!r} (not a valid value); kept default.")
    return out, notes


def _from_text(f: Field, text: str) -> Any:
    text = text.strip()
    if f.kind == "bool":
        return {"1": True, "true": True, "0": False, "false": False}[text.lower()]
    if f.kind == "int":
        return int(text)
    if f.kind == "float":
        return float(text)
    if f.kind == "choice":
        return text
    items = [t for t in text.split(",") if t.strip()]
    if f.kind == "int_list":
        return [int(t) for t in items]
    return [t.strip() for t in items]


def to_url(state: dict) -> str:
    """The URL hash (without ``#``) that reproduces ``state``: every setting, in order."""
    parts = [f"v={VERSION}"]
    for key, f in FIELDS.items():
        value = state[key]
        if f.kind == "bool":
            text = "1" if value else "0"
        elif isinstance(value, list):
            text = ",".join(str(v) for v in value)
        elif isinstance(value, float):
            text = f"{value:g}"
        else:
            text = str(value)
        parts.append(f"{key}={quote(text, safe=',.-_')}")
    return "&".join(parts)


# -- messages -------------------------------------------------------------------------------
TYPES = (
    "hello", "set", "play", "pause", "reset", "regenerate", "ping",
    "step", "edit", "upload", "export", "ack",
)  # fmt: skip


def parse(text: Any) -> dict:
    """One message from the page, checked; raises ``ProtocolError`` with what is wrong."""
    if isinstance(text, bytes):
        raise ProtocolError("messages must be JSON text, not binary frames.")
    if not isinstance(text, str):
        raise ProtocolError("messages must be JSON text.")
    if len(text) > MAX_MESSAGE:
        raise ProtocolError(f"message too large ({len(text)} characters; limit {MAX_MESSAGE}).")
    try:
        msg = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"message is not valid JSON ({str(exc)[:80]}).") from None
    if not isinstance(msg, dict):
        raise ProtocolError("a message must be a JSON object with 'v' and 'type'.")
    if msg.get("v") != VERSION:
        raise ProtocolError(
            f"protocol version {_show(msg.get('v'))} is not supported; this server speaks "
            f"v={VERSION}. Reload the page."
        )
    kind = msg.get("type")
    if kind not in TYPES:
        raise ProtocolError(f"unknown message type {_show(kind)}; known: {', '.join(TYPES)}.")
    check = _CHECKS.get(kind)
    body = {k: v for k, v in msg.items() if k not in ("v", "type")}
    return {"type": kind, **(check(body) if check else _no_fields(kind, body))}


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _no_fields(kind: str, body: dict) -> dict:
    if body:
        raise ProtocolError(f"{kind}: takes no fields; got {', '.join(sorted(body))[:80]}.")
    return {}


def _only(kind: str, body: dict, allowed: tuple) -> None:
    extra = sorted(set(body) - set(allowed))
    if extra:
        raise ProtocolError(f"{kind}: unknown field(s) {', '.join(extra)[:80]}.")


def _hello(body: dict) -> dict:
    _only("hello", body, ("url",))
    url = body.get("url", {})
    if not isinstance(url, dict):
        raise ProtocolError("hello: 'url' must be an object of key: text.")
    return {"url": url}


def _set(body: dict) -> dict:
    _only("set", body, ("changes",))
    return {"changes": check_changes(body.get("changes"))}


def _step(body: dict) -> dict:
    _only("step", body, ("unit",))
    unit = body.get("unit", "epoch")
    if unit not in ("epoch", "batch"):
        raise ProtocolError(f"step: 'unit' must be 'epoch' or 'batch'; got {_show(unit)}.")
    return {"unit": unit}


def _edit(body: dict) -> dict:
    _only("edit", body, ("kind", "layer", "row", "col", "value"))
    kind = body.get("kind")
    if kind not in ("weight", "bias"):
        raise ProtocolError(f"edit: 'kind' must be 'weight' or 'bias'; got {_show(kind)}.")
    out: dict = {"kind": kind}
    for key in ("layer", "row") + (("col",) if kind == "weight" else ()):
        v = body.get(key)
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 10_000:
            raise ProtocolError(f"edit: '{key}' must be a whole number ≥ 0; got {_show(v)}.")
        out[key] = v
    value = body.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ProtocolError(f"edit: 'value' must be a finite number; got {_show(value)}.")
    if abs(value) > 1e4:
        raise ProtocolError(f"edit: 'value' must be between -10000 and 10000; got {value}.")
    out["value"] = float(value)
    return out


def _upload(body: dict) -> dict:
    _only("upload", body, ("name", "text"))
    name, text = body.get("name", "data.csv"), body.get("text")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        raise ProtocolError("upload: 'name' must be the file's name (text, ≤ 200 characters).")
    if not isinstance(text, str) or not text.strip():
        raise ProtocolError("upload: the file is empty; a CSV needs a header row and data rows.")
    if len(text) > MAX_CSV_CHARS:
        raise ProtocolError(
            f"upload: the file is too large ({len(text):,} characters; the playground takes "
            f"up to {MAX_CSV_CHARS:,}). Use a sample of it, or train it with 'backprop train'."
        )
    return {"name": name.strip(), "text": text}


def _export(body: dict) -> dict:
    _only("export", body, ("what",))
    what = body.get("what")
    if what not in ("model", "spec"):
        raise ProtocolError(f"export: 'what' must be 'model' or 'spec'; got {_show(what)}.")
    return {"what": what}


def _ack(body: dict) -> dict:
    _only("ack", body, ("seq",))
    seq = body.get("seq")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise ProtocolError(f"ack: 'seq' must be a whole number ≥ 0; got {_show(seq)}.")
    return {"seq": seq}


_CHECKS = {
    "hello": _hello,
    "set": _set,
    "step": _step,
    "edit": _edit,
    "upload": _upload,
    "export": _export,
    "ack": _ack,
}


def dumps(message_type: str, /, **fields) -> str:
    """A message to the page as JSON text (values must be finite: JSON has no NaN)."""
    body = {"v": VERSION, "type": message_type, **fields}
    return json.dumps(body, default=_default, allow_nan=False, separators=(",", ":"))


def _default(value):
    import numpy as np

    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
