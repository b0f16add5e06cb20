"""Data files a sweep's trials read, pinned: absolute paths at planning, content hashed.

A trial's spec may name a CSV file (``data.csv``). A relative path would mean another file
in another folder, and a file edited between two runs of a sweep would pool two data sets
into one row. So the plan writes each path absolute (``absolute``), the store keeps each
file's SHA-256 and size in its ``file`` table when the sweep is made (``measure``), and
every run of the sweep — a resume, the same command again — hashes the files again before
a trial starts (``check``): a file that is missing, not a regular file or changed is refused
in one line, naming it. ``backprop sweep --show-trial`` warns the same way, since ``backprop
train`` on the trial's spec reads the file as it is now.

That check comes before the trials, which read the file by its path later: a file replaced
in between would still reach them. So each trial is handed its file's pin with its spec
(``attach``: the key ``PIN`` in the spec's JSON, taken out again by ``detach``) and checks
the bytes it actually reads, in the same read (``verifying``, through
``reading.READ_CHECK``): other bytes fail the trial, naming the file, and are never trained
on.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from contextlib import contextmanager

from ..errors import SweepError

BLOCK = 1 << 20
PIN = "__pin__"  # a trial's spec JSON as handed to a worker: its data file's [sha256, bytes]


def absolute(spec: dict) -> dict:
    """``spec`` (normalised, changed in place) with its ``data.csv`` made absolute."""
    data = spec.get("data")
    if isinstance(data, dict) and isinstance(data.get("csv"), str) and data["csv"]:
        data["csv"] = absolute_path(data["csv"])
    return spec


def absolute_path(path: str) -> str:
    return os.path.abspath(os.path.expanduser(path))


def digest(path: str, who: str) -> tuple[str, int]:
    """(SHA-256 hex, bytes) of a regular file; a SweepError naming ``who`` otherwise."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise SweepError(f"{who}: {path!r} does not exist (any more); {_fix()}.") from None
    except OSError as exc:
        raise SweepError(f"{who}: {path!r} cannot be read ({exc.strerror}).") from None
    if not stat.S_ISREG(st.st_mode):
        from ..reading import kind_of

        raise SweepError(f"{who}: {path!r} is {kind_of(st.st_mode)}, not a data file.")
    h = hashlib.sha256()
    size = 0
    try:
        with open(path, "rb") as f:
            while block := f.read(BLOCK):
                h.update(block)
                size += len(block)
    except OSError as exc:
        raise SweepError(f"{who}: {path!r} cannot be read ({exc.strerror}).") from None
    return h.hexdigest(), size


def measure(paths) -> list[tuple[str, str, int]]:
    """(path, sha256, bytes) of each data file a new sweep's trials read."""
    return [(p, *digest(p, "sweep data file")) for p in sorted(set(paths))]


def check(pinned: dict[str, tuple[str, int]], label: str) -> None:
    """Each pinned file as it was when the sweep was planned; a SweepError otherwise."""
    for path, (sha, size) in sorted(pinned.items()):
        now, n = digest(path, f"{label}: data file")
        if now != sha:
            raise SweepError(
                f"{label}: data file {path!r} changed since the sweep was planned "
                f"({size:,} bytes, sha256 {sha[:12]}…; now {n:,} bytes, {now[:12]}…): its "
                f"trials would mix two data sets; {_fix()}."
            )


def attach(text: str, pinned: dict[str, tuple[str, int]]) -> str:
    """A trial's spec JSON with its data file's pin added (unchanged when it reads none)."""
    if not pinned:
        return text
    spec = json.loads(text)
    data = spec.get("data") if isinstance(spec, dict) else None
    path = data.get("csv") if isinstance(data, dict) else None
    if not isinstance(path, str) or path not in pinned:
        return text
    sha, size = pinned[path]
    return json.dumps({**spec, PIN: [path, sha, size]})


def detach(spec: dict) -> tuple[dict, tuple[str, str, int] | None]:
    """(the spec without its pin, the pin (path, sha256, bytes) or None)."""
    if PIN not in spec:
        return spec, None
    spec = dict(spec)
    path, sha, size = spec.pop(PIN)
    return spec, (path, sha, int(size))


@contextmanager
def verifying(pin: tuple[str, str, int] | None):
    """While inside: every read of the pinned file (``reading.read_bytes``) must give the
    bytes pinned, else a SweepError naming the file fails the trial; the block must read it
    (a trial that did not is refused the same way, never counted as checked)."""
    if pin is None:
        yield
        return
    from ..reading import READ_CHECK

    path, sha, size = pin
    seen = []

    def check(name, data: bytes) -> None:
        if absolute_path(os.fspath(name)) != path:
            return
        now = hashlib.sha256(data).hexdigest()
        if now != sha:
            raise SweepError(
                f"data file {path!r} {CHANGED} ({size:,} bytes, sha256 "
                f"{sha[:12]}… when planned; this trial read {len(data):,} bytes, {now[:12]}…): "
                f"not trained on; {_fix()}."
            )
        seen.append(True)

    token = READ_CHECK.set(check)
    try:
        yield
    finally:
        READ_CHECK.reset(token)
    if not seen:
        raise SweepError(
            f"data file {path!r}: the trial did not read it through the checked reader, so "
            "its bytes could not be compared with the pin; not counted."
        )


# the words of a trial that failed because its data file was not as pinned: an
# environmental failure, not the trial's own. Stored failed with them, such a trial waits:
# once every pinned file is as pinned again, a resume re-runs it (``Store.retry_waiting``).
CHANGED = "changed during the sweep"


def waiting(error) -> bool:
    """Whether a failed trial's stored error is a changed data file's (``CHANGED``)."""
    if not isinstance(error, str):
        return False
    error = error.removeprefix("SweepError: ")  # as a worker's error is stored
    return error.startswith("data file ") and CHANGED in error.partition(" (")[0]


def _fix() -> str:
    return (
        "put the file back as it was and --resume re-runs the trials that waited for it, "
        "or start a new sweep (a new --db file) "
        "on the file as it is now"
    )
