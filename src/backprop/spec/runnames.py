"""Names in run folders: what may name a run folder, and which entries a run wrote.

``RunFolder`` (``spec.runfolder``) decides with these what it may create, replace and
delete: a folder name must match ``NAME_RULE`` (``slug`` makes one from any text); an entry
of a run folder counts as the run's own only if it is a regular file (a symlink is never
followed) named as a run names its files (``RUN_FILES``, or listed in the folder's marker
``MARKER``) or a temporary file of one (``.NAME.<8 chars>.tmp``). Everything else — a folder
named ``spec.json``, a link named ``model.safetensors``, ``notes.txt`` — is foreign, and a
folder holding foreign entries is never replaced or deleted.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from pathlib import Path

__all__ = ["MARKER", "NAME_RULE", "RUN_FILES", "foreign", "is_safe_name", "read_marker",
           "short", "slug"]  # fmt: skip

NAME_RULE = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"
MARKER = ".backprop-run.json"
RUN_FILES = frozenset(
    {"model.safetensors", "spec.json", "history.csv", "history.json", "loss.png", "fit.png",
     "boundary.png", "network.png", "confusion.png", "misclassified.png", MARKER}
)  # fmt: skip
_NAME = re.compile(NAME_RULE)


def is_safe_name(value) -> bool:
    """True for a string that may name a run folder as is (``NAME_RULE``)."""
    return isinstance(value, str) and _NAME.fullmatch(value) is not None


def slug(text: str, default: str = "run") -> str:
    """A safe folder name made from any text: 'my data (2)' → 'my-data-2'; '' → ``default``.

    A name that is safe already comes back unchanged.
    """
    if is_safe_name(text):
        return text
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_text)
    cleaned = re.sub(r"^[^A-Za-z0-9]+", "", cleaned)[:64].rstrip("-._")
    return cleaned if is_safe_name(cleaned) else default


def short(name: str) -> str:
    """``name``, or for a long one (up to 255 bytes) its head and a hash: room for suffixes."""
    raw = name.encode(errors="surrogateescape")
    if len(raw) <= 150:
        return name
    import hashlib  # here: it loads OpenSSL, which only a long name needs

    head = raw[:100].decode(errors="ignore")
    return head + "~" + hashlib.sha256(raw).hexdigest()[:12]


_TEMP = re.compile(r"^\.(.+)\.[a-z0-9_]{8}\.tmp$")  # atomic_write_bytes's temporary files


def foreign(folder) -> list[str]:
    """Entries of ``folder`` a run does not write, visible names first.

    A run file is a regular file (not followed if a link) named exactly as a run names its
    files (``RUN_FILES`` and those the folder's marker lists), or a temporary file of one;
    a folder, a link or anything else is foreign.
    """
    listed = read_marker(Path(folder)).get("files")
    names = RUN_FILES | {n for n in listed if isinstance(n, str)} if isinstance(
        listed, list) else RUN_FILES  # fmt: skip
    found = []
    for entry in os.scandir(folder):
        temp = _TEMP.match(entry.name)
        named = entry.name in names or (temp is not None and temp.group(1) in names)
        if not (named and entry.is_file(follow_symlinks=False)):
            found.append(entry.name)
    return sorted(found, key=lambda e: (e.startswith("."), e))


def read_marker(folder: Path) -> dict:
    """The marker of a run folder (a regular file, JSON object), or {}."""
    try:
        path = folder / MARKER
        if not path.is_symlink() and path.is_file() and path.stat().st_size < 65536:
            info = json.loads(path.read_text(encoding="utf-8"))
            return info if isinstance(info, dict) else {}
    except (OSError, ValueError):
        pass
    return {}
