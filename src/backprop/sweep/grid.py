"""A sweep's grid: which spec fields vary, over which values, and the trials it makes.

A grid maps spec paths (``model.hidden``, ``optimizer.lr``, ``epochs``, …) to lists of
values; the sweep runs every combination (a *configuration*) once per seed. Each trial is an
ordinary spec — the base spec with one configuration and one seed written in — checked by
the spec schema (``spec.normalize``), so ``backprop train`` runs any trial alone. Keys are
checked against the schema's fields with a did-you-mean; values are checked one by one as
the schema checks them, so an error names the key, the value, the rule and the fix.

``parse_grid`` (gridwords) reads the command line's ``KEY=V1,V2`` words, ``parse_seeds``
(seeds) its ``--seeds 0..9``. Nothing here runs a trial.
"""

from __future__ import annotations

import copy
import itertools
import json
import math

from ..errors import ConfigError, SpecError
from ..textrules import abridge, escape

# The most trials one sweep may hold (configurations × seeds), refused before work starts:
# a trial's row keeps its per-epoch losses (80 kB for 10,000 epochs), so 10,000 trials
# stay under a gigabyte of database.
MAX_TRIALS = 10_000
MAX_SEED = 2**63 - 1

# sections whose name a bare key means: `optimizer=adam,sgd` is `optimizer.name=adam,sgd`
NAMED = {
    "data": "data.name",
    "loss": "loss.name",
    "optimizer": "optimizer.name",
    "schedule": "schedule.name",
}
# layer-size lists: 8x8 is [8, 8], 16 is [16], none (or []) is no hidden layer
SIZE_LISTS = ("model.hidden", "model.sizes")
# optimizers' options a bare key may mean: `momentum` is optimizer.options.momentum
OPTIONS = ("momentum", "nesterov", "weight_decay", "betas", "eps", "dampening", "amsgrad")
FIXED = {
    "seed": "give seeds as seeds=… (--seeds 0..9), not in the grid",
    "version": "the spec format's version is not a setting to sweep",
    "name": "the run's name does not change its numbers",
}


def known_paths() -> dict[str, dict | None]:
    """Every grid key the schema knows: 'epochs', 'model.hidden', … → None, and each
    section's ``options`` → {} (any option name may follow it: ``optimizer.options.momentum``)."""
    from ..spec import schema

    sections = {
        "data": schema.DATA,
        "model": schema.MODEL,
        "loss": schema.LOSS,
        "optimizer": schema.OPTIMIZER,
        "schedule": schema.SCHEDULE,
        "early_stopping": schema.EARLY,
    }
    paths: dict[str, dict | None] = {}
    for key in schema.TOP:
        if key not in sections and key not in FIXED:
            paths[key] = None
    for section, fields in sections.items():
        for key in fields:
            paths[f"{section}.{key}"] = {} if key == "options" else None
    return paths


def check_key(key) -> str:
    """The grid key ``key`` names (``optimizer`` → ``optimizer.name``), or a SpecError."""
    if not isinstance(key, str) or not key:
        raise SpecError(
            f"sweep grid key {_said(key)}: must be a spec field's path such as "
            "'model.hidden' or 'optimizer.lr'."
        )
    if key in FIXED:
        raise SpecError(f"sweep grid key {key!r}: not swept: {FIXED[key]}.")
    key = NAMED.get(key, key)
    paths = known_paths()
    head, _, option = key.rpartition(".")
    if key in paths or (head in paths and paths[head] == {} and option):
        return key
    from ..errors import did_you_mean

    hint = did_you_mean(key, list(paths)) if len(key) <= 100 else ""
    ends = [p for p in paths if p.endswith("." + key)] if "." not in key else []
    if not hint and ends:  # 'lr' for optimizer.lr, 'momentum' for optimizer.options.momentum
        hint = f" Did you mean {' or '.join(repr(p) for p in ends)}?"
    elif not hint and key in OPTIONS:
        hint = f" Did you mean 'optimizer.options.{key}' (an optimizer's option)?"
    section = key.partition(".")[0]
    here = sorted(p for p in paths if p.startswith(section + "."))
    known = (
        f" Known keys here: {', '.join(here)}."
        if here
        else (
            f" Known keys: {', '.join(sorted(p for p in paths if '.' not in p))} and the "
            "sections' fields (model.hidden, optimizer.lr, data.noise, …)."
        )
    )
    raise SpecError(f"sweep grid key {_said(key)}: not a spec field.{hint}{known}")


def _said(key) -> str:
    """A key as a message quotes it: escaped (repr) and abridged."""
    return repr(abridge(key)) if isinstance(key, str) else abridge(repr(key))


