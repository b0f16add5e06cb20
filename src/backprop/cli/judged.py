"""What the 'advice:' table judges a run on, and when a change counts as clearly better.

With a validation split the table judges every run, this one and each trial, on the
validation rows (``val_r2``, ``val_accuracy``): the training metric rewards fitting the
noise, and the README's houses example was advised ``--epochs 1000`` on a training r² of
0.999 against 0.999 that made its validation rmse worse (4.504 → 4.580). Without one, it
judges on the training rows, as before.

A change is advised only when it is clearly better, not when it wins the third digit:

- r²: its rmse on the judged rows is more than ``RMSE_GAIN`` (10 %) below the run's — the
  unexplained share 1 − r² smaller by a factor over 1.1² = 1.21 (r² 0.9990 → at least
  0.99917); the same 10 % the least-squares note (``linearcheck``) asks of a straight line;
- accuracy: higher by more than ``fitcheck.MARGIN`` (0.01) and by more than one judged row.
"""

from __future__ import annotations

RMSE_GAIN = 1.10  # the run's rmse over the change's by more than this: clearly better


def judged_key(result) -> str:
    """'val_r2' / 'val_accuracy' when the run held rows out, else 'r2' / 'accuracy'."""
    metric = "r2" if result.dataset.task == "regression" else "accuracy"
    values = result.history.history.get("val_" + metric, [])
    return "val_" + metric if any(v is not None for v in values) else metric


def shown(key: str) -> str:
    """The key in words: 'validation r²', 'accuracy'."""
    base = "r²" if key.endswith("r2") else "accuracy"
    return "validation " + base if key.startswith("val_") else base


def last_value(history: dict, key: str) -> float | None:
    import math

    values = [v for v in history.get(key, []) if v is not None]
    value = float(values[-1]) if values else None
    return value if value is not None and math.isfinite(value) else None


def judged_rows(result, key: str) -> int:
    """How many rows the judged metric is measured on (validation or training)."""
    from ..spec import targets

    ds = result.dataset
    n = max(1, len(ds.x))
    rows = targets.training_rows(result.spec, ds)
    train = n if rows is None else len(rows)
    if not key.startswith("val_"):
        return train
    if rows is None:  # validation on the held-out test rows (the built-in specs' "test")
        held = getattr(ds, "x_test", None)
        return n if held is None else max(1, len(held))
    return max(1, n - train)


def clearly_better(key: str, value: float, now: float, rows: int) -> bool:
    """The rule in the module docstring."""
    from .fitcheck import MARGIN

    if key.endswith("r2"):
        return (1 - value) * RMSE_GAIN**2 < (1 - now)
    return value > now + max(MARGIN, 1 / rows)


def rule_words(key: str, rows: int) -> str:
    """The margin, as the table says it."""
    from .fitcheck import MARGIN

    if key.endswith("r2"):
        return f"rmse not over {RMSE_GAIN - 1:.0%} lower"
    return f"not over {max(MARGIN, 1 / rows):.3g} higher ({rows:,} rows)"


def advised_words(key: str, rows: int) -> str:
    """The margin, as the table's header says it."""
    from .fitcheck import MARGIN

    if key.endswith("r2"):
        return f"rmse over {RMSE_GAIN - 1:.0%} lower"
    return f"accuracy over {max(MARGIN, 1 / rows):.3g} higher"
