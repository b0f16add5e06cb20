"""The one rule for an uploaded file's name as the exported spec keeps it.

An upload's name becomes the ``csv`` entry of the spec a student exports and runs with
``backprop train`` next to the file, on whatever system they use. ``protocol.upload_name``
keeps the last part of the path (folders after ``/`` or ``\\`` dropped, control characters
refused); ``plaintext.clean`` removes invisible characters. ``portable`` then makes a name
that means the same file on Windows as elsewhere, each change said in a note:

- characters Windows does not allow in a name (``< > : " | ? *``) become ``_``: a colon
  made ``C:evil.csv`` a file in drive C's current folder and ``x.csv:ads`` a hidden
  stream inside ``x.csv`` (another file's data); ``_`` (never cutting at the colon)
  keeps the name from landing on another file that exists;
- trailing dots and spaces go (Windows drops them, so ``x.csv.`` opens ``x.csv``);
- a reserved device name (CON, PRN, AUX, NUL, COM0-9, LPT0-9, CONIN$, CONOUT$, with any
  extension, any case, spaces before the dot) gets a leading ``_``: ``con.csv`` opens the
  console on Windows, not a file.
"""

from __future__ import annotations

import re

FORBIDDEN = '<>:"|?*'
DEVICES = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"} | {
    f"{port}{n}" for port in ("COM", "LPT") for n in ("0123456789¹²³")
}
DEFAULT = "upload.csv"


def portable(name: str) -> tuple[str, list[str]]:
    """(the name as the spec keeps it, what changed and why: one phrase per change)."""
    why = []
    out = name
    bad = sorted({c for c in out if c in FORBIDDEN})
    if bad:
        out = "".join("_" if c in FORBIDDEN else c for c in out)
        shown = " ".join(bad)
        why.append(
            f"replaced {shown} with _ (Windows allows none of {FORBIDDEN} in a file's name; "
            "with a colon it reads another file, a drive's folder or a hidden stream)"
        )
    trimmed = out.rstrip(". ")
    if trimmed != out:
        out = trimmed or DEFAULT
        why.append("removed the trailing dots or spaces (Windows drops them)")
    stem = re.split(r"\.", out, maxsplit=1)[0].rstrip(" ")
    if stem.upper() in DEVICES:
        out = "_" + out
        why.append(f"added _ before {stem!r}, a device name on Windows (not a file)")
    return out, why


def note(original: str, name: str, why: list[str]) -> str:
    """The note an upload shows for a name ``portable`` changed."""
    return (
        f"{name}: the file's name {original!r} was changed: {'; '.join(why)}. The exported "
        f"spec names the file {name!r}: save your copy under that name beside it."
    )