def set_path(spec: dict, key: str, value) -> None:
    """Write ``value`` at ``key`` in ``spec`` (a normalised spec, changed in place).

    Choosing one way of giving the layers drops the other (``model.hidden`` drops
    ``model.sizes``), and a uniform activation list (``['relu', 'relu']``, as a normalised
    spec holds one name) becomes that name again so that it fits any depth."""
    parts = key.split(".")
    node = spec
    for part in parts[:-1]:
        if node.get(part) is None or isinstance(node.get(part), str):
            node[part] = {} if node.get(part) is None else {"name": node[part]}
        node = node[part]
    node[parts[-1]] = value
    if key in SIZE_LISTS:
        model = spec["model"]
        model["sizes" if key == "model.hidden" else "hidden"] = None
        acts = model.get("activation")
        if isinstance(acts, list) and acts and all(a == acts[0] for a in acts):
            model["activation"] = acts[0]


def apply(base: dict, point: dict, seed: int | None = None) -> dict:
    """The spec of one trial: ``base`` with the grid ``point`` (and ``seed``) written in,
    normalised. ``base`` is a normalised spec; it is not changed."""
    from ..spec import normalize

    spec = copy.deepcopy(base)
    for key in sorted(point, key=lambda k: k not in SIZE_LISTS):  # layers before activations
        set_path(spec, key, copy.deepcopy(point[key]))
    if seed is not None:
        spec["seed"] = seed
    return normalize(spec)


def check_grid(base: dict, grid, seeds: int = 1) -> dict[str, list]:
    """``grid`` as {key: [values]} with each key checked, the number of trials (times
    ``seeds`` seeds) checked against ``MAX_TRIALS`` by the lists' lengths before any value is
    looked at, then each value checked as the schema checks it: alone on ``base`` (a
    normalised spec), or with the other keys' first values where it needs them
    (``loss.options.delta`` with ``loss=huber``). The first bad one raises naming key,
    value, rule and fix."""
    if grid is None:
        return {}
    if not isinstance(grid, dict):
        raise ConfigError(
            f"sweep(grid=...): must be a dict of spec paths to lists of values, "
            f"e.g. {{'model.hidden': [[8], [8, 8]]}}; got {type(grid).__name__}."
        )
    listed: dict[str, list] = {}
    lengths: dict[str, int | None] = {}  # each key's count of values (None: more than read)
    for raw_key, values in grid.items():
        key = check_key(raw_key)
        if key in listed:
            raise SpecError(
                f"sweep grid key {show(raw_key)!r}: given twice (as {key!r}); give each "
                "key once with all its values."
            )
        if isinstance(values, str | bytes) or not hasattr(values, "__iter__"):
            raise SpecError(
                f"sweep grid key {key!r}: its values must be a list, e.g. "
                f"[{show(values)}]; got {show(values)}."
            )
        listed[key], lengths[key] = _listed(values, MAX_TRIALS // max(1, seeds) + 1)
        if lengths[key] == 0:
            raise SpecError(f"sweep grid key {key!r}: no values; give at least one.")
        _check_lengths(lengths, seeds)  # by lengths: before any value is looked at
    checked = {key: [_plain(v, key) for v in values] for key, values in listed.items()}
    checked = {key: [sizes(v, key) for v in values] for key, values in checked.items()}
    for key, values in checked.items():
        seen: set[str] = set()
        for value in values:
            text = json.dumps(value, sort_keys=True)
            if text in seen:
                raise SpecError(
                    f"sweep grid key {key!r}: value {show(value, key)} is given twice; "
                    "each value makes one configuration, give it once."
                )
            seen.add(text)
            _check_value(base, checked, key, value)
    return checked


def _listed(values, most: int) -> tuple[list, int | None]:
    """``values`` as a list and its length; over ``most`` items the list is not read (the
    count refuses it by the length), and an iterator's length is None (more than ``most``)."""
    if hasattr(values, "__len__"):
        n = len(values)
        return ([] if n > most else list(values)), n
    items = list(itertools.islice(values, most + 1))
    return items, (None if len(items) > most else len(items))


def _check_lengths(lengths: dict[str, int | None], seeds: int) -> None:
    """Refuse more than ``MAX_TRIALS`` trials, counted exactly from the value counts (an
    iterator read no further than needed counts as 'more than' what was read)."""
    most = MAX_TRIALS // max(1, seeds) + 1
    known = [n if n is not None else most for n in lengths.values()]
    n = math.prod(known) * seeds
    if n <= MAX_TRIALS:
        return
    over = any(v is None for v in lengths.values())
    sizes_said = " × ".join(
        f"{'more than ' if v is None else ''}{v if v is not None else most:,} {k}"
        for k, v in lengths.items()
    )
    raise ConfigError(
        f"sweep: {sizes_said} × {seeds:,} seed(s) = {'more than ' if over else ''}"
        f"{n:,} trials, more than the maximum of {MAX_TRIALS:,} (docs/sweeps.md, 'Limits'); "
        "sweep fewer values or seeds, or split the grid into several sweeps."
    )


def sizes(value, key: str):
    """A layer-size value of ``model.hidden``/``model.sizes`` in the command line's forms
    as the list the spec holds: 8 → [8], '8x8' → [8, 8], 'none' → []; anything else (and
    every other key's value) as it is. The command line and Python read sizes alike."""
    if key not in SIZE_LISTS:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("none", "[]"):
            return []
        parts = text.split("x")
        if all(decimal(p.strip()) and len(p.strip()) <= 30 for p in parts):
            return [int(p) for p in parts]
    return value


def _plain(value, key: str):
    """A grid value as JSON holds it: NumPy scalars and arrays as Python numbers and lists,
    tuples as lists; a data file's path made absolute (``pins``)."""
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, tuple | list):
        return [_plain(v, "") for v in value]
    if isinstance(value, dict):
        return {k: _plain(v, "") for k, v in value.items()}
    if key == "data.csv" and isinstance(value, str) and value:
        from .pins import absolute_path

        return absolute_path(value)
    if isinstance(value, float | int | str | bool) or value is None:
        return value
    raise SpecError(
        f"sweep grid key {key!r}: value {show(value)} is a {type(value).__name__}; a grid "
        "value is a number, a string, true/false, null or a list of them."
    )


