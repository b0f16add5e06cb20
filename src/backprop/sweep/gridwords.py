"""The command line's ``--grid KEY=V1,V2,…`` words read as a grid (``grid.parse_grid``).

Values are split at commas outside brackets; each is a JSON value when it reads as one,
else a word; layer sizes read ``8x8`` as [8, 8]. A number a float cannot hold (1e-400) is
refused as typed, and so are two spellings of one value (0.1 and 0.10000000000000000001).
The grid is checked by ``grid.check_grid``.
"""

from __future__ import annotations

import json
import math

from ..errors import ConfigError
from ..textrules import abridge, escape
from .grid import NAMED, SIZE_LISTS, sizes


def parse_grid(words: list[str]) -> dict[str, list]:
    """``['model.hidden=8,8x8', 'optimizer.lr=0.1,0.01']`` → {key: [values]} (unchecked).

    Values are split at commas outside brackets; each is a JSON value when it reads as one
    (0.1, 1e-3, true, [8, 8]), else a word (relu). Layer sizes read ``8x8`` as [8, 8], a
    bare ``8`` as [8] and ``none`` as []."""
    grid: dict[str, list] = {}
    for word in words:
        key, eq, text = word.partition("=")
        key = key.strip()
        if not eq or not key or not text.strip():
            raise ConfigError(
                f"--grid {_said(word)}: write KEY=V1,V2,… such as "
                "model.hidden=8,8x8 or optimizer.lr=0.1,0.01."
            )
        if key in grid:
            raise ConfigError(
                f"--grid {_said(key)}: given twice; give one --grid KEY=… with all its values."
            )
        full = NAMED.get(key, key)
        grid[key] = _once(
            [(item, _value(item, full, word)) for item in _split(text, word)], word, full
        )
    return grid


def _once(read: list[tuple[str, object]], word: str, key: str) -> list:
    """The values read, each once: two spellings that read as one value (0.1 and
    0.10000000000000000001, 8 and [8]) are refused naming both as typed, not only the value
    they became."""
    from .grid import show

    first: dict[str, str] = {}
    for item, value in read:
        text = json.dumps(value, sort_keys=True)
        if text in first:
            was = first[text]
            said = (
                f"{_said(item)} is given twice"
                if was == item
                else f"{_said(was)} and {_said(item)} both read as {show(value, key)}"
            )
            raise ConfigError(
                f"--grid {_said(word)}: {said}; each value makes one configuration, give it once."
            )
        first[text] = item
    return [value for _, value in read]


def _split(text: str, word: str) -> list[str]:
    items, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += {"[": 1, "{": 1, "]": -1, "}": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            items.append(text[start:i])
            start = i + 1
    items.append(text[start:])
    items = [item.strip() for item in items]
    if depth != 0 or any(not item for item in items):
        why = "has unbalanced brackets" if depth else "has an empty value (',,' or an end comma)"
        raise ConfigError(
            f"--grid {_said(word)}: {why}; write KEY=V1,V2,… such as model.hidden=8,8x8."
        )
    return items


def _value(item: str, key: str, word: str):
    if key in SIZE_LISTS and sizes(item, key) is not item:
        return sizes(item, key)  # 8x8, 8, none: read as Python's grid reads them
    try:
        return json.loads(item, parse_float=lambda text: _float(text, word))
    except json.JSONDecodeError:
        pass
    except ConfigError:  # a number a float cannot hold (_float)
        raise
    except (ValueError, RecursionError) as exc:  # over 4,300 digits, nesting too deep
        why = "nests too deeply" if isinstance(exc, RecursionError) else "is over 4,300 digits"
        raise ConfigError(f"--grid {_said(word)}: a value {why}.") from None
    if item.startswith("[") and item.endswith("]"):  # [relu,tanh]: a list of words
        return [_value(inner, "", word) for inner in _split(item[1:-1], word)]
    return item


def _float(text: str, word: str) -> float:
    """A number as typed; one a float cannot hold (1e-400 would read as 0.0, 1e400 as inf)
    is refused quoting what was typed, not the value it would have become."""
    value = float(text)
    mantissa = text.lower().split("e")[0]
    if math.isinf(value) or (value == 0.0 and any(d in mantissa for d in "123456789")):
        size = "large" if math.isinf(value) else "small"
        raise ConfigError(
            f"--grid {_said(word)}: {_said(text)} is too {size} for a float (it would read as "
            f"{value}); a float holds sizes from about 5e-324 to 1.8e308."
        )
    return value


def _said(word: str) -> str:
    """A command-line word in a message: quoted, escaped, abridged."""
    return repr(abridge(escape(word)))
