"""How a sweep's results are shown: the plain-text table, its closing note and the notebook's HTML.

One rule for stored text (``shown``: labels, notes, errors, names, paths are escaped by
``textrules.escape`` before a terminal, a page or a CSV shows them) and the cells every
view reads (``cells``): one line per configuration — seeds done, final loss mean ± std,
median, the success rate, the parameter count, seconds per trial — in fixed columns with
no colour, so the table reads the same through a pipe. ``results.Results`` holds the
numbers and calls these; nothing here reads the database.
"""

from __future__ import annotations

import html
import math

from ..textrules import escape


def shown(text) -> str:
    """Stored text (a label, a note, an error, a name, a path) as a terminal, a page or a
    CSV shows it: control and direction-changing characters escaped (``textrules.escape``),
    so an edited database cannot set a terminal's title, clear it or turn a line around."""
    return escape(str(text))


def cells(results) -> tuple[list[str], list[list[str]]]:
    """The table's head and one row of cells per configuration (``Results._cells``)."""
    head = ["configuration", "seeds", "final loss mean ± std", "median"]
    if results.criterion is not None:
        from .criteria import in_loss_units  # rmse<1e-3 ≈ loss<1e-6: the loss column's unit

        plan = results.plan
        same = in_loss_units(results.success, plan.get("base") or {}, plan.get("grid"))
        said = shown(results.success.replace(" ", "")) + (f" ≈ {same}" if same else "")
        head.append(f"success ({said})")
    head += ["params", "s/trial"]
    body = []
    for r in results.rows:
        seeds = f"{r.done}/{r.trials}" + (f" ({r.failed} failed)" if r.failed else "")
        if r.diverged:
            seeds += f" ({r.diverged} diverged)"
        std = "" if math.isnan(r.std) else f" ± {r.std:.3g}"
        row = [r.label, seeds, f"{_g(r.mean)}{std}", _g(r.median)]
        if results.criterion is not None:
            row.append("-" if r.success is None else f"{r.success:.0%}")
        row += ["-" if r.parameters is None else f"{r.parameters:,}", _g(r.seconds, 3)]
        body.append(row)
    return head, body


def table(results) -> str:
    """The results as a plain-text table, one line per configuration, and the note."""
    head, body = cells(results)
    widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
    lines = [
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))
        ).rstrip()
        for row in [head, *body]
    ]
    return "\n".join([*lines, note(results)])


def note(results) -> str:
    """The line under the table: trials done, failed (lost their worker, waiting for a
    data file), to go, and what the final loss is."""
    counts = results.counts()
    total = sum(counts.values())
    said = f"{counts['done']} of {total} trials done"
    if counts["failed"]:
        said += f", {counts['failed']} failed"
        from .storeclaims import lost

        trials = results._trials
        n_lost = sum(t["status"] == "failed" and lost(t.get("error")) for t in trials)
        if n_lost:
            said += f" ({n_lost} of them lost their worker: --resume runs them again)"
        waits = results.waiting()
        if waits:
            files = ", ".join(sorted(waits))
            said += (
                f" ({sum(waits.values())} of them waiting for a data file changed during "
                f"the sweep: {shown(files)}; put it back as it was and --resume re-runs "
                "them)"
            )
    if counts["todo"] or counts["running"]:
        said += f", {counts['todo'] + counts['running']} to go (resume to finish)"
    unit = standardised(results)
    return f"({said}; final loss = the last epoch's training loss{unit})"


def standardised(results) -> str:
    """', on the standardised target …' when a CSV's regression trained on z-scores of
    its target column (``data.standardize_target``: null means yes for a CSV)."""
    data = (results.plan.get("base") or {}).get("data") or {}
    regression = any("rmse" in (t.get("metrics") or {}) for t in results._trials)
    if data.get("csv") is None or data.get("standardize_target") is False or not regression:
        return ""
    target = shown(data.get("target") or "target")
    return (
        f", and it and rmse are on the standardised target: {target} in units of its "
        "standard deviation, as the runs trained on it"
    )


def html_table(results) -> str:
    """The table as HTML for a notebook (``Results._repr_html_``): numbers on the right."""
    head, body = cells(results)
    side = ["left"] + ["right"] * (len(head) - 1)  # numbers line up on the right
    th = "".join(
        f'<th style="text-align:{a};padding:0 0.6em">{html.escape(h)}</th>'
        for h, a in zip(head, side)
    )
    rows = "".join(
        "<tr>"
        + "".join(
            f'<td style="text-align:{a};padding:0 0.6em">{html.escape(c)}</td>'
            for c, a in zip(r, side)
        )
        + "</tr>"
        for r in body
    )
    return (
        f"<table><thead><tr>{th}</tr></thead><tbody>{rows}</tbody></table>"
        f"<p>{html.escape(note(results))}</p>"
    )


def _g(value: float, digits: int = 4) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.{digits}g}"


def _csv(value: float) -> str:
    return "" if value is None or math.isnan(value) else repr(value)
