"""Rich HTML for a comparison (``backprop.compare``): its heading, the table, the words and
the plots, for a notebook.

``Comparison._repr_html_`` calls ``comparison_html``. The plots are the PNGs the comparison
wrote (read back from ``--out``) or, without an output directory, its Figures; a comparison
drawn without plots says how to get them. The bar over a comparison's trials is ``sweep``'s
(``trials.TrialBar``).
"""

from __future__ import annotations

import base64
import os

from ._html import box, esc, png_img, table


def _saved_png(path, alt: str) -> str:
    with open(path, "rb") as f:
        data = base64.b64encode(f.read()).decode("ascii")
    return f'<img alt="{esc(alt)}" src="data:image/png;base64,{data}">'


def comparison_html(answer) -> str:
    """The question and its setup, the criterion, the table, the words, then the plots."""
    heading = "".join(f"<div>{esc(line)}</div>" for line in answer.heading().splitlines())
    head, body = answer.results._cells()
    side = ["bp-l"] + [""] * (len(head) - 1)
    rows = [[esc(c) for c in row] for row in body]
    note = answer.results.table().splitlines()[-1]
    words = "".join(f"<li>{esc(w)}</li>" for w in answer.words)
    parts = [
        f'<div class="bp-head">{heading}</div>',
        table([esc(h) for h in head], rows, [side] * len(rows)),
        f'<div class="bp-muted">{esc(note)}</div>',
        f"<ul>{words}</ul>",
    ]
    for kind in answer.question.plots:
        alt = kind.replace("_", " ")
        path = answer.plots.get(kind)
        if path is not None and os.path.isfile(path):
            parts.append(f"<div>{_saved_png(path, alt)}</div>")
        elif kind in answer.figures:
            parts.append(f"<div>{png_img(answer.figures[kind], alt)}</div>")
    if not answer.plots and not answer.figures:
        parts.append('<div class="bp-muted">(no plots: compare(..., plots=True) draws them)</div>')
    return box("".join(parts))
