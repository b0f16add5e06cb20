"""Counted nouns in messages: "1 epoch is", "3 epochs are", one rule for every sentence.

Messages that count something ("1 epoch are too few" was one) use ``counted`` for the
number and its noun and ``agree`` for the verb that follows, so no message spells its own
plural. No imports: any floor may use it.

Examples:
    >>> counted(1, "epoch"), counted(2000, "epoch"), counted(3, "entry", "entries")
    ('1 epoch', '2000 epochs', '3 entries')
    >>> counted(10_000, "epoch", grouped=True)
    '10,000 epochs'
    >>> f"{counted(1, 'epoch')} {agree(1, 'is', 'are')} too few"
    '1 epoch is too few'
"""

from __future__ import annotations

__all__ = ["agree", "counted"]


def counted(n: int, noun: str, plural: str | None = None, *, grouped: bool = False) -> str:
    """``n`` and ``noun``, plural unless ``n`` is 1 (``plural`` when the noun does not just
    take an s); ``grouped``: thousands separated by commas (10,000)."""
    number = f"{n:,}" if grouped else f"{n}"
    return f"{number} {noun if n == 1 else plural or noun + 's'}"


def agree(n: int, singular: str, plural: str) -> str:
    """The word that agrees with a count of ``n``: ``singular`` for 1, else ``plural``."""
    return singular if n == 1 else plural
