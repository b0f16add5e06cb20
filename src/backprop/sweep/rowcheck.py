"""A finished trial's results against their ranges and against its own history.

A sweep's table, its success rates and its words are drawn from each finished trial's
``final_loss``, ``metrics``, ``epochs`` and ``seconds``; its history (the per-epoch losses)
is where those came from. An edited row must not pass as a result, so:

- **on open** (``cheap``, every finished trial, from the columns already read: about 1 s per
  10,000 trials with the rest of the open's checks): ``seconds`` and ``train_seconds`` are
  finite and not negative; ``epochs`` is a whole number from 1 to the trial spec's
  ``epochs``; ``metrics.diverged`` is true or false; every metric is a finite number or
  null (a trial stores a metric that is not finite as null: r² = -Infinity is an edit); an
  r² is at most 1, an accuracy from 0 to 1, an rmse not negative; ``final_loss`` is
  ``metrics.loss`` (or, when that is null, a loss that was not finite: NULL for NaN, or
  ±inf);
- **on open, against the plan** (``took``, ``none_yet``): a finished trial's ``seconds``
  fit between the sweep's creation and the trial's finish (1e308 s is an edit); a failed
  trial holds its error and no results — no loss, metrics, epochs, seconds or finish
  time (a todo row is overwritten when it runs; tests reset done rows to todo);
- **when a history is read** (``with_history``: ``--show-trial``, the plots, the refits,
  ``Results.history``): ``epochs`` is the length of its loss series and ``final_loss`` and
  ``metrics.loss`` are its last value (NULL for NaN; ``metrics.loss`` null when it is not
  finite), and ``metrics.val_loss`` its validation series' last value. rmse, r2 and accuracy
  are kept in no series (measured once after the last epoch), so only a re-run ties them.
  Reading every 80 kB history on each open would cost more than the sweep's table.

A row that fails is refused in one line naming the trial and the field.
"""

from __future__ import annotations

import math

from ..errors import SweepError

FIX = "the database was edited or damaged; run the sweep again with a new --db file"


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _bad(label: str, tid: int, field: str, why: str) -> SweepError:
    return SweepError(f"{label}: trial {tid}'s {field} {why}; {FIX}.")


RESULTS = ("final_loss", "epochs", "seconds", "train_seconds", "finished")
SLACK = 3600.0  # seconds a clock may step (NTP, another host) between the plan and a finish


def took(tid: int, row: dict, created, label: str) -> None:
    """A finished trial ran after its sweep was planned and before it was written:
    ``seconds`` (and ``train_seconds``) at most ``finished`` - ``created`` (+ ``SLACK``)."""
    finished = row.get("finished")
    if not _number(finished) or not math.isfinite(finished):
        raise _bad(label, tid, "finish time", f"is {finished!r}, not a time")
    if not _number(created) or not math.isfinite(created):
        raise SweepError(f"{label}: its creation time is {created!r}, not a time; {FIX}.")
    span = max(finished - created, 0.0) + SLACK
    for field in ("seconds", "train_seconds"):
        value = row.get(field)
        if value is not None and value > span:
            raise _bad(
                label,
                tid,
                field,
                f"is {value:.4g}, longer than the {span - SLACK:.3g} s from the sweep's "
                "start to the trial's finish",
            )


def none_yet(tid: int, status, row: dict, metrics, label: str) -> None:
    """A failed trial holds no results: only ``storeclaims.finish`` writes them, with
    status 'done', and a finished trial never goes back to failed."""
    held = [f for f in RESULTS if row.get(f) is not None]
    held += ["metrics"] if metrics else []  # NULL as fail() leaves it, or {}
    if held:
        raise _bad(label, tid, " and ".join(held), f"are stored while it is {status!r} (not done)")


def cheap(tid: int, row: dict, metrics: dict, spec: dict, label: str) -> None:
    """A finished trial's fields against their ranges and each other (module docstring)."""
    for field in ("seconds", "train_seconds"):
        value = row.get(field)
        if value is None and field == "train_seconds":
            continue
        if not _number(value) or not math.isfinite(value) or value < 0:
            raise _bad(label, tid, field, f"is {value!r}, not a time (finite, at least 0)")
    epochs, most = row.get("epochs"), spec.get("epochs")
    if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 1:
        raise _bad(label, tid, "epochs", f"is {epochs!r}, not a count of epochs run")
    if isinstance(most, int) and epochs > most:
        raise _bad(label, tid, "epochs", f"is {epochs:,}, more than its spec's {most:,}")
    if not isinstance(metrics.get("diverged"), bool):
        raise _bad(label, tid, "metrics.diverged", "is not true or false")
    for name, value in metrics.items():
        if value is None or name == "diverged":
            continue
        if not _number(value) or not math.isfinite(value):  # a trial stores null for those
            raise _bad(label, tid, f"metrics.{name}", f"is {value!r}, not a finite number")
        if name.endswith("r2") and value > 1:
            raise _bad(label, tid, f"metrics.{name}", f"is {value!r}; an r² is at most 1")
        if name.endswith("accuracy") and not 0 <= value <= 1:
            raise _bad(label, tid, f"metrics.{name}", f"is {value!r}, not a fraction 0 to 1")
        if name.endswith("rmse") and value < 0:
            raise _bad(label, tid, f"metrics.{name}", f"is {value!r}; an rmse is not negative")
    final, loss = row.get("final_loss"), metrics.get("loss")
    if loss is not None and final != loss:
        raise _bad(label, tid, "final_loss", f"is {final!r}, but its metrics.loss is {loss!r}")
    if loss is None and final is not None and math.isfinite(final):
        raise _bad(label, tid, "final_loss", f"is {final!r}, but its metrics.loss is null")


