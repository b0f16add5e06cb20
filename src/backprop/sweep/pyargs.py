"""The Python sweep's own arguments: ``sweep(epochs=N)`` (compare's keyword, the same rule),
and the hint for a keyword that is a spec's setting (``sweep(spec, lr=0.1)``: it belongs in
the grid or the spec). Used by ``driver.sweep`` through ``apinames.python_api``."""

from __future__ import annotations

from ..errors import ConfigError


def with_epochs(spec, epochs, grid) -> dict:
    """``spec`` (a dict, a file's path or a built-in name) as a dict training ``epochs``."""
    from ..spec.schema import MAX_EPOCHS
    from .planning import base_spec

    base = base_spec(spec)
    if isinstance(epochs, bool) or not isinstance(epochs, int) or not 1 <= epochs <= MAX_EPOCHS:
        raise ConfigError(
            f"sweep epochs: must be a whole number from 1 to {MAX_EPOCHS:,} (the spec's own is "
            f"{base['epochs']:,}; 0, a spec's untrained network, trains nothing to sweep); "
            f"got {epochs!r}."
        )
    if isinstance(grid, dict) and "epochs" in grid:
        raise ConfigError(
            f"sweep epochs={epochs!r}: the grid varies 'epochs' too; give one of them "
            "(epochs=N for every trial, or the grid's {'epochs': [N, M]} to compare counts)."
        )
    return {**base, "epochs": epochs}


def spec_setting_hint(key: str) -> str:
    """A sentence for ``sweep(key=...)`` when ``key`` is a spec's setting, else ''."""
    from ..spec import schema

    if key == "seed":
        return " The seeds go as seeds=… (a count, '0..9' or a list)."
    sections = {"model": schema.MODEL, "data": schema.DATA, "optimizer": schema.OPTIMIZER}
    path = key if key in schema.TOP and key not in ("version", "name") else None
    for section, fields in sections.items():
        if path is None and key in fields and key not in ("name", "options"):
            path = f"{section}.{key}"
    if path is None:
        return ""
    return (
        f" {key!r} is a spec's setting ({path}): set it in the spec, or vary it in the grid, "
        f"sweep(spec, {{{path!r}: [value, ...]}})."
    )
