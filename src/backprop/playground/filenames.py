"""The one rule for an uploaded file's name as the exported spec keeps it.

An upload's name becomes the ``csv`` entry of the spec a student exports and runs with
``backprop train`` next to the file, on whatever system they use. ``protocol.upload_name``
refuses control characters, '.' and '..'; ``kept`` is the one rule after it: the last part
of the path (folders after ``/`` or ``\\`` dropped), ``plaintext.clean`` (invisible
characters removed, more than 4 combining marks on a letter cut, NFC), then ``portable``;
a name left empty is ``upload.csv``, one made hidden (``\u200b.csv`` -> ``.csv``) gets
``upload`` before its dot. Any change at all, whatever made it, is said in one note that
tells the student to save their copy under the name the spec gives (eighth attacker 7:
``../../etc/passwd.csv``, ``C:\\Users\\a.csv`` and a name with 8 marks were changed
silently). ``portable`` makes a name that means the same file on Windows as elsewhere:

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
import unicodedata

from ..textrules import invisible
from . import plaintext
from .plaintext import MAX_MARKS

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


def kept(given: str) -> tuple[str, list[str]]:
    """(the name the session and spec keep for an upload named ``given``, the note: [] when
    it is kept as given)."""
    base = given.replace("\\", "/").rsplit("/", 1)[-1]
    why = [f"removed the folders before it ({quoted(given[: len(given) - len(base)])[:60]}"
           "; a spec names a file beside it)"] if base != given else []  # fmt: skip
    name, gone, marks = plaintext.clean(base)
    if gone:
        why.append("removed invisible or direction-changing characters")
    if marks:
        why.append(f"removed {marks} combining mark(s) past {MAX_MARKS} on one letter")
    if " ".join(base.split()) != base:
        why.append("removed spaces at its ends or joined a run of them")
    if unicodedata.normalize("NFC", base) != base and not gone and not marks:
        why.append("wrote its accented letters in one Unicode form (NFC)")
    name, windows = portable(name) if name else (name, [])
    why += windows
    if not name:
        name = DEFAULT
        why.append(f"nothing was left of it, so it is {DEFAULT}")
    elif name.startswith(".") and not base.startswith("."):
        name = "upload" + name
        why.append("a name starting with '.' is a hidden file: added 'upload' before it")
    if name == given:
        return name, []
    return name, [note(given, name, why)]


def quoted(name: str) -> str:
    """A name as a note quotes it: Python's repr, invisible characters escaped too."""
    # repr escapes Cf and controls; the letters that draw nothing (U+3164) are printable
    return "".join(_escaped(c) if invisible(c) else c for c in repr(name))


def _escaped(c: str) -> str:
    return f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}"


def note(original: str, name: str, why: list[str]) -> str:
    """The note an upload shows for a name ``kept`` changed."""
    return (
        f"{name}: the file's name {quoted(original)} was changed: {'; '.join(why)}. The "
        f"exported spec names the file {name!r}: save your copy under that name beside it."
    )
