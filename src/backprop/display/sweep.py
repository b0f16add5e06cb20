"""Rich HTML for a comparison (``backprop.compare``): its heading, the table, the words and
the plots, for a notebook.

``Comparison._repr_html_`` calls ``comparison_html``. The plots are the PNGs the comparison
wrote (read back from ``--out``) or, without an output directory, its Figures; a comparison
drawn without plots says how to get them.
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


class NotebookTrials:
    """A sweep's progress in a notebook: one display output updated in place (IPython's
    ``display_id``), trials done of all, the last trial's loss, time spent and left.
    Called with the sweep's ``Progress`` after each finished trial."""

    EVERY = 0.2  # seconds between updates (the last one always)

    def __init__(self) -> None:
        self.handle, self.shown = None, 0.0

    @staticmethod
    def bundle(p) -> dict:
        from html import escape

        from .progress import _clock

        finished = p.done + p.failed
        rate = p.ran / p.elapsed if p.elapsed > 0 and p.ran else 0.0
        left = (p.total - finished) / rate if rate else None
        loss = "" if p.loss is None else f"loss {p.loss:.4g}"
        cells = [f"{finished}/{p.total} trials", loss, f"{_clock(p.elapsed)} spent",
                 f"{_clock(left)} left"]  # fmt: skip
        words = "  ".join(c for c in cells if c)
        filled = round(30 * finished / p.total) if p.total else 30
        html = (
            '<div class="bp-progress" style="font-family:var(--jp-code-font-family,monospace);'
            'font-size:var(--jp-code-font-size,13px)"><b>sweep</b> '
            f'<progress value="{finished}" max="{max(p.total, 1)}" style="width:16em;'
            f'vertical-align:middle"></progress> {escape(words)}</div>'
        )
        return {"text/plain": f"sweep [{'#' * filled}{'.' * (30 - filled)}]  {words}",
                "text/html": html}  # fmt: skip

    def __call__(self, p) -> None:
        import time

        from IPython.display import display

        now = time.monotonic()
        last = p.done + p.failed >= p.total
        if self.handle is None:
            self.handle = display(self.bundle(p), raw=True, display_id=True)
            self.shown = now
        elif last or now - self.shown >= self.EVERY:
            self.handle.update(self.bundle(p), raw=True)
            self.shown = now
