"""The Figure the plots draw on: matplotlib's own, plus a PNG for notebooks.

A plain ``matplotlib.figure.Figure`` made without pyplot shows in Jupyter only as
``<Figure size 960x600 with 1 Axes>`` unless the inline backend happens to be loaded. This
subclass answers IPython's ``_repr_png_`` (Jupyter, VS Code, marimo read it), so a plot
function called without a path shows its picture when it ends a cell. Imported only
once matplotlib is known to be installed (``_base.new_figure``).
"""

from __future__ import annotations

from matplotlib.figure import Figure

__all__ = ["NotebookFigure"]


class NotebookFigure(Figure):
    """A matplotlib Figure that renders itself as PNG in a notebook."""

    def _repr_png_(self) -> bytes:
        from ._base import png_bytes

        return png_bytes(self)
