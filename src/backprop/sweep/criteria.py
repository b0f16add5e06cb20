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


def in_loss_units(success: str | None, base: dict, grid: dict | None = None) -> str | None:
    """A criterion on rmse said in the final loss's own unit, when the two are the same
    numbers: 'rmse<1e-3' → 'loss<1e-6' for the mean squared error (rmse² with ``mse``,
    rmse²/2 with ``half_mse``, mean reduction), on data whose targets are not standardised
    (a CSV's loss is in standardised units) and a loss the grid does not vary; else None.
    The table and the words put it beside the final loss (loss 6.763e-06 fails rmse<1e-3)."""
    from .results import parse_success

    criterion = parse_success(success)
    if criterion is None or criterion[0] not in ("rmse", "val_rmse"):
        return None
    loss, data = base.get("loss") or {}, base.get("data") or {}
    if any(str(key).startswith("loss") for key in grid or {}) or data.get("csv") is not None:
        return None
    if data.get("standardize_target") or loss.get("reduction", "mean") != "mean":
        return None
    # no loss named: a regression's default, mse (an rmse criterion passes only a regression)
    square = {"mse": 1.0, "half_mse": 0.5}.get(loss.get("name") or "mse")
    if square is None:
        return None
    name = "val_loss" if criterion[0] == "val_rmse" else "loss"
    op, value = criterion[1], criterion[2]
    return f"{name}{op}{_short(square * value * value)}"


def _short(value: float) -> str:
    """1e-06 as 1e-6, 0.5 as 0.5: a threshold as a person writes it."""
    text = f"{value:.4g}"
    mantissa, e, exponent = text.partition("e")
    return f"{mantissa}e{int(exponent)}" if e else text
