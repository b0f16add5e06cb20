"""Pictures of a sweep: loss against parameter count, a width × depth heatmap, the fitted
curves per configuration and box plots per activation.

Each takes plain data — (label, parameters, [final losses over seeds]) per configuration,
or curves on a grid — draws one Figure with a caption saying what is shown and, given a
path, writes it atomically (``_base.save``) and returns the path. ``draw`` picks the data
out of a sweep's ``Results`` and its refits (``sweep.compare``) for ``backprop compare``.
"""

from __future__ import annotations

import math
import textwrap

import numpy as np

from ._base import (
    ACTIVATION_STYLE,
    BLUE,
    INK,
    MUTED,
    ORANGE,
    OTHER_STYLES,
    log_scale,
    new_figure,
    save,
    tidy,
)

DEPTH_COLOURS = (BLUE, ORANGE, "#2e9e5b", "#8e4fa8", "#d62f2f")


def _finish(fig, caption: str, path):
    fig.supxlabel(textwrap.fill(caption, 110), fontsize=9, color=MUTED)
    return fig if path is None else save(fig, path)


def _few_log_ticks(ax) -> None:
    """A log y axis over many decades with a labelled tick every few decades and no minor
    ticks: 1e-16 … 1 with every decade's minor ticks costs seconds of layout per figure."""
    from matplotlib.ticker import LogLocator, NullLocator

    ax.yaxis.set_major_locator(LogLocator(base=10, numticks=9))
    ax.yaxis.set_minor_locator(NullLocator())


def _threshold_words(criterion) -> tuple[float, str] | None:
    """The success line on a loss axis: (MSE value, words) for loss or rmse criteria."""
    if criterion is None:
        return None
    name, op, value = criterion
    if name == "loss":
        return value, f"success: loss {op} {value:g}"
    if name == "rmse":
        return value**2, f"success: RMSE {op} {value:g} (loss {op} {value**2:.3g})"
    return None


def _positive(values) -> np.ndarray:
    """Losses for a log axis: finite ones, an exact 0 drawn at the smallest float32 step."""
    v = np.asarray([x for x in values if x is not None and math.isfinite(x)], dtype=float)
    return np.maximum(v, 1e-16)


def loss_vs_parameters(configs, path=None, *, title=None, criterion=None, group_name="depth"):
    """Every seed's final loss as a point against the configuration's parameter count.

    ``configs``: (label, parameters, group, [final losses]) per configuration; points of
    one group (a depth) share a colour and their medians are joined by a line.
    """
    fig = new_figure(9.0, 5.6)
    ax = fig.add_subplot()
    groups = list(dict.fromkeys(c[2] for c in configs))
    rng = np.random.default_rng(0)  # the jitter only spreads points apart sideways
    for gi, group in enumerate(groups):
        colour = DEPTH_COLOURS[gi % len(DEPTH_COLOURS)]
        mine = sorted((c for c in configs if c[2] == group), key=lambda c: c[1])
        xs, meds = [], []
        for label, params, _, losses in mine:
            ys = _positive(losses)
            if ys.size == 0:
                continue
            jitter = params * np.exp(rng.uniform(-0.06, 0.06, ys.size))
            ax.scatter(jitter, ys, s=14, color=colour, alpha=0.45, linewidths=0)
            xs.append(params)
            meds.append(float(np.median(ys)))
            ax.annotate(label, (params, meds[-1]), textcoords="offset points", xytext=(5, 5),
                        fontsize=8, color=colour,
                        bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none",
                              "alpha": 0.7})  # fmt: skip
        name = f"{group_name} {group}" if group_name else f"{group}"
        ax.plot(
            xs, meds, "-o", color=colour, markersize=6, markeredgecolor="white",
            label=f"{name}: median",
        )  # fmt: skip
    line = _threshold_words(criterion)
    if line is not None:
        ax.axhline(line[0], color=INK, linestyle="--", linewidth=1)
        ax.annotate(line[1], (0.01, line[0]), xycoords=("axes fraction", "data"),
                    textcoords="offset points", xytext=(0, 4), fontsize=8, color=INK)  # fmt: skip
    ax.set_xscale("log")
    ax.set_yscale("log")
    log_scale(ax, "x")
    ax.set_xlabel("parameters (log)")
    ax.set_ylabel("final training loss, MSE (log)")
    ax.legend(fontsize=9, loc="upper right")
    tidy(ax)
    fig.suptitle(title or "Final loss against network size", fontsize=13)
    caption = (
        "Each small dot is one seed's final training loss (spread sideways a little so seeds "
        "do not hide each other); the large dots are each configuration's median over seeds, "
        "joined by depth. Both axes are logarithmic."
    )
    return _finish(fig, caption, path)


