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

``cut(text, limit)`` shortens a text to at most ``limit`` code points at a place where no
character drawn as one is split (the stdlib has no grapheme clusters; this is the part of
Unicode's rule (UAX #29) that the text shown here needs): it never cuts before a mark
(category M: combining, spacing and enclosing, so a nukta or vowel sign stays with its
letter), a variation selector, an emoji skin-tone modifier or tag character, next to a zero
width joiner (an emoji ZWJ sequence stays whole: a family is not cut to man + ZWJ +
woman), or inside a pair of regional indicators (a flag).
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


ZWJ = "\u200d"


def cut(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` code points, at a character boundary as the page
    draws characters (see the module's note)."""
    if len(text) <= limit:
        return text
    k = max(0, limit)
    while k > 0 and (_extends(text[k]) or text[k] == ZWJ or text[k - 1] == ZWJ):
        k -= 1
    if k > 0 and _regional(text[k]) and _regional(text[k - 1]):
        run = 0
        while run < k and _regional(text[k - 1 - run]):
            run += 1
        k -= run % 2  # inside a flag's pair: before it
    if k == 0:  # the first character drawn as one is longer than the limit (150 emoji in one
        # ZWJ chain are one grapheme cluster; cut to nothing, the task read "…"): cut it
        # between two of its emoji, at the last joiner that fits (seventh attacker 9)
        k = max(0, text.rfind(ZWJ, 0, max(0, limit) + 1))
    return text[:k]


def _extends(c: str) -> bool:
    """A character drawn as part of the one before it."""
    o = ord(c)
    return (
        unicodedata.category(c).startswith("M")  # marks (unicodedata.combining and more)
        or 0xFE00 <= o <= 0xFE0F  # variation selectors
        or 0xE0100 <= o <= 0xE01EF
        or 0x1F3FB <= o <= 0x1F3FF  # emoji modifiers (skin tones)
        or 0xE0020 <= o <= 0xE007F  # tag characters (subdivision flags)
    )


def _regional(c: str) -> bool:
    return 0x1F1E6 <= ord(c) <= 0x1F1FF
