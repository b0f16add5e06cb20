"""The 2-D decision-boundary plot: predicted class over the plane, data on top."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import ConfigError, DataError, ShapeError
from ._base import (
    BLUE,
    CLASS_COLOURS,
    INK,
    MUTED,
    NEUTRAL,
    ORANGE,
    as_array,
    forward_rows,
    model_dtype,
    new_figure,
    save,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

MAX_GRID = 2000  # points per side of the evaluation grid


def _labels(y, name: str, n: int, classes: int | None) -> np.ndarray:
    """Class indices (N,) from (N,), (N, 1) or one-hot (N, C) labels."""
    array = as_array(y, name)
    if array.ndim == 2 and array.shape[1] > 1:
        array = np.argmax(array, axis=1).astype(float)
    elif array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1 or array.shape[0] != n:
        raise ShapeError(
            f"decision_boundary: {name} must hold one class label per point, shape ({n},), "
            f"({n}, 1) or one-hot ({n}, C); got {tuple(as_array(y, name).shape)}."
        )
    bad = ~np.isfinite(array) | (array != np.round(array)) | (array < 0)
    if classes is not None:
        bad |= array >= classes
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        allowed = f"0 … {classes - 1}" if classes else "whole numbers ≥ 0"
        raise DataError(
            f"decision_boundary: {name}[{i}] = {array[i]:g} is not a class index ({allowed})."
        )
    return array.astype(int)


def _points(x, name: str) -> np.ndarray:
    array = as_array(x, name)
    if array.ndim != 2 or array.shape[1] != 2:
        raise ShapeError(
            f"decision_boundary: {name} must be 2-D points of shape (N, 2), got "
            f"{tuple(array.shape)}. For 1-D regression use fit_1d."
        )
    if array.shape[0] == 0:
        raise DataError(f"decision_boundary: {name} is empty; give at least one point.")
    return array


def _probabilities(model, inputs) -> np.ndarray:
    """(M, C) class probabilities, C ≥ 2, from the model's logits or probabilities.

    One output unit is the logit of class 1 (σ is applied unless the model already ends in
    a sigmoid); C units are logits (softmax applied) unless the model ends in softmax or
    log-softmax.
    """
    from .. import exp, no_grad, sigmoid, softmax, tensor
    from ..autograd import Tensor
    from ..delta import DeltaEngineError, layers

    try:
        last = layers(model)[-1].g_name
    except DeltaEngineError:
        last = None
    if not isinstance(inputs, Tensor):
        inputs = tensor(np.asarray(inputs, dtype=np.float64), dtype=model_dtype(model))
    with no_grad():
        out = forward_rows(model, inputs)
        if out.ndim != 2:
            raise ShapeError(
                f"decision_boundary: the model must return (N, C) outputs, got {tuple(out.shape)}."
            )
        if out.shape[1] == 1:
            p1 = out if last == "sigmoid" else sigmoid(out)
            p1 = as_array(p1, "output")[:, 0]
            return np.stack([1 - p1, p1], axis=1)
        if last == "log_softmax":
            out = exp(out)
        elif last != "softmax":
            out = softmax(out, dim=1)
    return as_array(out, "output")


def decision_boundary(
    model,
    x,
    y,
    path: str | os.PathLike | None = None,
    *,
    x_test=None,
    y_test=None,
    x_val=None,
    y_val=None,
    grid: int = 200,
    title: str | None = None,
    transform=None,
    feature_names=None,
    class_names=None,
) -> Path | Figure:
    """A 2-D classifier's decision regions with the data on top, like TensorFlow Playground.

    Args:
        model: a backprop module mapping (N, d) inputs to (N, 1) logits (binary) or (N, C)
            logits/probabilities (C classes).
        x: training points, (N, 2), in the plane drawn.
        y: their classes: (N,) or (N, 1) indices (0/1 for binary) or one-hot (N, C).
        path: where the PNG goes (written atomically); None returns the Figure instead.
        x_test, y_test: test points and classes, drawn with a different marker.
        x_val, y_val: validation points (rows of the training data ``fit`` held out with
            ``validation=0.2``), drawn as squares: they are not training points.
        grid: points per side of the evaluation grid.
        title: the figure title.
        transform: maps raw (M, 2) points to the model's inputs (feature maps, a scaler);
            None means the model takes the points themselves.
        feature_names: the two axes' names (a CSV's column names); default the lecture's
            x₁ and x₂.
        class_names: class ``i``'s label for the legend and colour bar (a CSV's own labels,
            such as "heavy"/"light"); default the class indices 0, 1, ….

    Binary models colour the plane by P(class 1) from orange (0) through grey to blue (1),
    with the 0.5 contour drawn; multi-class models by the argmax class, paler where the
    model is less sure. Returns the path, or the Figure when no path is given.

    Examples:
        >>> import backprop as bp
        >>> from backprop import nn, plots
        >>> _ = bp.manual_seed(0)
        >>> from backprop.data import make
        >>> data = make('xor', n=40, seed=0)
        >>> model = nn.MLP([2, 4, 1], activation='tanh')
        >>> fig = plots.decision_boundary(
        ...     model, data.x, data.y,
        ...     x_test=data.x_test, y_test=data.y_test
        ... )
        >>> type(fig).__name__, len(fig.axes)  # the regions and their colour bar
        ('NotebookFigure', 2)
    """
    points = _points(x, "x")
    if (x_test is None) != (y_test is None):
        raise ConfigError("decision_boundary: give both x_test and y_test, or neither.")
    if (x_val is None) != (y_val is None):
        raise ConfigError("decision_boundary: give both x_val and y_val, or neither.")
    if not isinstance(grid, int) or isinstance(grid, bool) or not 2 <= grid <= MAX_GRID:
        raise ConfigError(
            f"decision_boundary: grid must be a whole number from 2 to {MAX_GRID:,} (a "
            f"{MAX_GRID}² grid is 4 million model evaluations), got {grid!r}."
        )
    test = None if x_test is None else _points(x_test, "x_test")
    val = None if x_val is None else _points(x_val, "x_val")
    every = np.concatenate([p for p in (points, test, val) if p is not None])
    lo, hi = every.min(axis=0), every.max(axis=0)
    pad = np.where(hi > lo, 0.1 * (hi - lo), 1.0)
    lo, hi = lo - pad, hi + pad
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], grid), np.linspace(lo[1], hi[1], grid))
    flat = np.column_stack([gx.ravel(), gy.ravel()])
    probabilities = _probabilities(model, flat if transform is None else transform(flat))
    if probabilities.shape[0] != flat.shape[0]:
        raise ShapeError(
            f"decision_boundary: the model returned {probabilities.shape[0]} rows for "
            f"{flat.shape[0]} grid points; transform must map (M, 2) points to M model inputs."
        )
    classes = probabilities.shape[1]
    labels = _labels(y, "y", len(points), classes)
    test_labels = None if test is None else _labels(y_test, "y_test", len(test), classes)
    val_labels = None if val is None else _labels(y_val, "y_val", len(val), classes)
    colours = _class_colours(classes)
    axes = _names(feature_names, 2, "feature_names") or ["x₁", "x₂"]
    names = _names(class_names, classes, "class_names") or [str(c) for c in range(classes)]

    ratio = (hi[1] - lo[1]) / (hi[0] - lo[0])
    equal = 0.6 <= ratio <= 1 / 0.6  # round things look round, unless it wastes the page
    # an equal-aspect plot ≈ 4.6 in tall is 4.6/ratio wide: the figure is made that wide
    # (plus the axis labels and a colour bar), not 8 in with a third of it left blank
    width = min(8.0, 4.6 / ratio + (2.9 if classes == 2 else 1.4)) if equal else 8.0
    fig = new_figure(width, 6.0)
    ax = fig.subplots()
    fig.suptitle(title or "Decision boundary", fontsize=13)
    if classes == 2:
        _binary_regions(fig, ax, gx, gy, probabilities[:, 1].reshape(gx.shape), names)
    else:
        _class_regions(ax, gx, gy, probabilities, colours)
    handles = _scatter_classes(ax, points, labels, colours, "o", "white", "train", names)
    if val is not None:
        handles += _scatter_classes(ax, val, val_labels, colours, "s", INK, "validation", names)
    if test is not None:
        handles += _scatter_classes(ax, test, test_labels, colours, "^", INK, "test", names)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    if equal:
        ax.set_aspect("equal")
    ax.set_xlabel(axes[0])
    ax.set_ylabel(axes[1])
    fig.legend(
        handles=handles,
        loc="outside lower center",
        ncols=min(len(handles), 2 if width < 6.5 else 4),
        fontsize=9,
        frameon=False,
    )
    return fig if path is None else save(fig, path)


def _names(names, count: int, param: str) -> list[str] | None:
    """``count`` labels as text, or None for the defaults; another count is refused."""
    if names is None:
        return None
    names = [str(n) for n in names]
    if len(names) != count:
        raise ConfigError(
            f"decision_boundary: {param} needs {count} names, one per "
            f"{'axis' if param == 'feature_names' else 'class'}; got {len(names)}: {names!r}."
        )
    return names


def _binary_regions(fig, ax, gx, gy, p1, names) -> None:
    """P(class 1) from orange through grey to blue, the 0.5 contour, and a colour bar."""
    from matplotlib.colors import LinearSegmentedColormap

    cmap = LinearSegmentedColormap.from_list("playground", [ORANGE, NEUTRAL, BLUE])
    filled = ax.contourf(gx, gy, p1, levels=np.linspace(0, 1, 11), cmap=cmap, alpha=0.75)
    if np.nanmin(p1) < 0.5 < np.nanmax(p1):
        ax.contour(gx, gy, p1, levels=[0.5], colors=INK, linewidths=1.2)
    bar = fig.colorbar(filled, ax=ax, shrink=0.8, ticks=np.linspace(0, 1, 6))
    bar.set_label(f"P(class {names[1]}) — the 0.5 contour is the boundary")


def _class_regions(ax, gx, gy, probabilities, colours) -> None:
    """Each point of the plane in its predicted class's colour, paler where less sure."""
    from matplotlib.colors import to_rgb

    classes = probabilities.shape[1]
    predicted = np.argmax(probabilities, axis=1)
    sure = (np.max(probabilities, axis=1) - 1 / classes) / (1 - 1 / classes)
    strength = 0.2 + 0.5 * np.clip(sure, 0, 1)
    rgb = np.array([to_rgb(c) for c in colours])[predicted]
    image = 1 - strength[:, None] * (1 - rgb)
    extent = (gx[0, 0], gx[0, -1], gy[0, 0], gy[-1, 0])
    ax.imshow(
        image.reshape(*gx.shape, 3),
        origin="lower",
        extent=extent,
        aspect="auto",
        interpolation="bilinear",
    )
    ordered = np.sort(probabilities, axis=1)
    for c in np.unique(predicted):
        # > 0 where class c wins, < 0 where another does: its zero line is c's border
        rival = np.where(predicted == c, ordered[:, -2], ordered[:, -1])
        margin = (probabilities[:, c] - rival).reshape(gx.shape)
        if np.nanmin(margin) < 0 < np.nanmax(margin):
            ax.contour(gx, gy, margin, levels=[0.0], colors=INK, linewidths=1.0)
    ax.set_title(
        "colour: predicted class, paler where the model is less sure", fontsize=9, color=MUTED
    )


