"""Issue 12, item 7: the playground under floods from one tab, and its stop on SIGTERM.

The real server runs in a subprocess (see ``playground_harness.py``) with its own TMPDIR.
For each kind of message the page can send (``set`` of the expensive fields and of a cheap
one, ``hello``, ``reset``, ``regenerate``, ``step``, ``play``/``pause``, ``edit``,
``export``, ``upload``, ``resync``, ``visibility``, ``ack``, ``ping``, unknown and
malformed messages, and all of them mixed) one tab floods the server as fast as its socket
takes the messages, reading what comes back, while another tab measures how long a ping
waits for its pong. Pass: the measuring tab's p99 stays under ``P99_LIMIT_S`` and the
flooding tab is told (an ``error`` saying it sent too many messages or queued too much
work, or a close with that reason), not silently dropped. Then, with a mixed flood still
running, SIGTERM: the server exits within ``STOP_LIMIT_S`` and leaves nothing in its
temporary folder. Fast mode floods a representative subset 1.5 s each; long mode every
kind 10 s each. ``-s`` prints p50/p99 and the counts per kind.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import time

import numpy as np
import pytest

pytest.importorskip("starlette", reason="the web extra (starlette) is not installed")
pytest.importorskip("uvicorn", reason="the web extra (uvicorn) is not installed")
pytest.importorskip("websockets.asyncio.client", reason="websockets ≥ 13 needed")
from websockets.exceptions import ConnectionClosed  # noqa: E402

from .playground_harness import (  # noqa: E402
    assert_clean_log,
    connect,
    hello,
    malformed,
    msg,
    server_starter,
    url_of,
)

P99_LIMIT_S = 0.25  # the measuring tab's ping, 99th percentile
STOP_LIMIT_S = 2.0  # SIGTERM to exit
PING_TIMEOUT_S = 5.0  # a ping unanswered this long counts as this long (and fails)
MAX_FLOOD_MESSAGES = 200_000  # per kind, whatever the time
TOLD = re.compile(r"too (many|much)", re.IGNORECASE)  # what the flooder must be told

# the flooding tab's session: a large data set, one-sample batches, three layers, so that
# a rebuild, an epoch step, a snapshot cost what they cost in a real, busy tab
FLOOD_TAB = {"dataset": "spiral", "n": 2000, "batch_size": 1, "hidden": [8, 8, 8],
             "activation": ["tanh"] * 3, "seed": 7}  # fmt: skip


def _csv() -> str:
    rng = np.random.default_rng(0)
    rows = [f"{a:.4f},{b:.4f},{int(a * b > 0)}" for a, b in rng.uniform(-1, 1, (5000, 2))]
    return "a,b,label\n" + "\n".join(rows) + "\n"


CSV = _csv()
BAD = malformed(200, seed=12)

KINDS = {
    "set hidden": lambda i: msg("set", changes={"hidden": [1 + i % 16, 8]}),
    "set n": lambda i: msg("set", changes={"n": 1000 + i % 1000}),
    "set activation": lambda i: msg("set", changes={"activation": [("relu", "tanh")[i % 2]]}),
    "set lr": lambda i: msg("set", changes={"lr": (0.01, 0.03)[i % 2]}),
    "hello": lambda i: msg("hello", url=url_of({**FLOOD_TAB, "seed": i})),
    "reset": lambda i: msg("reset"),
    "regenerate": lambda i: msg("regenerate"),
    "step epoch": lambda i: msg("step", unit="epoch"),
    "step batch": lambda i: msg("step", unit="batch"),
    "play/pause": lambda i: msg(("play", "pause")[i % 2]),
    "edit": lambda i: msg("edit", kind="weight", layer=1, row=0, col=0, value=i % 7 - 3.0, net=0),
    "export model": lambda i: msg("export", what="model"),
    "export spec": lambda i: msg("export", what="spec"),
    "upload": lambda i: msg("upload", name="flood.csv", text=CSV),
    "resync": lambda i: msg("resync"),
    "visibility": lambda i: msg("visibility", hidden=bool(i % 2)),
    "ack": lambda i: msg("ack", seq=i),
    "ping": lambda i: msg("ping"),
    "unknown type": lambda i: msg("fly"),
    "malformed": lambda i: BAD[i % len(BAD)],
}
SINGLE = list(KINDS)
KINDS["mixed"] = lambda i: KINDS[SINGLE[i % len(SINGLE)]](i // len(SINGLE))
FAST_KINDS = ["set hidden", "step epoch", "upload", "hello", "export model", "mixed"]


class Flooder:
    """One tab sending ``make(i)`` as fast as its socket takes them, reading the answers."""

    def __init__(self, server, make) -> None:
        self.server, self.make = server, make
        self.sent = self.received = 0
        self.told: list[str] = []  # the errors that say it is too much
        self.close_reason = ""
        self.failed = ""  # why the tab could not even start (the server did not answer)
        self.stop = asyncio.Event()

    async def run(self, seconds: float) -> None:
        try:
            await self._run(seconds)
        except (TimeoutError, OSError, ConnectionClosed) as exc:
            self.failed = f"{type(exc).__name__}: {exc}"

    async def _run(self, seconds: float) -> None:
        # close without waiting for the server to read the backlog (the kernel's buffers)
        async with connect(self.server, open_timeout=PING_TIMEOUT_S, close_timeout=0.2) as ws:
            await asyncio.wait_for(hello(ws, FLOOD_TAB), PING_TIMEOUT_S)
            reader = asyncio.create_task(self._read(ws))
            end = time.monotonic() + seconds
            try:
                for i in itertools.count():
                    if self.stop.is_set() or time.monotonic() > end:
                        break
                    if i >= MAX_FLOOD_MESSAGES:
                        break
                    await ws.send(self.make(i))
                    self.sent += 1
                    await asyncio.sleep(0)  # let this process's measuring tab read its pong
            except ConnectionClosed as closed:
                self.close_reason = closed.rcvd.reason if closed.rcvd else "closed"
            finally:
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                    await reader

    async def _read(self, ws) -> None:
        try:
            async for text in ws:
                self.received += 1
                if '"type":"error"' in text[:40] and TOLD.search(text):
                    self.told.append(text)
        except ConnectionClosed as closed:
            self.close_reason = closed.rcvd.reason if closed.rcvd else "closed"


async def measure(ws, stop: asyncio.Event) -> list[float]:
    """Pings, one every 20 ms until ``stop``; the seconds each waited for its pong."""
    waits = []
    while not stop.is_set():
        t0 = time.perf_counter()
        try:
            await ws.send(msg("ping"))
            async with asyncio.timeout(PING_TIMEOUT_S):
                while '"type":"pong"' not in await ws.recv():
                    pass
        except (TimeoutError, ConnectionClosed):  # unanswered, or the socket gave up
            waits.append(PING_TIMEOUT_S)
            break
        waits.append(time.perf_counter() - t0)
        await asyncio.sleep(0.02)
    return waits


async def flood_one(server, watcher, kind: str, seconds: float) -> dict:
    flooder = Flooder(server, KINDS[kind])
    stop = asyncio.Event()
    flooding = asyncio.create_task(flooder.run(seconds))
    await asyncio.sleep(0.2)  # its hello answered, the flood under way
    measuring = asyncio.create_task(measure(watcher, stop))
    await flooding
    stop.set()
    waits = await measuring
    q = np.quantile(waits, [0.5, 0.99]) if waits else [PING_TIMEOUT_S] * 2
    return {"kind": kind, "p50": q[0], "p99": q[1], "pings": len(waits), "max": max(waits),
            "sent": flooder.sent, "received": flooder.received, "told": len(flooder.told),
            "closed": flooder.close_reason or flooder.failed,
            "example": (flooder.told or [""])[0][:160]}  # fmt: skip


def test_floods_leave_other_tabs_answered_and_sigterm_stops(tmp_path, long_mode):
    kinds = list(KINDS) if long_mode else FAST_KINDS
    seconds = 10.0 if long_mode else 1.5
    with server_starter(tmp_path) as start:
        server = start(max_tabs=4)

        async def main():
            rows = []
            async with connect(server) as watcher:
                await hello(watcher, {"dataset": "xor", "seed": 1})
                for kind in kinds:
                    rows.append(await flood_one(server, watcher, kind, seconds))
                # a model export goes through the server's temporary folder
                await watcher.send(msg("export", what="model"))
                while '"type":"export"' not in await asyncio.wait_for(watcher.recv(), 30):
                    pass
                # SIGTERM with a flood under way: the server stops within STOP_LIMIT_S
                flooder = Flooder(server, KINDS["mixed"])
                flooding = asyncio.create_task(flooder.run(30.0))
                await asyncio.sleep(1.0)
                during = server.temp_files()  # the server's folder, uploads and exports in it
                stopped = await asyncio.to_thread(server.terminate, 10.0)
                flooder.stop.set()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(flooding, 10)
            return rows, stopped, during

        rows, stopped, during = asyncio.run(main())
        left = server.temp_files()
        lines = ["", "playground floods (one tab floods, another pings):"]
        for r in rows:
            lines.append(
                f"  {r['kind']:>14}: ping p50 {r['p50'] * 1e3:7.1f} ms  p99 "
                f"{r['p99'] * 1e3:7.1f} ms  max {r['max'] * 1e3:7.1f} ms  ({r['pings']} pings); "
                f"flooder sent {r['sent']}, got {r['received']} answers, told {r['told']} "
                f"times{', closed: ' + r['closed'] if r['closed'] else ''}"
            )
        shown = "did not stop" if stopped is None else f"stopped in {stopped:.2f} s"
        lines.append(
            f"  SIGTERM during a mixed flood: {shown}; in the temporary folder before: "
            f"{during[:3]}, after: {left}"
        )
        example = next((r["example"] for r in rows if r["example"]), "")
        lines.append(f"  what the flooder is told: {example}")
        print("\n".join(lines))
        slow = [(r["kind"], round(r["p99"], 3)) for r in rows if r["p99"] >= P99_LIMIT_S]
        assert not slow, f"ping p99 over {P99_LIMIT_S} s while flooding: {slow}"
        untold = [r["kind"] for r in rows if not r["told"] and not TOLD.search(r["closed"])]
        assert not untold, f"flooders never told they sent too much: {untold}"
        assert stopped is not None and stopped < STOP_LIMIT_S, f"SIGTERM: {shown}"
        assert during, "the server's temporary folder was not where the test looks"
        assert left == [], f"temporary files left behind: {left}"
        assert_clean_log(server)
