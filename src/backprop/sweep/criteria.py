"""A success criterion (``--success "accuracy>0.5"``) against the metrics a sweep records.

A criterion on a metric the trials never record (accuracy of a regression, ``val_loss``
without validation) would mark every trial a failure, silently: 0 % success that says
nothing about the runs. So a new sweep's criterion is checked against each configuration's
metrics once it is built (``recorded``: loss, the task's metrics, their ``val_`` twins when
the spec validates), and a stored sweep's against the metrics its finished trials hold.
"""

from __future__ import annotations

import json

from ..errors import ConfigError


def recorded(ready) -> list[str]:
    """The metrics a run of the prepared spec ``ready`` records (``fit``'s history)."""
    names = ["loss"]
    names += ["accuracy"] if ready.dataset.task == "classification" else ["rmse", "r2"]
    if ready.spec.get("validation") is not None:
        names += [f"val_{n}" for n in names]
    return names


def check(success: str | None, recorded: list[tuple[str, list[str]]]) -> None:
    """``success`` names a metric that every configuration (label, its metrics) records."""
    from .results import parse_success

    criterion = parse_success(success)
    if criterion is None:
        return
    for label, names in recorded:
        if criterion[0] not in names:
            raise ConfigError(
                f"--success {success!r}: this sweep's trials ({label}) record "
                f"{', '.join(names)}, not {criterion[0]}; give a criterion on one of those"
                f"{_why(criterion[0])}."
            )


def check_stored(success: str | None, store) -> None:
    """``success`` against the metrics the stored sweep's finished trials hold."""
    from .results import parse_success

    criterion = parse_success(success)
    if criterion is None:
        return
    rows = store.db.execute(
        "SELECT c.label, t.metrics FROM trial t JOIN config c ON c.id = t.config "
        "WHERE t.status = 'done' GROUP BY t.config"
    ).fetchall()
    check(success, [(label, [k for k in json.loads(m) if k != "diverged"]) for label, m in rows])


def _why(name: str) -> str:
    if name.startswith("val_"):
        return ' (val_ metrics need a validation split: the spec\'s "validation": 0.2)'
    if name == "accuracy":
        return " (accuracy is a classifier's; a regression records rmse and r2)"
    if name in ("rmse", "r2"):
        return " (rmse and r2 are a regression's; a classifier records accuracy)"
    return ""
