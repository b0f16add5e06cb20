"""A network diagram: neurons in columns, links coloured by the sign of their weight."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ._base import BLUE, DPI, INK, MUTED, ORANGE, new_figure, number, save

if TYPE_CHECKING:
    from matplotlib.figure import Figure

MAX_SHOWN = 12  # units drawn per column; wider layers show their first and last few
TINY = 4  # show_values=None writes the numbers when no layer is wider than this
_PAD = 0.12  # the label box's pad, a fraction of the font size
_BOX = {"boxstyle": f"round,pad={_PAD}", "facecolor": "white", "edgecolor": "none", "alpha": 0.85}
# where along a link its value may go, most preferred first: near the start, then further on
_POSITIONS = sorted(np.arange(0.18, 0.83, 0.04), key=lambda t: abs(t - 0.3))


def _shown(n: int) -> list[int | None]:
    """Indices of the units drawn for a layer of n units; None marks the gap."""
    if n <= MAX_SHOWN:
        return list(range(n))
    half = (MAX_SHOWN - 1) // 2
    return [*range(half), None, *range(n - (MAX_SHOWN - 1 - half), n)]


def _layout(sizes: list[int]) -> list[dict]:
    """Per column l: {unit index (None for the gap): y}, centred on 0, one unit apart."""
    columns = []
    for n in sizes:
        slots = _shown(n)
        top = (len(slots) - 1) / 2
        columns.append({u: top - k for k, u in enumerate(slots)})
    return columns


class _Labels:
    """Places small text boxes where they overlap earlier ones least (sizes in inches).

    Made after the figure's layout is final, so that inches per data unit are exact and a
    label along a link can be turned to the link's angle on the page.
    """

    def __init__(self, ax, links=()) -> None:
        self.ax = ax
        box = ax.get_window_extent()
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        self.kx = box.width / DPI / (x1 - x0)
        self.ky = box.height / DPI / (y1 - y0)
        self.boxes: list[tuple[float, float, float, float]] = []
        self.links = [(start, end) for start, end, *_ in links]  # lines a label should not sit on
        self._ends = None
        self._sizes: dict = {}  # (text, font size, weight) -> measured (width, height)

    def crossings(self, x, y, start, end, size: tuple[float, float]) -> int:
        """How many other links pass through a label of unturned ``size`` (inches) at (x, y),
        turned along the link start → end: a label on a crossing hides which line is which."""
        if self._ends is None:  # every link's ends in inches, once: (n, 2 ends, 2)
            self._ends = np.array(self.links, dtype=float).reshape(-1, 2, 2) * [self.kx, self.ky]
        ux, uy = (end[0] - start[0]) * self.kx, (end[1] - start[1]) * self.ky
        norm = math.hypot(ux, uy) or 1.0
        ux, uy = ux / norm, uy / norm
        d = self._ends - [x * self.kx, y * self.ky]  # the links in the label's own frame:
        u = d[..., 0] * ux + d[..., 1] * uy  # along the label
        v = -d[..., 0] * uy + d[..., 1] * ux  # across it
        mine = np.array([start, end], dtype=float) * [self.kx, self.ky]
        own = np.all(self._ends == mine, axis=(1, 2))  # the label's own link
        hits = _clips(u, v, size[0] / 2, size[1] / 2)
        return int(np.count_nonzero(hits & ~own))

    def _size(self, text: str, fontsize: float, angle: float = 0.0, **style):
        """Width and height of the text's box (as drawn: the renderer's measure of the text
        plus the box's pad), or of the upright box around it if turned."""
        w, h = self._measured(text, fontsize, style.get("fontweight"))
        c, s = abs(math.cos(math.radians(angle))), abs(math.sin(math.radians(angle)))
        return w * c + h * s, w * s + h * c

    def overlap(self, x: float, y: float, size: tuple[float, float]) -> float:
        """Area (in²) a box of ``size`` at (x, y) would share with the boxes placed so far."""
        if not self.boxes:
            return 0.0
        b = np.asarray(self.boxes)  # (x, y, width, height) of each box placed
        dx = (size[0] + b[:, 2]) / 2 - np.abs(x - b[:, 0]) * self.kx
        dy = (size[1] + b[:, 3]) / 2 - np.abs(y - b[:, 1]) * self.ky
        return float(np.sum(np.where((dx > 0) & (dy > 0), dx * dy, 0.0)))

    def _measured(self, text: str, fontsize: float, weight) -> tuple[float, float]:
        """The unturned box in inches; the old estimate when no renderer can measure."""
        key = (text, fontsize, weight)
        if key not in self._sizes:
            self._sizes[key] = self._measure(text, fontsize, weight)
        return self._sizes[key]

    def _measure(self, text: str, fontsize: float, weight) -> tuple[float, float]:
        try:
            from matplotlib.font_manager import FontProperties

            renderer = self.ax.figure.canvas.get_renderer()
            font = FontProperties(size=fontsize, weight=weight or "normal")
            w, h, _ = renderer.get_text_width_height_descent(text, font, ismath=False)
            pad = 2 * _PAD * fontsize * renderer.points_to_pixels(1.0)
            dpi = self.ax.figure.dpi  # and a hair more: boxes that only touch still read apart
            return (w + pad) / dpi + 0.03, (h + pad) / dpi + 0.02
        except Exception:  # never lose a label over a measurement
            return (0.075 * len(text) + 0.1) * fontsize / 8, 0.2 * fontsize / 8

    def reserve(self, x: float, y: float, width: float, height: float) -> None:
        self.boxes.append((x, y, width, height))

    def put(self, x, y, text, fontsize: float = 8, angle: float = 0.0, **style) -> None:
        self.boxes.append((x, y, *self._size(text, fontsize, angle, **style)))
        self.ax.text(
            x,
            y,
            text,
            ha="center",
            va="center",
            rotation=angle,
            rotation_mode="anchor",
            fontsize=fontsize,
            zorder=4,
            bbox=_BOX,
            **style,
        )

    def on_link(self, start, end, text: str, fontsize: float = 9, **style) -> None:
        """Along the link, near its start (read as "leaving this unit"), else where free."""
        (x0, y0), (x1, y1) = start, end
        angle = math.degrees(math.atan2((y1 - y0) * self.ky, (x1 - x0) * self.kx))
        size = self._size(text, fontsize, angle, **style)
        flat = self._size(text, fontsize, **style)
        best = None
        for t in _POSITIONS:  # the first free place: no label under it, no line across it
            x, y = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
            # no label under another first, then as few lines across it as can be
            covered = self.overlap(x, y, size)
            if covered > 0 and best is not None and not best[0][0]:
                continue  # a place with no label under it is known: this one cannot win
            cost = (covered > 0, self.crossings(x, y, start, end, flat), covered)
            if best is None or cost < best[0]:
                best = (cost, x, y)
            if cost == (False, 0, 0.0):
                break
        self.put(best[1], best[2], text, fontsize, angle, **style)