def _class_colours(classes: int) -> list:
    if classes <= len(CLASS_COLOURS):
        return list(CLASS_COLOURS[:classes])
    from matplotlib import colormaps

    cmap = colormaps["tab20"]
    return [cmap(i % 20) for i in range(classes)]


LEGEND_CLASSES = 12  # more classes: one legend entry per kind of point, not per class


def _scatter_classes(ax, points, labels, colours, marker, edge, kind, names) -> list:
    from matplotlib.lines import Line2D

    handles = []
    if len(names) > LEGEND_CLASSES:  # a legend of 200 entries is unreadable (and overflows)
        handles.append(
            Line2D([], [], linestyle="none", marker=marker, markersize=7,
                   markerfacecolor=MUTED, markeredgecolor=INK if edge != "white" else MUTED,
                   label=f"{kind} (colour: its class; {len(names)} classes)")
        )  # fmt: skip
    for c in np.unique(labels):
        chosen = labels == c
        ax.scatter(
            points[chosen, 0],
            points[chosen, 1],
            s=26 if marker == "o" else 30,
            marker=marker,
            color=colours[c],
            edgecolors=edge,
            linewidths=0.7,
            zorder=3,
        )
        if len(names) > LEGEND_CLASSES:
            continue
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker=marker,
                markersize=7,
                markerfacecolor=colours[c],
                markeredgecolor=MUTED if edge == "white" else edge,
                label=f"{kind}, class {names[c]}",
            )
        )
    return handles
