"""The changes a warning names as its fix, as rows of the 'advice:' table (one voice).

``fitcheck.candidates`` tries these before the generic ones (learning rates, epochs,
minibatches, standardising): a warning's own fix first (``--hidden 1,8,8,1`` on one input
and one output is warned to mean ``--layers 1,8,8,1``), then the fixes fit's Cautions name
(step units → ReLU or tanh; dead ReLUs → leaky_relu, Adam; sigmoid or tanh units in a run that
learned nothing → ReLU, with ``vanishing_warning`` saying why when the run's own gradients show
the lecture's vanishing case). Moved out of ``fitcheck`` (size).
"""

from __future__ import annotations

import copy

__all__ = ["MAX_SLOPE", "dead", "named_fixes", "unit_changes", "vanishing_warning"]

MAX_SLOPE = {"sigmoid": 0.25, "tanh": 1.0}  # the largest g'(f) of the saturating units


def named_fixes(result) -> list[tuple[str, dict]]:
    """The fix a warning named, tried first (one voice): ``--hidden 1,8,8,1`` on one input
    and one output is warned to mean ``--layers 1,8,8,1`` (``spec.build``)."""
    from ..spec.build import hidden_names_every_size

    model = result.spec["model"]
    hidden, sizes = model.get("hidden"), getattr(result.net, "sizes", None)
    if not hidden or model.get("sizes") is not None or not sizes:
        return []
    if not hidden_names_every_size(list(hidden), sizes[0], sizes[-1]):
        return []
    changed = copy.deepcopy(result.spec)
    acts = list(model["activation"])  # one per hidden layer: the named ones are the middle
    acts = acts[1:-1] if len(acts) == len(hidden) else acts
    changed["model"] = {**model, "sizes": list(hidden), "hidden": None, "activation": acts}
    flags = f"--layers {','.join(map(str, hidden))}"
    if len(set(acts)) > 1:  # the rerun names the middle layers' activations too
        flags += f" --activation {','.join(acts)}"
    return [(flags, changed)]


def unit_changes(result) -> list[tuple[str, dict]]:
    """The changes fit's Cautions name besides the lr and epochs, so the table measures
    each fix a warning gives (one voice): step units → ReLU or tanh (the lecture's Caution);
    ReLU units that died → leaky_relu, and Adam when the optimizer is another."""
    spec = result.spec
    acts = list(spec["model"]["activation"])
    out = []

    def swap(old: str, new: str) -> None:
        names = [new if a == old else a for a in acts]
        changed = copy.deepcopy(spec)
        changed["model"] = {**changed["model"], "activation": names}
        shown = names[0] if len(set(names)) == 1 else ",".join(names)
        out.append((f"--activation {shown}", changed))

    if "step" in acts:
        swap("step", "relu")
        swap("step", "tanh")
    from .fitcheck import poor_fit

    if any(a in MAX_SLOPE for a in acts) and poor_fit(result) is not None:
        # the lecture's remedy for vanishing gradients: relu's g' is 1 wherever it is active
        names = ["relu" if a in MAX_SLOPE else a for a in acts]
        changed = copy.deepcopy(spec)
        changed["model"] = {**changed["model"], "activation": names}
        out.append(
            (f"--activation {names[0] if len(set(names)) == 1 else ','.join(names)}", changed)
        )
    from .deadunits import dead_counts, some_dead_changes

    some = "relu" in acts and not dead(result) and bool(dead_counts(result))
    if some:  # some units never active (deadunits): another seed, more units, leaky_relu
        out.extend(some_dead_changes(result))
        swap("relu", "leaky_relu")
    if "relu" in acts and not some and dead(result):
        swap("relu", "leaky_relu")
        if not spec["optimizer"]["name"].lower().startswith("adam"):
            changed = copy.deepcopy(spec)
            changed["optimizer"] = {**changed["optimizer"], "name": "adam"}
            out.append(("--optimizer adam", changed))
    return out


def dead(result) -> bool:
    from ..train.poorfit import dead_units_note

    try:
        return dead_units_note(result.net, result.dataset.x) is not None
    except Exception:  # a model the δ engine cannot read: no diagnosis
        return False


def vanishing_warning(result) -> str | None:
    """The lecture's vanishing gradients, measured on the run: a net with two or more
    sigmoid hidden layers that learned nothing (``fitcheck.poor_fit``), whose first layer's
    ‖∂E/∂W[1]‖ at the starting weights (the run's seed, its training rows) is at most
    0.25^k of the output layer's, the bound the lecture derives from g' ≤ 0.25 over k
    sigmoid layers (with weights of norm ≤ 1). square with 10 sigmoid layers of 8, Adam lr
    0.1: 7e-10 of it (bound 9.5e-7), r² 0; ``--activation relu`` reaches 0.999. tanh (g' ≤ 1)
    has no such bound: it gets the relu row in the table, not this sentence."""
    from .fitcheck import poor_fit

    acts = list(result.spec["model"]["activation"])
    k = sum(a == "sigmoid" for a in acts)
    if k < 2 or result.diverged or poor_fit(result) is None:
        return None
    measured = _start_gradients(result)
    if measured is None:
        return None
    first, last, layers = measured
    bound = MAX_SLOPE["sigmoid"] ** k
    if not (last > 0 and first / last <= bound):
        return None
    return (
        f"the gradient vanishes on its way back to the first layers: at the starting weights "
        f"‖∂E/∂W[1]‖ = {first:.2g} against the output layer's ‖∂E/∂W[{layers}]‖ = {last:.2g}, "
        f"{first / last:.2g} of it (the lecture's bound: each of the {k} sigmoid layers "
        f"multiplies δ by g'(f) ≤ 0.25, so at most 0.25^{k} = {bound:.2g} with weights of norm "
        "≤ 1; 'backprop vanishing' shows it by depth), so the first layers barely change and "
        "the net learns nothing; 'advice:' below tries --activation relu (g' = 1 wherever a "
        "unit is active) on this run when that is quick."
    )


def _start_gradients(result) -> tuple[float, float, int] | None:
    """(‖∂E/∂W[1]‖, ‖∂E/∂W[L]‖, L) of the run's network at its starting weights (rebuilt
    from its seed) on up to 4,096 of its training rows; None when the δ engine cannot."""
    import numpy as np

    from ..delta.engine import compute
    from ..spec.build import model_for
    from ..spec.targets import training_rows

    ds = result.dataset
    try:
        net = model_for(result.spec, ds, result.spec["loss"]["name"])
        rows = training_rows(result.spec, ds)
        x, y = np.asarray(ds.x), np.asarray(ds.y).reshape(len(ds.x), -1)
        if rows is not None:
            x, y = x[rows], y[rows]
        dtype = next(iter(net.parameters()))._data.dtype
        grads = compute(net, x[:4096].astype(dtype), y[:4096].astype(dtype), result.loss)
    except Exception:  # a model the δ engine cannot read: no diagnosis, not a failure
        return None
    layers = len(grads.cache.layers)
    first = float(np.linalg.norm(grads.weight_grads[1]))
    last = float(np.linalg.norm(grads.weight_grads[layers]))
    return first, last, layers
