"""A sweep's grid: which spec fields vary, over which values, and the trials it makes.

A grid maps spec paths (``model.hidden``, ``optimizer.lr``, ``epochs``, …) to lists of
values; the sweep runs every combination (a *configuration*) once per seed. Each trial is an
ordinary spec — the base spec with one configuration and one seed written in — checked by
the spec schema (``spec.normalize``), so ``backprop train`` runs any trial alone. Keys are
checked against the schema's fields with a did-you-mean; values are checked one by one as
the schema checks them, so an error names the key, the value, the rule and the fix.

``parse_grid`` reads the command line's ``KEY=V1,V2`` words, ``parse_seeds`` its
``--seeds 0..9``. Nothing here runs a trial.
"""

from __future__ import annotations

import copy
import itertools
import json
import math

from ..errors import ConfigError, SpecError

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
            f"sweep grid key {key!r}: must be a spec field's path such as "
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

    hint = did_you_mean(key, list(paths))
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
    raise SpecError(f"sweep grid key {key!r}: not a spec field.{hint}{known}")


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


def check_grid(base: dict, grid) -> dict[str, list]:
    """``grid`` as {key: [values]} with each key checked and each value checked alone on
    ``base`` (a normalised spec): the first bad one raises naming key, value, rule and fix."""
    if grid is None:
        return {}
    if not isinstance(grid, dict):
        raise ConfigError(
            f"sweep(grid=...): must be a dict of spec paths to lists of values, "
            f"e.g. {{'model.hidden': [[8], [8, 8]]}}; got {type(grid).__name__}."
        )
    checked: dict[str, list] = {}
    for raw_key, values in grid.items():
        key = check_key(raw_key)
        if key in checked:
            raise SpecError(
                f"sweep grid key {raw_key!r}: given twice (as {key!r}); give each "
                "key once with all its values."
            )
        if isinstance(values, str | bytes) or not hasattr(values, "__iter__"):
            raise SpecError(
                f"sweep grid key {key!r}: its values must be a list, e.g. "
                f"[{values!r}]; got {values!r}."
            )
        values = list(values)
        if not values:
            raise SpecError(f"sweep grid key {key!r}: no values; give at least one.")
        seen = []
        for value in values:
            if value in seen:
                raise SpecError(
                    f"sweep grid key {key!r}: value {show(value)} is given twice; "
                    "each value makes one configuration, give it once."
                )
            seen.append(value)
            try:
                apply(base, {key: value})
            except SpecError as exc:
                raise SpecError(f"sweep grid key {key!r}, value {show(value)}: {exc}") from None
        checked[key] = values
    return checked


def count(grid: dict[str, list], seeds: list[int]) -> int:
    """Trials of a grid: the product of its value counts, times the seeds."""
    return math.prod(len(v) for v in grid.values()) * len(seeds)


def check_count(grid: dict[str, list], seeds: list[int]) -> int:
    """The number of trials, or a ConfigError over ``MAX_TRIALS`` (before any work)."""
    n = count(grid, seeds)
    if n > MAX_TRIALS:
        sizes = " × ".join(f"{len(v)} {k}" for k, v in grid.items()) or "1 configuration"
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


def show(value) -> str:
    """A grid value as the command line writes it: [8, 8] → 8x8, [] → none, 0.1 → 0.1."""
    if isinstance(value, list) and all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        return "x".join(map(str, value)) if value else "none"
    if isinstance(value, str):
        return value
    return json.dumps(value)


def label(point: dict) -> str:
    """'model.hidden=8x8 optimizer.lr=0.1' (or 'base spec' for the empty grid)."""
    return " ".join(f"{k}={show(v)}" for k, v in point.items()) or "base spec"


# -- the command line's words ---------------------------------------------------------------


def parse_grid(words: list[str]) -> dict[str, list]:
    """``['model.hidden=8,8x8', 'optimizer.lr=0.1,0.01']`` → {key: [values]} (unchecked).

    Values are split at commas outside brackets; each is a JSON value when it reads as one
    (0.1, 1e-3, true, [8, 8]), else a word (relu). Layer sizes read ``8x8`` as [8, 8], a
    bare ``8`` as [8] and ``none`` as []."""
    grid: dict[str, list] = {}
    for word in words:
        key, eq, text = word.partition("=")
        key = key.strip()
        if not eq or not key or not text.strip():
            raise ConfigError(
                f"--grid {word!r}: write KEY=V1,V2,… such as "
                "model.hidden=8,8x8 or optimizer.lr=0.1,0.01."
            )
        if key in grid:
            raise ConfigError(
                f"--grid {key}: given twice; give one --grid {key}=… with all its values."
            )
        full = NAMED.get(key, key)
        grid[key] = [_value(item, full, word) for item in _split(text, word)]
    return grid


