"""What ``fit`` says of a finished run that is worse than a trivial model (floor 2).

``caution_poor_fit``: r² below 0 (worse than predicting the mean) or accuracy at chance
(no better than always answering the most common class), with what to try and, for ReLU
networks, how many units never activate (``dead_units_note``); ``beats_chance`` lets fit
skip the final measuring pass when the engine's own count already clears chance by
``chance_margin``. Split from ``cautions`` (the step units' and still-falling cautions), which
it shares helpers with.
"""

from __future__ import annotations

import math

import numpy as np

from .cautions import _last_values, _listed, recorded_losses, user_stacklevel

__all__ = [
    "DEAD_CHECK_ROWS",
    "DYING",
    "NOT_LEARNED",
    "beats_chance",
    "caution_poor_fit",
    "chance_margin",
    "dead_units_note",
    "majority",
    "mean_rounding",
    "untried_advice",
]


def majority(y) -> tuple[int, int]:
    """(rows of the most common class, rows): always answering that class scores their
    ratio, the accuracy at chance ``caution_poor_fit`` speaks of."""
    labels = np.asarray(y).reshape(len(y), -1)
    labels = labels.argmax(1) if labels.shape[1] > 1 else np.rint(labels[:, 0])
    return int(np.unique(labels, return_counts=True)[1].max()), len(labels)


# what may help a run that has not learned; each is named only when it is not the run's
# setting already (the CLI gives its flags for these words: cli/words.py)
MORE_EPOCHS, LARGER_LR = "more epochs", "a larger learning rate"
MINIBATCHES, SCALED_X, SCALED_Y = (
    "minibatches (batch_size)",
    "standardised inputs",
    "standardised targets",
)
NOT_LEARNED = "It has not learned yet: try "
DYING = ("relu",)  # 0 with slope 0 for every f ≤ 0: a unit can stop for good
DEAD_CHECK_ROWS = 8192  # rows per chunk of the dead-unit check


def _standardised(values) -> bool:
    """Whether every column looks standardised already (mean ≈ 0, std ≈ 1)."""
    v = np.asarray(values, dtype=np.float64)
    v = v.reshape(len(v), -1) if v.size else v
    if v.size == 0 or v.dtype.kind not in "fiu":
        return True
    mean, std = v.mean(0), v.std(0)
    return bool(np.all(np.abs(mean) < 0.2) and np.all((std > 0.5) & (std < 2)))


def untried_advice(task: str, x=None, y=None, batch_size=None) -> str:
    """'It has not learned yet: try more epochs, …' with only what the run did not use:
    minibatches when it trained on the full batch, standardised inputs (targets) when they
    are not standardised already."""
    items = [MORE_EPOCHS, LARGER_LR]
    n = 0 if x is None else len(x)
    if batch_size is None or (n > 32 and batch_size >= n):
        items.append(MINIBATCHES)
    if x is None or not _standardised(x):
        items.append(SCALED_X)
    if task == "regression" and (y is None or not _standardised(y)):
        items.append(SCALED_Y)
    return NOT_LEARNED + _listed(items).replace(" and ", " or ") + "."


