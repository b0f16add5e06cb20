"""The playground's settings: what they are, their checks, and the link that carries them.

Every setting of a session (the experiment-spec part and the UI-only switches) is described
once in ``FIELDS``: its kind, default and range. ``check_value`` checks one value from the
page (JSON types) against it and ``check_changes`` a ``set`` message's changes; a refusal
is a ``ProtocolError`` whose text the page shows. ``from_url`` reads the settings from a
page's URL hash (strings) and ``to_url`` writes them back, so a link carries the whole
state with its seed. The messages themselves are in ``protocol``; how the settings fit
together and become a spec, in ``settings``; how a number is judged and a value quoted, in
``literals`` (re-exported here). This module trains nothing and draws nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from .features import FEATURES
from .literals import (  # noqa: F401 (re-exported: fields is where the protocol's names live)
    BigInteger,
    Literal,
    ProtocolError,
    Underflow,
    number,
    quote_literal,
    read_float,
    show,
    show_key,
)

VERSION = 1  # of the messages and of the link format (v=1 in every URL hash)
MAX_LAYERS = 8
MAX_NEURONS = 16
MAX_URL_KEYS = 64  # a link's settings read; the rest are dropped with a note
MAX_URL_TEXT = 400  # characters of one setting's text in a link

CLASSIFICATION_SETS = ("circle", "xor", "gauss", "spiral")
REGRESSION_SETS = ("plane", "multigauss")
FUNCTION_SETS = ("square", "abs", "sine")  # the lecture's 1-D sets (regression)
DATASETS = (*CLASSIFICATION_SETS, *REGRESSION_SETS, *FUNCTION_SETS, "csv")
ACTIVATIONS = (
    "relu", "tanh", "sigmoid", "linear", "leaky_relu", "elu", "gelu", "softplus",
    "step",  # the lecture's sgn unit: its Caution shows when a layer uses it
)  # fmt: skip
CLASS_LOSSES = ("bce_with_logits", "cross_entropy")
REGRESSION_LOSSES = ("mse", "half_mse", "l1", "huber")
LOSSES = ("auto", *CLASS_LOSSES, *REGRESSION_LOSSES)
OPTIMIZERS = ("sgd", "momentum", "adam", "rmsprop")
LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10)
REG_RATES = (0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10)


# a list no setting may leave empty: its rule, in a set's refusal and a link's note alike
NOT_EMPTY = {
    "features": "keep at least one input feature switched on",
    "activation": "name an activation for each hidden layer (e.g. tanh,tanh)",
}


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
            raise ProtocolError(f"setting {name}: must be true or false; got {show(value)}.", name)
        return value
    if f.kind == "choice":
        if not isinstance(value, str) or value.lower() not in f.choices:
            raise ProtocolError(
                f"setting {name}: must be one of {', '.join(f.choices)}; got {show(value)}.", name
            )
        return value.lower()
    if f.kind == "int":
        return _int(name, value, f)
    if f.kind == "float":
        return _float(name, value, f)
    if not isinstance(value, list):
        raise ProtocolError(f"setting {name}: must be a list; got {show(value)}.", name)
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
                f"setting {name}[{i}]: must be one of {', '.join(f.choices)}; got {show(v)}.",
                name,
            )
        out.append(v.lower())  # feature names too: "X1" is x1 (was kept as sent: issue 16)
    if f.kind == "feature_list" and len(set(out)) != len(out):
        raise ProtocolError(f"setting {name}: lists a feature twice; got {out}.", name)
    return out


def _int(name: str, value: Any, f: Field) -> int:
    return number(f"setting {name}", value, f.low, f.high, whole=True, field=name.split("[")[0])


def _float(name: str, value: Any, f: Field) -> float:
    return number(f"setting {name}", value, f.low, f.high, field=name)


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
    items = list(params.items())
    if len(items) > MAX_URL_KEYS:
        notes.append(
            f"link: ignored {len(items) - MAX_URL_KEYS} entries past the first {MAX_URL_KEYS} "
            f"({', '.join(show_key(k, 20) for k, _ in items[MAX_URL_KEYS:][:5])}...)."
        )
    for key, text in items[:MAX_URL_KEYS]:
        if not isinstance(key, str) or not isinstance(text, str) or len(text) > MAX_URL_TEXT:
            notes.append(_malformed(key, text))
            continue
        if key == "v":
            if text.strip() != str(VERSION):
                notes.append(
                    f"link: made for version {show(text[:20])} of the playground's links; "
                    f"this page reads version {VERSION}: check the settings it opened with."
                )
            continue
        f = FIELDS.get(key)
        if f is None:
            notes.append(f"link: ignored the unknown setting {show(key[:30])}.")
            continue
        try:
            value = check_value(key, _from_text(f, unquote(text)))
            if value == [] and key in NOT_EMPTY:  # features=, ",,", "%20": set's refusal
                notes.append(_ignored(key, text, NOT_EMPTY[key]))
                continue
            out[key] = value
            if f.kind.endswith("list") and _empty_entries(text):  # "4,,4", "relu,": said
                read = ",".join(str(v) for v in value) or "none"
                notes.append(
                    f"link: {key}={_abridged(text)}: left out the empty entries between "
                    f"its commas; read as {read}."
                )
        except ProtocolError as exc:
            rule = str(exc).split(": ", 1)[-1].split("; got ")[0].removesuffix(".")
            notes.append(_ignored(key, text, rule))
        except ValueError:
            notes.append(_ignored(key, text, _WRITTEN.get(f.kind, "is not a valid value")))
    return out, notes


_WRITTEN = {  # how a link writes a value of each kind (what _from_text reads)
    "int": "must be a whole number in ASCII digits (e.g. 500)",
    "float": "must be a number in ASCII digits, '.' and 'e' (e.g. 0.03 or 1e-4)",
    "int_list": "must be whole numbers in ASCII digits, separated by commas (e.g. 4,2)",
    "bool": "must be 1, 0, true or false",
}


def _ignored(key: str, text: str, rule: str) -> str:
    return f"link: ignored {key}={_abridged(text)}: {rule}."


def _abridged(text: str) -> str:
    """A link's text as a note quotes it: a long run of digits as its first and last digits
    and its count, anything else as ``show`` quotes it."""
    digits = text.lstrip("+-")
    if len(digits) > 20 and digits.isascii() and digits.isdigit():
        sign = text[: len(text) - len(digits)]
        return f'"{sign}{digits[:12]}…{digits[-4:]}" ({len(digits)} digits)'
    if len(text) > 40 and _FLOAT.fullmatch(text.strip()):  # its start and its end
        return f'"{quote_literal(text.strip())}"'
    return show(text)


def _malformed(key: Any, text: Any) -> str:
    """The note for a link entry that is not ``key=text`` of at most ``MAX_URL_TEXT``
    characters (a hand-made ``hello``: a list, a number of 400 digits)."""
    name = show_key(key)
    if isinstance(text, str):
        return (
            f"link: ignored {name}={_abridged(text)}: a link's value is text of at most "
            f"{MAX_URL_TEXT} characters; this one has {len(text):,}."
        )
    return (
        f"link: ignored {name}={show(text)}: a link's value is text (key=text), not "
        f"{type(text).__name__ if text is not None else 'null'}."
    )


def _from_text(f: Field, text: str) -> Any:
    text = text.strip()
    if f.kind == "bool":
        value = {"1": True, "true": True, "0": False, "false": False}.get(text.lower())
        if value is None:
            raise ValueError(f"not a yes/no value: {text!r}")
        return value
    if f.kind == "int":
        return int(_plain(text, _INT))
    if f.kind == "float":
        return read_float(_plain(text, _FLOAT))
    if f.kind == "choice":
        return text
    items = [t for t in text.split(",") if t.strip()]
    if f.kind == "int_list":
        return [int(_plain(t.strip(), _INT)) for t in items]
    return [t.strip() for t in items]


def _empty_entries(text: str) -> bool:
    """A link's list with an empty entry ("4,,4", "relu,"); "" (no hidden layer) is none."""
    text = unquote(text).strip()
    return bool(text) and any(not t.strip() for t in text.split(","))


_INT = re.compile(r"[+-]?[0-9]+", re.ASCII)
_FLOAT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?", re.ASCII)


def _plain(text: str, pattern: re.Pattern) -> str:
    """A number as a link writes it: ASCII digits only (Python's int() and float() also
    read '١٢٣', '５' and '1_000', which no link of ours contains)."""
    if not pattern.fullmatch(text):
        raise ValueError(f"not a plain number: {text!r}")
    return text


def to_url(state: dict) -> str:
    """The URL hash (without ``#``) that reproduces ``state``: every setting, in order."""
    parts = [f"v={VERSION}"]
    for key, f in FIELDS.items():
        value = state[key]
        if f.kind == "bool":
            text = "1" if value else "0"
        elif isinstance(value, list):
            text = ",".join(str(v) for v in value)
        elif isinstance(value, float):  # the shortest text that reads back as this float
            text = repr(value).removesuffix(".0")
        else:
            text = str(value)
        parts.append(f"{key}={quote(text, safe=',.-_')}")
    return "&".join(parts)