def _check_value(base: dict, grid: dict[str, list], key: str, value) -> None:
    """``value`` alone on ``base``; failing that, with every other key's first value (the
    section a value belongs to may be set by another key). Raises the value's own error."""
    try:
        apply(base, {key: value})
        return
    except SpecError as exc:
        alone = exc
    try:
        apply(base, {**{k: v[0] for k, v in grid.items()}, key: value})
    except SpecError:
        raise SpecError(f"sweep grid key {key!r}, value {show(value, key)}: {alone}") from None


def count(grid: dict[str, list], seeds: list[int]) -> int:
    """Trials of a grid: the product of its value counts, times the seeds."""
    return math.prod(len(v) for v in grid.values()) * len(seeds)


def check_count(grid: dict[str, list], seeds: list[int]) -> int:
    """The number of trials, or a ConfigError over ``MAX_TRIALS`` (before any work)."""
    n = count(grid, seeds)
    if n > MAX_TRIALS:
        sizes = " × ".join(f"{len(v):,} {k}" for k, v in grid.items()) or "1 configuration"
        raise ConfigError(
            f"sweep: {sizes} × {len(seeds)} seed(s) = {n:,} trials, more than the maximum "
            f"of {MAX_TRIALS:,} (docs/sweeps.md, 'Limits'); sweep fewer values or seeds, or "
            "split the grid into several sweeps."
        )
    return n


def points(grid: dict[str, list]) -> list[dict]:
    """Every configuration of ``grid``, the first key varying slowest."""
    keys = list(grid)
    return [dict(zip(keys, combo)) for combo in itertools.product(*grid.values())]


def show(value, key: str | None = None) -> str:
    """A grid value as the command line writes it: a layer-size list of ``model.hidden`` or
    ``model.sizes`` as 8x8 ([] → none), a word as itself, anything else as JSON; control
    and direction-changing characters escaped, a long value abridged (messages stay short)."""
    if (
        key in SIZE_LISTS
        and isinstance(value, list)
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        text = "x".join(map(str, value)) if value else "none"
    elif isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value)
        except (TypeError, ValueError):
            text = repr(value)
    return abridge(escape(text))


def label(point: dict) -> str:
    """'model.hidden=8x8 optimizer.lr=0.1' (or 'base spec' for the empty grid)."""
    return " ".join(f"{k}={show(v, k)}" for k, v in point.items()) or "base spec"


def decimal(text: str) -> bool:
    """ASCII digits only: what ``int()`` reads as a whole number in every locale
    (``str.isdigit`` also takes '²' and '①', which ``int`` refuses; ``isdecimal`` '٣')."""
    return text.isascii() and text.isdecimal()


from .gridwords import parse_grid  # noqa: E402, F401 (the command line's KEY=V1,V2 words)
from .seeds import parse_seeds  # noqa: E402, F401 (seeds=10, '0..9', [0, 3, 7])