def heatmap(widths, depths, medians, success, path=None, *, title=None, criterion_words=""):
    """Median final loss per (depth, width) cell, log colour, each cell annotated.

    ``medians[d][w]`` and ``success[d][w]`` (a rate or None) follow ``depths`` × ``widths``.
    """
    from matplotlib.colors import LogNorm

    m = np.array(medians, dtype=float)
    fig = new_figure(8.0, 1.6 + 1.1 * len(depths))
    ax = fig.add_subplot()
    finite = m[np.isfinite(m) & (m > 0)]
    norm = LogNorm(vmin=finite.min(), vmax=finite.max()) if finite.size else None
    image = ax.imshow(np.where(np.isfinite(m), m, np.nan), cmap="viridis_r", norm=norm,
                      aspect="auto")  # fmt: skip
    for d in range(len(depths)):
        for w in range(len(widths)):
            value = m[d, w]
            rate = success[d][w]
            text = "-" if not math.isfinite(value) else f"{value:.3g}"
            if rate is not None:
                text += f"\n{rate:.0%} ok"
            shade = norm(value) if norm is not None and math.isfinite(value) else 0.0
            ax.text(w, d, text, ha="center", va="center", fontsize=9,
                    color="white" if shade > 0.55 else INK)  # fmt: skip
    ax.set_xticks(range(len(widths)), [str(w) for w in widths])
    ax.set_yticks(range(len(depths)), [str(d) for d in depths])
    ax.set_xlabel("width (units per hidden layer)")
    ax.set_ylabel("depth (hidden layers)")
    fig.colorbar(image, ax=ax, label="median final loss (log)")
    fig.suptitle(title or "Median final loss by width and depth", fontsize=13)
    caption = (
        "Each cell: the median over seeds of the final training loss (top) and the share of "
        f"seeds that succeed (bottom; {criterion_words}). Brighter (yellow) is a lower loss."
    )
    return _finish(fig, caption, path)


def curves(panels, truth, path=None, *, title=None, columns=5):
    """One panel per configuration: its data, the true function and each seed's ŷ(x).

    ``panels``: (label, data_x, data_y, x, [ŷ per seed], [success per seed or None]);
    ``truth``: a function of x (the noise-free target) drawn dashed.
    """
    n = len(panels)
    cols = min(columns, n) or 1
    rows = math.ceil(n / cols)
    fig = new_figure(2.6 * cols + 0.6, 2.2 * rows + 1.0)
    axes = fig.subplots(rows, cols, squeeze=False, sharex=True, sharey=True)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    for ax, (label, dx, dy, x, ys, oks) in zip(axes.flat, panels):
        ax.scatter(dx, dy, s=5, color="#bbbbbb", linewidths=0, zorder=1)
        ax.plot(x, truth(x), "--", color=INK, linewidth=2.2, alpha=0.35, zorder=2)
        for y, ok in zip(ys, oks):
            colour = BLUE if ok or ok is None else ORANGE
            ax.plot(x, y, color=colour, linewidth=0.9, alpha=0.8, zorder=3)
        ax.set_title(label, fontsize=9)
        tidy(ax)
    low = min(float(np.min(p[2])) for p in panels)
    high = max(float(np.max(p[2])) for p in panels)
    pad = 0.15 * (high - low or 1.0)
    axes.flat[0].set_ylim(low - pad, high + pad)
    fig.suptitle(title or "Fitted curves per configuration", fontsize=13)
    per = sorted({len(p[4]) for p in panels})  # seeds drawn per panel: say how many
    if per == [1]:
        lines = "the thin line one seed's trained network ŷ(x) (one seed per panel)"
    else:
        counts = " to ".join(str(k) for k in (per[0], per[-1]) if k) if len(per) > 1 else per[0]
        lines = f"each thin line one seed's trained network ŷ(x) ({counts} seeds per panel)"
    caption = (
        "Each panel is one configuration: grey dots are the training data (of the first seed "
        f"shown), the thick grey dashed line the noise-free function, and {lines} — blue "
        "where that seed met the success criterion, orange where not."
    )
    return _finish(fig, caption, path)


