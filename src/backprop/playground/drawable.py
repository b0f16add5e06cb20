"""What the page can draw of an uploaded file: one rule, what is accepted can be drawn and sent.

The page draws an uploaded file's feature columns over their range, all rows, plus ``PAD``
of it each side (a column of one value: ``ONE`` each side, in its own units); ``edges`` is
that range, and ``views.domain`` draws with it. ``check`` refuses, on upload, a file whose
drawing the page's numbers (float64, as JSON carries them) cannot hold — a margin or the
width that overflows, a column of one value so large that ±1 is lost in its rounding — and a
value the network cannot take: standardised by the training rows, a test row's feature or
target more than ``FAR`` from their mean (float32, squared by the page's x1² and x1·x2).
Its words name the column, the value and the fix. Nothing here trains or draws.

(A column from -1e308 to 1e308 wedged a tab: third trial, attacker #4. A column of 1e308 in
every row, or one spread over ±1.5e307, was accepted and its data message never sent:
session 27, attacker 9. The check then read the file's text; it now reads what the page gets.)
"""

from __future__ import annotations

import numpy as np

from .protocol import ProtocolError

PAD = 0.06  # of a column's range, the drawing's margin each side
ONE = 1.0  # a column of one value: the margin each side, in its units (standardised: ±1)
FAR = 1e18  # standard deviations; squared (x1²) still a float32 number (at most 3.4e38)
FLOAT64_MAX = float(np.finfo(np.float64).max)


def edges(lo, hi):
    """The drawing's (low, high) edges of columns running from ``lo`` to ``hi`` (arrays or
    floats, float64): ``PAD`` of the range more each side, ``ONE`` for a column of one value.
    Not finite where float64 overflows (``check`` refuses such a file on upload)."""
    lo, hi = np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        pad = np.where(hi > lo, (hi - lo) * PAD, ONE)
        return lo - pad, hi + pad


def column_ranges(data) -> tuple[np.ndarray, np.ndarray]:
    """Each feature column's lowest and highest value in the file's units, over all rows
    (training and test, whatever the split), as the page gets its points."""
    parts = [data.x] if data.x_test is None else [data.x, data.x_test]
    pts = np.concatenate(parts)
    if data.scaler is not None:
        with np.errstate(over="ignore", invalid="ignore"):
            pts = data.scaler.inverse_transform(pts)
    return pts.min(axis=0), pts.max(axis=0)


def check(name: str, data) -> None:
    """Refuse a file the page cannot draw or the network cannot take, in words (a
    ``ProtocolError`` for the data controls); ``data`` as ``from_csv`` read it."""
    lows, highs = column_ranges(data)
    for column, lo, hi in zip(data.feature_names, lows, highs):
        why = _undrawable(float(lo), float(hi))
        if why:
            raise ProtocolError(
                f"upload {name}: the column {column!r} {why}. Divide the column by a power of "
                "ten (and say so) and upload it again.",
                "dataset",
            )
    if data.x_test is not None:
        _far(f"upload {name}: ", data.x_test, data.feature_names, "column", data.scaler)


def check_targets(data, z_test) -> None:
    """Refuse a regression target whose test row, standardised by the training rows
    (``z_test``), is more than ``FAR`` from their mean (``uploads.standardized_targets``;
    the session's upload names the file)."""
    if z_test is not None:
        _far("", z_test, data.target_names, "target", None, data.y_test)


def _undrawable(lo: float, hi: float) -> str | None:
    """Why the page cannot draw a column from ``lo`` to ``hi`` (None: it can)."""
    with np.errstate(over="ignore", invalid="ignore"):
        a, b = (float(e) for e in edges(lo, hi))
        width = np.float64(b) - np.float64(a)
    if lo == hi and not a < lo < b:
        gap = float(np.spacing(np.float64(abs(lo))))
        return (
            f"is {lo:.3g} in every row; the page draws a column of one value from {ONE:g} "
            f"below it to {ONE:g} above, which float64 cannot tell apart from {lo:.3g} (its "
            f"numbers there are {gap:.3g} apart)"
        )
    if not (np.isfinite(a) and np.isfinite(b) and np.isfinite(width)):
        return (
            f"runs from {lo:.3g} to {hi:.3g}; the page draws that range and {PAD:.0%} more "
            f"each side, which overflows its numbers (at most {FLOAT64_MAX:.3g})"
        )
    return None


def _far(where: str, z, columns, kind: str, scaler, raw=None) -> None:
    """Refuse the first test value more than ``FAR`` standard deviations (of the training
    rows) from their mean; its value in the file's units from ``raw`` or ``scaler``."""
    z = np.asarray(z, dtype=np.float64).reshape(len(z), -1)
    bad = np.argwhere(~(np.abs(z) <= FAR))
    if not len(bad):
        return
    i, j = (int(v) for v in bad[0])
    if raw is not None:
        value = float(np.asarray(raw, dtype=np.float64).reshape(len(z), -1)[i, j])
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            value = float(scaler.inverse_transform(z[i : i + 1])[0, j])
    what = "the network's inputs" if kind == "column" else "what the network learns"
    raise ProtocolError(
        f"{where}the {kind} {columns[j]!r} has {value:.3g} in a test row, "
        f"{abs(z[i, j]):.3g} standard deviations (of the training rows) from their mean; "
        f"{what} are float32 numbers, standardised, and stay within {FAR:.0e} of it. "
        "Remove or correct that row (a value this far out cannot be learned or drawn; "
        "dividing the column changes nothing, standardising undoes it) and upload the file "
        "again.",
        "dataset",
    )
