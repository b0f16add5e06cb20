"""A sweep's plan: the spec, grid and seeds checked and laid out as trials, no training.

``plan(spec, grid, seeds, success)`` checks everything before any work — the spec
(``base_spec``), every grid key and value and the number of trials (``grid``), each
configuration by building it once (``spec.prepare``: data, model, loss, optimizer) with its
``engine: "auto"`` settled (``_settle``), and the success criterion against the metrics the
trials record — and returns the base, grid, seeds, configurations and trials the driver
writes to the store (``driver.sweep``; the command line's ``sweep`` calls it too).
"""

from __future__ import annotations

import ast
import os
import re

from ..errors import BackpropError, ConfigError, SpecError
from . import criteria, pins
from . import grid as grids
from .store import sweep_key

UNTRAINED = (
    "epochs must be at least 1 in a sweep, got 0: a sweep compares what training does, and "
    "epochs 0 (a spec's, fit's and train's: the initial weights) trains nothing; give 1 or "
    "more (the spec's \"epochs\", or the grid's epochs values), or run one untrained network "
    "with backprop.run(spec) or backprop train --epochs 0"
)


def base_spec(spec) -> dict:
    """A spec dict, a spec file's path or a built-in spec's name, checked and normalised."""
    import copy

    from ..spec import load, normalize

    if isinstance(spec, dict):
        return normalize(copy.deepcopy(spec))
    if isinstance(spec, str | os.PathLike):
        return load(spec)
    raise ConfigError(
        f"sweep(spec=...): give a spec dict, a spec file's path or a built-in "
        f"spec's name such as 'square'; got {type(spec).__name__}."
    )


def plan(spec, grid=None, seeds=None, success=None) -> dict:
    """Check a sweep and lay out its trials (no training): base, grid, seeds, configs
    (point, label, parameters) and trials (config index, seed, spec). A ``success``
    criterion must name a metric every configuration records."""
    base = pins.absolute(base_spec(spec))  # a data file's path: absolute, as the store pins it
    seed_list = grids.parse_seeds(seeds, default=base["seed"])
    checked = grids.check_grid(base, grid, len(seed_list))  # counted before values are read
    grids.check_count(checked, seed_list)  # refused here, before any configuration is built
    configs, trials, recorded = [], [], []
    for index, point in enumerate(grids.points(checked)):
        label = grids.label(point)
        config_spec, parameters, names = _settle(base, point, label)
        if config_spec["epochs"] == 0:  # a spec's 0 is one untrained network: nothing to sweep
            raise SpecError(f"sweep configuration {label}: {UNTRAINED}")
        configs.append((point, label, parameters))
        recorded.append((label, names))
        trials.extend((index, s, {**config_spec, "seed": s}) for s in seed_list)
    criteria.check(success, recorded)
    return {
        "base": base,
        "grid": checked,
        "seeds": seed_list,
        "configs": configs,
        "trials": trials,
        "key": sweep_key(base, checked, seed_list),
    }


def _settle(base: dict, point: dict, label: str) -> tuple[dict, int, list[str]]:
    """One configuration's spec, built once to check it, with its engine settled; its
    parameter count and the metrics its runs record."""
    from ..spec import prepare

    try:
        spec = grids.apply(base, point)
        ready = prepare(spec)
    except BackpropError as exc:
        said = str(exc)
        if "data.csv" in point:  # a grid value names a file: never its text in the message
            said = _without_contents(said, base, point)
        raise SpecError(f"sweep configuration {label}: {said}") from None
    parameters = sum(p.numel() for p in ready.net.parameters())
    if spec["engine"] == "auto":
        from ..delta import fused

        try:
            ok = (
                fused.available()
                and fused.supported(ready.net, ready.loss, ready.optimizer, ready.dataset.y) is True
            )
        except BackpropError:
            ok = False
        if ok:
            spec["engine"] = "fused"
    return spec, parameters, criteria.recorded(ready)


_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")


def _without_contents(message: str, base: dict, point: dict) -> str:
    """A data error about a file a grid value names, with the file's own text left out:
    every quoted piece but the path and the spec's own words (its target, columns) becomes
    '…', so ``--grid data.csv=/proc/self/environ`` cannot print the environment in a
    header's complaint."""
    data = base.get("data") or {}
    known = {str(point["data.csv"])}
    for value in data.values():
        if isinstance(value, str):
            known.add(value)
        elif isinstance(value, list):
            known.update(v for v in value if isinstance(v, str))

    def cut(match) -> str:
        try:
            text = ast.literal_eval(match.group(0))
        except (ValueError, SyntaxError):
            return "'…'"
        if text in known or os.path.abspath(str(text)) in {os.path.abspath(k) for k in known}:
            return match.group(0)
        return "'…'"

    cut_message = _QUOTED.sub(cut, message)
    head, sep, _ = cut_message.partition("Available columns: ")  # the file's first line
    if sep:
        cut_message = f"{head}{sep}… (the file's first line)."
    if cut_message == message:
        return message
    return f"{cut_message} (the file's own text is left out: a grid value names the file)"