def boxplots(groups, path=None, *, title=None, criterion=None):
    """Box plots of the final loss over seeds, one box per configuration, grouped.

    ``groups``: (group title, [(label, [final losses])]); one panel per group.
    """
    fig = new_figure(4.2 * len(groups) + 0.8, 5.0)
    axes = fig.subplots(1, len(groups), squeeze=False, sharey=True)[0]
    line = _threshold_words(criterion)
    for ax, (name, boxes) in zip(axes, groups):
        data = [_positive(losses) for _, losses in boxes]
        ax.boxplot(data, showfliers=False, widths=0.55,
                   medianprops={"color": INK}, boxprops={"color": MUTED},
                   whiskerprops={"color": MUTED}, capprops={"color": MUTED})  # fmt: skip
        rng = np.random.default_rng(0)
        for i, ys in enumerate(data, start=1):
            colour, marker = ACTIVATION_STYLE.get(
                boxes[i - 1][0], OTHER_STYLES[(i - 1) % len(OTHER_STYLES)]
            )
            ax.scatter(i + rng.uniform(-0.12, 0.12, ys.size), ys, s=16, alpha=0.7,
                       color=colour, marker=marker, linewidths=0)  # fmt: skip
        ax.set_xticks(range(1, len(boxes) + 1), [label for label, _ in boxes])
        ax.set_yscale("log")
        _few_log_ticks(ax)
        if line is not None:
            ax.axhline(line[0], color=INK, linestyle="--", linewidth=1)
            ax.annotate(line[1], (0.02, line[0]), xycoords=("axes fraction", "data"),
                        textcoords="offset points", xytext=(0, 4), fontsize=8)  # fmt: skip
        ax.set_title(name, fontsize=10)
        tidy(ax)
    axes[0].set_ylabel("final training loss, MSE (log)")
    fig.suptitle(title or "Final loss over seeds, per activation", fontsize=13)
    caption = (
        "Each box spans the middle half of the seeds' final training losses (the line is "
        "the median, whiskers the rest within 1.5 box-lengths); each dot is one seed. A "
        "loss of exactly 0 is drawn at 1e-16."
    )
    return _finish(fig, caption, path)


# -- from a comparison ------------------------------------------------------------------


def _losses(results) -> dict[int, list[float]]:
    out: dict[int, list[float]] = {}
    for t in results.trials:
        if t["status"] == "done" and not (t["metrics"] or {}).get("diverged"):
            out.setdefault(t["config"], []).append(t["final_loss"])
    return out


def _short(point: dict) -> str:
    hidden = point.get("model.hidden")
    act = point.get("model.activation")
    size = "x".join(map(str, hidden)) if hidden else ("none" if hidden == [] else "")
    if act is None:
        return size
    return f"{act}, {size} hidden unit{'s' if sum(hidden or []) != 1 else ''}"


def draw(kind: str, question, results, fits, path=None):
    """One of ``question.plots`` for a comparison's ``results`` and refits."""
    losses = _losses(results)
    rows = results.rows
    if kind == "loss_vs_parameters":
        configs = [
            (_short(r.point), r.parameters or 0, len(r.point.get("model.hidden", [])),
             losses.get(r.config, []))
            for r in rows
        ]  # fmt: skip
        title = f"{question.asks.split('?')[0]}? Final loss against size"
        return loss_vs_parameters(configs, path, criterion=results.criterion, title=title)
    if kind == "heatmap":
        widths = sorted({r.point["model.hidden"][0] for r in rows if r.point.get("model.hidden")})
        depths = sorted({len(r.point["model.hidden"]) for r in rows if r.point.get("model.hidden")})
        cell = {(len(r.point["model.hidden"]), r.point["model.hidden"][0]): r for r in rows
                if r.point.get("model.hidden")}  # fmt: skip
        medians = [[getattr(cell.get((d, w)), "median", math.nan) for w in widths] for d in depths]
        success = [[getattr(cell.get((d, w)), "success", None) for w in widths] for d in depths]
        return heatmap(widths, depths, medians, success, path,
                       criterion_words=question.success_words.split(":")[0].replace(
                           "success = ", ""))  # fmt: skip
    if kind == "boxplots":
        groups: dict[str, list] = {}
        for r in rows:
            hidden = r.point.get("model.hidden") or []
            key = f"{'x'.join(map(str, hidden))} hidden unit{'s' if sum(hidden) != 1 else ''}"
            groups.setdefault(key, []).append(
                (str(r.point.get("model.activation")), losses.get(r.config, []))
            )
        return boxplots(list(groups.items()), path, criterion=results.criterion)
    if kind == "curves":
        from ..sweep.compare import TRUTHS
        from ..sweep.results import _mark

        marks = {t["id"]: _mark(t, results.criterion) for t in results.trials}
        panels = []
        for r in rows:
            mine = [f for f in fits if f.config == r.config]
            if not mine:
                continue
            panels.append((
                _short(r.point), mine[0].data_x, mine[0].data_y, mine[0].x,
                [f.y for f in mine], [marks.get(f.trial) for f in mine],
            ))  # fmt: skip
        if question.name == "width-depth":
            columns = len({r.point["model.hidden"][0] for r in rows})
        else:
            columns = len({r.point.get("model.activation") for r in rows})
        shown = max((len(p[4]) for p in panels), default=0)
        seeds = max((r.done for r in rows), default=0)
        title = (
            f"Fitted curves, every seed ({seeds}) per configuration"
            if shown >= seeds
            else f"Fitted curves, {shown} of {seeds} seeds per configuration, from the best "
            "final loss to the worst"
            if shown > 1
            else f"Fitted curves, 1 of {seeds} seeds per configuration: the median final loss"
        )
        return curves(panels, TRUTHS[question.truth], path, title=title, columns=columns)
    raise ValueError(f"unknown sweep plot {kind!r}")
