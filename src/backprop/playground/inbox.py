"""A tab's messages waiting for its work: the budget it may send, and runs merged into one.

One tab must not be able to take the server from the others by sending messages faster
than they can be answered (issue 12, item 7: a flood of ``set hidden`` once held a fresh
tab's ping for 42 s). Each connection reads its socket into an ``Inbox`` and works through
it on its own task; the inbox keeps three budgets:

- **messages a second**: a token bucket of ``RATE`` tokens a second, ``BURST`` at once; a
  message sent before the tab's earlier ones were answered costs one token and one more
  per ``TOKEN_CHARS`` characters (an upload of a million characters costs 11); one that
  finds the tab's work idle costs nothing (a tab that waits for each answer cannot crowd
  the others: its work runs one message at a time, within ``loop.WORK_SHARE``).
  Past it, messages are dropped and the tab is told
  (an ``error`` at most once every ``TELL_EVERY`` seconds, with how many were dropped);
  a tab that keeps over it for ``CLOSE_AFTER`` seconds is disconnected (1008, with the
  reason).
- **queued work**: at most ``QUEUE_MAX`` messages wait; past that, they are dropped and
  the tab is told the same way.
- **runs merged**: the work takes the oldest message and merges the same kind queued right
  behind it (``MERGED``): many ``set`` become one change (one rebuild), many ``hello`` the
  last one, many ``ack`` the highest; a run of ``reset``, ``pause``... runs once.

The page sends at most a few dozen messages a second (an ``ack`` per snapshot drawn,
settings while a slider moves), well within the budget. This module parses messages
(``protocol.parse``) but touches no socket and no session.
"""

from __future__ import annotations

import asyncio
import collections
import math
from dataclasses import dataclass

from . import protocol
from .protocol import ProtocolError

RATE = 200.0  # tokens a second a tab may spend on messages
BURST = 400.0  # tokens it may spend at once
TOKEN_CHARS = 100_000  # a message costs one token, and one more per this many characters
QUEUE_MAX = 64  # messages waiting for the tab's work; more are dropped
TELL_EVERY = 1.0  # seconds between two "too many" errors to one tab
CLOSE_AFTER = 5.0  # seconds of messages over the budget before the tab is disconnected
MERGED = ("set", "hello", "ack", "visibility", "reset", "resync", "pause", "play", "regenerate")


@dataclass
class Verdict:
    """What to do with a message offered to the inbox."""

    queued: bool  # taken (else dropped)
    tell: str = ""  # an error to send the tab now ("" for none)
    close: str = ""  # a reason to close the socket with ("" to keep it)


class Inbox:
    """A tab's messages between its socket and its work, within its budgets."""

    def __init__(self) -> None:
        self.items: collections.deque = collections.deque()  # raw text, or parsed
        self.tokens = BURST
        self.at: float | None = None  # when the tokens were counted
        self.dropped = 0  # since the tab was last told
        self.told_at = -math.inf
        self.over_since: float | None = None  # when the tab went over the budget
        self.last_drop = -math.inf
        self.total_dropped = 0
        self.ready = asyncio.Event()
        self.busy = False  # the tab's work is answering a message

    def __len__(self) -> int:
        return len(self.items)

    def offer(self, raw, now: float) -> Verdict:
        """Queue ``raw`` (received at ``now``, monotonic seconds) if the budgets allow."""
        if self.at is not None:
            self.tokens = min(BURST, self.tokens + (now - self.at) * RATE)
        self.at = now
        cost = 0 if not (self.items or self.busy) else 1 + len(raw) // TOKEN_CHARS
        if self.tokens >= cost and len(self.items) < QUEUE_MAX:
            self.tokens -= cost
            self.items.append(raw)
            self.ready.set()
            if now - self.last_drop > TELL_EVERY:
                self.over_since = None  # a second without drops: no longer flooding
            return Verdict(True)
        return self._drop(now, queue_full=self.tokens >= cost)

    def _drop(self, now: float, queue_full: bool) -> Verdict:
        self.dropped += 1
        self.total_dropped += 1
        if self.over_since is None or now - self.last_drop > TELL_EVERY:
            self.over_since = now
        self.last_drop = now
        if now - self.over_since >= CLOSE_AFTER:
            return Verdict(False, close=f"too many messages for {CLOSE_AFTER:g} s (flooding)")
        if now - self.told_at < TELL_EVERY:
            return Verdict(False)
        self.told_at, n, self.dropped = now, self.dropped, 0
        if queue_full:
            why = (
                f"Too much work queued: {QUEUE_MAX} messages of this tab are waiting for "
                f"its earlier ones; {n} more were dropped. Wait for the answers before "
                "sending more."
            )
        else:
            why = (
                f"Too many messages: this tab sent more than the playground takes ({RATE:g} "
                f"a second, {BURST:g} at once; large messages count one more per "
                f"{TOKEN_CHARS:,} characters); {n} were dropped. Slow down: a tab that "
                f"keeps on for {CLOSE_AFTER:g} s is disconnected."
            )
        return Verdict(False, tell=why)

    def take(self) -> dict | ProtocolError:
        """The oldest message, checked (a ``ProtocolError`` if it is refused), merged with
        the messages of its kind queued right behind it."""
        first = self._peek()
        self.items.popleft()
        if isinstance(first, ProtocolError) or first["type"] not in MERGED:
            return first
        while self.items:
            nxt = self._peek()
            if isinstance(nxt, ProtocolError) or nxt["type"] != first["type"]:
                break
            if first.get("base") != nxt.get("base"):
                break  # made from different states: each is checked on its own
            self.items.popleft()
            first = merge(first, nxt)
        return first

    def peek(self) -> dict | ProtocolError:
        """The oldest message, checked, left in place (the inbox must not be empty)."""
        return self._peek()

    def _peek(self) -> dict | ProtocolError:
        item = self.items[0]
        if isinstance(item, dict | ProtocolError):
            return item
        try:
            parsed = protocol.parse(item)
        except ProtocolError as exc:
            parsed = exc
        self.items[0] = parsed
        return parsed


def merge(first: dict, then: dict) -> dict:
    """Two messages of one kind, one after the other, as one."""
    kind = first["type"]
    if kind == "set":  # (of one ``base``: ``Inbox.take`` merges no others)
        # the parts are kept: a merged change refused as a whole is made part by part
        parts = [*first.get("parts", [first["changes"]]), then["changes"]]
        out = {"type": "set", "changes": {**first["changes"], **then["changes"]}, "parts": parts}
        return {**out, "base": first["base"]} if "base" in first else out
    if kind == "ack":
        return {"type": "ack", "seq": max(first["seq"], then["seq"])}
    return then  # hello and visibility: the last; the rest carry nothing to merge
