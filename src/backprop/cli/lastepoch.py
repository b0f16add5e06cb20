"""A note when a run ends far from its best epoch (``backprop train`` and ``demo``).

The files hold the last epoch's weights, and the result line prints their metrics. When an
earlier epoch was clearly better — accuracy 2 points and ``MIN_ROWS`` rows higher, or a
loss less than half and 1 % of the run's whole fall lower — a reader of that line alone
would never know: a seeded spiral run ended 10 epochs after a spike
of Adam's steps at 0.964, where it had held 0.984 for 400 epochs and reached 0.992. The note
says which epoch was best, whether the training loss jumped near the end (and where), and what
gives a steadier end: a schedule that lowers the learning rate, or early stopping
that puts the best epoch's weights back (on a validation split: choosing the epoch by the test
rows makes their score optimistic).
"""

from __future__ import annotations

import math
from fractions import Fraction

__all__ = ["ACCURACY_DROP", "GIVEN_BACK", "LOSS_RISE", "MIN_ROWS", "SPIKE", "last_epoch_note"]

ACCURACY_DROP = 0.02  # the last epoch's accuracy this far below the best one: say so
# and by at least this many rows: fewer is chance. McNemar's exact test on the rows the two
# epochs classify differently: d rows all gone wrong (the most one-sided way a drop of d
# rows can arise) have p = 2 · 0.5**d, below 0.05 only from d = 6 (2 of 40 rows: p = 0.5)
MIN_ROWS = 6
LOSS_RISE = 2.0  # or its loss this many times the best one
GIVEN_BACK = 0.01  # a loss: the rise is at least this share of the run's whole fall
SPIKE = 10.0  # a training loss this many times the epoch's before it is a jump
TAIL = 0.2  # the share of the run, at its end, searched for a jump


def _metric(h) -> tuple[str, bool] | None:
    """The column to judge by, and whether higher is better: held-out accuracy, else
    training accuracy, else the held-out loss, else the training loss."""
    for key, higher in (("val_accuracy", True), ("accuracy", True), ("val_loss", False),
                        ("loss", False)):  # fmt: skip
        if len(h.history.get(key) or []) >= 10:
            return key, higher
    return None


def _spike(h) -> tuple[int, float, float] | None:
    """The largest jump of the training loss over one epoch in the run's last ``TAIL``
    (epoch, loss before, loss at it), if it is at least ``SPIKE``-fold."""
    loss = list(h.history.get("loss") or [])
    epochs = h.epochs_of("loss") if hasattr(h, "epochs_of") else h.epochs
    if len(loss) != len(epochs) or len(loss) < 10:
        return None
    start = max(1, int(len(loss) * (1 - TAIL)))
    best = None
    for i in range(start, len(loss)):
        before, now = loss[i - 1], loss[i]
        if before > 0 and now / before >= SPIKE and (best is None or now / before > best[0]):
            best = (now / before, epochs[i], before, now)
    return None if best is None else best[1:]


def last_epoch_note(result) -> str | None:
    """The note (CLI words), or None when the last epoch is about as good as the best."""
    h = result.history
    if h.diverged or not h.epochs:
        return None  # the guard's own lines say what the files hold
    if (result.spec.get("early_stopping") or {}).get("restore_best_weights"):
        return None  # the files hold the best epoch's weights already
    found = _metric(h)
    if found is None:
        return None
    key, higher = found
    values = [float(v) for v in h.history[key]]
    epochs = h.epochs_of(key) if hasattr(h, "epochs_of") else h.epochs
    if len(values) != len(epochs):
        return None
    last = values[-1]
    best_i = max(range(len(values)), key=values.__getitem__) if higher else min(
        range(len(values)), key=values.__getitem__)  # fmt: skip
    best = values[best_i]
    if higher:  # and more rows than chance moves between two epochs (McNemar, below)
        rows = _rows(result, key)
        worse = _dropped(best, last, rows) and (rows is None or _beyond_chance(best, last, rows))
    else:  # and the end gave back a share of the run's fall that matters (not 1e-14 → 3e-14)
        worse = last > LOSS_RISE * best and last - best >= GIVEN_BACK * (values[0] - best)
    if not worse or best_i == len(values) - 1:
        return None
    if best_i == 0 or _never_trained(h):  # restoring the best epoch restores untrained
        return None  # weights (sgd --lr 1 on square: only epoch 1 was good): the run diverged
    judged = ""
    if not key.startswith("val_") and not (result.spec.get("validation") or None):
        judged = " judged on the training rows (the run held none out),"
    text = (
        f"note: the last epoch is not the best:{judged} {key} {last:.4g} at the end (epoch "
        f"{epochs[-1]}), {best:.4g} at epoch {epochs[best_i]} (epochs as history.csv counts "
        "them); the files hold the last epoch's weights."
    )
    spike = _spike(h)
    if spike is not None:
        epoch, before, now = spike
        held = ""
        if epoch - 1 in epochs:
            held = f"; {key} {values[epochs.index(epoch - 1)]:.4g} the epoch before"
        text += (
            f" The training loss jumped {now / before:.0f}-fold at epoch {epoch} ({before:.3g} "
            f"→ {now:.3g}{held}): one too-large step (Adam's steps stay near lr however small "
            "the gradient) threw the weights off, and the run ended while recovering."
        )
    cosine = f'{{"name": "cosine", "options": {{"T_max": {h.epochs[-1]}}}}}'
    see = _lr_words(result)
    return text + (
        f' For a steadier end: a spec\'s "schedule": {cosine}, which lowers the '
        "lr to 0 by the last epoch; to keep the best epoch's weights, a spec's "
        '"early_stopping": {"restore_best_weights": true} with --validation 0.2 (not the '
        "test rows: choosing the epoch by them makes their score optimistic)." + see
    )


