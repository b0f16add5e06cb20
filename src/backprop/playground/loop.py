"""How a tab's connection reads its socket and works through its messages.

``MessageLoop`` is the message side of ``connection.Connection`` (which inherits it): one
task reads the socket into the tab's ``inbox.Inbox`` (within its budgets: a tab past them
is told, and closed if it keeps on) and lets the event loop go round after every message,
so that a socket's queue of thousands of messages cannot hold the other tabs; another task
answers the inbox oldest first, runs of one kind merged, and rests after each message as
long as it took (``WORK_SHARE``), so one tab's messages take at most half of the server's
time while the other tabs' turns and messages come in between. Heavy messages (``HEAVY``:
rebuilds, uploads, exports) share that half among the tabs sending them
(``pacing.Turns.heavy_until``), so many tabs rebuilding cannot take the whole server; the
longer rest after a heavy message holds only the tab's next heavy one: a light message
(play, pause, an ack, a ping) behind it is answered after its own rest, and pushes the
heavy rest on by as much (the tab keeps within its half). Before, a tab's ``play`` waited
out the rest after its own ``hello``: 0.2-0.7 s of hello with ten tabs made 3-7 s without
a snapshot (the load test's known defect of sessions 23-24). It uses what
``Connection`` has: ``ws``, ``inbox``, ``closed``, ``greeted``, ``deferring``, ``dispatch``,
``flush`` and ``_error``. A socket that sends no ``hello`` within ``HELLO_SECONDS`` is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from starlette.websockets import WebSocketDisconnect

from ..errors import BackpropError
from . import protocol, views
from .protocol import ProtocolError

log = logging.getLogger("backprop.playground")

WORK_SHARE = 0.5  # of the server's time, one tab's messages take at most this
# a socket that has sent no 'hello' this long after opening is closed (the page sends it at
# once): bare sockets may not hold the server's tab slots
HELLO_SECONDS = 5.0


# messages that may rebuild the data or the network, read a file or write a model: their
# time is shared by all tabs (``Turns.work``); pings, acks, pauses and the like are not
HEAVY = {"set", "upload", "preset", "regenerate", "reset", "solution", "export", "hello",
         "step", "edit"}  # fmt: skip


HEAVY_WINDOW = 0.5  # seconds after its rest a tab still shares the heavy messages' time


def heavy(item) -> bool:
    return isinstance(item, dict) and item.get("type") in HEAVY


class MessageLoop:
    """Reading and answering one tab's messages (mixed into ``Connection``)."""

    heavy_at = 0.0  # perf_counter time before which the tab's next heavy message waits

    async def run(self) -> None:
        """Read the tab's messages into its inbox while ``work`` answers them, until the
        tab goes away (or floods past its budget, see ``inbox``)."""
        worker = asyncio.create_task(self.work())
        try:
            await self.read()
        finally:
            self.closed = True
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker

    async def read(self) -> None:
        deadline = time.monotonic() + HELLO_SECONDS
        while True:
            try:
                if self.greeted:
                    message = await self.ws.receive()
                else:
                    wait = max(0.0, deadline - time.monotonic())
                    message = await asyncio.wait_for(self.ws.receive(), wait)
            except TimeoutError:
                await self._error(
                    f"Disconnected: no 'hello' message within {HELLO_SECONDS:g} s of opening "
                    "the connection (the page sends it at once). Reload the page."
                )
                await self.close(1008, "no hello")
                return
            except (WebSocketDisconnect, RuntimeError):
                return
            if message["type"] == "websocket.disconnect":
                return
            raw = message.get("text")
            if raw is None:
                raw = message.get("bytes") or b""
            if len(raw) > protocol.MAX_MESSAGE:
                await self.close(1009, f"message over {protocol.MAX_MESSAGE} characters")
                return
            verdict = self.inbox.offer(raw, time.monotonic())
            if verdict.close:
                await self._error(f"Disconnected: {verdict.close}.")
                await self.close(1008, verdict.close)
                return
            if verdict.tell:
                await self._error(verdict.tell)
            # a socket's queue hands over its messages without waiting: let the loop go
            # round, so that one tab's queue cannot hold the others
            await asyncio.sleep(0)

    async def close(self, code: int, reason: str) -> None:
        self.closed = True
        with contextlib.suppress(Exception):
            await self.ws.close(code=code, reason=reason)

    async def work(self) -> None:
        """Answer the inbox oldest first, runs merged; what a message changes (state, data,
        snapshot) is sent once the inbox is empty (or ``FLUSH_WAIT`` after it changed).
        After each message the work rests as long as it took, so one tab's messages take
        at most half of the server's time, and what comes meanwhile merges; a heavy
        message's longer rest (``sharing``) holds the tab's next heavy message only."""
        while True:
            if not self.inbox:
                self.deferring = False
                await self.flush()
                self.inbox.ready.clear()
                await self.inbox.ready.wait()
                continue
            wait = self.heavy_at - time.perf_counter()
            if wait > 0 and heavy(self.inbox.peek()):
                self.deferring = False  # nothing merges while it waits: send what is owed
                await self.flush()
                await asyncio.sleep(wait)
                continue
            item = self.inbox.take()
            self.deferring = bool(self.inbox)
            start = time.perf_counter()
            await self.answer_now(item)
            end = time.perf_counter()
            spent = end - start
            rest = self.sharing(item, end, spent)
            if heavy(item):  # the heavy rest holds the next heavy message, the lighter one
                self.heavy_at = end + rest  # the next message of any kind
                rest = spent * (1 - WORK_SHARE) / WORK_SHARE
            elif self.heavy_at > end:  # a light message within a heavy rest lengthens it
                self.heavy_at += spent + rest
            await asyncio.sleep(rest)

    def sharing(self, item, now: float, spent: float) -> float:
        """Seconds to rest after a message that took ``spent``: as long again for most, so
        one tab's messages take at most ``WORK_SHARE`` of the server. A heavy message
        (``HEAVY``) shares that half with the other tabs' heavy messages: those of the tabs
        working or resting after one (within ``HEAVY_WINDOW``), so six tabs rebuilding take
        half of the server between them, not six halves (third trial, attacker #2: another
        tab's ping waited 2 s). A tab that has not been rebuilding is answered at once; its
        rest afterwards is the longer."""
        turns = getattr(self, "turns", None)
        if turns is None or not heavy(item):
            return spent * (1 - WORK_SHARE) / WORK_SHARE
        until = turns.heavy_until
        for key in [k for k, t in until.items() if now - t > HEAVY_WINDOW]:
            del until[key]
        tabs = 1 + sum(1 for k in until if k != id(self))
        rest = spent * (tabs / WORK_SHARE - 1)
        until[id(self)] = now + rest
        return rest

    async def snapshot_off(self) -> str:
        """``snapshot_text`` with its picture's forward pass (the 100 x 100 grid through
        every layer) on a thread, from a copy of the weights, when it is large
        (``views.PICTURE_THREAD_MACS``): on 8 layers of 16 it was one block of 0.1-0.6 s
        of the event loop (load 1-17), and a tab flooding edits made one after each,
        holding every other tab's ping that long (seventh attacker, item 11). NumPy lets
        the event loop go on meanwhile; the thumbnails are cut from it here. This tab's
        work waits for it (nothing rebuilds the network meanwhile); a network rebuilt all
        the same is drawn from the weights of now."""
        from ..delta import forward

        s = self.session
        if views.picture_macs(s) <= views.PICTURE_THREAD_MACS:
            return self.snapshot_text()
        built, start = s.builds, time.perf_counter()
        rows, net = views.picture_rows(s)
        cache = await asyncio.to_thread(forward, None, rows, net)
        spent = time.perf_counter() - start
        if self.session is not s or s.builds != built:
            return self.snapshot_text()
        return self.snapshot_text(views.picture(s, rows, net, cache), spent)

    async def answer_now(self, item) -> None:
        self.inbox.busy = True
        try:
            await self.answer(item)
        finally:
            self.inbox.busy = False

    async def handle(self, raw) -> None:
        """Answer one message now (what ``work`` does for each, without the inbox)."""
        try:
            item = protocol.parse(raw)
        except ProtocolError as exc:
            item = exc
        await self.answer(item)

    async def answer(self, item) -> None:
        try:
            if isinstance(item, ProtocolError):
                raise item
            await self.dispatch(item)
        except (ProtocolError, BackpropError) as exc:
            await self._error(str(exc), getattr(exc, "field", None))
        except Exception as exc:  # a bug of ours: report it, keep the connection
            log.exception("playground: unexpected error")
            await self._error(f"internal error ({type(exc).__name__}): {exc}")
