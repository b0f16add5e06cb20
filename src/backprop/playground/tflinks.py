"""TensorFlow Playground's own links, read with their meaning on this page.

A teacher's link from playground.tensorflow.org (its ``src/state.ts`` writes every setting
as ``name=text``: ``learningRate=0.03&networkShape=4,2&x=true&…``, and one
``<control>_hide=true`` per hidden control) opens here with the same experiment as far as
this page has it: each TF name is mapped to the setting that means the same here (``x`` is
the input feature X₁, ``regDataset=reg-gauss`` the Multi Gaussian set when ``problem`` is
regression, ``learningRate_hide`` hides the Learning rate). What has no counterpart here
(TF's cos features, its ``maximum``/``argmax`` regression sets, tutorials, the
"collect stats" and "start at zero" switches, its play/step/reset hiding) is named once,
in one note, and only when the link asks for it (``cosX=false`` asks nothing).

``translate(url)`` runs before ``lessons.read`` and ``fields.from_url``: it returns the
link with TF's keys replaced by this page's (this page's own key wins when a link has
both) and the note. A link with none of TF's own names is returned unchanged. This module
trains nothing and checks no value: the settings are checked as any link's are.
"""

from __future__ import annotations

import re
import zlib

from . import features as page_features
from .fields import DATASETS, NOT_EMPTY, show

# TF's name -> this page's setting, for a value that means the same (TF's text is ours)
RENAMED = {
    "learningRate": "lr",
    "regularizationRate": "reg_rate",
    "batchSize": "batch_size",
    "percTrainData": "train_ratio",
    "networkShape": "hidden",  # hidden-layer widths, comma-separated ("" is no hidden layer)
    "showTestData": "show_test",
}
# TF's input-feature switches -> this page's feature (None: no counterpart); x and y are on
# unless the link says otherwise (TF's defaults)
FEATURES = {
    "x": "x1", "y": "x2", "xSquared": "x1sq", "ySquared": "x2sq", "xTimesY": "x1x2",
    "sinX": "sinx1", "sinY": "sinx2", "cosX": None, "cosY": None,
}  # fmt: skip
TF_ON = ("x", "y")
REG_SETS = {
    "reg-plane": "plane",
    "reg-gauss": "multigauss",
    "reg-maximum": None,
    "reg-argmax": None,
}
# TF settings with no counterpart here -> the text that asks for nothing (TF's default)
NOTHING_ASKED = {"collectStats": "false", "initZero": "false", "hideText": "false", "tutorial": ""}
# TF's hideable controls (HIDABLE_CONTROLS, plus its settings' names) -> this page's control
CONTROLS = {
    "learningRate": "lr", "regularizationRate": "regularization", "batchSize": "batch_size",
    "percTrainData": "train_ratio", "networkShape": "network", "numHiddenLayers": "network",
    "showTestData": "show_test", "problem": "dataset", "regDataset": "dataset",
    **{name: ("features" if ours else None) for name, ours in FEATURES.items()},
    "playButton": None, "stepButton": None, "resetButton": None,
}  # fmt: skip
# names only TF writes: one of them (or its ``_hide``) makes the link a TF link (dataset,
# noise, activation, regularization, discretize, problem and seed are shared names, and
# ``problem_hide`` is this page's form too: eighth attacker 2, ``seed=abc&problem_hide=true``
# read abc as TF's seed)
OWN = {*RENAMED, *FEATURES, *NOTHING_ASKED, "regDataset"}
OWN_CONTROLS = set(CONTROLS) - {"problem"}  # in a TF link, problem_hide hides the dataset
_TF_SEED = re.compile(r"0\.([0-9]{5})")  # Math.random().toFixed(5): TF's own seeds
TRUE = ("true", "1")  # a _hide text that hides (lessons.py's rule for this page's _hide)
# TF's classification sets: with problem=regression TF draws regDataset, not these; a link
# naming one of this page's other sets (square, plane, ...) keeps it (this page's name wins)
TF_CLASSIFICATION_SETS = ("circle", "xor", "gauss", "spiral")


def is_tf(url: dict) -> bool:
    """Whether a link's keys include one only TensorFlow Playground writes."""
    return any(k in OWN or _hide_of(k) in OWN_CONTROLS for k in url if isinstance(k, str))


