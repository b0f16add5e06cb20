"""How the playground's numbers travel to the page: grids as bytes, values as short decimals.

Grids are quantised to one byte per cell (base64); curves and δ get a few decimals, a value
that would round to 0 three significant digits instead (only a true zero arrives as 0);
weights and biases go as the shortest decimals that read back as the same float32, so the
weight editor shows the real number. Numbers that are not finite become None (JSON has no
NaN). ``views`` uses these; ``dumps`` writes a message (``protocol.dumps``) and refuses, in
words naming its place, one that still holds such a number. Nothing here knows a session.
"""

from __future__ import annotations

import base64
import json
import logging
import math

import numpy as np

from .fields import VERSION, ProtocolError


def _q(t: np.ndarray) -> str:
    """Values in [−1, 1] as base64 bytes 0…255 (row-major)."""
    t = np.nan_to_num(np.asarray(t, dtype=np.float64), nan=0.0, posinf=1.0, neginf=-1.0)
    q = np.clip(np.rint((np.clip(t, -1, 1) + 1) * 127.5), 0, 255).astype(np.uint8)
    return base64.b64encode(q.tobytes()).decode("ascii")


def _bytes(values: np.ndarray) -> str:
    return base64.b64encode(np.asarray(values, dtype=np.uint8).tobytes()).decode("ascii")


def _num(x, digits: int = 6):
    if x is None:
        return None
    x = float(x)
    return float(f"{x:.{digits}g}") if math.isfinite(x) else None


WHOLE = 2.0**52  # float64 numbers this large are whole: decimals to round there are none


def rounded(a, digits: int) -> np.ndarray:
    """``np.round(a, digits)`` that never overflows: NumPy scales by ``10**digits`` first,
    so 1e308 rounded to 4 decimals came back as inf (an uploaded column the page then never
    got: attacker 9, item 1); a number of at least 2^52 is whole and stays as it is."""
    a = np.asarray(a, dtype=np.float64)
    big = np.abs(a) >= WHOLE
    if not big.any():
        return np.round(a, digits)
    return np.where(big, a, np.round(np.where(big, 0.0, a), digits))


def _list(a: np.ndarray, digits: int = 4) -> list:
    """``a`` as nested lists, ``digits`` decimals; a value that would round to 0 keeps three
    significant digits instead (a vanishing δ of 1e-7 is sent as 1e-07, not as 0), so only
    a true zero arrives as 0."""
    a = np.asarray(a, dtype=np.float64)
    out = rounded(a, digits)
    small = (out == 0) & (a != 0) & np.isfinite(a)
    if small.any():
        out[small] = _three_digits(a[small])
    if np.isfinite(out).all():
        return out.tolist()
    return [_list(row, digits) for row in out] if out.ndim > 1 else [_num(v) for v in out]


def _three_digits(v: np.ndarray) -> np.ndarray:
    """Non-zero values below 1 rounded to three significant digits, vectorised: an integer
    divided by an exact power of ten (10**k, k ≤ 22) is the float the decimal text gives
    (444 / 1e11 == 4.44e-09); the rare smaller values go through the text."""
    k = 2 - np.floor(np.log10(np.abs(v)))
    out = np.round(v * 10.0**k) / 10.0**k
    far = k > 22
    if far.any():
        out[far] = [float(f"{x:.3g}") for x in v[far]]
    return out


def _exact(arrays: list) -> list:
    """Float32 arrays (weights, biases) as nested lists of the shortest decimals that read
    back as the same float32 (0.049387928 for 0.04938792809844017 in float64), so the
    weight editor shows a student the real number and a value sent back unchanged sets the
    very same weight. Vectorised over all arrays at once: each value's first of 6 … 9
    significant digits that round-trips (9 always does; a value of fewer digits, 0.5, is
    what 6 digits round to, as float32's spacing is finer than 6 digits'); an integer over
    an exact power of ten is the float its decimal text gives. Not finite: None."""
    flat32 = np.concatenate([a.ravel() for a in arrays]).astype(np.float32, copy=False)
    v = flat32.astype(np.float64)
    out = v.copy()
    todo = np.flatnonzero(np.isfinite(v) & (v != 0))
    e = np.floor(np.log10(np.abs(v[todo])))
    near = np.abs(e) <= 13  # 10**k exact for every pass (|k| ≤ 22); the others: text
    far, todo, e = todo[~near], todo[near], e[near]
    for digits in (6, 7, 8, 9):  # a shorter decimal is what 6 digits round to (0.5)
        if not todo.size:
            break
        x, k = v[todo], digits - 1 - e  # decimals kept
        up, down = 10.0 ** np.maximum(k, 0), 10.0 ** np.maximum(-k, 0)
        cand = np.round(x * up / down) * down / up
        ok = cand.astype(np.float32) == flat32[todo]
        out[todo[ok]] = cand[ok]
        todo, e = todo[~ok], e[~ok]
    for i in (*far, *todo):  # beyond 1e±13: the text's own shortest decimal
        out[i] = float(np.format_float_positional(flat32[i], unique=True, trim="-"))
    values: list = out.tolist() if np.isfinite(out).all() else [_num(y, 9) for y in out]
    lists, at = [], 0
    for a in arrays:
        part, at = values[at : at + a.size], at + a.size
        if a.ndim == 2:
            n = a.shape[1]
            part = [part[r * n : (r + 1) * n] for r in range(a.shape[0])]
        lists.append(part)
    return lists


def dumps(message_type: str, /, **fields) -> str:
    """A message to the page as JSON text. JSON has no NaN nor infinity: a message holding
    one is not sent, and ``ProtocolError`` names its place (the views send None for a
    number that is not finite; one that reaches here is a fault of the server's, said in
    words, not an "internal error (ValueError)")."""
    body = {"v": VERSION, "type": message_type, **fields}
    try:
        return json.dumps(body, default=_default, allow_nan=False, separators=(",", ":"))
    except ValueError:
        where = _not_finite(fields, message_type)
        if where is None:
            raise
    logging.getLogger("backprop.playground").error("playground: unsendable %s", where[0])
    raise ProtocolError(
        f"the server could not send its {message_type!r} message: {where[0]} is "
        f"{where[1]!r}, a number JSON cannot carry; nothing of it was sent. This is the "
        "server's fault: please report it with what you did; Reset or reload the page."
    )


def _not_finite(value, path: str) -> tuple[str, float] | None:
    """The first place in a message (``data.train[1][0]``) holding a float that is not
    finite, and that float; None if there is none."""
    todo = [(path, value)]
    while todo:
        path, value = todo.pop()
        if isinstance(value, np.ndarray | np.generic):
            value = value.tolist()
        if isinstance(value, dict):
            todo.extend((f"{path}.{k}", v) for k, v in reversed(list(value.items())))
        elif isinstance(value, list | tuple):
            todo.extend((f"{path}[{i}]", v) for i, v in reversed(list(enumerate(value))))
        elif isinstance(value, float) and not math.isfinite(value):
            return path, value
    return None


def _default(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