def with_history(tid: int, row: dict, metrics: dict, history: dict, who: str) -> None:
    """A finished trial's ``final_loss``, ``metrics.loss`` and ``epochs`` against its
    history's loss series (module docstring)."""
    losses = history.get("loss") or []
    agrees(row, metrics, len(losses), losses[-1] if losses else None, who)
    val = history.get("val_loss") or []
    _val_agrees(metrics, len(val), val[-1] if val else None, who)


def agrees(row: dict, metrics: dict, n: int, last: float | None, who: str) -> None:
    """``with_history`` for a loss series known by its length ``n`` and last value."""
    if not n:
        raise SweepError(f"{who}: holds no losses for a finished trial; {FIX}.")
    if row.get("epochs") != n:
        raise SweepError(
            f"{who}: {n:,} epochs of losses, but the trial's epochs is "
            f"{row.get('epochs')!r}; {FIX}."
        )
    stored = None if math.isnan(last) else last
    if row.get("final_loss") != stored:
        raise SweepError(
            f"{who}: its last loss is {stored!r}, but the trial's final_loss is "
            f"{row.get('final_loss')!r}; {FIX}."
        )
    finite = last if math.isfinite(last) else None
    if metrics.get("loss") != finite:
        raise SweepError(
            f"{who}: its last loss is {finite!r}, but the trial's metrics.loss is "
            f"{metrics.get('loss')!r}; {FIX}."
        )


def every_history(db, label: str) -> None:
    """``agrees`` for every finished trial, reading of each history only its header and
    the loss series' last value (``Results`` from a file: the table is what users read)."""
    import json

    import numpy as np

    rows = db.execute(
        "SELECT id, final_loss, epochs, metrics, history FROM trial WHERE status = 'done'"
    )
    for tid, final, epochs, metrics, blob in rows:
        who = f"{label}: trial {tid}'s history"
        n, last = _last_loss(blob, np)
        if n is None:  # its bytes are not as a sweep packs them: say what is wrong
            from .storecheck import history

            history(blob, who)
            n = 0
        measured = json.loads(metrics)
        agrees({"final_loss": final, "epochs": epochs}, measured, n, last, who)
        _val_agrees(measured, *_last_loss(blob, np, "val_loss"), who)


def _val_agrees(metrics: dict, n: int | None, last: float | None, who: str) -> None:
    """``metrics.val_loss`` is the history's last validation loss (null when it was not
    finite), and there is one exactly when the history holds a validation series: the
    validation loss is tied to stored data as the training loss is. (rmse, r2 and
    accuracy are measured once, after the last epoch, and kept in no series: only a
    re-run of the trial — it gives the same numbers bit for bit — can tie them; on open
    they are checked against their ranges, ``cheap``.)"""
    if not n:
        if metrics.get("val_loss") is not None:
            raise SweepError(
                f"{who}: holds no validation losses, but the trial's metrics.val_loss is "
                f"{metrics['val_loss']!r}; {FIX}."
            )
        return
    finite = last if math.isfinite(last) else None
    if metrics.get("val_loss") != finite:
        raise SweepError(
            f"{who}: its last validation loss is {finite!r}, but the trial's "
            f"metrics.val_loss is {metrics.get('val_loss')!r}; {FIX}."
        )


def _last_loss(blob, np, series_name: str = "loss") -> tuple[int | None, float | None]:
    """(length, last value) of a packed history's loss series (or ``series_name``'s);
    (None, None) for bytes a sweep did not pack, (0, None) for a history without it."""
    import json

    if not isinstance(blob, bytes):
        return (0, None) if blob is None else (None, None)
    head, _, body = blob.partition(b"\n")
    try:
        series = json.loads(head)["series"]
        sizes = [int(n) for _, n in series]
        if 8 * sum(sizes) != len(body) or min(sizes, default=0) < 0:
            return None, None
        at = 0
        for (name, n), size in zip(series, sizes):
            if name == series_name:
                if not n:
                    return 0, None
                return n, float(np.frombuffer(body, "<f8", count=1, offset=at + 8 * (n - 1))[0])
            at += 8 * size
    except (ValueError, TypeError, KeyError, RecursionError):
        return None, None
    return 0, None
