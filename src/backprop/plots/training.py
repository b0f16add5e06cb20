"""The loss plot: training and validation loss per epoch, named, with accuracy below."""

from __future__ import annotations

import os
import textwrap
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import ConfigError
from ._base import (
    BLUE,
    INK,
    MUTED,
    ORANGE,
    log_scale,
    new_figure,
    number,
    save,
    tidy,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# second-panel metrics, in order of preference: (key, label, percent axis)
_METRICS = (
    ("accuracy", "accuracy", True),
    ("rmse", "RMSE", False),
    ("r2", "R²", False),
)
# losses that are the mean squared error up to a constant factor: RMSE and R² repeat them
_SQUARED_ERROR = ("mse", "half_mse")
_LOSS_WORDS = {
    "mse": "MSE loss",
    "half_mse": "½·MSE loss (the lecture's E)",
    "l1": "L1 loss (mean |ŷ − y|)",
    "huber": "Huber loss",
    "bce": "binary cross-entropy loss",
    "bce_with_logits": "binary cross-entropy loss",
    "cross_entropy": "cross-entropy loss",
    "nll": "negative log-likelihood loss",
}


def _history_parts(history):
    """(dict of lists, epochs or None, best_epoch, stop_reason) from a History, its
    ``to_dict()`` (a history.json) or a dict of lists."""
    if isinstance(history, dict):
        records = history.get("history")  # History.to_dict(), a history.json's content
        records = records if isinstance(records, dict) else history
        return records, history.get("epochs"), history.get("best_epoch"), history.get("stop_reason")
    records = getattr(history, "history", None)
    if not isinstance(records, dict):
        raise ConfigError(
            "loss_curves: history must be a fit History (with a .history dict of lists) or a "
            f"dict of lists such as {{'loss': [...], 'val_loss': [...]}}; got "
            f"{type(history).__name__}."
        )
    return (
        records,
        getattr(history, "epochs", None),
        getattr(history, "best_epoch", None),
        getattr(history, "stop_reason", None),
    )


def _epochs_of(history, key: str, x: np.ndarray) -> np.ndarray:
    """The epochs at which ``key`` was measured: full-set metrics and validation may be
    measured at some epochs only (``History.epochs_of``; ``measured_at`` in its JSON)."""
    if isinstance(history, dict):
        measured = history.get("measured_at")
        if isinstance(measured, dict) and isinstance(measured.get(key), list):
            return np.asarray(measured[key], dtype=float)
        return x
    if hasattr(history, "epochs_of"):
        try:
            return np.asarray(history.epochs_of(key), dtype=float)
        except KeyError:
            pass
    return x


def _series(records: dict, key: str) -> np.ndarray | None:
    values = records.get(key)
    if values is None or isinstance(values, str) or np.ndim(values) != 1 or len(values) == 0:
        return None
    return np.array([np.nan if v is None else float(v) for v in values])


def _curve(series) -> bool:
    return series is not None and len(series) >= 2


def _log_ok(*series) -> bool:
    finite = np.concatenate([s[np.isfinite(s)] for s in series if s is not None])
    return finite.size > 0 and bool(np.all(finite > 0))


def loss_curves(
    history,
    path: str | os.PathLike | None = None,
    *,
    title: str | None = None,
    loss: str | None = None,
    validation: float | str | None = None,
    target_z: str | None = None,
) -> Path | Figure:
    """Training and validation loss per epoch (log scale), and accuracy below when measured.

    Args:
        history: a fit ``History`` (``.history`` dict of lists, ``.epochs``, optionally
            ``.best_epoch`` and ``.stop_reason``) or a plain dict of lists with at least
            ``"loss"``; ``"val_loss"``, ``"accuracy"``/``"val_accuracy"``,
            ``"rmse"``/``"val_rmse"``, ``"r2"``/``"val_r2"`` and ``"lr"`` are drawn when
            present. Epochs are ``history.epochs`` (a list of epoch numbers, or a count),
            else 1, 2, …; ``best_epoch`` uses the same numbering.
        path: where the PNG goes (written atomically); None returns the Figure instead.
        title: the figure title (by default it names the loss: "MSE loss per epoch").
        loss: which loss the history holds: a registry name or alias (``"mse"``,
            ``"cross_entropy"``, ``"MSELoss"``) or words; the y axis and title name it.
            With an MSE loss an RMSE or R² panel would repeat the loss curve, so none is
            drawn; accuracy, which the loss does not show, gets the second panel.
        validation: the spec's ``validation``; ``"test"`` (the test set scored as the
            validation set) makes the legend say "test set (used as validation)".
        target_z: when the run trained on standardised targets (a CSV's regression), how z
            reads back, e.g. ``"price = 423.1 + 137.7·z"``: the loss axis then says the loss
            is on the standardised target z, and a caption says how z relates to the target.

    A noisy curve (it rises by more than 5 % from one epoch to the next somewhere, as Adam's
    spikes do, over 50 epochs or more) is drawn thin and light, each epoch as it was, with
    its centred rolling median over it; the legend gives the window.

    Returns the path, or the Figure when no path is given.

    Examples:
        >>> import backprop as bp
        >>> from backprop import nn, plots
        >>> _ = bp.manual_seed(0)
        >>> from backprop import fit, optim
        >>> x = bp.linspace(-1, 1, 40).reshape(40, 1)
        >>> model = nn.MLP([1, 8, 1], activation='tanh')
        >>> adam = optim.Adam(model.parameters(), lr=0.05)
        >>> history = fit(model, (x, x**2), nn.MSELoss(), adam, epochs=20, validation=0.25)
        >>> fig = plots.loss_curves(history)
        >>> [line.get_label() for line in fig.axes[0].get_lines()]
        ['training', 'validation']
    """
    records, epochs, best_epoch, stop_reason = _history_parts(history)
    train_loss = _series(records, "loss")
    untrained = "loss" in records and not len(records["loss"])
    if not records and not isinstance(history, dict):  # a History of 0 epochs (fit(epochs=0))
        untrained = not len(getattr(history, "epochs", None) or [])
    if train_loss is None and untrained:
        raise ConfigError(  # it said "no 'loss' list (its keys: 'loss')"
            "loss_curves: the 'loss' list is empty: no epoch was trained (epochs 0 keeps the "
            "initial weights), so there is no curve to draw; train 1 epoch or more first."
        )
    if train_loss is None:
        keys = ", ".join(repr(k) for k in records) or "none"
        raise ConfigError(
            f"loss_curves: the history has no 'loss' list to plot (its keys: {keys}). "
            "Pass the History that fit() returned, or a dict like {'loss': [0.9, 0.5, ...]}."
        )
    val_loss = _series(records, "val_loss")
    length = max(len(train_loss), 0 if val_loss is None else len(val_loss))
    if epochs is None or isinstance(epochs, int | np.integer):
        x = np.arange(1, length + 1)
    else:
        x = np.asarray(list(epochs), dtype=float)
        if len(x) < length:
            raise ConfigError(
                f"loss_curves: history.epochs has {len(x)} entries but the loss has {length}; "
                "they must match."
            )
    name, words = loss_words(loss)
    if target_z:  # the loss (as the log and history.csv) is on z, not on the target itself
        words = f"{words.removesuffix(' loss')} on the standardised target z"
    val_word = "test set (used as validation)" if validation == "test" else "validation"
    metric = next(  # a curve, not a lone point: a metric measured at the last epoch only
        (
            m
            for m in _METRICS
            if not (name in _SQUARED_ERROR and m[0] in ("rmse", "r2"))
            and (_curve(_series(records, m[0])) or _curve(_series(records, "val_" + m[0])))
        ),
        None,
    )

    fig = new_figure(8.0, 7.0 if metric else 5.0)
    if metric:
        ax, ax_metric = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    else:
        ax, ax_metric = fig.subplots(), None
    fig.suptitle(title or f"{words[0].upper()}{words[1:]} per epoch", fontsize=13)
    x_val = _epochs_of(history, "val_loss", x)
    _pair(ax, (x, x_val), train_loss, val_loss, words, val_word, log=True)
    _mark_not_finite(ax, x, train_loss)
    _mark_lr_changes(ax, ax_metric, x, _series(records, "lr"))
    if best_epoch is not None:
        reference = (x, train_loss, "training") if val_loss is None else (x_val, val_loss, val_word)
        _mark_best(ax, ax_metric, reference, best_epoch)
    if stop_reason:
        text = textwrap.fill(f"stopped: {stop_reason}", 110)
        ax.set_title(text, loc="left", fontsize=9, color=MUTED)
    ax.legend(loc="best", fontsize=9, framealpha=0.9)
    bottom = ax
    if ax_metric is not None:
        key, label, percent = metric
        train, val = _series(records, key), _series(records, "val_" + key)
        xs = (_epochs_of(history, key, x), _epochs_of(history, "val_" + key, x))
        _pair(ax_metric, xs, train, val, label, val_word, log=key == "rmse")
        if percent:
            from matplotlib.ticker import PercentFormatter

            ax_metric.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax_metric.legend(loc="best", fontsize=9, framealpha=0.9)
        bottom = ax_metric
    bottom.set_xlabel("epoch")
    if target_z:
        caption = (
            f"z: the target standardised for training ({target_z}); the loss here, in the log "
            "and in history.csv is on z"
        )
        fig.supxlabel(textwrap.fill(caption, 100), fontsize=9, color=MUTED)
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if x[:length].max() - x[:length].min() < 2:
        ax.set_xlim(x[:length].min() - 1, x[:length].max() + 1)
    return fig if path is None else save(fig, path)


def loss_words(loss: str | None) -> tuple[str | None, str]:
    """(registry name or None, words for the axis): ``"mse"`` -> ("mse", "MSE loss")."""
    if loss is None:
        return None, "loss"
    from ..nn.losses import get_loss

    try:
        name = get_loss(loss).name
    except Exception:  # not a registered name: the caller's own words
        return None, loss if "loss" in loss.lower() else f"{loss} loss"
    return name, _LOSS_WORDS.get(name, f"{name} loss")


def smoothed(values: np.ndarray) -> tuple[np.ndarray, int] | None:
    """(centred rolling median, window in epochs) of a noisy positive curve, else None.

    Noisy: 50 values or more that somewhere rise by more than 5 % from one to the next.
    The window is about 2 % of the curve (5 to 201 values, odd); near the ends it holds the
    values there are (the first value's median is of it and the ``window // 2`` after it:
    square at Adam 0.01 starts at 1316 where the median of epochs 1–101 is 52.9), which the
    legend says. NaN values are left out of the medians. None too when the median would
    draw over the curve (within ``SAME`` of the log axis's height everywhere): two lines one
    cannot tell apart are drawn as one.
    """
    finite = values[np.isfinite(values)]
    if values.size < 50 or finite.size < 2 or np.any(finite <= 0):
        return None
    if not np.any(finite[1:] > 1.05 * finite[:-1]):
        return None
    window = int(min(201, max(5, values.size // 50)) // 2 * 2 + 1)
    half = window // 2
    out = np.full(values.size, np.nan)
    with warnings.catch_warnings():  # a window of NaN only (a long diverged stretch) stays NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        windows = np.lib.stride_tricks.sliding_window_view(values, window)
        for lo in range(0, len(windows), 4096):  # bounded memory for very long runs
            part = np.nanmedian(windows[lo : lo + 4096], axis=1)
            out[half + lo : half + lo + part.size] = part
        n = values.size
        for i in [*range(min(half, n)), *range(max(half, n - half), n)]:
            out[i] = np.nanmedian(values[max(0, i - half) : i + half + 1])  # the window's part
    both = np.isfinite(out) & np.isfinite(values)
    height = np.log10(finite.max()) - np.log10(finite.min())
    apart = np.abs(np.log10(out[both]) - np.log10(values[both]))
    if height <= 0 or apart.max(initial=0.0) <= SAME * height:
        return None
    return out, window


SAME = 0.01  # a median within 1 % of the log axis's height of the curve draws over it


def _pair(ax, xs, train, val, name: str, val_word: str, log: bool) -> None:
    """Training (blue, solid) and validation (orange, dashed) curves of one quantity, each
    at its own epochs ``xs``; a noisy loss thin and light with its rolling median over it."""
    windows, colours = [], []
    for x, values, colour, style, kind in (
        (xs[0], train, BLUE, "-", "training"),
        (xs[1], val, ORANGE, "--", val_word),
    ):
        if values is None:
            continue
        x = x[: len(values)]
        smooth = smoothed(values) if log else None  # the loss, not accuracy
        if smooth is None:
            ax.plot(
                x,
                values,
                color=colour,
                linestyle=style,
                linewidth=1.5,
                marker="o" if len(values) <= 30 else None,
                markersize=3.5,
                label=kind,
            )
            continue
        line, window = smooth
        # the raw curve's label starts with "_": matplotlib leaves it out of the legend,
        # where one grey "thin: each epoch" entry speaks for both curves
        ax.plot(x, values, color=colour, linewidth=0.7, alpha=0.4, label=f"_{kind}, each epoch")
        ax.plot(x, line, color=colour, linestyle=style, linewidth=2.0, label=kind)
        windows.append(window)
        colours.append(colour)
    if windows:
        # one curve: its own colour (grey samples beside a blue line read as another curve);
        # two curves (training and validation): grey speaks for both
        sample = colours[0] if len(set(colours)) == 1 else MUTED
        ax.plot([], [], color=sample, linewidth=0.7, alpha=0.6, label="thin: each epoch")
        for window in dict.fromkeys(windows):
            ax.plot(
                [],
                [],
                color=sample,
                linewidth=2.0,
                label=f"thick: rolling median of {window} epochs (centred; fewer at the ends)",
            )
    if log and _log_ok(train, val):
        log_scale(ax)
        ax.set_ylabel(f"{name} (log scale)")
    else:
        ax.set_ylabel(name)
    tidy(ax)


def _mark_not_finite(ax, x, loss) -> None:
    """A cross at the top edge over each epoch whose training loss is NaN or infinite."""
    bad = ~np.isfinite(loss)
    if bad.any():
        ax.plot(
            x[: len(loss)][bad],
            np.ones(int(bad.sum())),
            transform=ax.get_xaxis_transform(),
            linestyle="none",
            marker="x",
            markersize=8,
            markeredgewidth=2,
            color=INK,
            clip_on=False,
            label="loss NaN or infinite",
        )


def _mark_best(ax, ax_metric, reference, best_epoch) -> None:
    """A dotted line at the best epoch, and a dot on the curve it was chosen by
    (``reference``: its epochs, values and name)."""
    x, values, which = reference
    at = np.flatnonzero(x[: len(values)] == best_epoch)
    value = f" ({which}: {number(values[at[0]])})" if at.size else ""
    ax.axvline(
        best_epoch,
        color=INK,
        linestyle=":",
        linewidth=1.2,
        label=f"best epoch {best_epoch:g}{value}",
    )
    if at.size:
        ax.plot([best_epoch], [values[at[0]]], marker="o", color=INK, markersize=5)
    if ax_metric is not None:
        ax_metric.axvline(best_epoch, color=INK, linestyle=":", linewidth=1.2)


def _mark_lr_changes(ax, ax_metric, x, lr) -> None:
    """Faint vertical lines where the learning rate changed (a plateau reduction, say).

    A schedule that changes the rate every few epochs would fill the plot with lines, so
    more than 12 changes are not drawn.
    """
    if lr is None or len(lr) < 2:
        return
    changed = np.flatnonzero(np.diff(lr) != 0) + 1
    if changed.size == 0 or changed.size > 12:
        return
    for n, i in enumerate(changed):
        for axes in (ax, ax_metric):
            if axes is not None:
                axes.axvline(
                    x[i],
                    color=MUTED,
                    linewidth=0.8,
                    alpha=0.6,
                    label="learning rate changed" if n == 0 and axes is ax else None,
                )
