"""What ``fit`` says in words after (or before) a run that will not give a good model.

- ``caution_step_units``: the lecture's Caution. Step units have derivative zero wherever it
  exists, so δ[l] of a step layer and every gradient below it are zero; the layers after the
  last step layer still train, so a falling loss does not mean the step units learn.
- ``caution_poor_fit`` (in ``poorfit``): a finished run worse than a trivial model (r² < 0,
  accuracy at chance), with what to try.
- ``caution_still_falling``: a run that stopped while its loss was still falling fast (too
  few epochs, or a learning rate too small), even when its r² is already above 0.

Their advice is in Python's words (``batch_size``); the CLI rewrites the phrases into its
flags (``cli/words.py``).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "NEAR_EXACT_R2",
    "STILL_FALLING",
    "STILL_FALLING_BY",
    "caution_falling_by_windows",
    "caution_step_units",
    "caution_still_falling",
    "has_step_units",
]

# the share of a run's fall in the loss that its last tenth of the epochs may still bring
STILL_FALLING = 0.02
# or the last tenth lowered the loss by this share of its value (a loss falling 100-fold
# over the run and 25 % in its last tenth still has a long way to go)
STILL_FALLING_BY = 0.10
NEAR_EXACT_R2 = 0.999  # the residual is 0.1 % of the targets' variance: nothing left to see


def has_step_units(model, net) -> bool:
    if net is not None:
        return any(layer.activation.name == "step" for layer in net)
    from ..nn import Step

    return any(isinstance(m, Step) for m in model.modules())


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def step_note(found: list[int], layers: int) -> str:
    """The Caution for step units in layers ``found`` (1-based) of an MLP of ``layers``."""
    top = max(found)
    upto = "W[1]" if top == 1 else f"W[1] … W[{top}]"
    which = ("layer " if len(found) == 1 else "layers ") + _listed([str(i) for i in found])
    text = (
        f"{which} {'uses' if len(found) == 1 else 'use'} the step function sgn (+1 if f > 0 "
        f"else −1): its derivative is zero wherever it exists, so δ[{top}] and every gradient "
        f"below it are zero and gradient descent cannot change {upto} (the lecture's "
        "Caution: backprop needs differentiable units)."
    )
    if top < layers:
        after = _listed([f"W[{i}], b[{i}]" for i in range(top + 1, layers + 1)])
        text += (
            f" Only {after} after the last step layer still train, so the loss can fall "
            "while the step units learn nothing."
        )
    return text + (
        " Use sigmoid, tanh or ReLU instead, or train a single layer of step units with the "
        "perceptron rule (backprop.delta.perceptron)."
    )


def caution_step_units(model, net) -> None:
    """The lecture's Caution as a ``StepUnitWarning`` (see the module)."""
    import warnings

    from ..errors import StepUnitWarning

    if net is not None:
        found = [layer.index for layer in net if layer.activation.name == "step"]
        if found:
            warnings.warn(step_note(found, len(net)), StepUnitWarning, stacklevel=user_stacklevel())
        return
    from ..nn import Step

    if any(isinstance(m, Step) for m in model.modules()):
        warnings.warn(
            "the model has step units (nn.Step): their derivative is zero wherever it exists, "
            "so no gradient reaches the weights before them and gradient descent cannot "
            "change those weights (the lecture's Caution: backprop needs differentiable "
            "units); the layers after the last one still train, so the loss can fall while "
            "the step units learn nothing. Use sigmoid, tanh or ReLU instead.",
            StepUnitWarning,
            stacklevel=user_stacklevel(),
        )