def _clips(u, v, w: float, h: float):
    """For segments given by their ends' coordinates ``u``, ``v`` (n × 2 arrays), whether
    each passes through the box |u| ≤ w, |v| ≤ h (Liang–Barsky, all at once)."""
    lo, hi = np.zeros(len(u)), np.ones(len(u))
    du, dv = u[:, 1] - u[:, 0], v[:, 1] - v[:, 0]
    inside = np.ones(len(u), dtype=bool)
    for step, room in (
        (-du, u[:, 0] + w),
        (du, w - u[:, 0]),
        (-dv, v[:, 0] + h),
        (dv, h - v[:, 0]),
    ):
        flat = step == 0
        inside &= ~(flat & (room < 0))
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(flat, 0.0, room / np.where(flat, 1.0, step))
        lo = np.where(~flat & (step < 0), np.maximum(lo, t), lo)
        hi = np.where(~flat & (step > 0), np.minimum(hi, t), hi)
    return inside & (lo <= hi)


def network_diagram(
    model,
    path: str | os.PathLike | None = None,
    *,
    title: str | None = None,
    show_values: bool | None = None,
    input_names=None,
    output_names=None,
    standardised: bool = False,
) -> Path | Figure:
    """The MLP drawn as neurons and weighted links, in the lecture's layer numbering.

    Args:
        model: an MLP (``nn.MLP`` or ``nn.Sequential`` of Linear and activation modules).
        path: where the PNG goes (written atomically); None returns the Figure instead.
        title: the figure title.
        show_values: write each weight on its link and each bias under its neuron; None does
            so when no layer has more than 4 units.
        input_names, output_names: the data's names for the inputs and outputs (a CSV's
            columns, its classes), written beside the lecture's x₁ … and ŷ …; default none.
        standardised: the inputs are standardised before layer 1 (a CSV's): the input
            heading says so.

    Columns are layers l = 0 … L (inputs, hidden layers, outputs) with g[l] named above
    them; the links from column l − 1 to l are W[l], of shape n[l−1]×n[l] (the lecture's
    orientation, the transpose of ``Linear.weight``), blue where the weight is positive,
    orange where negative, wider for larger |w|. Layers wider than 12 units show their
    first and last units around a gap. Returns the path, or the Figure when no path is given.

    Examples:
        >>> import backprop as bp
        >>> from backprop import nn, plots
        >>> _ = bp.manual_seed(0)
        >>> model = nn.MLP([2, 3, 1], activation='tanh')
        >>> fig = plots.network_diagram(model)  # at most 4 units a layer: values written
        >>> labels = [text.get_text() for text in fig.axes[0].texts]
        >>> labels[:2]
        ['x₁', 'x₂']
        >>> f'b = {model[0].bias[1].item():.3g}' in labels  # each bias under its neuron
        True
    """
    from ..delta import layers as read_layers

    layers = read_layers(model)
    L = len(layers)
    sizes = [layers[0].n_in] + [layer.n_out for layer in layers]
    if show_values is None:
        show_values = max(sizes) <= TINY
    columns = _layout(sizes)
    rows = max(len(c) for c in columns)
    top = (rows - 1) / 2
    if show_values:  # room for the numbers: wider gaps between columns and rows
        width, height = min(18.0, max(8.0, 2.6 * (L + 1))), min(10.0, max(5.0, rows + 2.2))
    else:
        width, height = min(16.0, max(8.0, 1.6 * (L + 1))), min(10.0, max(5.0, 0.55 * rows + 2.2))
    fig = new_figure(width, height)
    ax = fig.subplots()
    fig.suptitle(title or f"Network {'-'.join(map(str, sizes))}", fontsize=13)
    ax.set_xlim(-0.6, L + 0.6)
    ax.set_ylim(-top - 1.3, top + 1.3)
    ax.axis("off")

    links = _draw_links(ax, layers, columns)
    spacing = width / (L + 1.2)  # inches between columns: narrow columns get smaller text
    headings = [heading(l, layers) for l in range(L + 1)]
    if standardised:
        headings[0] += ", standardised"
    names = {0: _names(input_names, sizes[0]), L: _names(output_names, sizes[L])}
    shapes = [weight_label(l, sizes) for l in range(1, L + 1)]
    fontsize = _fitting_size(headings + shapes, spacing)
    for l, column in enumerate(columns):
        _draw_column(ax, l, column, sizes, layers, spacing, names.get(l))
        ax.text(l, top + 0.6, headings[l], ha="center", va="bottom", fontsize=fontsize, color=INK)
    for l in range(1, L + 1):
        ax.text(
            l - 0.5, -top - 0.7, shapes[l - 1], ha="center", va="top", fontsize=fontsize, color=INK
        )
    _legend(ax)
    if show_values:
        fig.draw_without_rendering()  # fixes the layout, so label sizes and angles are exact
        _write_values(ax, layers, columns, links)
    return fig if path is None else save(fig, path)


