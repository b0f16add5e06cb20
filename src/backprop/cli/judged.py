"""The one owner of what the CLI's advice judges a run on, and of what counts as better.

Every advice line asks a ``Judge`` (``Judge.of(result)``): the 'advice:' table
(``fitcheck``), the least-squares note (``linearcheck``) and the last-epoch note
(``lastepoch``). It answers two questions:

- what is judged: with a validation split, the validation rows (``val_r2``,
  ``val_accuracy``; the held-out test rows when a built-in set validates on them), else the
  training rows. The training metric rewards fitting the noise: the README's houses example
  was advised ``--epochs 1000`` on a training r² of 0.999 against 0.999 that made its
  validation rmse worse (4.504 → 4.580);
- what counts as better (a change is advised only when clearly better, not when it wins the
  third digit):

  - r²: its rmse on the judged rows is more than ``RMSE_GAIN`` (10 %) below the run's — the
    unexplained share 1 − r² smaller by a factor over 1.1² = 1.21 (r² 0.9990 → at least
    0.99917); a straight line must beat the network by the same 10 % for the least-squares
    note;
  - accuracy: higher by more than ``MARGIN`` (0.01) and by more than one judged row,
    compared as ROW COUNTS (integers): in floats 26/29 − 25/29 = 0.034482758620689724 came
    out above 1/29 = 0.034482758620689655, and a one-row gain was advised against this rule.

The same rule says whether a run (or a change, or a lower learning rate after a divergence)
learned at all (``Judge.learned``): clearly better than ignoring the inputs, i.e. than
predicting the mean (r² 0: its rmse more than 10 % lower, so r² above 1 − 1/1.21 ≈ 0.174)
or than always answering the most common class (by ``MARGIN`` and one judged row). Before,
"learned" meant r² above 0.01: ``--lr 0.1`` after ``square --optimizer sgd --lr 100
--activation tanh`` was said to have "learned" at r² 0.0134.

A change tried must keep the rows (``same_rows``): another ``--seed`` also draws another
validation split (and a built-in set's own rows), so its score was on other rows (houses
``--validation 0.2``: "rerun with --seed 1 (validation r² 0.9968 against 0.9858 now)", whose
target scaler showed another split). Such a change is named as not tried, with why.

A comparison with another model (the least-squares note's straight line) only means
something for a run that finished (``Judge.finished``): not diverged, learned, and given no
verdict of its own while it trained (too few epochs, still falling, a jump, dead units: the
warnings ``heldlists.hold_poor_fit`` collects, unless the 'advice:' table tried their fixes
and none was clearly better: ``fitcheck.settled``). Otherwise that verdict is the message:
``train --data square --lr 1000`` (units died, r² −2.7e4) was told a line "is the better
tool", ``--epochs 3`` on the houses CSV that the network's freedom "is not paying off".
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from fractions import Fraction

__all__ = [
    "MARGIN",
    "RMSE_GAIN",
    "Judge",
    "held_out_rows",
    "last_value",
    "same_rows",
    "training_count",
]

RMSE_GAIN = 1.10  # the run's rmse over the change's (or the line's) by more than this
MARGIN = 0.01  # accuracy higher by more than this (and one row)
_SHARE = Fraction(1, 100)  # MARGIN as an exact fraction of the judged rows


def last_value(history: dict, key: str) -> float | None:
    """The last finite value of ``key`` in a history's dict, else None."""
    values = [v for v in history.get(key, []) if v is not None]
    value = float(values[-1]) if values else None
    return value if value is not None and math.isfinite(value) else None


