"""What every plot shares: the lazy matplotlib import, the palette, figures, atomic saving.

A plot function given no path returns its Figure instead of saving it.

No pyplot and no global state: figures are ``matplotlib.figure.Figure`` objects drawn by
``FigureCanvasAgg`` and rendered to PNG bytes in memory, then written with
``backprop.files.atomic_write_bytes``.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from .._extras import install_hint
from ..errors import BackpropError, ShapeError

DPI = 120

# TensorFlow Playground's colours: blue for positive weights and class 1, orange for
# negative weights and class 0, a light grey between them.
BLUE = "#0877bd"
ORANGE = "#f59322"
NEUTRAL = "#e8eaeb"
INK = "#333333"  # text, truth curves, outlines
MUTED = "#777777"  # secondary text, reference lines
CLASS_COLOURS = (ORANGE, BLUE, "#2e9e5b", "#8e4fa8", "#d62f2f", "#8c6d31", "#17becf", "#e377c2")
ACTIVATION_STYLE = {  # (colour, marker) per activation, shared by every plot
    "sigmoid": (ORANGE, "o"),
    "tanh": ("#8e4fa8", "s"),
    "relu": (BLUE, "^"),
}
OTHER_STYLES = (("#2e9e5b", "D"), ("#d62f2f", "v"), ("#8c6d31", "P"), ("#17becf", "X"))


class PlotDependencyError(BackpropError, ImportError):
    """matplotlib, which the plots need, is not installed.

    Examples:
        >>> from backprop import nn, plots
        >>> issubclass(plots.PlotDependencyError, ImportError)
        True
        >>> try:  # the plots need matplotlib (pip install ".[plot]")
        ...     fig = plots.network_diagram(nn.MLP([2, 2, 1]))
        ... except plots.PlotDependencyError as error:
        ...     hint = str(error)  # names the install line
    """


def require_matplotlib():
    """The ``matplotlib`` module, or a PlotDependencyError that says how to install it."""
    try:
        import matplotlib
        import matplotlib.figure  # noqa: F401 - checked here so a broken install fails early
    except ImportError as exc:
        raise PlotDependencyError(
            f"backprop.plots needs matplotlib, which is not installed ({exc}). "
            f"Install it {install_hint('plot')}"
        ) from exc
    return matplotlib


def new_figure(width: float = 8.0, height: float = 5.0):
    """A Figure (constrained layout) with an Agg canvas attached; pyplot is not involved."""
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from ._figure import NotebookFigure

    fig = NotebookFigure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def tidy(ax) -> None:
    """The house look of an axes: a light grid behind the data, no top/right frame."""
    ax.grid(True, color="#dddddd", linewidth=0.7)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def save(fig, path: str | os.PathLike, *, who: str = "plot path", guard=None) -> Path:
    """Render ``fig`` to PNG bytes and write them to ``path`` (``backprop.files``: atomic
    for a regular file, streamed to a FIFO or device, else ``PathError``; ``guard`` judged
    at write time, ``replacing.guard``); returns the path."""
    from ..files import atomic_write_bytes

    return atomic_write_bytes(path, png_bytes(fig), who=who, guard=guard)


def png_bytes(fig) -> bytes:
    """``fig`` as PNG bytes, marked as backprop's (tEXt ``Software: backprop VERSION``): an
    output replaces a PNG only with that mark (``backprop.replacing``), never a user's."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": software()})
    return buffer.getvalue()


def software() -> str:
    """``backprop VERSION``, the mark in every PNG backprop draws."""
    from ..replacing import PRODUCER

    try:
        from importlib.metadata import version

        return f"{PRODUCER} {version('backprop-mlp')}"
    except Exception:  # not installed as a distribution: the mark alone
        return PRODUCER


def as_array(value, name: str) -> np.ndarray:
    """A float64 NumPy copy of an array, list or backprop Tensor."""
    from ..autograd import Tensor

    if isinstance(value, Tensor):
        value = value.detach().numpy()
    try:
        return np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ShapeError(
            f"{name} must be numbers (an array, list or Tensor), got {type(value).__name__}: {exc}"
        ) from exc


