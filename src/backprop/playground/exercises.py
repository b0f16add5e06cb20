"""The lecture's exercises as presets: their settings, texts and the |x − 1| solution.

``PRESETS`` are what the page's "Lecture exercises" buttons start (``lesson=NAME`` in a
link; ``lessons`` reads links). Each has a ``title`` (the button), a ``text`` (its note),
its ``settings`` and ``names``: the controls (``lessons.CONTROLS``) whose settings the title
states ("Sigmoid × 6" says the activation and the depth), so a lesson that hides one of
them does not show the title either. Where the package ships the run as a built-in spec
(``backprop.run("square")``, ``"abs"``) the preset's network, optimizer, learning rate,
data size, noise and seed are read from that spec, so the page and the CLI cannot drift.
``solution_misfit`` and ``solution_edits`` are the |x − 1| preset's hand-set weights.
This module trains nothing.
"""

from __future__ import annotations

from . import fields, settings


def _from_spec(name: str) -> dict:
    """Playground settings from the built-in spec ``name`` (what ``backprop.run`` trains)."""
    from ..data.registry import DATASETS
    from ..spec import builtin

    spec = builtin(name)
    data, model, opt = spec["data"], spec["model"], spec["optimizer"]
    ds = data["name"]
    sizes = model["sizes"]
    hidden = list(sizes[1:-1])
    act = model["activation"]
    noise = data.get("noise", DATASETS[ds].defaults.get("noise", 0.0)) or 0.0
    out = {
        "dataset": ds,
        "n": data.get("n", DATASETS[ds].defaults["n"]),
        # the page's noise is a percentage of the set's scale (settings.SCALE_1D)
        "noise": round(100 * noise / settings.SCALE_1D.get(ds, 1.0)),
        "seed": spec["seed"],
        "features": ["x1"],
        "hidden": hidden,
        "activation": [act] * len(hidden) if isinstance(act, str) else list(act),
        "loss": spec["loss"]["name"],
        "optimizer": opt["name"],
        "lr": opt["lr"],
        # null in the spec: the whole training set as one batch ("all" on the page)
        "batch_size": spec["batch_size"] or fields.FIELDS["batch_size"].high,
        "stop_epochs": spec["epochs"],
    }
    return out


# |x − 1| = max(0, x − 1) + max(0, 1 − x): the lecture's hand-set weights, as edit messages
# (PyTorch's layout: weight[row = to, col = from])
ABS_SOLUTION = (
    {"kind": "weight", "layer": 1, "row": 0, "col": 0, "value": 1.0},
    {"kind": "bias", "layer": 1, "row": 0, "value": -1.0},
    {"kind": "weight", "layer": 1, "row": 1, "col": 0, "value": -1.0},
    {"kind": "bias", "layer": 1, "row": 1, "value": 1.0},
    {"kind": "weight", "layer": 2, "row": 0, "col": 0, "value": 1.0},
    {"kind": "weight", "layer": 2, "row": 0, "col": 1, "value": 1.0},
    {"kind": "bias", "layer": 2, "row": 0, "value": 0.0},
)

_DEPTH = {"dataset": "circle", "noise": 0, "n": 500, "train_ratio": 50, "seed": 1,
          "features": ["x1", "x2"], "hidden": [8] * 6, "optimizer": "sgd", "lr": 0.1,
          "batch_size": 10, "view": "gradients", "stop_epochs": 0}  # fmt: skip


def _presets() -> dict[str, dict]:
    square = _from_spec("square")
    abs_ = _from_spec("abs")
    return {
        "square": {
            "title": "y = x²",
            "names": ("dataset",),
            "text": "1-8-8-1 ReLU, Adam η = 0.1: the lecture's PyTorch example "
            "(the built-in spec 'square').",
            "settings": {**square, "train_ratio": 80, "view": "weights"},
        },
        "abs": {
            "title": "ŷ = |x − 1|",
            "names": ("dataset",),
            "text": "Two ReLUs, g[1] = ReLU, g[2] = I: can training find "
            "max(0, x − 1) + max(0, 1 − x)? (the built-in spec 'abs')",
            "settings": {**abs_, "train_ratio": 80, "view": "weights"},
            "solution": list(ABS_SOLUTION),
            "solution_text": "The lecture's weights: ŷ = max(0, x − 1) + max(0, 1 − x), "
            "W[1] = (1, −1), b[1] = (−1, 1), W[2] = (1, 1), b[2] = 0",
        },
        "step": {
            "title": "Step units: Caution",
            "names": ("activation",),
            "text": "sgn(x) has no useful derivative: g′ = 0, so δ[1] = 0 (the δ under "
            "each neuron), ‖∂E/∂W[1]‖ = 0 (no point on the log chart) and W[1] never changes.",
            "settings": {
                **abs_,
                "train_ratio": 80,
                "activation": ["step"],
                "view": "gradients",
                "stop_epochs": 0,
            },
        },
        "sigmoid6": {
            "title": "Sigmoid × 6",
            "names": ("activation", "network"),
            "text": "Six sigmoid layers: σ′ ≤ ¼, so ‖∂E/∂W[l]‖ shrinks layer by layer "
            "toward the input (the vanishing gradient: the chart below the network).",
            "settings": {**_DEPTH, "activation": ["sigmoid"] * 6},
        },
        "relu6": {
            "title": "ReLU × 6",
            "names": ("activation", "network"),
            "text": "The same six layers with ReLU: g′ = 1 where a unit is on, so the "
            "gradient reaches the first layer.",
            "settings": {**_DEPTH, "activation": ["relu"] * 6},
        },
    }


PRESETS: dict[str, dict] = _presets()


def solution_misfit(preset: str, state: dict) -> str:
    """Why ``preset``'s solution does not fit a network with these settings ("" if it does):
    the weights are the lecture's for its data, inputs, layers and activations only."""
    p = PRESETS.get(preset)
    if not p or not p.get("solution"):
        return "this exercise has no solution to show"
    want = p["settings"]
    for key, what in (
        ("dataset", "dataset"),
        ("features", "input features"),
        ("hidden", "hidden layer sizes (neurons per layer)"),
        ("activation", "activations"),
    ):
        if state[key] != want[key]:
            return (
                f"the solution is for the {what} {_said(want[key])}; this network has "
                f"{_said(state[key])}. Press the exercise's button to start it again"
            )
    return ""


def _said(value) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def solution_edits(preset: str) -> list[dict]:
    return list(PRESETS[preset]["solution"])


def called(name: str, lesson: dict | None) -> str:
    """Exercise ``name`` as the page calls it under ``lesson`` ("Exercise Sigmoid × 6"): by
    its place ("Exercise 4") when its title states a setting of a control the lesson hides
    (a hidden control's setting is shown nowhere; lessons.js's ``titleOf`` is the same rule)."""
    p = PRESETS[name]
    if set(p["names"]) & set((lesson or {}).get("hide", ())):
        return f"Exercise {list(PRESETS).index(name) + 1}"
    return f"Exercise {p['title']}"
