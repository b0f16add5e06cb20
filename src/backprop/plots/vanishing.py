"""The vanishing-gradient plot: ‖∂E/∂W[l]‖ per layer and the first/last ratio per depth."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import ConfigError
from ._base import ACTIVATION_STYLE, INK, MUTED, OTHER_STYLES, log_scale, new_figure, save, tidy

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _activation_styles(activations) -> dict:
    others = iter(OTHER_STYLES * (1 + len(activations) // len(OTHER_STYLES)))
    return {a: ACTIVATION_STYLE.get(a) or next(others) for a in activations}


def gradient_norms(
    result, path: str | os.PathLike | None = None, *, title: str | None = None
) -> Path | Figure:
    """The vanishing-gradient experiment: ‖∂E/∂W[l]‖ per layer, and first/last ratio per depth.

    Args:
        result: a ``backprop.diagnostics.VanishingResult`` (or its ``grad_norms`` dict,
            ``(activation, depth) -> [‖∂E/∂W[1]‖, …, ‖∂E/∂W[L]‖]``).
        path: where the PNG goes (written atomically); None returns the Figure instead.
        title: the figure title.

    Left: the gradient norm of every layer l = 1 … L of the deepest network of each
    activation (log scale). Right: ‖∂E/∂W[1]‖ / ‖∂E/∂W[L]‖ against depth (log scale), with
    a guide falling by 0.25 a layer (the sigmoid's σ′ ≤ 0.25) from the first sigmoid point.
    Returns the path, or the Figure when no path is given.

    Examples:
        >>> import backprop as bp
        >>> from backprop import nn, plots
        >>> _ = bp.manual_seed(0)
        >>> from backprop import diagnostics
        >>> result = diagnostics.vanishing_gradients(depths=(2, 4), width=8, samples=16)
        >>> fig = plots.gradient_norms(result)
        >>> for ax in fig.axes:
        ...     print(ax.get_title())
        gradient reaching each layer (deepest net)
        first layer's share of the last layer's gradient
    """
    norms = result if isinstance(result, dict) else getattr(result, "grad_norms", None)
    if not isinstance(norms, dict) or not norms:
        raise ConfigError(
            "gradient_norms: the result holds no gradient norms (got "
            f"{type(result).__name__}{'' if norms is None else ' with none'}). Pass what "
            "backprop.diagnostics.vanishing_gradients(depths=..., activations=...) returns."
        )
    activations = list(dict.fromkeys(a for a, _ in norms))
    styles = _activation_styles(activations)
    fig = new_figure(11.0, 5.0)
    left, right = fig.subplots(1, 2)
    if title is None:
        title = "Vanishing gradients"
        if hasattr(result, "width"):
            title += f": width {result.width}, {result.samples} samples, seed {result.seed}"
    fig.suptitle(title, fontsize=13)

    for act in activations:
        colour, marker = styles[act]
        depths = sorted(d for a, d in norms if a == act)
        deepest = depths[-1]
        values = np.asarray(norms[(act, deepest)], dtype=float)
        layers = np.arange(1, len(values) + 1)
        shown = values > 0
        left.plot(
            layers[shown],
            values[shown],
            color=colour,
            marker=marker,
            markersize=4,
            linewidth=1.5,
            label=f"{act}, depth {deepest} (L = {len(values)})"
            + ("" if shown[:-1].any() else ": 0 below layer L, not drawn"),
        )
        ratios = np.array([_first_to_last(result, norms, act, d) for d in depths])
        shown = np.isfinite(ratios) & (ratios > 0)
        right.plot(
            np.asarray(depths)[shown],
            ratios[shown],
            color=colour,
            marker=marker,
            markersize=5,
            linewidth=1.5,
            label=act if shown.any() else f"{act}: 0 at every depth (a log scale has no 0)",
        )
        if act == "sigmoid" and shown.any():
            d0, r0 = np.asarray(depths)[shown][0], ratios[shown][0]
            guide = np.array(depths, dtype=float)
            right.plot(
                guide,
                r0 * 0.25 ** (guide - d0),
                color=MUTED,
                linestyle="--",
                linewidth=1.0,
                label="× 0.25 per layer (σ′ ≤ 0.25)",
            )

    from matplotlib.ticker import MaxNLocator

    log_scale(left)
    left.set_xlabel("layer l (1 = first hidden layer, L = output)")
    left.set_ylabel("‖∂E/∂W[l]‖ (log scale)")
    left.set_title("gradient reaching each layer (deepest net)", fontsize=10)
    left.xaxis.set_major_locator(MaxNLocator(integer=True))
    right.axhline(1.0, color=INK, linewidth=0.8, alpha=0.5, label="1 = no decay")
    log_scale(right)
    right.set_xlabel("depth (hidden layers)")
    right.set_ylabel("‖∂E/∂W[1]‖ / ‖∂E/∂W[L]‖ (log scale)")
    right.set_title("first layer's share of the last layer's gradient", fontsize=10)
    right.xaxis.set_major_locator(MaxNLocator(integer=True))
    for axes in (left, right):
        tidy(axes)
        axes.legend(loc="best", fontsize=9, framealpha=0.9)
    return fig if path is None else save(fig, path)


def _first_to_last(result, norms, activation, depth) -> float:
    if hasattr(result, "first_to_last"):
        return float(result.first_to_last(activation, depth))
    values = norms[(activation, depth)]
    return values[0] / values[-1] if values[-1] else float("nan")
