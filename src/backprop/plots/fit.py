"""The 1-D fit plot: samples, the true function and the network's curve ŷ(x)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# activations whose graph has a corner (or a jump) where their input f crosses 0
_KINKED = ("relu", "leaky_relu", "step")
_WORDS = {"relu": "ReLU", "leaky_relu": "leaky ReLU", "step": "step"}
# a ReLU bends the curve where f crosses 0 (a kink); a step unit makes it jump there
_CORNER = {"relu": "kinks", "leaky_relu": "kinks", "step": "jumps"}
# (fill colour, marker) of layer l's kinks: colours apart from the curve (orange) and the
# samples (blue), so that layer 1, 2, 3 … read apart
LAYER_STYLES = (
    ("#2e9e5b", "o"),
    ("#8e4fa8", "s"),
    ("#d62f2f", "D"),
    ("#8c6d31", "v"),
    ("#17becf", "P"),
    ("#e377c2", "X"),
)
GRID = 2001  # points of the grid on which sign changes of f[l] are looked for
BISECTIONS = 30  # halvings of a grid step: 1/2000 of the range to ~1e-12 of it


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


def kinks(model, lo: float, hi: float) -> list[tuple[int, str, np.ndarray]]:
    """Where ŷ(x) has its corners: for every layer l whose g[l] is ReLU-like, the x in
    [lo, hi] at which some unit's input ``f[l](x)`` crosses 0, as (l, g name, sorted xs).

    Layer 1's corners are x = −b/w; a deeper layer's f[l] is a piecewise-linear function of
    x, so its crossings are found as sign changes on a grid of 2001 points and refined by
    bisection (two crossings of one unit within a grid step, 1/2000 of the range, would be
    missed). f[l] is the model's own, from the δ engine's forward pass. Empty for a model
    the δ engine does not read, or one with other than one input.
    """
    from ..delta import DeltaEngineError, layers

    try:
        net = layers(model)
    except DeltaEngineError:
        return []
    if net[0].n_in != 1:
        return []
    grid = np.linspace(lo, hi, GRID)
    found = []
    for l, layer in enumerate(net, start=1):
        if layer.g_name not in _KINKED:
            continue
        cell, unit, left_positive = _sign_changes(model, net[:l], grid)
        left, right = grid[cell], grid[cell + 1]
        for _ in range(BISECTIONS if cell.size else 0):
            middle = 0.5 * (left + right)
            same = (_f_at(model, net[:l], middle, unit) > 0) == left_positive
            left, right = np.where(same, middle, left), np.where(same, right, middle)
        found.append((l, layer.g_name, np.sort(0.5 * (left + right))))
    return found


def _chunks(net, n: int):
    """Row ranges of at most ``eval_rows`` rows (as ``fit``'s evaluation): a grid through a
    32,768-unit layer holds a bounded slice of f[l] at a time, not all of it."""
    from ..train.engines import eval_rows

    rows = eval_rows(net, 4096)
    return [(lo, min(n, lo + rows)) for lo in range(0, n, rows)]


def _sign_changes(model, net, grid):
    """(cell i, unit j, f[l]ⱼ(grid[i]) > 0) for each i where f[l]ⱼ > 0 differs between
    grid[i] and grid[i + 1] (l = len(net)); chunks overlap by one point."""
    from ..delta import forward

    cells, units, signs = [], [], []
    for lo, hi in _chunks(net, len(grid) - 1):
        positive = forward(model, grid[lo : hi + 1, None], net).f[-1] > 0
        cell, unit = np.nonzero(positive[:-1] != positive[1:])
        cells.append(cell + lo)
        units.append(unit)
        signs.append(positive[cell, unit])
    return np.concatenate(cells), np.concatenate(units), np.concatenate(signs)


def _f_at(model, net, x, unit) -> np.ndarray:
    """f[l] of unit ``unit[k]`` at ``x[k]`` for each k (l = len(net)), in chunks of rows:
    a[l−1] from the engine's forward pass through layers 1 … l−1, then that unit's row of
    W[l] only, f[l]ⱼ = W[l]ⱼ · a[l−1] + b[l]ⱼ, not all n[l] units of every row."""
    from ..delta import forward

    layer = net[-1]
    weight = layer.weight._data
    bias = None if layer.bias is None else layer.bias._data
    out = np.empty(len(x))
    for lo, hi in _chunks(net, len(x)):
        rows = x[lo:hi, None]
        a = rows.astype(weight.dtype) if len(net) == 1 else forward(model, rows, net[:-1]).a[-1]
        f = np.einsum("ij,ij->i", a, weight[unit[lo:hi]])
        out[lo:hi] = f if bias is None else f + bias[unit[lo:hi]]
    return out


def fit_1d(
    model,
    x,
    y,
    path: str | os.PathLike | None = None,
    *,
    truth=None,
    x_range=None,
    title: str | None = None,
    show_kinks: bool = True,
    x_name: str | None = None,
    y_name: str | None = None,
    x_scaling: tuple[float, float] | None = None,
) -> Path | Figure:
    """A 1-D regression: the samples, the true function, the network's curve ŷ(x).

    Args:
        model: a backprop module taking (N, 1) tensors and returning (N, 1).
        x, y: the samples, (N,) or (N, 1) each (arrays, lists or tensors).
        path: where the PNG goes (written atomically); None returns the Figure instead.
        truth: the true function as a callable on NumPy arrays (``np.square``), or None.
        x_range: ``(lo, hi)`` of the curves; by default the samples' range plus 5 %.
        title: the figure title.
        show_kinks: mark on the curve each corner of ŷ(x): where a unit's input ``f[l](x)``
            crosses 0 in any layer l with a ReLU-like g[l] (``kinks``), one colour and shape
            per layer. The lecture's |x − 1| net has both of layer 1's at x = 1.
        x_name, y_name: the input's and target's names (a CSV's columns); default the
            lecture's x and y.
        x_scaling: ``(mean, std)`` when ``x`` is standardised (a CSV's input): the axis
            then says so and a second axis on top reads the input in its own units.

    Returns the path, or the Figure when no path is given.

    Examples:
        >>> import numpy as np
        >>> import backprop as bp
        >>> from backprop import nn, plots
        >>> _ = bp.manual_seed(0)
        >>> x = bp.linspace(-2, 2, 30).reshape(30, 1)
        >>> y = x**2
        >>> model = nn.MLP([1, 8, 1], activation='relu')
        >>> fig = plots.fit_1d(model, x, y, truth=np.square)  # no path: the Figure
        >>> [line.get_label() for line in fig.axes[0].get_lines()]
        ['network ŷ(x)', 'true function', "kinks of layer 1's ReLU units (f[1] = 0)"]
        >>> import os, tempfile
        >>> folder = tempfile.TemporaryDirectory()  # deleted with the object
        >>> plots.fit_1d(model, x, y, os.path.join(folder.name, 'fit.png')).name  # a path: the PNG
        'fit.png'
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
    _axis_names(ax, x_name, y_name, x_scaling)
    tidy(ax)
    handles, labels = ax.get_legend_handles_labels()
    ncols = 2 if len(labels) > 3 else len(labels)
    fig.legend(handles, labels, loc="outside lower center", ncols=ncols, fontsize=9, frameon=False)
    return fig if path is None else save(fig, path)


def _axis_names(ax, x_name, y_name, x_scaling) -> None:
    """x and y (the lecture's), or the data's own names; a standardised input is said to
    be one, with its own units on a second axis on top."""
    x_name = x_name or "x"
    if x_scaling is not None:
        mean, std = (float(v) for v in x_scaling)
        ax.set_xlabel(f"{x_name}, standardised: ({x_name} − {mean:.4g}) / {std:.4g}")
        top = ax.secondary_xaxis(
            "top", functions=(lambda z: z * std + mean, lambda v: (v - mean) / std)
        )
        top.set_xlabel(f"{x_name} in its own units", fontsize=9)
    else:
        ax.set_xlabel(x_name)
    y_name = y_name or "y"
    ax.set_ylabel(f"{y_name}, ŷ" if y_name == "y" else f"{y_name}: samples and predicted")


def _draw_kinks(ax, model, lo: float, hi: float) -> None:
    """A marker on the curve ŷ(x) at each corner, one colour and shape per layer; kinks of
    one layer that coincide (the lecture's |x − 1| net has two at x = 1) or lie closer than
    a marker's width are drawn once, with their count; a later layer's markers are smaller
    and on top, so a corner two layers share shows both."""
    # x-units per point of the axes (about: the layout is final only when drawn)
    width = ax.figure.get_size_inches()[0] * 72 * ax.get_position().width
    per_point = (hi - lo) / max(width, 1.0)
    found = kinks(model, lo, hi)
    # a unit after a step layer has a piecewise-constant f[l]: it jumps across 0 where a
    # step below jumps (never equal to 0), at the same x: the later layers' markers are
    # drawn smaller, on top, so each layer's marker stays visible around them
    shown = [l for l, _, at in found if at.size]
    for l, name, at in found:
        if at.size == 0:
            continue
        jumps = any(n == "step" and k < l for k, n, _ in found)
        crossing = f"f[{l}] jumps across 0" if jumps else f"f[{l}] = 0"
        size = max(4.0, 11.0 - 3.0 * shown.index(l))
        # corners closer than one marker are drawn once with their count (×4): a marker
        # hidden under its neighbour would hide a corner
        tolerance = max(1e-3 * (hi - lo), size * per_point)
        groups = []  # [x, count]
        for value in at:
            if groups and value - groups[-1][0] <= tolerance:
                groups[-1][1] += 1
            else:
                groups.append([value, 1])
        xs = np.array([g[0] for g in groups])
        ys = evaluate(model, xs[:, None])[:, 0]
        colour, marker = LAYER_STYLES[(l - 1) % len(LAYER_STYLES)]
        # a later layer's marker is an outline (its colour, no fill) inside the earlier
        # one's: where both layers' corners fall at one x, the earlier marker's fill shows
        # through (a filled purple square hid the green circle under it)
        later = shown.index(l) > 0
        ax.plot(
            xs,
            ys,
            linestyle="none",
            marker=marker,
            markersize=size,
            color=colour,
            markerfacecolor="none" if later else colour,
            markeredgecolor=colour if later else INK,
            markeredgewidth=1.8 if later else 0.7,
            zorder=6 + 0.01 * l,
            label=f"{_CORNER[name]} of layer {l}'s {_WORDS[name]} units ({crossing})",
        )
        _counts(ax, groups, ys, shown.index(l))


def _counts(ax, groups, ys, row: int) -> None:
    """'×N' beside each marker that stands for N corners, inside the axes: below the marker,
    or above it near the bottom edge (a '×8' below a marker at the foot of the axes sat on
    the x-axis tick '0'), and to its left near the right edge."""
    lo_y, hi_y = ax.get_ylim()
    lo_x, hi_x = ax.get_xlim()
    for (value, count), y in zip(groups, ys):
        if count < 2:
            continue
        low = (y - lo_y) < 0.15 * (hi_y - lo_y)
        right = (hi_x - value) < 0.1 * (hi_x - lo_x)
        dy = 5 + 11 * row if low else -4 - 11 * row
        ax.annotate(
            f"×{count}",
            (value, y),
            xytext=(-6 if right else 6, dy),
            textcoords="offset points",
            ha="right" if right else "left",
            va="bottom" if low else "top",
            fontsize=9,
            color=INK,
            zorder=7,
            annotation_clip=True,
            bbox={
                "boxstyle": "round,pad=0.1",
                "facecolor": "white",
                "edgecolor": "none",
                "alpha": 0.8,
            },
        )