def _dropped(best: float, last: float, rows: int | None) -> bool:
    """The accuracy fell by ``ACCURACY_DROP`` or more: compared in rows (integers) when the
    count is known, as the advice's ``Judge`` compares margins (floats slip by 1e-17)."""
    if rows is None:
        return best - last >= ACCURACY_DROP
    drop = round(best * rows) - round(last * rows)
    return drop >= Fraction(ACCURACY_DROP).limit_denominator(1000) * rows


def _beyond_chance(best: float, last: float, rows: int) -> bool:
    """The drop is more rows than chance moves: at least ``MIN_ROWS`` (McNemar's exact test)
    and more than two binomial standard deviations of a count at the best accuracy,
    2·sqrt(n·p·(1 − p)) (6 rows of 200 at p 0.54 is 0.85 of one: within chance)."""
    drop, p = round((best - last) * rows), min(max(best, 0.0), 1.0)
    return drop >= MIN_ROWS and drop > 2.0 * math.sqrt(rows * p * (1.0 - p))


def _never_trained(h) -> bool:
    """The training loss was lowest in its first epoch (before the updates took the weights
    off): the run diverged from the start, so no epoch holds trained weights worth keeping."""
    loss = [float(v) for v in h.history.get("loss") or [] if v is not None]
    return len(loss) > 1 and min(range(len(loss)), key=loss.__getitem__) == 0


def _rows(result, key: str) -> int | None:
    """How many rows ``key``'s accuracy counts, as the advice's ``Judge`` counts them: the
    validation rows for val_accuracy (fit's split, floor(n · fraction): round() here had
    counted one more on some sizes; or the test rows), else the training rows."""
    from .judged import held_out_rows, training_count

    if getattr(result, "dataset", None) is None:
        return None
    held = held_out_rows(result)
    if key.startswith("val_"):
        return held
    return training_count(result)


def _lr_words(result) -> str:
    """Where the run speaks of the learning rate, if anywhere.

    One voice per run (sixth and seventh first-hour trials): the note names no learning
    rate of its own. Its "smaller lr (e.g. lr/3)" sent a student in a circle: fit's warning
    said "larger", the larger one ended worse, and its note then said "smaller" back to the
    start (or lr/3, lr/9, … never helping). When ``train`` tries learning rates (a run that
    did not learn, or one still falling: the 'advice:' lines rank them), the note points
    there; otherwise the schedule and early stopping are its advice, which do not repeat."""
    import warnings

    from ..train.cautions import caution_falling_by_windows, caution_still_falling
    from .fitcheck import poor_fit

    if hasattr(result, "dataset") and poor_fit(result) is not None:
        return " For the learning rate, see 'advice:' below: each change is tried there."
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fit has said it already; only the verdict here
        falling = caution_still_falling(result.history) or caution_falling_by_windows(
            result.history
        )
    if falling and hasattr(result, "dataset"):
        return " For more epochs or another learning rate, see 'advice:' below."
    return ""
