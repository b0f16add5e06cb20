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
    return start_time(pid) == started
