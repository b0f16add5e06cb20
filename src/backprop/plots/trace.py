"""The trace plot: how big δ[l] and ∂E/∂W[l] are at each layer of one backward pass."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ._base import BLUE, INK, ORANGE, log_scale, new_figure, save, tidy

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def trace_norms(
    trace, path: str | os.PathLike | None = None, *, title: str | None = None
) -> Path | Figure:
    """‖δ[l]‖ (mean over samples) and ‖∂E/∂W[l]‖ for l = 1 … L of a ``delta.Trace``.

    Args:
        trace: what ``backprop.delta.trace`` returned.
        path: where the PNG goes (written atomically); None returns the Figure instead.
        title: the figure title.

    Read from right to left it is the backward pass: δ[L] at the output, then each
    δ[l] = g′(f[l]) ∘ W[l+1] δ[l+1] on the way down; a fall by a factor a layer is the
    vanishing gradient. Log scale when the bars span more than a factor of 10.
    Returns the path, or the Figure when no path is given.

    Examples:
        >>> import backprop as bp
        >>> from backprop import delta, nn, plots
        >>> t = delta.trace(nn.MLP([1, 4, 1]), bp.randn(5, 1), bp.randn(5, 1), nn.MSELoss())
        >>> fig = plots.trace_norms(t)  # no path: the Figure, which a notebook shows inline
        >>> fig.axes[0].get_xlabel(), len(fig.axes[0].patches)  # two bars a layer
        ('layer l and its g[l]', 4)
    """
    layers = trace.layers
    ls = np.array([lt.l for lt in layers])
    delta = np.array([float(np.mean(np.linalg.norm(lt.delta, axis=1))) for lt in layers])
    dW = np.array([float(np.linalg.norm(lt.dW)) for lt in layers])
    e = "ŷ" if trace.loss is None else "E"
    fig = new_figure(7.0, 4.0)
    ax = fig.subplots()
    sizes = "-".join(str(n) for n in [layers[0].n_prev] + [lt.n for lt in layers])
    fig.suptitle(title or f"Backward pass of a {sizes} MLP, layer by layer", fontsize=12)
    ax.bar(ls - 0.2, delta, width=0.4, color=ORANGE, label="‖δ[l]‖ (mean over samples)")
    ax.bar(ls + 0.2, dW, width=0.4, color=BLUE, label=f"‖∂{e}/∂W[l]‖")
    xs, values = np.concatenate([ls - 0.2, ls + 0.2]), np.concatenate([delta, dW])
    ax.set_xticks(ls, [f"{lt.l}\n{lt.g}" for lt in layers])
    ax.set_xlabel("layer l and its g[l]", color=INK)
    ax.set_ylabel("norm")
    positive = np.concatenate([delta, dW])
    positive = positive[positive > 0]
    if positive.size and positive.max() / positive.min() > 10:
        log_scale(ax)
        # a log axis has no zero: bars rise from its bottom, and matplotlib put the bottom
        # just under the smallest value, so a δ of 4e-7 was a sliver that read as 0; a
        # decade below the smallest keeps every bar a visible height
        ax.set_ylim(bottom=positive.min() / 10, top=positive.max() * 3)
    _label_bars(ax, xs, values)
    tidy(ax)
    ax.legend(loc="best", fontsize=9)
    return fig if path is None else save(fig, path)


def _label_bars(ax, xs, values) -> None:
    """Each bar's value written above it (a true 0 too: the step unit's zero gradient),
    so the height need not be read off the axis."""
    bottom = ax.get_ylim()[0]
    for x, v in zip(xs, values, strict=True):
        text = "0" if v == 0 else f"{v:.2g}"
        ax.text(x, max(v, bottom), text, ha="center", va="bottom", fontsize=7, color=INK)
