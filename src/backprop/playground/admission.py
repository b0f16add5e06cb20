"""Who gets in: the server's tab cap and its limits on sockets that have not said hello.

A tab is a session: a socket that has sent ``hello`` (the page sends it at once). Only
sessions count for ``max_sessions`` (``--max-tabs``); the check is made when the socket
opens and again at its ``hello`` (sockets opened together may all say it). Sockets that
have not said hello yet ("waiting") are capped apart, in all and per client address; when
a cap is full the *oldest* waiting socket of that address (of any, for the total) is
closed with a note, never the new one: a real tab says hello within milliseconds of
opening, so sockets that never do cannot keep it out (third trial, attacker #1: 16 bare
sockets reopened at once kept 29 of 30 real tabs out with "Too many open playground tabs"
while no tab was open). Each still goes after ``loop.HELLO_SECONDS``.
"""

from __future__ import annotations

import time

WAITING_PER_ADDRESS = 4  # × max_sessions: waiting sockets one client address may hold
WAITING_TOTAL = 8  # × max_sessions: waiting sockets in all


class Admission:
    """The server's open connections (``live``) and the rules for adding one."""

    def __init__(self, max_sessions: int) -> None:
        self.max_sessions = max_sessions
        self.live: set = set()

    def sessions(self) -> int:
        return sum(conn.session is not None for conn in self.live)

    def full(self) -> str | None:
        """Why a new tab cannot start now (every tab slot taken), or None."""
        n = self.sessions()
        if n < self.max_sessions:
            return None
        return (
            f"This playground server already has {n} open tab{'s' * (n != 1)}, the most it "
            f"takes (--max-tabs {self.max_sessions}); close one of them and reload this page."
        )

    def make_room(self, address: str) -> list:
        """The waiting connections to close so that one more from ``address`` fits: the
        oldest of that address past its cap, the oldest of all past the total."""
        waiting = sorted(
            (c for c in self.live if c.session is None), key=lambda c: getattr(c, "opened", 0)
        )
        mine = [c for c in waiting if getattr(c, "address", None) == address]
        out = mine[: max(0, len(mine) - (WAITING_PER_ADDRESS * self.max_sessions - 1))]
        rest = [c for c in waiting if c not in out]
        out += rest[: max(0, len(rest) - (WAITING_TOTAL * self.max_sessions - 1))]
        return out

    def add(self, conn, address: str) -> None:
        conn.address, conn.opened = address, time.monotonic()
        self.live.add(conn)


CROWDED = (
    "Disconnected: this connection had not said 'hello' while newer ones waited to (the "
    "page says it at once when it opens). Reload the page."
)
