"""The playground's input features: maps from the raw inputs to the network's inputs.

TensorFlow Playground lets the user feed the network x1, x2, x1², x2², x1·x2, sin x1 and
sin x2 instead of (or besides) the raw coordinates. ``FEATURES`` names each map once;
``transform(x, names)`` applies the chosen ones to rows of raw inputs, in the order given.
For 1-D data (one input column) only the maps of x1 apply, labelled x, x² and sin x. This
module holds no training and no drawing.

Example:
    >>> import numpy as np
    >>> transform(np.array([[2.0, 3.0]]), ["x1", "x1x2", "x2sq"]).tolist()
    [[2.0, 6.0, 9.0]]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError
from . import plaintext


@dataclass(frozen=True)
class Feature:
    """One input feature: its id, how it is shown, the raw columns it reads, the map."""

    name: str
    label: str  # as drawn in the 2-D page (X₁², …)
    label_1d: str  # as drawn for 1-D data (x², …); "" when it needs a second column
    columns: int  # how many raw input columns it needs (1: x1 only, 2: x1 and x2)
    fn: Callable[[np.ndarray, np.ndarray], np.ndarray]


FEATURES: dict[str, Feature] = {
    f.name: f
    for f in [
        Feature("x1", "X₁", "x", 1, lambda a, b: a),
        Feature("x2", "X₂", "", 2, lambda a, b: b),
        Feature("x1sq", "X₁²", "x²", 1, lambda a, b: a * a),
        Feature("x2sq", "X₂²", "", 2, lambda a, b: b * b),
        Feature("x1x2", "X₁X₂", "", 2, lambda a, b: a * b),
        Feature("sinx1", "sin(X₁)", "sin x", 1, lambda a, b: np.sin(a)),
        Feature("sinx2", "sin(X₂)", "", 2, lambda a, b: np.sin(b)),
    ]
}

DEFAULT_2D = ("x1", "x2")
DEFAULT_1D = ("x1",)


def available(n_inputs: int) -> list[str]:
    """The feature ids that apply to data with ``n_inputs`` raw columns (1 or 2)."""
    return [f.name for f in FEATURES.values() if f.columns <= n_inputs]


def label(name: str, n_inputs: int) -> str:
    f = FEATURES[name]
    return f.label_1d if n_inputs == 1 else f.label


def column_label(name: str, columns: list[str], short: bool = True) -> str:
    """A feature's label in an uploaded CSV's column names (area, area², sin area), which
    the page says beside x (sixth teacher trial: a 1-D CSV's input read only "x" beside
    the column "area"); a name past 8 characters is cut with an ellipsis (``short``; else
    whole: the accessible name and the tooltip, issue 16 seventh teacher 5)."""
    _cut = _cut_to if short else (lambda text, _limit: text)
    cut = [_cut(c, 8) for c in columns]
    if len(cut) == 1:
        text = FEATURES[name].label_1d
        small = _cut(columns[0], 5)  # inside sin( ): less room
        return {"x": cut[0], "x²": f"{cut[0]}²", "sin x": f"sin {small}"}.get(text, text)
    if name == "x1x2":  # two names in one label: shorter each
        return f"{_cut(columns[0], 4)}·{_cut(columns[1], 4)}"
    if name.startswith("sin"):  # as the 1-D label: sin x (the brackets take room)
        return f"sin {_cut(columns[0 if name == 'sinx1' else 1], 5)}"
    return FEATURES[name].label.replace("X₁", cut[0]).replace("X₂", cut[1])


def _cut_to(text: str, limit: int) -> str:  # never inside a character drawn as one
    return text if len(text) <= limit else plaintext.cut(text, limit - 1) + "…"


def check(names, n_inputs: int) -> list[str]:
    """``names`` as a list of known ids that apply to ``n_inputs`` columns, no repeats."""
    ok = available(n_inputs)
    if not isinstance(names, list | tuple) or not names:
        raise ConfigError(
            f"features: must be a non-empty list of feature names among {', '.join(ok)}; got "
            f"{names!r}. Switch on at least one input."
        )
    out: list[str] = []
    for name in names:
        if name not in ok:
            raise ConfigError(
                f"features: {name!r} is not a feature of {n_inputs}-input data; choose among "
                f"{', '.join(ok)}."
            )
        if name in out:
            raise ConfigError(f"features: {name!r} is listed twice; list each feature once.")
        out.append(name)
    return out


def transform(x: np.ndarray, names) -> np.ndarray:
    """The chosen features of raw rows ``x`` (N, 1 or 2) as an (N, len(names)) array."""
    x = np.asarray(x)
    a = x[:, 0]
    b = x[:, 1] if x.shape[1] > 1 else None
    cols = []
    for name in names:
        f = FEATURES[name]
        if f.columns > x.shape[1]:
            raise ConfigError(f"features: {name!r} needs two input columns; the data has one.")
        cols.append(f.fn(a, b))
    return np.stack(cols, axis=1).astype(x.dtype, copy=False)


def is_identity(names, n_inputs: int) -> bool:
    """True when the features are exactly the raw columns in order (x1, or x1 and x2)."""
    return list(names) == list(DEFAULT_2D if n_inputs == 2 else DEFAULT_1D)
