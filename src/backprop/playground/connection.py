"""One browser tab on the server: its messages, its session, its training and snapshots.

A ``Connection`` reads the tab's messages (each checked by ``protocol.parse`` and answered,
an ``error`` message for a refusal, never a crash), drives the tab's ``Session``, and
trains it in frames of up to ``BUDGET`` seconds with a snapshot after each, at most
``IN_FLIGHT`` ahead of what the page has drawn (the page acknowledges each one after
drawing it). The slow and normal speeds count their epochs by the clock (``paced``), not
by frames. Model files are written on another thread from a copy made between two frames.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import secrets
import time

from starlette.websockets import WebSocket, WebSocketDisconnect

from ..errors import BackpropError
from . import exports, protocol, settings, views
from .protocol import ProtocolError
from .session import Session

log = logging.getLogger("backprop.playground")

FRAME = 1 / 25  # seconds per frame while training
BUDGET = 0.030  # at most this much training per frame
SPEEDS = {"slow": 3.0, "normal": 30.0, "fast": None}  # epochs per second (None: as fast as it can)
IN_FLIGHT = 2  # snapshots sent but not yet drawn
BACKLOG = 2.0  # seconds of paced steps a late frame may catch up


class Connection:
    """One tab: its session, its training task and its share of the socket."""

    def __init__(self, websocket: WebSocket) -> None:
        self.ws = websocket
        self.session: Session | None = None
        self.lock = asyncio.Lock()
        self.trainer: asyncio.Task | None = None
        self.acked = -1
        self.closed = False

    def stop(self) -> None:
        self.closed = True
        if self.trainer is not None:
            self.trainer.cancel()

    async def send(self, message_type: str, **fields) -> None:
        text = protocol.dumps(message_type, **fields)
        async with self.lock:
            if self.closed:
                return
            try:
                await self.ws.send_text(text)
            except (WebSocketDisconnect, RuntimeError, OSError):
                self.closed = True  # the tab went away; the receive loop ends the session

    async def run(self) -> None:
        while True:
            try:
                message = await self.ws.receive()
            except (WebSocketDisconnect, RuntimeError):
                return
            if message["type"] == "websocket.disconnect":
                return
            raw = message.get("text")
            if raw is None:
                raw = message.get("bytes") or b""
            if len(raw) > protocol.MAX_MESSAGE:
                self.closed = True
                await self.ws.close(
                    code=1009, reason=f"message over {protocol.MAX_MESSAGE} characters"
                )
                return
            await self.handle(raw)

    async def handle(self, raw) -> None:
        try:
            msg = protocol.parse(raw)
            await self.dispatch(msg)
        except (ProtocolError, BackpropError) as exc:
            await self._error(str(exc), getattr(exc, "field", None))
        except Exception as exc:  # a bug of ours: report it, keep the connection
            log.exception("playground: unexpected error")
            await self._error(f"internal error ({type(exc).__name__}): {exc}")

    async def _error(self, message: str, field: str | None = None) -> None:
        with contextlib.suppress(Exception):
            await self.send("error", message=message, field=field)

    # -- messages --------------------------------------------------------------------------
    async def dispatch(self, msg: dict) -> None:
        kind = msg["type"]
        if kind == "ping":
            await self.send("pong")
            return
        if kind == "hello":
            await self.hello(msg["url"])
            return
        if self.session is None:
            raise ProtocolError(f"{kind}: send 'hello' first (the page does this when it opens).")
        s = self.session
        if kind == "ack":
            self.acked = max(self.acked, msg["seq"])
        elif kind == "set":
            await self.change(msg["changes"])
        elif kind == "play":
            if s.status.diverged:
                raise ProtocolError("Training diverged; lower the learning rate and press Reset.")
            s.status.stopped = ""
            s.status.running = True
            if self.trainer is None or self.trainer.done():
                self.trainer = asyncio.create_task(self.train())
            await self.snapshot()
        elif kind == "pause":
            s.status.running = False
            await self.snapshot()
        elif kind == "step":
            s.status.running = False
            s.status.stopped = ""
            s.step_epoch() if msg["unit"] == "epoch" else s.step_batch()
            await self.snapshot()
        elif kind == "reset":
            s.status.running = False
            s.reset()
            await self.snapshot()
        elif kind == "regenerate":
            await self.change({"seed": secrets.randbelow(1_000_000)})
        elif kind == "edit":
            s.edit(msg["kind"], msg["layer"], msg["row"], msg.get("col"), msg["value"])
            await self.snapshot()
        elif kind == "upload":
            s.status.running = False
            notes = s.upload(msg["name"], msg["text"])
            await self.rebuilt(notes, data=True)
        elif kind == "export":
            await self.export(msg["what"])

    async def hello(self, url: dict) -> None:
        settings, notes = protocol.from_url(url)
        if "seed" not in settings:
            settings["seed"] = secrets.randbelow(1_000_000)
        self.stop()
        self.closed = False
        self.acked = -1  # a new session's snapshots count from 1
        try:
            self.session = Session(settings)
        except ProtocolError as exc:
            notes.append(f"link: {exc} Started from the defaults instead.")
            self.session = Session({"seed": settings["seed"]})
        notes += self.session.notes
        await self.send(
            "ready",
            state=self.session.state,
            hash=protocol.to_url(self.session.state),
            notes=notes,
            previews=exports.previews(),
            choices=exports.choices(),
        )
        await self.send("data", **views.data_view(self.session))
        await self.snapshot()

    async def change(self, changes: dict) -> None:
        s = self.session
        before = dict(s.state)
        try:
            notes = s.apply(changes)
        except ProtocolError:
            # the page shows the refused value; put its controls back to what runs
            await self.send("state", state=s.state, hash=protocol.to_url(s.state), notes=[])
            raise
        touched = {k for k in s.state if s.state[k] != before.get(k)}
        # the data message carries the points and the loss's output kind
        data = bool(touched & {*settings.DATA_KEYS, "loss"})
        if touched & {*settings.DATA_KEYS, *settings.NET_KEYS}:
            s.status.running = False  # a new network starts paused, at epoch 0
        await self.rebuilt(notes, data=data)

    async def rebuilt(self, notes: list[str], data: bool) -> None:
        s = self.session
        await self.send("state", state=s.state, hash=protocol.to_url(s.state), notes=notes)
        if data:
            await self.send("data", **views.data_view(s))
        await self.snapshot()

    async def snapshot(self) -> None:
        s = self.session
        s.seq += 1
        await self.send("snapshot", **views.snapshot(s))

    async def export(self, what: str) -> None:
        s = self.session
        base = f"playground-{s.state['dataset']}-seed{s.state['seed']}-epoch{s.epoch}"
        gaps = s.spec_gaps()
        if what == "spec":
            text = exports.spec_text(s)
            await self.send(
                "export", what="spec", filename=base + ".json", mime="application/json",
                data=base64.b64encode(text.encode()).decode("ascii"), gaps=gaps,
            )  # fmt: skip
            return
        parts = exports.model_file(s)  # now, between training frames; written on a thread
        blob = await asyncio.get_running_loop().run_in_executor(None, exports.write_model, parts)
        await self.send(
            "export", what="model", filename=base + ".safetensors",
            mime="application/octet-stream", data=base64.b64encode(blob).decode("ascii"),
            gaps=gaps,
        )  # fmt: skip

    # -- training --------------------------------------------------------------------------
    async def train(self) -> None:
        """Train in frames, a snapshot after each when the page has drawn the last ones."""
        s = self.session
        owed, last = 0.0, time.perf_counter()  # steps the pace allows but not yet run
        try:
            while s.status.running and not self.closed and self.session is s:
                start = time.perf_counter()
                eps = SPEEDS[s.state["speed"]]
                if eps is None:
                    s.train(BUDGET)
                else:
                    owed = paced(owed, eps * s.steps_per_epoch(), start - last)
                    steps = int(owed)
                    if steps:
                        owed -= s.train(BUDGET, max_steps=steps)
                last = start
                if s.seq - self.acked <= IN_FLIGHT or not s.status.running:
                    await self.snapshot()
                spent = time.perf_counter() - start
                await asyncio.sleep(max(0.0, FRAME - spent) if eps is not None else 0.002)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            s.status.running = False
            log.exception("playground: training failed")
            await self._error(f"training stopped by an internal error: {exc}")


def paced(owed: float, steps_per_second: float, elapsed: float) -> float:
    """Steps a paced speed allows ``elapsed`` seconds after the last frame.

    By the clock, not by frames: when other tabs make the frames late, each one runs more
    steps and the speed stays what it says. At most ``BACKLOG`` seconds of steps carry over,
    so a tab that fell behind (its frames' budget ran out, or the server stalled) does not
    race ahead to make up more than that.
    """
    return min(owed + steps_per_second * elapsed, steps_per_second * BACKLOG + 1)
