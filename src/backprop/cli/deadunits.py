"""Some ReLU units never active, and a poor fit: the warning and the changes the advice tries.

``train.poorfit.dead_units_note`` speaks when EVERY ReLU unit of a layer is 0 on every
training row (the output is then one number). A net with only SOME units dead is quieter but
as stuck: ``demo abs --seed 1`` (a 1-2-1 ReLU net) has one of its two hidden units 0 on all
200 rows, its loss flat at 0.911 from epoch 300 and r² 0.275, and nothing said so. Here, after
the run (``heldlists.unfinished``): how many units of which layer never activate, when the fit
is poor (r² or accuracy below ``POOR``), and the known fixes as rows of the 'advice:' table
(another seed, leaky_relu, more units), each judged there by the ``Judge``.

The rule (docs/cli.md, "Units that never activate"), the same for regression and
classification: a layer counts when at least ``SHARE`` of its units are dead on every
training row — the rows the check ran on, never the validation rows — and the score (r², or
the training accuracy) is below ``POOR``. Two dead units of 8 leave 6 to draw the target: on
noisy data (a pass/fail CSV, accuracy 0.876 with 2 of 8 dead) reviving them (another seed,
leaky_relu, twice the units) moved the validation accuracy by one row of 44 or made it worse,
so they are no reason to give; a 1-2-1 net with 1 of its 2 units dead (``demo abs --seed
1``) has one left.
"""

from __future__ import annotations

import copy

import numpy as np

from .common import MAX_SEED

__all__ = ["POOR", "SHARE", "dead_counts", "some_dead_changes", "some_dead_warning", "training_x"]

POOR = 0.9  # r² (or accuracy) below this with dead units: the dead units are a reason to say
SHARE = 0.5  # at least this share of a layer's units dead: its width is halved or worse


def training_x(result):
    """The rows the run trained on: the dataset's, less ``validation: 0.2``'s held-out rows
    (fit's own split: ``spec.targets.training_rows``); None without data."""
    x = getattr(getattr(result, "dataset", None), "x", None)
    if x is None:
        return None
    from ..spec.targets import training_rows

    rows = training_rows(getattr(result, "spec", None) or {}, result.dataset)
    return x if rows is None else np.asarray(x)[rows]


def dead_counts(result) -> list[tuple[int, int, int]]:
    """(layer, units never active, units) for each ReLU hidden layer where at least
    ``SHARE`` but not all of its units are 0 on every training row (all dead:
    ``dead_units_note`` says it; fewer: the live ones still draw the target)."""
    from ..delta import DeltaEngineError, forward, layers
    from ..train.poorfit import DYING

    x = training_x(result)
    if x is None or len(x) == 0:
        return []
    try:
        net = layers(result.net)
        watched = [layer for layer in net[:-1] if layer.g_name in DYING]
        if not watched:
            return []
        alive: dict[int, np.ndarray] = {}
        x = np.asarray(x)
        for start in range(0, len(x), 4096):
            cache = forward(result.net, x[start : start + 4096], net)
            for layer in watched:
                live = np.any(np.asarray(cache.a[layer.index]) != 0, axis=0)
                seen = alive.get(layer.index)
                alive[layer.index] = live if seen is None else seen | live
    except (DeltaEngineError, Exception):  # a model the δ engine cannot read: no diagnosis
        return []
    out = []
    for index, live in alive.items():
        units, dead = live.size, int(live.size - np.count_nonzero(live))
        if SHARE * units <= dead < units:
            out.append((index, dead, units))
    return out


def _score(result) -> tuple[str, float] | None:
    task = result.dataset.task
    metric = "r2" if task == "regression" else "accuracy"
    values = [v for v in result.history.history.get(metric, []) if v is not None]
    return (metric, float(values[-1])) if values else None


def some_dead_warning(result) -> str | None:
    """The warning's words, or None (no layer with some units dead, or the fit is good)."""
    if result.diverged:
        return None
    counts = dead_counts(result)
    score = _score(result) if counts else None
    if not counts or score is None or not score[1] < POOR:
        return None
    rows = len(training_x(result))  # the rows the check ran on (not the validation rows)
    said = "; ".join(
        f"{dead} of the {units} relu units of layer {index} never "
        f"{'activates' if dead == 1 else 'activate'} on any of the "
        f"{rows:,} training rows (f[{index}] ≤ 0 for every row: they pass no gradient and "
        "add nothing to the output)"
        for index, dead, units in counts
    )
    shown = "r²" if score[0] == "r2" else "accuracy"
    return (
        f"{said}, and the fit is poor ({shown} {score[1]:.3g} < {POOR}): the live units are "
        "perhaps too few to draw the target; 'advice:' "
        "below tries another seed, leaky_relu and more units on this run when that is quick."
    )


def some_dead_changes(result) -> list[tuple[str, dict]]:
    """Another seed, and more units (twice each hidden layer's), as 'advice:' rows (leaky_relu:
    ``namedfixes.unit_changes``)."""
    if not dead_counts(result):
        return []
    spec, out = result.spec, []
    changed = copy.deepcopy(spec)
    seed = int(spec.get("seed") or 0)
    other = seed + 1 if seed < MAX_SEED else seed - 1  # within the seed's bound (test_bounds)
    changed["seed"] = other
    out.append((f"--seed {other}", changed))
    model = spec["model"]
    changed = copy.deepcopy(spec)
    if model.get("hidden"):
        hidden = [2 * int(h) for h in model["hidden"]]
        changed["model"] = {**model, "hidden": hidden}
        out.append((f"--hidden {','.join(map(str, hidden))}", changed))
    elif model.get("sizes"):
        sizes = list(model["sizes"])
        sizes = [sizes[0], *(2 * int(s) for s in sizes[1:-1]), sizes[-1]]
        changed["model"] = {**model, "sizes": sizes}
        out.append((f"--layers {','.join(map(str, sizes))}", changed))
    return out