def dead_units_note(model, x, net=None, optimizer=None, y_scale=None) -> str | None:
    """When every ReLU unit of some hidden layer is 0 on every training row, the output is
    one number for every input and no gradient reaches the layers below: say so, with the
    fix. None otherwise (or for a model that is not a Linear + activation chain).
    ``y_scale``: (mean, std) when the model trains on standardised targets z, so the
    constant is told in the target's own units (what ``predict`` prints), z beside it."""
    from ..delta import DeltaEngineError, forward, layers

    if x is None or len(x) == 0:
        return None
    try:
        net = layers(model) if net is None else net
    except DeltaEngineError:
        return None
    watched = [layer for layer in net[:-1] if layer.g_name in DYING]
    if not watched:
        return None
    from .engines import eval_rows

    x = np.asarray(x)
    alive = dict.fromkeys(layer.index for layer in watched)  # index -> any unit nonzero
    first = None
    # chunks far smaller than fit's evaluation: ``forward`` keeps every f[l] and a[l] of a
    # chunk (fit's chunk of a narrow net was 932,067 rows: +200 MB at the run's end), and
    # the check usually ends at the first chunk, where a unit is alive
    step = min(eval_rows(net, len(x)), DEAD_CHECK_ROWS)
    for start in range(0, len(x), step):
        cache = forward(model, x[start : start + step], net)
        first = cache.output[0] if first is None else first
        for l in alive:
            alive[l] = alive[l] or bool(np.any(cache.a[l]))
        if all(alive.values()):  # every watched layer has a live unit: nothing to say
            return None
    layer = next(layer for layer in watched if not alive[layer.index])
    shown = f"ŷ = {first[0]:.4g}" if first.size == 1 else "one output vector"
    if first.size == 1 and y_scale is not None:  # trained on z: say it in y's units
        mean, std = (float(np.ravel(v)[0]) for v in y_scale)
        shown = f"ŷ = {first[0] * std + mean:.4g} in the target's units; z = {first[0]:.4g}"
    below = "W[1], b[1]" if layer.index == 1 else f"W[1] … W[{layer.index}]"
    fixes = ["a smaller learning rate"]
    if not type(optimizer).__name__.startswith("Adam"):
        fixes.append("Adam (it takes steps of about lr)")
    if not _standardised(x):
        fixes.append(SCALED_X)
    fixes.append("leaky_relu, whose units cannot die")
    return (
        f"every {layer.g_name} unit of layer {layer.index} is 0 on all {len(x):,} training "
        f"rows (the units died: f[{layer.index}] ≤ 0 for every row, so g'(f) = 0 and no "
        f"gradient reaches {below}), so the output is one number for every row ({shown}). "
        "Typically a learning rate too large for the first steps pushed the units' biases "
        f"negative: try {_listed(fixes).replace(' and ', ' or ')}."
    )


def caution_poor_fit(history, task: str, y, *, model=None, x=None, net=None,
                     batch_size=None, optimizer=None, y_scale=None) -> bool:  # fmt: skip
    """A finished run that does no better than a model that ignores its inputs gets a
    warning in words (``PoorFitWarning``): r² < 0 is worse than predicting the targets'
    mean; an accuracy at most the most common class's share is what always answering that
    class scores. With ``model`` and ``x`` it says when the units died (the output is then
    constant); its advice names only what the run did not use already. True when it
    warned."""
    import warnings

    from ..errors import PoorFitWarning

    last = _last_values(history)
    series, peak, at = recorded_losses(history), None, None
    count, losses = len(series), [float(v) for v in series[:: max(1, len(series) - 1)]]
    if count and np.isfinite(series).all():  # the peak max() and index() find, in NumPy
        peak, at = float(series.max()), int(series.argmax())
    elif count:  # a NaN among them: Python's max(), as ever
        listed = series.tolist()
        peak = max(listed)
        at = listed.index(peak)
    if count > 1 and losses[-1] > losses[0]:  # it got worse: steps too large
        advice = (
            f"The training loss grew from {losses[0]:.4g} to {losses[-1]:.4g}: the steps are "
            "too large; try a smaller learning rate."
        )
    elif count > 1 and peak > 10 * losses[0] > 0:  # it blew up, then settled: too large
        epochs = list(getattr(history, "epochs", None) or range(1, count + 1))
        at = epochs[at] if len(epochs) == count else at + 1
        advice = (
            f"The training loss rose from {losses[0]:.4g} to {peak:.4g} (epoch {at}) "
            "before it settled: the steps are too large; try a smaller learning rate."
        )
    else:
        advice = None
    worse = task == "regression" and "r2" in last and last["r2"] < 0
    chance = None
    if task == "classification" and "accuracy" in last:
        most, rows = majority(y)
        share = most / rows
        if last["accuracy"] <= share + 1e-12 and share < 1:
            chance = share
    if not worse and chance is None:
        return False
    dead = None if model is None else dead_units_note(model, x, net, optimizer, y_scale)
    if dead is not None:  # the reason the output is constant: say it first, with its fix
        metric = f"r² = {last['r2']:.3g}" if worse else f"accuracy {last['accuracy']:.3g}"
        grew = "" if advice is None else " " + advice.split(": the steps")[0] + "."
        warnings.warn(
            f"the trained model's output does not depend on its input ({metric} on the "
            f"training data): {dead}{grew}",
            PoorFitWarning,
            stacklevel=user_stacklevel(),
        )
        return True
    advice = advice or untried_advice(task, x, y, batch_size)
    if worse:
        # "worse" only beyond the rounding of a constant output (r² = -2.2e-16 is the mean)
        tol = mean_rounding(y, model)
        words = "worse than" if last["r2"] < -tol else "no better than"
        why = "< 0" if last["r2"] < -tol else f"0 within the float rounding of the mean, {tol:.1g}"
        warnings.warn(
            f"the trained model does {words} predicting the mean of the targets "
            f"(r² = {last['r2']:.3g}, {why}, on the training data). {advice}",
            PoorFitWarning,
            stacklevel=user_stacklevel(),
        )
        return True
    warnings.warn(
        f"the trained model's accuracy ({last['accuracy']:.3g} on the training data, "
        "measured at its final weights) is "
        f"no better than always answering the most common class ({chance:.3g}). {advice}",
        PoorFitWarning,
        stacklevel=user_stacklevel(),
    )
    return True