def model_dtype(model):
    """The dtype of the model's first parameter (inputs are cast to it), else the default."""
    from .. import get_default_dtype

    for parameter in model.parameters():
        return parameter.dtype
    return get_default_dtype()


def evaluate(model, inputs) -> np.ndarray:
    """``model(inputs)`` without recording a graph, as a float64 NumPy array."""
    from .. import no_grad, tensor
    from ..autograd import Tensor

    if not isinstance(inputs, Tensor):
        inputs = tensor(np.asarray(inputs, dtype=np.float64), dtype=model_dtype(model))
    with no_grad():
        out = forward_rows(model, inputs)
    return as_array(out, "the model's output")


def forward_rows(model, inputs):
    """``model(inputs)`` for many rows (a plot's grid), in chunks of rows × layer widths
    bounded as ``fit``'s evaluation is (``train.engines.eval_rows``): a 200² grid through a
    65,536-unit layer would otherwise hold 10 GB of activations at once."""
    from ..autograd import Tensor
    from ..train.engines import eval_rows, mlp_layers

    rows = eval_rows(mlp_layers(model), 4096)
    n = inputs.shape[0]
    if n <= rows:
        return model(inputs)
    parts = [model(inputs[lo : lo + rows]) for lo in range(0, n, rows)]
    if not all(isinstance(p, Tensor) for p in parts):
        return model(inputs)  # not a model we can read in chunks: one pass, as before
    return Tensor._wrap(np.concatenate([p._data for p in parts]))


def first_linear(model):
    """The model's first ``nn.Linear`` (in module order), or None."""
    from ..nn import Linear

    for module in model.modules():
        if isinstance(module, Linear):
            return module
    return None


def number(value: float) -> str:
    """A short label for a number, with a true minus sign."""
    text = f"{value:.3g}"
    return text.replace("-", "\u2212")


def log_scale(ax, which: str = "y") -> None:
    """A log axis whose ticks read as plain numbers (0.5, 1, 2, 5) over a short range.

    Over three decades or more matplotlib's 10ᵏ labels are kept; below that they would
    leave one or two labelled ticks, so 1-2-5 ticks with plain labels are used instead.
    """
    from matplotlib.ticker import LogLocator, MaxNLocator, NullFormatter

    axis = ax.yaxis if which == "y" else ax.xaxis
    (ax.set_yscale if which == "y" else ax.set_xscale)("log")
    lo, hi = ax.get_ylim() if which == "y" else ax.get_xlim()
    if not (lo > 0 and hi > 0) or np.log10(hi / lo) >= 3:
        return
    if np.log10(hi / lo) < 1:  # under a decade: 1-2-5 ticks leave one or none in view
        # evenly spaced round numbers (on a log axis within a decade they look nearly even),
        # each label with the digits that tell it from its neighbours: 1316.1, 1316.2, …
        axis.set_major_locator(MaxNLocator(nbins=6))
        axis.set_major_formatter(_DistinctFormatter())
    else:
        axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        axis.set_major_formatter(_DistinctFormatter())  # 1000, 2000, not 1e+03, 2e+03
    axis.set_minor_formatter(NullFormatter())


def _DistinctFormatter():
    """A tick formatter: plain numbers (1316.2, not 1.32e+03) with the fewest significant
    digits (3 or more) that give every tick in view its own label."""
    from matplotlib.ticker import Formatter

    class Distinct(Formatter):
        digits = 3

        def set_locs(self, locs):
            super().set_locs(locs)
            self.digits = 3
            while self.digits < 12 and len({self._text(v) for v in locs}) < len(locs):
                self.digits += 1

        def _text(self, value: float) -> str:
            text = f"{value:.{self.digits}g}"
            if "e" in text and 1e-4 <= abs(value) < 1e9:  # 1e+03 -> 1000: read as a number
                text = f"{value:.{self.digits}f}".rstrip("0").rstrip(".")
            return text

        def __call__(self, value, pos=None):
            return self._text(value).replace("-", "\u2212")

    return Distinct()