def _draw_links(ax, layers, columns) -> list:
    """One LineCollection per W[l]; returns (start, end, value, colour) of every link."""
    from matplotlib.collections import LineCollection

    weights = [np.asarray(layer.weight._data, dtype=float) for layer in layers]
    largest = max(float(np.max(np.abs(w))) for w in weights) or 1.0
    count = sum(len(columns[l - 1]) * len(columns[l]) for l in range(1, len(layers) + 1))
    thickest, alpha = (3.6, 0.8) if count <= 60 else (2.4, 0.6)
    links = []
    for l, w in enumerate(weights, start=1):
        # w has PyTorch's (out, in) shape: w[j, i] links unit i of layer l−1 to unit j of l
        segments, colours, widths = [], [], []
        for i, y0 in columns[l - 1].items():
            for j, y1 in columns[l].items():
                if i is None or j is None:
                    continue
                colour = BLUE if w[j, i] >= 0 else ORANGE
                segments.append(((l - 1, y0), (l, y1)))
                colours.append(colour)
                widths.append(0.4 + thickest * abs(w[j, i]) / largest)
                links.append(((l - 1, y0), (l, y1), w[j, i], colour))
        ax.add_collection(
            LineCollection(segments, colors=colours, linewidths=widths, alpha=alpha, zorder=1)
        )
    return links


