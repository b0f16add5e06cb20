"""A sweep's results as CSV: the table's (``table_text``, ``--csv``) and the trials'
(``text``: one line per trial, each seed's own numbers, ``--trials-csv``).

The table's CSV (``Results.to_csv``, ``--csv``, compare's ``table.csv``) has one line per
configuration — mean, std, median and best over the seeds — so the per-seed values behind a
spread could only be read from the database. This file has one line per trial: its id, the
configuration's label and grid values, the seed, its status, the final loss, every metric it
recorded, its epochs, seconds, engine and host, and the error of a failed one; whether it
met the sweep's criterion when there is one. Numbers are written in full (``repr``); a
text cell that a spreadsheet would read as a formula (= + - @, tab, CR first) starts
with ' (``_cell``).
"""

from __future__ import annotations

import csv
import io
import json
import math

from ..replacing import TABLE_TAIL

FIXED = ("trial", "configuration", "seed", "status", "final_loss")
AFTER = ("epochs", "seconds", "train_seconds", "engine", "host", "error")


def text(results) -> str:
    """The CSV text of ``results`` (a ``sweep.Results``), trials in configuration order."""
    from .results import _mark

    keys = list(results.plan.get("grid", {}))
    labels = {row.config: row.label for row in results.rows}
    points = {row.config: row.point or {} for row in results.rows}
    trials = results.trials
    metrics = sorted({m for t in trials for m in (t.get("metrics") or {}) if m != "diverged"})
    success = results.criterion is not None
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    head = [*FIXED[:2], *map(_cell, keys), *FIXED[2:], *map(_cell, metrics), "diverged"]
    w.writerow([*head, *(["success"] if success else []), *AFTER])
    for t in trials:
        got = t.get("metrics") or {}
        point = points.get(t["config"], {})
        met = _mark(t, results.criterion) if t["status"] == "done" else None
        w.writerow(
            [
                t["id"],
                _cell(labels.get(t["config"], "")),
                *(_cell(point.get(k)) for k in keys),
                t["seed"],
                t["status"],
                _number(t.get("final_loss")),
                *(_number(got.get(m)) for m in metrics),
                "" if "diverged" not in got else bool(got["diverged"]),
                *([("" if met is None else met)] if success else []),
                *("" if t.get(k) is None else _cell(t.get(k)) for k in AFTER),
            ]
        )
    return out.getvalue()


def write(results, path, *, overwrite: bool = False) -> str:
    """Write the trials' CSV to ``path`` (never the database nor through a link; atomically)."""
    from .paths import write_output

    body = text(results)
    write_output(path, body, db=results.path, who="--trials-csv", overwrite=overwrite)
    return body


FORMULA = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet reads as a formula (OWASP)


def _cell(value):
    """A stored value as a CSV cell: lists and dicts as JSON, text escaped as the terminal
    table shows it (``results.shown``: a CSV is read with cat too), floats in full; text
    that starts as a formula would (``FORMULA``) gets a leading ' so a spreadsheet shows it
    as text (OWASP's CSV-injection rule), never numbers (-0.5 stays a number)."""
    from .results import shown

    if isinstance(value, float):
        return _number(value)
    if isinstance(value, list | dict):
        value = json.dumps(value)
    if not isinstance(value, str):
        return value
    text = shown(value)
    return "'" + text if text.startswith(FORMULA) else text


def _number(value):
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    return value


def table_text(results) -> str:
    """The table's CSV (``Results.to_csv``): one line per configuration, the point's keys
    as columns, then seeds, failures, loss mean/std/median/best, success, size, time."""
    from .results import _csv

    keys = list(results.plan.get("grid", {}))
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow([*map(_cell, keys), *TABLE_TAIL])  # the columns replacing knows it by
    for r in results.rows:
        w.writerow(
            [
                *(_cell(r.point.get(k)) for k in keys),
                r.done,
                r.trials,
                r.failed,
                r.diverged,
                _csv(r.mean),
                _csv(r.std),
                _csv(r.median),
                _csv(r.best),
                "" if r.success is None else r.success,
                "" if r.parameters is None else r.parameters,
                _csv(r.seconds),
            ]
        )
    return out.getvalue()
