"""The 1-D fit plot: samples, the true function and the network's curve ŷ(x)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import ConfigError, DataError, ShapeError
from ._base import (
    BLUE,
    INK,
    ORANGE,
    as_array,
    evaluate,
    first_linear,
    new_figure,
    save,
    tidy,
)

# activations of the first layer whose graph has a corner (or a jump) where w·x + b = 0
_KINKED = ("relu", "leaky_relu", "step")


def _column(values, name: str, function: str) -> np.ndarray:
    """``values`` as a 1-D array; (N,) and (N, 1) are accepted."""
    array = as_array(values, name)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise ShapeError(
            f"{function}: {name} must have shape (N,) or (N, 1) for a 1-D plot, got "
            f"{tuple(array.shape)}."
        )
    return array


def _kinks(model) -> tuple[np.ndarray, str] | None:
    """x where each first-layer unit's w·x + b = 0, for a kinked activation; else None."""
    from ..delta import DeltaEngineError, layers

    try:
        first = layers(model)[0]
    except DeltaEngineError:
        return None
    if first.g_name not in _KINKED or first.n_in != 1:
        return None
    w = np.asarray(first.weight._data, dtype=float)[:, 0]
    b = np.zeros_like(w) if first.bias is None else np.asarray(first.bias._data, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.where(w != 0, -b / w, np.nan)
    return x[np.isfinite(x)], first.g_name


def fit_1d(
    model,
    x,
    y,
    path: str | os.PathLike,
    *,
    truth=None,
    x_range=None,
    title: str | None = None,
    show_kinks: bool = True,
) -> Path:
    """A 1-D regression: the samples, the true function, the network's curve ŷ(x).

    Args:
        model: a backprop module taking (N, 1) tensors and returning (N, 1).
        x, y: the samples, (N,) or (N, 1) each (arrays, lists or tensors).
        path: where the PNG goes (written atomically).
        truth: the true function as a callable on NumPy arrays (``np.square``), or None.
        x_range: ``(lo, hi)`` of the curves; by default the samples' range plus 5 %.
        title: the figure title.
        show_kinks: mark with a tick on the x axis each first-hidden-layer unit's corner
            x = −b/w (where w·x + b = 0) when that layer is ReLU-like. The lecture's
            |x − 1| net has both at x = 1.

    Returns the path.
    """
    xs = _column(x, "x", "fit_1d")
    ys = _column(y, "y", "fit_1d")
    if xs.size == 0:
        raise DataError("fit_1d: x is empty; give at least one sample to plot.")
    if ys.shape != xs.shape:
        raise ShapeError(f"fit_1d: x has {xs.size} samples but y has {ys.size}; they must match.")
    linear = first_linear(model)
    if linear is not None and linear.in_features != 1:
        raise ShapeError(
            f"fit_1d: the model takes {linear.in_features} input features; a 1-D fit plot "
            "needs a model of one input (Linear(1, …) first). For 2 inputs use "
            "decision_boundary."
        )
    if x_range is None:
        lo, hi = float(np.min(xs)), float(np.max(xs))
        pad = 0.05 * (hi - lo) if hi > lo else 1.0
        lo, hi = lo - pad, hi + pad
    else:
        lo, hi = (float(v) for v in x_range)
        if not hi > lo:
            raise ConfigError(f"fit_1d: x_range must be (lo, hi) with lo < hi, got {x_range!r}.")
    grid = np.linspace(lo, hi, 600)
    curve = evaluate(model, grid[:, None])
    if curve.ndim != 2 or curve.shape[1] != 1:
        raise ShapeError(
            f"fit_1d: the model must map (N, 1) to (N, 1); for {grid.size} inputs it "
            f"returned {tuple(curve.shape)}."
        )

    fig = new_figure(8.0, 5.0)
    ax = fig.subplots()
    fig.suptitle(title or "Network fit ŷ(x) against the samples", fontsize=13)
    ax.scatter(xs, ys, s=16, color=BLUE, alpha=0.45, edgecolors="none", label="samples", zorder=2)
    ax.plot(grid, curve[:, 0], color=ORANGE, linewidth=2.6, label="network ŷ(x)", zorder=3)
    if truth is not None:
        true_y = as_array(truth(grid), "truth(x)").reshape(-1)
        if true_y.size != grid.size:
            raise ShapeError(
                f"fit_1d: truth must return one value per x; for {grid.size} x values it "
                f"returned {true_y.size}."
            )
        ax.plot(
            grid, true_y, color=INK, linestyle="--", linewidth=1.4, label="true function", zorder=4
        )
    ax.set_xlim(lo, hi)
    if show_kinks:
        _draw_kinks(ax, model, lo, hi)
    ax.set_xlabel("x")
    ax.set_ylabel("y, ŷ")
    tidy(ax)
    ax.legend(loc="best", fontsize=9, framealpha=0.9)
    return save(fig, path)


def _draw_kinks(ax, model, lo: float, hi: float) -> None:
    found = _kinks(model)
    if found is None:
        return
    at, name = found
    inside = np.sort(at[(at >= lo) & (at <= hi)])
    if inside.size == 0:
        return
    label = {"relu": "ReLU", "leaky_relu": "leaky ReLU", "step": "step"}[name]
    tolerance = 1e-3 * (hi - lo)
    groups = []  # [x, count]: coinciding kinks drawn once, with their count
    for value in inside:
        if groups and value - groups[-1][0] <= tolerance:
            groups[-1][1] += 1
        else:
            groups.append([value, 1])
    transform = ax.get_xaxis_transform()  # x in data, y in axes fraction
    for n, (value, count) in enumerate(groups):
        ax.axvline(value, color=ORANGE, linestyle=":", linewidth=1.0, alpha=0.7, zorder=1)
        ax.plot(
            [value],
            [0.0],
            transform=transform,
            linestyle="none",
            marker="^",
            markersize=9,
            color=ORANGE,
            markeredgecolor=INK,
            markeredgewidth=0.6,
            clip_on=False,
            zorder=6,
            label=f"kinks of layer 1's {label} units (w·x + b = 0)" if n == 0 else None,
        )
        if count > 1:
            ax.text(
                value,
                0.035,
                f" ×{count}",
                transform=transform,
                ha="left",
                va="bottom",
                fontsize=9,
                color=INK,
                zorder=6,
            )
