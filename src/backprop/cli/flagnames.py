"""Spec errors about values the user gave as flags, named by the flag.

``backprop train --activation rleu`` builds a spec from its flags, and the spec's checks
name the field they refuse ("spec field model.activation: must be one of …"), which a user
who typed no spec cannot find on the command line. ``flags_named`` puts the flag in front
("--activation (spec field model.activation): …") when that field's value came from a flag;
a value from a spec file keeps the field's name alone.
"""

from __future__ import annotations

import contextlib
import re

__all__ = ["FIELD_FLAGS", "flags_named", "load_file"]

# spec field -> (flag, the argparse attribute that holds its value)
FIELD_FLAGS: dict[str, tuple[str, str]] = {
    "data.name": ("--data", "data"),
    "data.csv": ("--csv", "csv"),
    "data.target": ("--target", "target"),
    "data.features": ("--features", "features"),
    "data.task": ("--task", "task"),
    "data.n": ("--n", "n"),
    "data.noise": ("--noise", "noise"),
    "data.standardize_target": ("--standardize-target", "standardize_target"),
    "model.sizes": ("--layers", "layers"),
    "model.hidden": ("--hidden", "hidden"),
    "model.activation": ("--activation", "activation"),
    "model.init": ("--init", "init"),
    "loss.name": ("--loss", "loss"),
    "loss": ("--loss", "loss"),
    "optimizer.name": ("--optimizer", "optimizer"),
    "optimizer.lr": ("--lr", "lr"),
    "optimizer": ("--optimizer", "optimizer"),
    "epochs": ("--epochs", "epochs"),
    "batch_size": ("--batch-size", "batch_size"),
    "seed": ("--seed", "seed"),
    "engine": ("--engine", "engine"),
    "validation": ("--validation", "validation"),
}

_FIELD = re.compile(r"^spec field ([\w.]+)((?:\[\d+\])*):")


def flag_for(message: str, args) -> str | None:
    """The flag that gave the value ``message`` (a SpecError's) refuses, or None."""
    found = _FIELD.match(message)
    if found is None:
        return None
    field = found.group(1)
    entry = FIELD_FLAGS.get(field)
    if entry is None:
        return None
    flag, attr = entry
    value = getattr(args, attr, None)
    return None if value is None or value is False or value == [] else flag


def load_file(load, path):
    """``load(path)``, a spec file's own errors marked as the file's (no flag named)."""
    from ..errors import SpecError

    try:
        return load(path)
    except SpecError as exc:
        exc.from_file = True
        raise


@contextlib.contextmanager
def flags_named(args):
    """Re-raise a ``SpecError`` about a flag's value with the flag named first."""
    from ..errors import SpecError

    try:
        yield
    except SpecError as exc:
        text = str(exc)
        flag = None if getattr(exc, "from_file", False) else flag_for(text, args)
        if flag is None:
            raise
        named = f"{flag} ({text}".replace(":", "):", 1)
        raise type(exc)(named) from None