def caution_still_falling(history) -> bool:
    """A ``PoorFitWarning`` when the run stopped while its loss was still falling: its last
    tenth of the epochs (at least one) lowered the loss by more than ``STILL_FALLING_BY``
    of its value (unless every training row is classified right or r² ≥ ``NEAR_EXACT_R2``:
    the loss then falls for ever), or brought more than ``STILL_FALLING`` of the whole run's
    fall (and more than 0.1 %, above rounding). A converged run has a flat end (a curve
    e^(−t/τ) trained 5τ brings 0.4 % of its fall in its last tenth; minibatch noise stays
    above the best loss before it, which the last loss is compared with). True when it
    warned."""
    import warnings

    from ..errors import PoorFitWarning

    losses = recorded_losses(history)  # not the late measurement: loss only
    if len(losses) < 2 or not np.isfinite(losses).all():
        return False
    k = max(1, len(losses) // 10)
    before, last = float(losses[:-k].min()), float(losses[-1])
    total = float(losses[0]) - last
    if not (total > 0 and before > 0):
        return False
    fell = before - last
    by_value = fell > STILL_FALLING_BY * before and not _perfect(history)
    if not by_value and fell <= max(STILL_FALLING * total, 1e-3 * before):
        return False
    drop, share = 100 * (before - last) / before, 100 * (before - last) / total
    # the share of the whole fall is said only when it is a reason: "14 %, 0.14 % of the
    # run's whole fall, so … not finished" read as a reason to stop (demo square --epochs 100)
    by_share = fell > max(STILL_FALLING * total, 1e-3 * before)
    of_fall = f", {percent(share)} of the run's whole fall" if by_share else ""
    warnings.warn(
        f"the training loss was still falling when the run ended: the last {k} of "
        f"{len(losses)} epochs lowered it {percent(drop)} ({before:.4g} → {last:.4g})"
        f"{of_fall}, so the model has not finished learning; "
        "try more epochs or a larger learning rate.",
        PoorFitWarning,
        stacklevel=user_stacklevel(),
    )
    return True


def median(values: np.ndarray) -> float:
    """np.median's value for finite ``values`` (the middle one, or the mean of the middle two
    as (a + b) / 2), from a sort: np.median imports NumPy's masked arrays on its first call
    (≈ 18 ms of a 0.7 s demo) to ask whether its input is one."""
    ordered = np.sort(values, axis=None)
    half = ordered.size // 2
    if ordered.size % 2:
        return float(ordered[half])
    return float((ordered[half - 1] + ordered[half]) / 2)


def caution_falling_by_windows(history) -> bool:
    """``caution_still_falling``'s question for a run whose loss swings (Adam at lr 0.1 on
    square: 1316 → 213 → 435 → 180 → 252 in 20 epochs): its last loss is no record, yet the
    run is far from done. The median of the last w epochs (w = a quarter of the run up to 25
    epochs, a tenth of a longer one) more than ``STILL_FALLING_BY`` below the median of the
    w before: a trend the swings do not explain (a median ignores a spike). Not called by
    ``fit`` (it reads the last epoch's accuracy, which ``fit`` measures only when read): the
    CLI asks it after a run fit found neither poor nor still falling. True when it warned."""
    import warnings

    from ..errors import PoorFitWarning

    losses = recorded_losses(history)
    if not np.isfinite(losses).all():
        return False
    n = len(losses)
    w = min(n // 4, max(n // 10, 25))
    if w < 1:
        return False
    now, before = median(losses[-w:]), median(losses[-2 * w : -w])
    if not (before > 0 and now < (1 - STILL_FALLING_BY) * before) or _perfect(history):
        return False
    span = "epoch" if w == 1 else f"{w} epochs"
    warnings.warn(
        f"the training loss was still falling when the run ended: over the last {span} of "
        f"{n} its median was {percent(100 * (before - now) / before)} below the {span} before "
        f"({before:.4g} → {now:.4g}), so the model has not finished learning; try more "
        "epochs or a larger learning rate.",
        PoorFitWarning,
        stacklevel=user_stacklevel(),
    )
    return True


def recorded_losses(history) -> np.ndarray:
    """The run's recorded training losses (not the late measurement) as a float64 array,
    Nones left out: a ``History``'s column without building its list (10,000 epochs)."""
    column = getattr(history, "column", None)
    if column is not None:
        try:
            return column("loss")
        except KeyError:
            return np.empty(0)
    recorded = getattr(history, "recorded", None)
    losses = recorded("loss") if recorded is not None else history.history.get("loss", [])
    return np.array([v for v in losses if v is not None], dtype=np.float64)


def _last_values(history) -> dict:
    """Each metric's latest value (None-valued ones left out), late measurement taken."""
    if hasattr(history, "column"):  # a History: from its arrays, no lists
        return {k: v for k in history.names() if (v := history.last(k)) is not None}
    return {k: v[-1] for k, v in history.history.items() if v and v[-1] is not None}


def percent(value: float) -> str:
    """A share in per cent as a reader writes it: '5.3 %', '48 %', '100 %' (not '1e+02 %')."""
    return f"{value:.2g} %" if abs(value) < 10 else f"{value:.0f} %"


def _perfect(history) -> bool:
    """A separable set's cross-entropy, and the loss of a near-exact fit, fall for ever:
    every training row classified right, or r² ≥ ``NEAR_EXACT_R2`` (read only when asked:
    a history that measures its last epoch on first read measures it here)."""
    if hasattr(history, "column"):  # a History holds no None: its last values, no lists
        accuracy, r2 = history.last("accuracy"), history.last("r2")
        return (accuracy is not None and accuracy >= 1) or (r2 is not None and r2 >= NEAR_EXACT_R2)
    accuracy = [v for v in history.history.get("accuracy", []) if v is not None]
    r2 = [v for v in history.history.get("r2", []) if v is not None]
    return (bool(accuracy) and accuracy[-1] >= 1) or (bool(r2) and r2[-1] >= NEAR_EXACT_R2)


def user_stacklevel() -> int:
    """The ``stacklevel`` of the first caller outside the backprop package: a warning from
    ``fit`` (called by ``backprop.run``, by an estimator …) shows the user's own line, not
    a line of the library."""
    import os
    import sys

    package = os.path.dirname(os.path.dirname(__file__))
    frame, level = sys._getframe(2), 2
    while frame is not None and frame.f_code.co_filename.startswith(package):
        frame, level = frame.f_back, level + 1
    return level