def _names(names, count: int) -> list[str] | None:
    """The data's names for a column of ``count`` units, or None (other counts too)."""
    if names is None or len(names) != count:
        return None
    return [str(n) if len(str(n)) <= 18 else f"{str(n)[:17]}…" for n in names]


def _draw_column(ax, l, column, sizes, layers, spacing: float, names=None) -> None:
    """The neurons of layer l, their names (x₁, ŷ, and the data's: "size x₁") and any gap."""
    L = len(layers)
    ys = [y for u, y in column.items() if u is not None]
    size = 260 if spacing >= 1.1 else 150  # marker area, pt²
    ax.scatter(
        [l] * len(ys), ys, s=size, facecolor="white", edgecolor=INK, linewidths=1.4, zorder=3
    )
    away = 0.5 * size**0.5 + 3  # points from a neuron's centre to its name
    for u, y in column.items():
        if u is None:
            ax.text(
                l,
                y,
                f"⋮ {sizes[l] - len(ys)} more",
                ha="center",
                va="center",
                fontsize=8,
                color=MUTED,
                zorder=4,
                bbox=_BOX,
            )
        elif l == 0:
            ax.annotate(
                f"x{_sub(u + 1)}" if names is None else f"{names[u]}  x{_sub(u + 1)}",
                (l, y),
                xytext=(-away, 0),
                textcoords="offset points",
                ha="right",
                va="center",
                fontsize=10,
            )
        elif l == L:
            name = f"ŷ{_sub(u + 1)}" if sizes[L] > 1 else "ŷ"
            name = name if names is None else f"{name}  {names[u]}"
            ax.annotate(
                name,
                (l, y),
                xytext=(away, 0),
                textcoords="offset points",
                ha="left",
                va="center",
                fontsize=10,
            )


def heading(l: int, layers) -> str:
    """The label over column l, the same in every layout, in the lecture's words and symbols:
    "input / layer 0 / a[0] = x", "hidden / layer 1 / g[1] = relu", "output / layer L / …"."""
    if l == 0:
        return "input\nlayer 0\n$a^{[0]}$ = x"
    kind = "output" if l == len(layers) else "hidden"
    return f"{kind}\nlayer {l}\n$g^{{[{l}]}}$ = {layers[l - 1].g_name}"


def weight_label(l: int, sizes) -> str:
    """The label under the links of W[l]: its name and shape n[l−1]×n[l]."""
    return f"$W^{{[{l}]}}$\n{sizes[l - 1]}×{sizes[l]}"


def _fitting_size(texts, spacing: float) -> float:
    """The largest font size up to 10 pt at which the longest line of ``texts`` fits the
    space between columns (about 0.6 em a character; a $g^{[l]}$ counts as 4)."""
    longest = max(
        len(
            line.replace("$g^{[", "g[")
            .replace("$a^{[", "a[")
            .replace("$W^{[", "W[")
            .replace("]}$", "")
        )
        for text in texts
        for line in text.split("\n")
    )
    return float(min(10.0, max(6.0, 0.9 * spacing * 72 / (0.6 * longest))))


def _write_values(ax, layers, columns, links) -> None:
    """Biases under their neurons, then each weight along its link, none overlapping."""
    labels = _Labels(ax, links)
    for l, column in enumerate(columns):
        for u, y in column.items():
            if u is not None:
                labels.reserve(l, y, 0.3, 0.3)  # the neuron itself
    for l in range(1, len(columns)):
        bias = layers[l - 1].bias
        if bias is None:
            continue
        values = np.asarray(bias._data, dtype=float)
        for u, y in columns[l].items():
            if u is not None:
                labels.put(l, y - 0.3, f"b = {number(values[u])}", color=MUTED)
    for start, end, value, colour in links:
        labels.on_link(start, end, number(value), color=colour, fontweight="bold")


def _sub(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def _legend(ax) -> None:
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], color=BLUE, linewidth=2.5, label="w > 0"),
        Line2D([], [], color=ORANGE, linewidth=2.5, label="w < 0"),
        Line2D([], [], color=MUTED, linewidth=0.6, label="line width ∝ |w|"),
    ]
    ax.figure.legend(handles=handles, loc="outside lower right", fontsize=8, frameon=False, ncols=3)
