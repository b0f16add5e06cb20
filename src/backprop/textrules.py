"""Which characters a line of user text may show as they are (floor 0).

One rule for the whole project: control characters, line and paragraph separators,
surrogates and private-use characters (``control``), and invisible or direction-changing
ones (``invisible``: Unicode Cf — bidi marks, embeddings, overrides and isolates, zero-width
space, BOM — but not the zero-width (non-)joiners that Persian and emoji need — and letters
that draw nothing). The playground's page removes them from what it shows
(``playground.plaintext.clean``); an error message that echoes a value escapes them
(``escape``), so a U+202E in a grid value cannot turn the rest of the line around, and
``abridge`` keeps an echoed value short.
"""

from __future__ import annotations

import unicodedata

# letters that draw nothing: the Hangul fillers and the Braille blank (a task of 150 of
# them looked empty)
BLANKS = "\u115f\u1160\u3164\uffa0\u2800"


def control(c: str) -> bool:
    """A control, line or paragraph separator, surrogate or private-use character. Not
    Cn: Python's Unicode database (15.0 in 3.12, 14.0 in 3.11) calls characters newer than
    it unassigned, and the students' browsers draw them (🩷 U+1FA77, Unicode 15)."""
    return unicodedata.category(c) in ("Cc", "Zl", "Zp", "Cs", "Co")


def invisible(c: str) -> bool:
    """A format character (Unicode Cf: bidi controls, zero-width space, BOM...), except
    the zero-width (non-)joiners; or a blank (``BLANKS``: letters that draw nothing)."""
    return (unicodedata.category(c) == "Cf" and c not in "\u200c\u200d") or c in BLANKS


def escape(text: str, keep: str = "") -> str:
    """``text`` with every ``control`` or ``invisible`` character (but those in ``keep``)
    written as ``\\uXXXX`` (``\\xXX``, ``\\UXXXXXXXX``), as Python's repr writes them."""
    if all(c.isprintable() or c in keep for c in text):  # the common case, fast
        return text
    return "".join(
        c if c in keep or not (control(c) or invisible(c)) else repr(c)[1:-1] for c in text
    )


def abridge(text: str, limit: int = 80) -> str:
    """``text`` cut to about ``limit`` characters, saying how long it was."""
    if len(text) <= limit:
        return text
    return f"{text[: limit - 20]}… ({len(text):,} characters)"
