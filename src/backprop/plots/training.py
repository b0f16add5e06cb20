"""Plots of numbers recorded over time or depth: loss curves and the vanishing gradients."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from ._base import (
    ACTIVATION_STYLE,
    BLUE,
    INK,
    MUTED,
    ORANGE,
    OTHER_STYLES,
    log_scale,
    new_figure,
    number,
    save,
    tidy,
)

# second-panel metrics, in order of preference: (key, label, percent axis)
_METRICS = (
    ("accuracy", "accuracy", True),
    ("rmse", "RMSE", False),
    ("r2", "R²", False),
)


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


def loss_curves(history, path: str | os.PathLike, *, title: str | None = None) -> Path:
    """Training and validation loss per epoch (log scale), and accuracy or RMSE below.

    Args:
        history: a fit ``History`` (``.history`` dict of lists, ``.epochs``, optionally
            ``.best_epoch`` and ``.stop_reason``) or a plain dict of lists with at least
            ``"loss"``; ``"val_loss"``, ``"accuracy"``/``"val_accuracy"``,
            ``"rmse"``/``"val_rmse"``, ``"r2"``/``"val_r2"`` and ``"lr"`` are drawn when
            present. Epochs are ``history.epochs`` (a list of epoch numbers, or a count),
            else 1, 2, …; ``best_epoch`` uses the same numbering.
        path: where the PNG goes (written atomically).
        title: the figure title.

    Returns the path.
    """
    records, epochs, best_epoch, stop_reason = _history_parts(history)
    loss = _series(records, "loss")
    if loss is None:
        keys = ", ".join(repr(k) for k in records) or "none"
        raise ConfigError(
            f"loss_curves: the history has no 'loss' list to plot (its keys: {keys}). "
            "Pass the History that fit() returned, or a dict like {'loss': [0.9, 0.5, ...]}."
        )
    val_loss = _series(records, "val_loss")
    length = max(len(loss), 0 if val_loss is None else len(val_loss))
    if epochs is None or isinstance(epochs, int | np.integer):
        x = np.arange(1, length + 1)
    else:
        x = np.asarray(list(epochs), dtype=float)
        if len(x) < length:
            raise ConfigError(
                f"loss_curves: history.epochs has {len(x)} entries but the loss has {length}; "
                "they must match."
            )
    metric = next(  # a curve, not a lone point: a metric measured at the last epoch only
        (
            m
            for m in _METRICS
            if _curve(_series(records, m[0])) or _curve(_series(records, "val_" + m[0]))
        ),
        None,
    )

    fig = new_figure(8.0, 7.0 if metric else 5.0)
    if metric:
        ax, ax_metric = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    else:
        ax, ax_metric = fig.subplots(), None
    fig.suptitle(title or "Loss per epoch", fontsize=13)
    x_val = _epochs_of(history, "val_loss", x)
    _pair(ax, (x, x_val), loss, val_loss, "loss", log=True)
    _mark_not_finite(ax, x, loss)
    _mark_lr_changes(ax, ax_metric, x, _series(records, "lr"))
    if best_epoch is not None:
        _mark_best(ax, ax_metric, x if val_loss is None else x_val, loss, val_loss, best_epoch)
    if stop_reason:
        text = textwrap.fill(f"stopped: {stop_reason}", 110)
        ax.set_title(text, loc="left", fontsize=9, color=MUTED)
    ax.legend(loc="best", fontsize=9, framealpha=0.9)
    bottom = ax
    if ax_metric is not None:
        key, label, percent = metric
        train, val = _series(records, key), _series(records, "val_" + key)
        xs = (_epochs_of(history, key, x), _epochs_of(history, "val_" + key, x))
        _pair(ax_metric, xs, train, val, label, log=key == "rmse")
        if percent:
            from matplotlib.ticker import PercentFormatter

            ax_metric.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax_metric.legend(loc="best", fontsize=9, framealpha=0.9)
        bottom = ax_metric
    bottom.set_xlabel("epoch")
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if x[:length].max() - x[:length].min() < 2:
        ax.set_xlim(x[:length].min() - 1, x[:length].max() + 1)
    return save(fig, path)


def _pair(ax, xs, train, val, name: str, log: bool) -> None:
    """Training (blue, solid) and validation (orange, dashed) curves of one quantity, each
    at its own epochs ``xs``."""
    for x, values, colour, style, kind in (
        (xs[0], train, BLUE, "-", "training"),
        (xs[1], val, ORANGE, "--", "validation"),
    ):
        if values is not None:
            ax.plot(
                x[: len(values)],
                values,
                color=colour,
                linestyle=style,
                linewidth=1.5,
                marker="o" if len(values) <= 30 else None,
                markersize=3.5,
                label=f"{kind} {name}",
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


def _mark_best(ax, ax_metric, x, loss, val_loss, best_epoch) -> None:
    """A dotted line at the best epoch, and a dot on the curve it was chosen by."""
    reference, which = (loss, "") if val_loss is None else (val_loss, "validation ")
    at = np.flatnonzero(x[: len(reference)] == best_epoch)
    value = f" ({which}loss {number(reference[at[0]])})" if at.size else ""
    ax.axvline(
        best_epoch,
        color=INK,
        linestyle=":",
        linewidth=1.2,
        label=f"best epoch {best_epoch:g}{value}",
    )
    if at.size:
        ax.plot([best_epoch], [reference[at[0]]], marker="o", color=INK, markersize=5)
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


# -- vanishing gradients -------------------------------------------------------------------------
def _activation_styles(activations) -> dict:
    others = iter(OTHER_STYLES * (1 + len(activations) // len(OTHER_STYLES)))
    return {a: ACTIVATION_STYLE.get(a) or next(others) for a in activations}


def gradient_norms(result, path: str | os.PathLike, *, title: str | None = None) -> Path:
    """The vanishing-gradient experiment: ‖∂E/∂W[l]‖ per layer, and first/last ratio per depth.

    Args:
        result: a ``backprop.diagnostics.VanishingResult`` (or its ``grad_norms`` dict,
            ``(activation, depth) -> [‖∂E/∂W[1]‖, …, ‖∂E/∂W[L]‖]``).
        path: where the PNG goes (written atomically).
        title: the figure title.

    Left: the gradient norm of every layer l = 1 … L of the deepest network of each
    activation (log scale). Right: ‖∂E/∂W[1]‖ / ‖∂E/∂W[L]‖ against depth (log scale), with
    a guide falling by 0.25 a layer (the sigmoid's σ′ ≤ 0.25) from the first sigmoid point.
    Returns the path.
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
            label=f"{act}, depth {deepest} (L = {len(values)})",
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
            label=act,
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
    return save(fig, path)


def _first_to_last(result, norms, activation, depth) -> float:
    if hasattr(result, "first_to_last"):
        return float(result.first_to_last(activation, depth))
    values = norms[(activation, depth)]
    return values[0] / values[-1] if values[-1] else float("nan")
