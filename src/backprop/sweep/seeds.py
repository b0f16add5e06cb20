"""A sweep's seeds: ``parse_seeds`` reads ``seeds=10``, ``"0..9"``, ``"0,3,7"`` or a list
(``--seeds`` on the command line) as the list of seeds each configuration runs once, with
repeats, non-whole numbers and more than ``grid.MAX_TRIALS`` refused in words.
"""

from __future__ import annotations

import itertools

from ..errors import ConfigError
from ..textrules import abridge, escape
from .grid import MAX_SEED, MAX_TRIALS, decimal, show


def parse_seeds(seeds, default: int = 0) -> list[int]:
    """Seeds as a list: None → [default]; an int n → 0..n-1; '0..9', '0,3,7', '10' (a count,
    as the int) or a list of whole numbers. Repeats and numbers outside 0..2**63-1 are refused."""
    if seeds is None:
        return [default]
    if isinstance(seeds, str):
        seeds = _seed_text(seeds)
    if isinstance(seeds, int) and not isinstance(seeds, bool):
        if not 1 <= seeds <= MAX_TRIALS:
            raise ConfigError(
                f"sweep(seeds={seeds}): a count of seeds must be 1 to "
                f"{MAX_TRIALS:,}; e.g. seeds=10 for seeds 0..9."
            )
        seeds = range(seeds)
    try:
        if hasattr(seeds, "__len__") and len(seeds) > MAX_TRIALS:
            raise ConfigError(
                f"sweep seeds: {len(seeds):,} seeds, more than the maximum of "
                f"{MAX_TRIALS:,} trials (docs/sweeps.md, 'Limits'); give fewer seeds."
            )
        seeds = list(itertools.islice(iter(seeds), MAX_TRIALS + 1))
    except TypeError:
        raise ConfigError(
            f"sweep(seeds=...): give a count (10), a range ('0..9' or range(10)) "
            f"or a list of whole numbers; got {seeds!r}."
        ) from None
    if not seeds:
        raise ConfigError("sweep(seeds=...): no seeds; give at least one, e.g. '0..9'.")
    if len(seeds) > MAX_TRIALS:
        raise ConfigError(
            f"sweep seeds: more than {MAX_TRIALS:,} seeds, the maximum of trials "
            "(docs/sweeps.md, 'Limits'); give fewer seeds."
        )
    for s in seeds:
        if isinstance(s, bool) or not isinstance(s, int) or not 0 <= s <= MAX_SEED:
            raise ConfigError(
                f"sweep seeds: {show(s)} is not a seed; a seed is a whole number from 0 to "
                "2**63 - 1."
            )
    if len(set(seeds)) != len(seeds):
        twice = next(s for s in seeds if seeds.count(s) > 1)
        raise ConfigError(
            f"sweep seeds: {twice} is given twice; each seed runs once per configuration."
        )
    return seeds


def _seed_text(text: str) -> list[int] | int:
    fix = "write seeds like 0..9 (ten seeds), 0,3,7 or a count such as 10"
    text = text.strip()
    if "," not in text and ".." not in text:
        return _whole(text, text, fix)  # a count
    out: list[int] = []
    for part in text.split(","):
        lo, dots, hi = part.strip().partition("..")
        if not dots:
            out.append(_whole(part, text, fix))
            if len(out) > MAX_TRIALS:
                break
            continue
        a, b = _whole(lo, text, fix), _whole(hi, text, fix)
        if b < a or len(out) + b - a >= MAX_TRIALS:
            raise ConfigError(
                f"--seeds {_shown(text)}: {_shown(part.strip())} is an empty or too long "
                f"range (at most {MAX_TRIALS:,} seeds in all); {fix}."
            )
        out.extend(range(a, b + 1))
        if len(out) > MAX_TRIALS:
            break
    return out


def _shown(text: str) -> str:
    return repr(abridge(escape(text)))


def _whole(part: str, text: str, fix: str) -> int:
    if decimal(part.strip()) and len(part.strip()) <= 30:
        return int(part.strip())
    raise ConfigError(
        f"--seeds {_shown(text)}: {_shown(part.strip())} is not a whole number (0 to "
        f"2**63 - 1); {fix}."
    )