def _split(text: str, word: str) -> list[str]:
    items, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += {"[": 1, "{": 1, "]": -1, "}": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            items.append(text[start:i])
            start = i + 1
    items.append(text[start:])
    items = [item.strip() for item in items]
    if depth != 0 or any(not item for item in items):
        why = "has unbalanced brackets" if depth else "has an empty value (',,' or an end comma)"
        raise ConfigError(f"--grid {word!r}: {why}; write KEY=V1,V2,… such as model.hidden=8,8x8.")
    return items


def _value(item: str, key: str, word: str):
    if key in SIZE_LISTS:
        if item.lower() in ("none", "[]"):
            return []
        parts = item.lower().split("x")
        if all(p.strip().isdigit() for p in parts):
            return [int(p) for p in parts]
    try:
        return json.loads(item)
    except (json.JSONDecodeError, RecursionError):
        pass
    if item.startswith("[") and item.endswith("]"):  # [relu,tanh]: a list of words
        return [_value(inner, "", word) for inner in _split(item[1:-1], word)]
    return item


def parse_seeds(seeds, default: int = 0) -> list[int]:
    """Seeds as a list: None → [default]; an int n → 0..n-1; '0..9', '0,3,7', '10' (a count,
    as the int) or a list of whole numbers. Repeats and numbers outside 0..2**63-1 are refused."""
    if seeds is None:
        return [default]
    if isinstance(seeds, str):
        seeds = _seed_text(seeds)
    if isinstance(seeds, int) and not isinstance(seeds, bool):
        if not 1 <= seeds <= MAX_TRIALS:
            raise ConfigError(
                f"sweep(seeds={seeds}): a count of seeds must be 1 to "
                f"{MAX_TRIALS:,}; e.g. seeds=10 for seeds 0..9."
            )
        seeds = range(seeds)
    try:
        seeds = list(seeds)
    except TypeError:
        raise ConfigError(
            f"sweep(seeds=...): give a count (10), a range ('0..9' or range(10)) "
            f"or a list of whole numbers; got {seeds!r}."
        ) from None
    if not seeds:
        raise ConfigError("sweep(seeds=...): no seeds; give at least one, e.g. '0..9'.")
    for s in seeds:
        if isinstance(s, bool) or not isinstance(s, int) or not 0 <= s <= MAX_SEED:
            raise ConfigError(
                f"sweep seeds: {s!r} is not a seed; a seed is a whole number from 0 to 2**63 - 1."
            )
    if len(set(seeds)) != len(seeds):
        twice = next(s for s in seeds if seeds.count(s) > 1)
        raise ConfigError(
            f"sweep seeds: {twice} is given twice; each seed runs once per configuration."
        )
    return seeds


def _seed_text(text: str) -> list[int] | int:
    fix = "write seeds like 0..9 (ten seeds), 0,3,7 or a count such as 10"
    text = text.strip()
    if "," not in text and ".." not in text:
        return _whole(text, text, fix)  # a count
    out: list[int] = []
    for part in text.split(","):
        lo, dots, hi = part.strip().partition("..")
        if not dots:
            out.append(_whole(part, text, fix))
            continue
        a, b = _whole(lo, text, fix), _whole(hi, text, fix)
        if b < a or b - a >= MAX_TRIALS:
            raise ConfigError(
                f"--seeds {text!r}: {part.strip()!r} is an empty or too long "
                f"range (at most {MAX_TRIALS:,} seeds); {fix}."
            )
        out.extend(range(a, b + 1))
    return out


def _whole(part: str, text: str, fix: str) -> int:
    try:
        return int(part.strip())
    except ValueError:
        raise ConfigError(
            f"--seeds {text!r}: {part.strip()!r} is not a whole number; {fix}."
        ) from None
