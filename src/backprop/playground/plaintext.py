"""The one rule for user text the page shows: a lesson's task, an uploaded file's name, its
column names.

``clean(text)`` makes one line of plain text: control characters (and line or paragraph
separators, surrogates, private-use characters) become spaces; invisible and
direction-changing characters (Unicode Cf: bidi marks, embeddings, overrides and isolates,
zero-width space, BOM — but not the zero-width (non-)joiners that Persian and emoji
sequences need) and letters that draw nothing (the Hangul fillers, the Braille blank) are
removed; the text is NFC-normalised, its runs of white space made one space, and combining
marks stacked past ``MAX_MARKS`` on one character are removed. Characters newer than
Python's Unicode database (category Cn here, drawn by the browser) are kept. The page's
lesson dialog applies the same rule (lessons.js's ``taskClean``) before it writes a link.
"""

from __future__ import annotations

import unicodedata

from ..textrules import BLANKS, control, invisible  # noqa: F401 (also this module's)

MAX_MARKS = 4  # combining marks kept in a row on one character


def clean(text: str) -> tuple[str, bool, int]:
    """(the text as the page shows it, whether invisible characters went, marks removed)."""
    kept = "".join(" " if control(c) else c for c in text if not invisible(c))
    out = " ".join(unicodedata.normalize("NFC", kept).split())
    out, stacked = unstack(out)
    return out, any(invisible(c) for c in text), stacked


def unstack(text: str) -> tuple[str, int]:
    """``text`` with at most ``MAX_MARKS`` combining marks in a row; and how many went."""
    out, run, dropped = [], 0, 0
    for c in text:
        if unicodedata.category(c) in ("Mn", "Me"):
            run += 1
            if run > MAX_MARKS:
                dropped += 1
                continue
        else:
            run = 0
        out.append(c)
    return "".join(out), dropped
