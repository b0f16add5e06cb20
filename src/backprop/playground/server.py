"""The playground's web server: the page, its static files and one WebSocket per tab.

``create_app()`` returns a Starlette application. ``GET /`` serves the page, ``/static``
its script and style (package data, no build step), and ``/ws`` is the WebSocket over which
a tab drives its own ``Session``: the page sends settings and commands, the server trains
with the δ engine and streams snapshots, at most two ahead of what the page has drawn.
Safety: requests whose ``Host`` is not this machine are refused (a defence against DNS
rebinding), the WebSocket's ``Origin`` must be the server's own, every message is checked
and answered (an ``error`` message, never a crash), a message over ``MAX_MESSAGE`` closes
that connection only, and at most ``max_sessions`` tabs train at once. ``serve`` runs it
with uvicorn (``backprop playground``).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ipaddress
import logging
import secrets
import time
from importlib import resources

from starlette.applications import Starlette
from starlette.responses import HTMLResponse, PlainTextResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from ..errors import BackpropError
from . import exports, protocol, settings, views
from .protocol import ProtocolError
from .session import Session

log = logging.getLogger("backprop.playground")

LOCAL_NAMES = {"localhost", "127.0.0.1", "::1"}
FRAME = 1 / 25  # seconds per frame while training
BUDGET = 0.030  # at most this much training per frame
SPEEDS = {"slow": 3.0, "normal": 30.0, "fast": None}  # epochs per second (None: as fast as it can)
IN_FLIGHT = 2  # snapshots sent but not yet drawn
BACKLOG = 2.0  # seconds of paced steps a late frame may catch up
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def static_dir() -> str:
    return str(resources.files("backprop.playground").joinpath("static"))


def host_name(host_header: str) -> str:
    """The host part of a Host header ("[::1]:8000" → "::1", "localhost:80" → "localhost")."""
    h = host_header.strip().lower()
    if h.startswith("["):
        return h[1 : h.find("]")] if "]" in h else h
    return h.rsplit(":", 1)[0] if h.count(":") == 1 else h


def host_allowed(host_header: str | None, public: bool) -> bool:
    """Local names always; any IP literal too when serving beyond this machine."""
    if not host_header:
        return False
    name = host_name(host_header)
    if name in LOCAL_NAMES:
        return True
    if public:
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return False
        return True
    return False


class HostCheck:
    """ASGI middleware: refuse HTTP and WebSocket requests for a Host that is not ours."""

    def __init__(self, app, public: bool) -> None:
        self.app, self.public = app, public

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket"):
            host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
            if not host_allowed(host, self.public):
                if scope["type"] == "http":
                    response = PlainTextResponse(
                        "Host not allowed: the playground answers only to localhost / 127.0.0.1.",
                        status_code=400,
                    )
                    await response(scope, receive, send)
                else:
                    await send({"type": "websocket.close", "code": 1008})
                return
        await self.app(scope, receive, send)


def origin_allowed(websocket: WebSocket) -> bool:
    """The page must come from this very server: Origin == scheme://Host."""
    origin = websocket.headers.get("origin")
    host = websocket.headers.get("host")
    if not origin or not host:
        return False
    scheme = "https" if websocket.url.scheme == "wss" else "http"
    return origin.strip().lower() == f"{scheme}://{host.strip().lower()}"


def create_app(*, max_sessions: int = 8, public: bool = False) -> Starlette:
    """The playground application (wrap nothing else around it; it checks Host itself)."""
    page = resources.files("backprop.playground").joinpath("static", "index.html")
    live: set = set()

    async def index(request):
        return HTMLResponse(page.read_text(encoding="utf-8"), headers=HEADERS)

    async def socket(websocket: WebSocket):
        if not origin_allowed(websocket):
            log.warning("refused a WebSocket from origin %r", websocket.headers.get("origin"))
            await websocket.close(code=1008)
            return
        await websocket.accept()
        if len(live) >= max_sessions:
            await websocket.send_text(
                protocol.dumps(
                    "error",
                    message=f"Too many open playground tabs ({max_sessions}); close one and "
                    "reload this page.",
                    fatal=True,
                )
            )
            await websocket.close(code=1013)
            return
        conn = Connection(websocket)
        live.add(conn)
        try:
            await conn.run()
        finally:
            live.discard(conn)
            conn.stop()

    app = Starlette(
        routes=[
            Route("/", index),
            Mount("/static", StaticFiles(directory=static_dir()), name="static"),
            WebSocketRoute("/ws", socket),
        ]
    )
    app.state.live = live
    app.add_middleware(HostCheck, public=public)
    return app


def serve(host: str = "127.0.0.1", port: int = 8000, *, on_ready=None, max_sessions: int = 8):
    """Run the playground with uvicorn until interrupted; ``on_ready(url)`` once listening."""
    import socket

    import uvicorn

    public = host not in ("127.0.0.1", "localhost", "::1")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    port = sock.getsockname()[1]
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{'[' + shown + ']' if ':' in shown else shown}:{port}/"
    config = uvicorn.Config(
        create_app(max_sessions=max_sessions, public=public),
        log_level="warning",
        ws_max_size=protocol.MAX_MESSAGE + 4096,
        ws_ping_interval=20,
        lifespan="off",
    )
    server = uvicorn.Server(config)
    if on_ready is not None:
        import threading

        def announce():
            while not server.started and not server.should_exit:
                time.sleep(0.02)
            if server.started:
                on_ready(url)

        threading.Thread(target=announce, daemon=True).start()
    server.run(sockets=[sock])
    return url


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