def _on(text: str | None) -> bool:
    return text is not None and text.lower() in TRUE


def _hide_of(key) -> str | None:
    return key[: -len("_hide")] if isinstance(key, str) and key.endswith("_hide") else None


def _text(value) -> str | None:
    return value.strip() if isinstance(value, str) else None


def translate(url: dict) -> tuple[dict, list[str]]:
    """``url`` (key: text, after ``lessons.repeated``) with TF Playground's names read as
    this page's; returns (the link, notes: at most one)."""
    if not is_tf(url):
        return url, []
    out: dict = {}
    missing: list[str] = []  # what the link asks that this page does not have
    said: list[str] = []  # how a value was read differently (the seed)
    for key, value in url.items():
        text = _text(value)
        hide = _hide_of(key)
        if key in RENAMED:
            if RENAMED[key] not in url:  # this page's own name wins
                out[RENAMED[key]] = value
        elif key in FEATURES or key == "regDataset":
            continue  # read below, together
        elif key in NOTHING_ASKED:
            if text is not None and text.lower() != NOTHING_ASKED[key]:
                missing.append(f"{key}={show(text[:20])}")
        elif hide in CONTROLS:
            ours = CONTROLS[hide]
            if _on(text) and ours is None:
                missing.append(key)  # cosX_hide: no counterpart (it hid the features row)
            elif _on(text) and f"{ours}_hide" not in url:
                out[f"{ours}_hide"] = "true"
        elif key == "seed" and text is not None and not text.isdigit() and text:
            out["seed"], note = _seed(text)
            said.append(note)
        else:
            out[key] = value
    features, lost = _features(url)
    missing += lost
    if features == [] and "features" not in url:  # x=false&y=false&...: none left on
        said.append(f"Its input features are all off: {NOT_EMPTY['features']}.")
    elif features is not None and "features" not in url:
        out["features"] = ",".join(features)
    dataset, lost = _dataset(url)
    missing += lost
    if dataset:
        out["dataset"] = dataset
    note = "link: read as a TensorFlow Playground link (its names mean the same settings here)."
    if missing:
        note += f" Not on this page, so not carried over: {', '.join(missing)}."
    return out, [" ".join([note, *said])]


def _features(url: dict) -> tuple[list[str] | None, list[str]]:
    """The input features TF's switches turn on (TF's default: x and y), in this page's
    order; and the switched-on ones with no counterpart."""
    if not any(k in url for k in FEATURES):
        return None, []
    on = {
        name
        for name in FEATURES
        if (_text(url.get(name)) or ("true" if name in TF_ON else "false")) != "false"
    }  # TF reads anything but "false" as on
    ours = [FEATURES[n] for n in FEATURES if n in on and FEATURES[n]]
    lost = [f"{n}=true" for n in FEATURES if n in on and not FEATURES[n]]
    return [f for f in page_features.FEATURES if f in ours], lost  # in this page's order


def _dataset(url: dict) -> tuple[str | None, list[str]]:
    """The data set: TF keeps one of each kind and uses ``regDataset`` for regression."""
    if _text(url.get("problem")) != "regression":
        return None, []
    ours = (_text(url.get("dataset")) or "").lower()
    if ours in DATASETS and ours not in TF_CLASSIFICATION_SETS:
        return None, []  # this page's own set (square, plane, ...): the link's name wins
    reg = _text(url.get("regDataset")) or "reg-plane"
    if REG_SETS.get(reg):
        return REG_SETS[reg], []
    return "plane", [f"regDataset={show(reg[:20])} (opened with the plane)"]


def _seed(text: str) -> tuple[str, str]:
    """TF's seed is any text (its own are Math.random().toFixed(5), such as 0.27263); this
    page's is a whole number: the five decimals as written, or another text's CRC-32 (0.5
    and 0.05 are not TF's form, and each is its own seed: both were 5), so one link gives
    one data set."""
    m = _TF_SEED.fullmatch(text)
    seed = int(m.group(1)) if m else zlib.crc32(text.encode("utf-8", "replace")) & 0x7FFFFFFF
    return str(seed), (
        f"Its seed {show(text[:20])} is seed {seed} here: the same link gives the same points "
        "each time, not TensorFlow Playground's points."
    )