def mean_rounding(y, model=None) -> float:
    """How far from 0 the r² of a model that answers the targets' mean can land by rounding:
    its output is the mean ȳ rounded to the model's dtype (relative error ≤ ε/2 per row),
    which moves 1 − SS_res/SS_tot by at most ε·|ȳ|/σ (Cauchy–Schwarz on the cross term);
    ε more covers the sums' own rounding. square's mean 33.6, σ 28: 1.6e-7 in float32."""
    values = np.asarray(y, dtype=np.float64).ravel()
    params = [] if model is None else list(model.parameters())
    dtype = params[0]._data.dtype if params else np.float32
    eps = float(np.finfo(dtype).eps)
    sigma = float(values.std()) if values.size else 0.0
    scale = abs(float(values.mean())) / sigma if sigma > 0 else 0.0
    return eps * (1.0 + scale)


def chance_margin(most: int, rows: int) -> float:
    """Rows right above the most common class's ``most`` of ``rows`` that an in-training
    count must clear to stand for the final weights: 1 % of the rows or three standard
    deviations of a count at chance (binomial, p = most / rows), whichever is larger."""
    share = most / rows
    return max(0.01 * rows, 3.0 * math.sqrt(rows * share * (1.0 - share)))


def beats_chance(history, task, evaluate, x, y, counted=None) -> bool:
    """True when the run's model classifies more training rows right than always answering
    the most common class would (so ``caution_poor_fit`` has nothing to say), for a history
    whose last epoch is measured on first read; False whenever the caution must look (it
    then reads the history, which measures the whole set at the final weights).

    ``counted``: (epoch, rows right) the engine counted during the run's last epoch, each
    batch before its update (Keras' accuracy during an epoch; ``FusedLoop.count_right``).
    Clearly above chance (``chance_margin``) it answers True with no pass over the data;
    otherwise the final weights are counted, only as far as it takes (``evaluate.beyond``)."""
    if not history.measured_later or task != "classification" or y.ndim > 2:
        return False
    if y.ndim == 2 and y.shape[1] != 1:
        return False
    most, rows = majority(y)
    if most >= rows:
        return True
    last = counted is not None and counted[0] == history.epochs[-1]
    if last and counted[1] > most + chance_margin(most, rows):
        return True
    return evaluate.beyond(x, y, most)
