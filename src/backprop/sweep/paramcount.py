"""A configuration's parameter count derived from its spec, as the plan stored it.

``config.parameters`` is shown in the table, the CSV and the loss-vs-size plot; an edited
count (2^63 - 1) must not pass as the network's. On open (``storecheck.trials``) each
configuration's count is worked out again from its spec: the layer sizes (``model.sizes``,
or the data's inputs, ``model.hidden`` and the outputs the loss needs) and ``model.bias``
give sum(a·b + b) over the layers — the activations hold no parameters. The data is loaded
once per distinct data spec (its shape only); the network is not built, so no random state
moves. A data file that cannot be read now, or differs from its pin, leaves its
configurations unchecked here: the trials that need it say so when they run.
"""

from __future__ import annotations

import itertools
import json

from ..errors import BackpropError


def counter(pinned: dict[str, str] | None = None):
    """A function spec -> its parameter count (None when its data cannot be read now, or a
    data file is not the one ``pinned`` ({path: sha256}) holds: a changed file is the
    trials' to report, as they wait for it, never an edited count)."""
    shapes: dict[str, tuple[int, int] | None] = {}
    pinned = pinned or {}

    def count(spec: dict) -> int | None:
        m = spec["model"]
        key = json.dumps([spec["data"], spec["seed"], spec.get("loss")], sort_keys=True)
        if key not in shapes:
            shapes[key] = _shape(spec) if _as_pinned(spec, pinned) else None
        if shapes[key] is None:
            return None
        n_in, n_out = shapes[key]
        sizes = list(m["sizes"]) if m.get("sizes") is not None else [n_in, *m["hidden"], n_out]
        bias = bool(m.get("bias", True))
        return sum(a * b + (b if bias else 0) for a, b in itertools.pairwise(sizes))

    return count


def _as_pinned(spec: dict, pinned: dict[str, str]) -> bool:
    from .pins import digest

    path = spec["data"].get("csv")
    if path is None:
        return True
    try:
        return digest(path, "sweep data file")[0] == pinned.get(path)
    except BackpropError:
        return False


def _shape(spec: dict) -> tuple[int, int] | None:
    from ..spec.build import _outputs, dataset_for, default_loss

    try:
        dataset = dataset_for(spec)
        loss = spec.get("loss") or default_loss(dataset)
        return dataset.n_features, _outputs(dataset, loss["name"])
    except (BackpropError, OSError):
        return None