@dataclass(frozen=True)
class Judge:
    """What a run's advice judges on (``key``, counted on ``rows`` rows) and the margins."""

    key: str  # 'val_r2', 'val_accuracy' with a validation split; else 'r2', 'accuracy'
    rows: int  # how many rows the judged metric counts
    train_rows: int  # how many rows the run trained on

    @classmethod
    def of(cls, result) -> Judge:
        """The judge of ``result`` (a ``Run``): validation when the run held rows out."""
        metric = "r2" if result.dataset.task == "regression" else "accuracy"
        values = result.history.history.get("val_" + metric, [])
        key = "val_" + metric if any(v is not None for v in values) else metric
        held = held_out_rows(result)
        train = training_count(result)
        rows = (held or train) if key.startswith("val_") else train
        return cls(key, max(1, rows), max(1, train))

    # -- what is judged --------------------------------------------------------------------
    @property
    def validation(self) -> bool:
        """True when the judged rows are held out (a validation split or the test rows)."""
        return self.key.startswith("val_")

    @property
    def regression(self) -> bool:
        return self.key.endswith("r2")

    @property
    def shown(self) -> str:
        """The judged metric in words: 'validation r²', 'accuracy'."""
        base = "r²" if self.regression else "accuracy"
        return "validation " + base if self.validation else base

    @property
    def on(self) -> str:
        """The rows in words: 'its validation rows', 'its training rows'."""
        return "its validation rows" if self.validation else "its training rows"

    def unheld_words(self) -> str:
        """Beside ``on``: what training rows cannot show, and the flag that shows it ('' when
        the rows are held out). The last-epoch note says the same ('the run held none out')."""
        if self.validation:
            return ""
        return (
            ", as the run held none out: a change that fits their noise (more epochs, more "
            "units) scores higher on them without predicting new rows better; --validation "
            "0.2 judges each change on rows it did not train on"
        )

    def now(self, result) -> float | None:
        """The run's own last value of the judged metric."""
        return last_value(result.history.history, self.key)

    def trial(self, history: dict) -> float | None:
        """A trial's last value of the judged metric (the same key: same split and seed)."""
        return last_value(history, self.key)

    @staticmethod
    def chance(result) -> float:
        """A classifier's share of its most common class: the accuracy of ignoring the
        inputs (on every row: the run's own labels)."""
        return float(Judge.chance_share(result))

    @staticmethod
    def chance_share(result) -> Fraction:
        """``chance`` as an exact fraction: the most common class's count over every row."""
        import numpy as np

        y = np.asarray(result.dataset.y).reshape(len(result.dataset.y), -1)
        labels = y.argmax(1) if y.shape[1] > 1 else np.rint(y[:, 0])
        return Fraction(int(np.unique(labels, return_counts=True)[1].max()), len(labels))

    def finished(self, result, verdicts) -> bool:
        """True when ``result`` may be compared with another model: it did not diverge, it
        learned (``learned``: clearly better than ignoring the inputs), and ``verdicts`` (the
        run's own warnings that it is unfinished or no fit) is empty."""
        if result.diverged or verdicts:
            return False
        now = self.now(result)
        return now is not None and self.learned(result, now)

    def learned(self, result, value: float) -> bool:
        """``value`` (the judged metric of the run, a change or a lower lr) is clearly better
        than ignoring the inputs, by the rule of ``clearly_better``: r² against the mean's
        0, accuracy against the most common class's share (counted on every row)."""
        if self.regression:
            return self.clearly_better(value, 0.0)
        return self._rows_above(self.count(value), self.chance_share(result))

    # -- what counts as better -------------------------------------------------------------
    def count(self, accuracy: float) -> int:
        """The judged rows an ``accuracy`` counts right: it is k / ``rows`` up to rounding
        (relative error about 1e-16 · rows), so rounding gives k back exactly."""
        return round(accuracy * self.rows)

    def _rows_above(self, right: int, than: Fraction) -> bool:
        """``right`` of the judged rows beats a share ``than`` of them by more than one row
        and by more than ``MARGIN`` of them, in exact arithmetic."""
        gain = right - than * self.rows  # in rows
        return gain > 1 and gain > _SHARE * self.rows

    # -- what counts as better -------------------------------------------------------------
    def accuracy_margin(self) -> float:
        """Higher by more than this: max(``MARGIN``, one judged row)."""
        return max(MARGIN, 1 / self.rows)

    def clearly_better(self, value: float, now: float) -> bool:
        """A change's ``value`` against the run's ``now``, by the rule in the docstring
        (accuracies as counts of the judged rows)."""
        if self.regression:
            return (1 - value) * RMSE_GAIN**2 < (1 - now)
        return self._rows_above(self.count(value), Fraction(self.count(now), self.rows))

    @staticmethod
    def rmse_clearly_lower(rmse: float, than: float) -> bool:
        """An rmse (a straight line's) clearly below another (the network's): by over 10 %."""
        return math.isfinite(than) and than > RMSE_GAIN * rmse

    def rule_words(self) -> str:
        """The margin a change missed, as the table's row says it."""
        if self.regression:
            return f"rmse not over {RMSE_GAIN - 1:.0%} lower"
        return f"not over {self.accuracy_margin():.3g} higher ({self.rows:,} rows)"

    def floor_words(self, result) -> str:
        """Why a change at or below ``learned``'s floor is no help, in words."""
        if self.regression:
            least = 1 - 1 / RMSE_GAIN**2
            return (
                f"no better than predicting the mean (rmse not over {RMSE_GAIN - 1:.0%} below "
                f"the mean's: r² ≤ {least:.3f})"
            )
        share = float(self.chance_share(result))
        return f"at chance (the most common class is {share:.3g} of the rows)"

    def advised_words(self) -> str:
        """The margin, as the table's header says it."""
        if self.regression:
            return f"rmse over {RMSE_GAIN - 1:.0%} lower"
        return f"accuracy over {self.accuracy_margin():.3g} higher"


def training_count(result) -> int:
    """How many rows the run trained on (every row, or the training part of its split)."""
    from ..spec import targets

    rows = targets.training_rows(result.spec, result.dataset)
    return len(result.dataset.x) if rows is None else len(rows)


def held_out_rows(result) -> int | None:
    """How many rows a run's validation metrics count: a fraction's split (fit's own, so
    floor(n · fraction)), or the held-out test rows (``validation: "test"``); None: none."""
    from ..spec import targets

    ds = result.dataset
    validation = result.spec.get("validation")
    if validation == "test":
        held = getattr(ds, "x_test", None)
        return None if held is None else len(held)
    rows = targets.training_rows(result.spec, ds)
    return None if rows is None else len(ds.x) - len(rows)


def same_rows(spec: dict, other: dict) -> bool:
    """True when ``other`` (a change tried) trains and is judged on the rows ``spec`` does:
    the same data section (standardising aside), the same data seed (a CSV's matters only
    for its test split), the same validation, and a validation fraction's split seed (the
    run's ``seed``: ``train.inputs.validation_rows``) the same."""
    return _rows_key(spec) == _rows_key(other)


def _rows_key(spec: dict) -> str:
    data = {k: v for k, v in spec["data"].items() if k not in ("standardize", "standardize_target")}
    if data.get("seed") is None:
        data["seed"] = spec.get("seed")  # the data's seed follows the run's (spec.effective)
    if data.get("csv") is not None and not data.get("test_ratio"):
        data["seed"] = None  # a CSV's rows are its rows: the seed only draws a test split
    split = spec.get("validation")
    fraction = isinstance(split, int | float) and not isinstance(split, bool)
    return json.dumps([data, split, spec.get("seed") if fraction else None], default=str)
