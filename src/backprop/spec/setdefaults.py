"""A built-in set's training defaults, for the settings a spec leaves out (floor 5).

The spec's generic defaults (Adam's lr 0.001, 100 full-batch epochs) left square at r² −0.575
and abs at −0.82, while ``backprop train --data square`` filled in settings that fit each
built-in set in about a second (``build.BUILTIN_SET_DEFAULTS``). One spec must mean one run in
the library, the CLI and the playground, so the filling happens here, where every spec is
normalised: a spec that names a built-in set (not a CSV) and leaves out ``epochs``,
``batch_size`` or Adam's ``optimizer.lr`` gets the set's values for those it left out; a
value the spec gives, even the generic one, is kept. ``open_settings`` says which were filled,
in the spec's own field names, for the run to say so. A CSV's spec that leaves out Adam's lr
gets ``build.CSV_LR`` (0.01, measured over typical tables: ``benchmarks/csv_defaults.py``);
its minibatches of 32 are ``runner.prepare``'s.
"""

from __future__ import annotations

__all__ = ["apply", "describe", "listed", "open_settings"]

_ADAM = ("adam", "adamw")


def open_settings(raw) -> dict:
    """{field: value} of the settings the raw spec ``raw`` leaves out that its built-in set
    fills: any of ``"optimizer.lr"``, ``"epochs"``, ``"batch_size"``; for a CSV, Adam's
    ``"optimizer.lr"`` (``build.CSV_LR``) only; {} for an unknown set, or a spec that gives
    them all."""
    from ..data import DATASETS
    from .build import builtin_set_defaults

    if not isinstance(raw, dict):
        return {}
    data = raw.get("data")
    section = {"name": data} if isinstance(data, str) else data
    if not isinstance(section, dict):
        return {}
    opt = raw.get("optimizer")
    opt = {"name": opt} if isinstance(opt, str) else opt if isinstance(opt, dict) else {}
    opt_name = opt.get("name") or "adam"
    adam_lr_open = isinstance(opt_name, str) and opt_name.lower() in _ADAM and opt.get("lr") is None
    if section.get("csv") is not None:  # a CSV's lr (build.CSV_LR); its batch: prepare's
        from .build import CSV_LR

        return {"optimizer.lr": CSV_LR} if adam_lr_open else {}
    name = section.get("name")
    if not isinstance(name, str) or name not in DATASETS:
        return {}  # normalize says what is wrong with it
    chosen = builtin_set_defaults(name)
    filled = {}
    if adam_lr_open:
        filled["optimizer.lr"] = chosen["lr"]  # Adam's; other optimizers keep their own
    if "epochs" not in raw:
        filled["epochs"] = chosen["epochs"]
    if "batch_size" not in raw:
        filled["batch_size"] = chosen["batch_size"]
    return filled


def apply(spec: dict, filled: dict) -> None:
    """Write ``filled`` (``open_settings``) into the normalised ``spec``."""
    if "optimizer.lr" in filled:
        spec["optimizer"]["lr"] = filled["optimizer.lr"]
    if "epochs" in filled:
        spec["epochs"] = filled["epochs"]
    if "batch_size" in filled:
        spec["batch_size"] = filled["batch_size"]


def describe(filled: dict, name: str | None, csv: str | None = None) -> str:
    """'the settings that fit square in about a second: lr 0.01, 2,000 epochs, the full
    batch (the spec left them out)'; for a CSV, the lr chosen for CSVs."""
    if name is None and csv is not None:
        return (
            f"the learning rate chosen for a CSV ({csv}): {listed(filled)}, measured over "
            "typical tables (docs/cli.md; the spec left it out, give optimizer.lr to choose "
            "another)"
        )
    return (
        f"the settings that fit the built-in set {name} in about a second: {listed(filled)} "
        "(the spec left them out; give them to choose others)"
    )


def listed(filled: dict) -> str:
    """'lr 0.01, 2,000 epochs, the full batch'."""
    parts = []
    if "optimizer.lr" in filled:
        parts.append(f"lr {filled['optimizer.lr']:g}")
    if "epochs" in filled:
        parts.append(f"{filled['epochs']:,} epochs")
    if "batch_size" in filled:
        size = filled["batch_size"]
        parts.append("the full batch" if size is None else f"minibatches of {size}")
    return ", ".join(parts)
