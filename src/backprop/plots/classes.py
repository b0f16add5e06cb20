"""What a classifier gets wrong: the confusion matrix and a grid of misclassified images.

Both take the model and labelled rows (the test set, as ``backprop demo digits`` passes
them); the predicted class is ``train.metrics.predicted_classes`` of the model's output, the
rule ``fit``'s accuracy uses, so the plots agree with the accuracy the run printed.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import ShapeError
from ._base import INK, MUTED, as_array, evaluate, new_figure, save

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_PIXEL = re.compile(r"pixel_(\d+)_(\d+)")


def image_shape(feature_names) -> tuple[int, int] | None:
    """(rows, columns) when the features are the pixels ``pixel_<row>_<col>`` of one image
    in row-major order (scikit-learn's digits), else None."""
    cells = [_PIXEL.fullmatch(str(name)) for name in feature_names]
    if not cells or not all(cells):
        return None
    rows = 1 + max(int(m.group(1)) for m in cells)
    cols = 1 + max(int(m.group(2)) for m in cells)
    order = [(int(m.group(1)), int(m.group(2))) for m in cells]
    if order != [(r, c) for r in range(rows) for c in range(cols)]:
        return None
    return rows, cols


def predictions(model, x, loss: str | None = None) -> np.ndarray:
    """The class the model predicts for each row of ``x`` (as ``fit``'s accuracy counts)."""
    from ..train.metrics import predicted_classes

    predicted = predicted_classes(evaluate(model, as_array(x, "x")), loss)
    return np.asarray(predicted).reshape(len(predicted), -1)[:, 0].astype(np.int64)


def _labels(y, predicted, function: str) -> np.ndarray:
    labels = as_array(y, "y").reshape(-1)
    if labels.shape != predicted.shape:
        raise ShapeError(
            f"{function}: y has {labels.size} labels but x has {predicted.size} rows; "
            "they must match (one class index per row)."
        )
    return labels.astype(np.int64)


def confusion_matrix(
    model,
    x,
    y,
    path: str | os.PathLike | None = None,
    *,
    class_names=None,
    loss: str | None = None,
    which: str = "test set",
    title: str | None = None,
) -> Path | Figure:
    """The confusion matrix: row = true class, column = predicted class, each cell the count
    of rows (darker for more); the diagonal holds the correct ones.

    Args:
        model: a classifier (logits or probabilities out).
        x, y: the rows and their class indices 0 … C − 1.
        path: where the PNG goes (written atomically); None returns the Figure instead.
        class_names: a name per class (default "0", "1", …).
        loss: the loss it was trained with, which says how outputs become classes
            (``"bce_with_logits"``: logit > 0; one output column otherwise: > 0.5).
        which: what the rows are, for the title ("test set").
        title: the figure title.

    Returns the path, or the Figure when no path is given.

    Examples:
        Checked against scikit-learn's ``confusion_matrix`` of the same predictions:

        >>> import backprop as bp
        >>> from backprop import nn, plots
        >>> _ = bp.manual_seed(0)
        >>> import numpy as np
        >>> from sklearn.metrics import confusion_matrix
        >>> x = np.random.default_rng(0).normal(size=(6, 2))
        >>> y = np.array([0, 1, 2, 1, 0, 2])
        >>> model = nn.MLP([2, 4, 3], activation='tanh')
        >>> fig = plots.confusion_matrix(model, x, y)
        >>> counts = fig.axes[0].images[0].get_array()
        >>> predicted = model(bp.tensor(x, dtype=bp.float32)).argmax(1).numpy()
        >>> bool((counts == confusion_matrix(y, predicted)).all())  # scikit-learn's counts
        True
    """
    predicted = predictions(model, x, loss)
    labels = _labels(y, predicted, "confusion_matrix")
    n = int(max(labels.max(initial=0), predicted.max(initial=0))) + 1
    if class_names is not None:
        n = max(n, len(class_names))
    names = [str(c) for c in (class_names or range(n))]
    counts = np.zeros((n, n), dtype=np.int64)
    np.add.at(counts, (labels, predicted), 1)

    size = min(9.0, max(4.5, 0.55 * n + 2.5))
    fig = new_figure(size + 0.8, size)
    ax = fig.subplots()
    correct = np.trace(counts) / max(1, counts.sum())
    fig.suptitle(
        title or f"Confusion matrix, {which}\n{counts.sum()} rows, {correct:.1%} correct",
        fontsize=12,
    )
    image = ax.imshow(counts, cmap="Blues", vmin=0, vmax=max(1, counts.max()))
    dark = counts > 0.55 * max(1, counts.max())
    for (i, j), count in np.ndenumerate(counts):
        ax.text(
            j,
            i,
            str(count),
            ha="center",
            va="center",
            fontsize=9 if n <= 12 else 7,
            color="white" if dark[i, j] else (INK if count else MUTED),
            fontweight="bold" if i != j and count else "normal",
        )
    ax.set_xticks(range(n), names)
    ax.set_yticks(range(n), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.xaxis.set_label_position("top")
    ax.xaxis.tick_top()
    fig.colorbar(image, ax=ax, shrink=0.8, label="rows")
    return fig if path is None else save(fig, path)


def misclassified(
    model,
    x,
    y,
    path: str | os.PathLike | None = None,
    *,
    shape: tuple[int, int],
    images=None,
    class_names=None,
    loss: str | None = None,
    which: str = "test set",
    limit: int = 24,
    title: str | None = None,
) -> Path | Figure:
    """The rows the model gets wrong, drawn as images with their true and predicted class.

    Args:
        model, x, y, class_names, loss: as for ``confusion_matrix``.
        path: where the PNG goes (written atomically); None returns the Figure instead.
        shape: (rows, columns) of one image; a row of ``x`` holds its pixels row-major.
        images: the pixels to draw, one row per row of ``x`` (the raw values when ``x`` is
            standardised); default ``x``.
        which: what the rows are, for the title ("test set").
        limit: at most this many images, in the order of the rows (the title says how
            many there are in all).
        title: the figure title.

    Returns the path, or the Figure when no path is given.

    Examples:
        >>> import backprop as bp
        >>> from backprop import nn, plots
        >>> _ = bp.manual_seed(0)
        >>> import numpy as np
        >>> x = np.random.default_rng(0).normal(size=(6, 4))  # six 2 × 2 'images'
        >>> y = np.array([0, 1, 2, 1, 0, 2])
        >>> model = nn.MLP([4, 4, 3], activation='tanh')
        >>> fig = plots.misclassified(model, x, y, shape=(2, 2))
        >>> wrong = int((model(bp.tensor(x, dtype=bp.float32)).argmax(1).numpy() != y).sum())
        >>> len([ax for ax in fig.axes if ax.get_title()]) == wrong  # one titled image per miss
        True
        >>> print(fig.axes[0].get_title())
        true 0
        predicted 1
    """
    predicted = predictions(model, x, loss)
    labels = _labels(y, predicted, "misclassified")
    pixels = as_array(x if images is None else images, "images")
    rows, cols = shape
    if pixels.ndim != 2 or pixels.shape[0] != labels.size or pixels.shape[1] != rows * cols:
        raise ShapeError(
            f"misclassified: images must have one row of {rows}×{cols} = {rows * cols} pixels "
            f"per label ({labels.size}), got shape {tuple(pixels.shape)}."
        )
    names = None if class_names is None else [str(c) for c in class_names]
    wrong = np.flatnonzero(predicted != labels)
    shown = wrong[:limit]
    across = min(8, max(1, len(shown)))
    down = max(1, math.ceil(len(shown) / across))
    fig = new_figure(max(5.0, 1.25 * across + 0.4), 1.45 * down + 1.0)
    if title is None:
        some = f"the first {len(shown)} of " if len(shown) < len(wrong) else ""
        title = f"Misclassified, {which}: {some}{len(wrong)} of {labels.size} rows"
    fig.suptitle(title, fontsize=12)
    axes = np.atleast_1d(fig.subplots(down, across, squeeze=False)).ravel()
    for ax in axes:
        ax.set_axis_off()
    if not len(shown):
        axes[0].text(0.5, 0.5, "none: every row is right", ha="center", va="center", fontsize=11)
    for ax, k in zip(axes, shown):
        true, guess = labels[k], predicted[k]
        ax.imshow(pixels[k].reshape(rows, cols), cmap="gray_r", interpolation="nearest")
        ax.set_title(
            f"true {_name(names, true)}\npredicted {_name(names, guess)}",
            fontsize=9,
            color=INK,
        )
    return fig if path is None else save(fig, path)


def _name(names, k: int) -> str:
    return names[k] if names is not None and 0 <= k < len(names) else str(k)
