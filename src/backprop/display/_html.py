"""The pieces every rich display is built from: escaping, numbers, tables, an inline PNG.

Everything that came from the user — a module's class name, a parameter's name, a CSV's
column and class labels, a stop reason — goes through ``esc`` before it reaches HTML; the
rest is our own markup. Styles are scoped to ``bp-`` classes so a notebook's page is left
alone.
"""

from __future__ import annotations

import base64
import html

import numpy as np

from .._extras import install_hint

MAX_SHOWN = 8  # rows or columns of an array shown (its corners past this)

STYLE = """<style>
.bp-box{font-family:var(--jp-content-font-family,system-ui,sans-serif);font-size:13px;
 line-height:1.4;color:var(--jp-content-font-color1,#222);max-width:100%;overflow-x:auto}
.bp-box table.bp-t{border-collapse:collapse;margin:4px 0 8px 0}
.bp-box .bp-t th,.bp-box .bp-t td{border:1px solid #d0d7de;padding:2px 8px;text-align:right;
 font-variant-numeric:tabular-nums;white-space:nowrap}
.bp-box .bp-t th{background:rgba(127,127,127,.12);text-align:center}
.bp-box .bp-t td.bp-l{text-align:left}
.bp-box .bp-pass{background:rgba(46,158,91,.22)}
.bp-box .bp-fail{background:rgba(214,47,47,.25);font-weight:bold}
.bp-box .bp-warn{background:rgba(245,147,34,.25)}
.bp-box div.bp-pass,.bp-box div.bp-fail,.bp-box div.bp-warn{display:inline-block;padding:1px 6px}
.bp-box .bp-head{font-weight:bold;margin:4px 0}
.bp-box .bp-muted{color:#777}
.bp-box table.bp-m{border-collapse:separate;border-spacing:0;display:inline-table;
 vertical-align:middle;border-left:1.5px solid currentColor;border-right:1.5px solid currentColor;
 border-radius:7px;margin:1px 4px;padding:0 2px}
.bp-box .bp-m td{padding:0 5px;text-align:right;font-variant-numeric:tabular-nums;
 white-space:nowrap;border:none}
.bp-box .bp-eq{margin:3px 0;white-space:nowrap}
.bp-box .bp-eq{position:relative}
.bp-box .bp-tex{position:absolute;left:-99999px;visibility:hidden}
.bp-box .bp-eq:has(mjx-container,.MathJax,.MathJax_CHTML,.MathJax_SVG) .bp-tex{position:static;
 visibility:visible}
.bp-box .bp-eq:has(mjx-container,.MathJax,.MathJax_CHTML,.MathJax_SVG) .bp-uni{display:none}
.bp-box h4{margin:10px 0 2px 0;font-size:14px}
.bp-box img{max-width:100%;height:auto}
</style>"""


def esc(text) -> str:
    """``text`` as HTML text: <, >, &, and both quotes escaped."""
    return html.escape(str(text), quote=True)


def num(value: float, minus: str = "\u2212") -> str:
    """A number in 4 significant digits, with a true minus sign by default."""
    value = float(value)
    if value == 0:
        return "0"
    if not np.isfinite(value):
        return {np.inf: "inf", -np.inf: f"{minus}inf"}.get(value, "nan")
    text = f"{value:.4g}"
    return text.replace("-", minus) if not text.startswith("-") else minus + text[1:]


def clip(n: int, limit: int = MAX_SHOWN) -> list[int | None]:
    """Indices shown of ``n``: all up to ``limit``, else the first and last halves with a
    None where the rest is left out."""
    if n <= limit:
        return list(range(n))
    half = limit // 2
    return [*range(half), None, *range(n - half, n)]


def box(body: str) -> str:
    """A display's outer element, with the shared styles."""
    return f'{STYLE}<div class="bp-box">{body}</div>'


def table(head, rows, classes=None) -> str:
    """An HTML table; ``head`` and each row are already-escaped cell strings; ``classes``
    gives each row's cell classes (a list per row, or None)."""
    parts = ['<table class="bp-t"><thead><tr>']
    parts += [f"<th>{h}</th>" for h in head]
    parts.append("</tr></thead><tbody>")
    for i, row in enumerate(rows):
        marks = (classes[i] if classes else None) or [""] * len(row)
        cells = "".join(
            f'<td class="{c}">{v}</td>' if c else f"<td>{v}</td>" for v, c in zip(row, marks)
        )
        parts.append(f"<tr>{cells}</tr>")
    parts.append("</tbody></table>")
    return "".join(parts)


def matrix(m: np.ndarray) -> str:
    """A 2-D array as a bracketed grid of numbers (corners when large)."""
    m = np.atleast_2d(np.asarray(m, dtype=np.float64))
    rows = []
    cols = clip(m.shape[1])
    for i in clip(m.shape[0]):
        if i is None:
            cells = "".join("<td>⋮</td>" if j is not None else "<td>⋱</td>" for j in cols)
        else:
            cells = "".join("<td>⋯</td>" if j is None else f"<td>{num(m[i, j])}</td>" for j in cols)
        rows.append(f"<tr>{cells}</tr>")
    return f'<table class="bp-m">{"".join(rows)}</table>'


def png_img(fig, alt: str) -> str:
    """A Figure as an inline ``<img>`` (base64 PNG)."""
    data = base64.b64encode(fig._repr_png_()).decode("ascii")
    return f'<img alt="{esc(alt)}" src="data:image/png;base64,{data}">'


def figure_or_note(make, alt: str) -> str:
    """``make()``'s Figure as an image, or a line saying how to get matplotlib."""
    from ..plots import PlotDependencyError

    try:
        fig = make()
    except PlotDependencyError:
        hint = esc(install_hint("plot", notebook=True))  # read in a notebook
        return f'<div class="bp-muted">(the picture needs matplotlib: {hint})</div>'
    return png_img(fig, alt)
