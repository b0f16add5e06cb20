"""The changes a warning names as its fix, as rows of the 'advice:' table (one voice).

``fitcheck.candidates`` tries these before the generic ones (learning rates, epochs,
minibatches, standardising): a warning's own fix first (``--hidden 1,8,8,1`` on one input
and one output is warned to mean ``--layers 1,8,8,1``), then the fixes fit's Cautions name
(step units → ReLU or tanh; dead ReLUs → leaky_relu, Adam). Moved out of ``fitcheck`` (size).
"""

from __future__ import annotations

import copy

__all__ = ["dead", "named_fixes", "unit_changes"]


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
    from ..train.cautions import dead_units_note

    try:
        return dead_units_note(result.net, result.dataset.x) is not None
    except Exception:  # a model the δ engine cannot read: no diagnosis
        return False
