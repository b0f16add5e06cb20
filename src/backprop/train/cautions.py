"""What ``fit`` says in words after (or before) a run that will not give a good model.

- ``caution_step_units``: the lecture's Caution. Step units have derivative zero wherever it
  exists, so δ[l] of a step layer and every gradient below it are zero; the layers after the
  last step layer still train, so a falling loss does not mean the step units learn.
- ``caution_poor_fit``: a finished run worse than a trivial model (r² < 0, accuracy at
  chance), with what to try.
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
    "caution_poor_fit",
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
            warnings.warn(step_note(found, len(net)), StepUnitWarning, stacklevel=3)
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
            stacklevel=3,
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
    import math
    import warnings

    from ..errors import PoorFitWarning

    losses = [v for v in history.history.get("loss", []) if v is not None]
    if len(losses) < 2 or not all(math.isfinite(v) for v in losses):
        return False
    k = max(1, len(losses) // 10)
    before, last = min(losses[:-k]), losses[-1]
    total = losses[0] - last
    if not (total > 0 and before > 0):
        return False
    fell = before - last
    # a separable set's cross-entropy, and the loss of a near-exact fit, fall for ever
    accuracy = [v for v in history.history.get("accuracy", []) if v is not None]
    r2 = [v for v in history.history.get("r2", []) if v is not None]
    perfect = (bool(accuracy) and accuracy[-1] >= 1) or (bool(r2) and r2[-1] >= NEAR_EXACT_R2)
    by_value = fell > STILL_FALLING_BY * before and not perfect
    if not by_value and fell <= max(STILL_FALLING * total, 1e-3 * before):
        return False
    drop, share = 100 * (before - last) / before, 100 * (before - last) / total
    warnings.warn(
        f"the training loss was still falling when the run ended: the last {k} of "
        f"{len(losses)} epochs lowered it {drop:.2g} % ({before:.4g} → {last:.4g}), "
        f"{share:.2g} % of the run's whole fall, so the model has not finished learning; "
        "try more epochs or a larger learning rate.",
        PoorFitWarning,
        stacklevel=3,
    )
    return True


def caution_poor_fit(history, task: str, y) -> bool:
    """A finished run that does no better than a model that ignores its inputs gets a
    warning in words (``PoorFitWarning``): r² < 0 is worse than predicting the targets'
    mean; an accuracy at most the most common class's share is what always answering that
    class scores. True when it warned."""
    import warnings

    from ..errors import PoorFitWarning

    last = {k: v[-1] for k, v in history.history.items() if v and v[-1] is not None}
    losses = [v for v in history.history.get("loss", []) if v is not None]
    peak = max(losses) if losses else None
    if len(losses) > 1 and losses[-1] > losses[0]:  # it got worse: steps too large
        advice = (
            f"The training loss grew from {losses[0]:.4g} to {losses[-1]:.4g}: the steps are "
            "too large; try a smaller learning rate."
        )
    elif len(losses) > 1 and peak > 10 * losses[0] > 0:  # it blew up, then settled: too large
        epochs = list(getattr(history, "epochs", None) or range(1, len(losses) + 1))
        at = epochs[losses.index(peak)] if len(epochs) == len(losses) else losses.index(peak) + 1
        advice = (
            f"The training loss rose from {losses[0]:.4g} to {peak:.4g} (epoch {at}) "
            "before it settled: the steps are too large; try a smaller learning rate."
        )
    else:
        advice = (
            "It has not learned yet: try more epochs, a larger learning rate, minibatches "
            "(batch_size), or standardised inputs and targets."
        )
    if task == "regression" and "r2" in last and last["r2"] < 0:
        warnings.warn(
            f"the trained model does worse than predicting the mean of the targets "
            f"(r² = {last['r2']:.3g} < 0 on the training data). {advice}",
            PoorFitWarning,
            stacklevel=3,
        )
        return True
    if task == "classification" and "accuracy" in last:
        labels = np.asarray(y).reshape(len(y), -1)
        labels = labels.argmax(1) if labels.shape[1] > 1 else np.rint(labels[:, 0])
        share = np.unique(labels, return_counts=True)[1].max() / len(labels)
        if last["accuracy"] <= share + 1e-12 and share < 1:
            warnings.warn(
                f"the trained model's accuracy ({last['accuracy']:.3g} on the training data) is "
                f"no better than always answering the most common class ({share:.3g}). {advice}",
                PoorFitWarning,
                stacklevel=3,
            )
            return True
    return False
