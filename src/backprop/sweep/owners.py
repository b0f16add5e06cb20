"""Who holds a sweep's trials: an owner id names one process — host, pid and the process's
start time — so a later process that got the same pid is not taken for it (``store``).

On this host an owner is alive while its process is; from another host while its heartbeat
(``owner`` table) is younger than ``LEASE`` seconds.
"""

from __future__ import annotations

import os
import socket

LEASE = 120.0  # seconds without a heartbeat before another host's claims count as dead


def start_time(pid: int) -> str:
    """The process's start time (Linux: clock ticks since boot), '' where unknown: with the
    pid it names one process, not a later one that got the same pid."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[19].decode()
    except (OSError, IndexError):
        return ""


def my_owner() -> str:
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{start_time(pid)}"


def alive(owner: str, heartbeat: float | None, now: float) -> bool:
    host, _, rest = owner.partition(":")
    pid_text, _, started = rest.partition(":")
    if host != socket.gethostname():
        return heartbeat is not None and now - heartbeat < LEASE
    try:
        pid = int(pid_text)
        os.kill(pid, 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:  # another user's process with that pid
        pass
    return start_time(pid) == started and not _zombie(pid)


def _zombie(pid: int) -> bool:
    """A process that exited and was not yet reaped by its parent: dead, though its pid
    still answers ``kill(pid, 0)``."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] in (b"Z", b"X")
    except (OSError, IndexError):
        return False


POLL = 0.5  # seconds between looks at trials another process holds


def holders(store) -> list[str]:
    """'host:pid' of each live process other than this one holding ``running`` trials."""
    import time

    beats = dict(store.db.execute("SELECT id, heartbeat FROM owner"))
    rows = store.db.execute("SELECT DISTINCT owner FROM trial WHERE status = 'running'")
    now = time.time()
    return [
        ":".join(o.split(":")[:2])
        for (o,) in rows
        if o and o != store.owner and alive(o, beats.get(o), now)
    ]


def wait(store, progress, make) -> bool:
    """Wait while other live processes hold ``running`` trials of the store, calling
    ``progress(make(...))`` as their trials finish. True when trials came back to ``todo``
    (a holder died: the caller runs them), False when none is left running."""
    import time

    start = time.monotonic()
    last = first = None
    while True:
        if store.reclaim_dead():
            return True
        counts = store.counts()
        if counts["todo"]:
            return True
        now = (counts["done"], counts["failed"])
        first = first or now
        if progress is not None and now != last and last is not None:
            row = store.db.execute(
                "SELECT c.label, t.final_loss FROM trial t JOIN config c ON c.id = t.config "
                "WHERE t.status = 'done' ORDER BY t.finished DESC LIMIT 1"
            ).fetchone() or ("", None)
            total = sum(counts.values())
            elapsed = time.monotonic() - start
            ran = sum(now) - sum(first)  # finished by the others while this one waited
            progress(make(now[0], now[1], total, ran, elapsed, row[0], row[1]))
        if not counts["running"]:
            return False
        last = now
        time.sleep(POLL)
