"""The playground's web server: the page, its static files and one WebSocket per tab.

``create_app()`` returns a Starlette application. ``GET /`` serves the page, ``/static``
its script and style (package data, no build step), and ``/ws`` is the WebSocket over which
a tab drives its own ``Session`` through a ``connection.Connection``: the page sends
settings and commands, the server trains with the δ engine and streams snapshots, at most
two ahead of what the page has drawn. Safety: requests whose ``Host`` is not this machine
are refused (a defence against DNS rebinding), the WebSocket's ``Origin`` must be the
server's own, every message is checked and answered (an ``error`` message, never a crash),
a message over ``MAX_MESSAGE`` closes that connection only, and at most ``max_sessions``
tabs are open at once (sockets yet to say hello are capped apart: ``admission``); each
tab's messages keep within a budget (``inbox``). ``serve`` runs it with uvicorn
(``backprop playground``) and stops within about two seconds of SIGTERM or Ctrl+C,
removing its temporary folder (``scratch``).
"""

from __future__ import annotations

import ipaddress
import logging
import time
from importlib import resources

from starlette.applications import Starlette
from starlette.responses import HTMLResponse, PlainTextResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket

from . import protocol, scratch
from .admission import CROWDED, Admission
from .connection import Connection
from .pacing import Turns

log = logging.getLogger("backprop.playground")

GRACE_SECONDS = 1.0  # at shutdown, how long the tabs' tasks may take to end
# bytes the kernel buffers per socket: uvicorn parses all the WebSocket frames of one read
# in one go, and a 256 KB read of a flood's tiny frames held the event loop 100-200 ms
RECEIVE_BUFFER = 16_384
LOCAL_NAMES = {"localhost", "127.0.0.1", "::1"}
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
    if h.startswith("["):  # "[addr]" or "[addr]:port", nothing else after the bracket
        end = h.find("]")
        rest = h[end + 1 :] if end > 0 else "?"
        ok = rest == "" or (rest.startswith(":") and _port(rest[1:]))
        return h[1:end] if ok else h
    # "name:port" only when the port is ASCII digits: "localhost:1@evil.com" (userinfo)
    # is that whole text, a name no server has (sixth attacker P14: it was "localhost")
    name, _, port = h.rpartition(":")
    return name if h.count(":") == 1 and _port(port) else h


def _port(text: str) -> bool:
    return text.isascii() and text.isdigit()


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the playground on this machine (127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_allowed(host_header: str | None, public: bool, names: tuple = ()) -> bool:
    """Local names and the name the server was started with always; any IP literal too when
    serving beyond this machine."""
    if not host_header:
        return False
    name = host_name(host_header)
    if name in LOCAL_NAMES or name in names:
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

    def __init__(self, app, public: bool, names: tuple = ()) -> None:
        self.app, self.public, self.names = app, public, names

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket"):
            host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
            if not host_allowed(host, self.public, self.names):
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


async def refuse(websocket: WebSocket, why: str) -> None:
    """Tell the page why it cannot open a tab (fatal: it does not retry) and close (1013)."""
    await websocket.send_text(protocol.dumps("error", message=why, fatal=True))
    await websocket.close(code=1013)


def create_app(*, max_sessions: int = 8, public: bool = False, names: tuple = ()) -> Starlette:
    """The playground application (wrap nothing else around it; it checks Host itself)."""
    page = resources.files("backprop.playground").joinpath("static", "index.html")
    admission = Admission(max_sessions)
    live = admission.live
    turns = Turns()  # the training time all tabs share

    async def index(request):
        return HTMLResponse(page.read_text(encoding="utf-8"), headers=HEADERS)

    async def socket(websocket: WebSocket):
        if not origin_allowed(websocket):
            log.warning("refused a WebSocket from origin %r", websocket.headers.get("origin"))
            await websocket.close(code=1008)
            return
        await websocket.accept()
        # tabs are sessions (a socket that said hello, checked again then); sockets still
        # to say it are capped apart, the oldest closed to make room (``admission``)
        why = admission.full()
        if why:
            await refuse(websocket, why)
            return
        address = websocket.client.host if websocket.client else "?"
        for old in admission.make_room(address):
            await old.drop(CROWDED)
        conn = Connection(websocket, turns, admit=admission.full)
        admission.add(conn, address)
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
    app.add_middleware(HostCheck, public=public, names=names)
    return app


def serve(host: str = "127.0.0.1", port: int = 8000, *, on_ready=None, max_sessions: int = 8):
    """Run the playground with uvicorn until interrupted; ``on_ready(url)`` once listening."""
    import socket

    import uvicorn

    public = not is_loopback(host)
    # the name the user started the server with is ours too (its printed URL must work)
    names = () if host in ("0.0.0.0", "::") else (host.lower(),)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
    sock.bind((host, port))
    port = sock.getsockname()[1]
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{'[' + shown + ']' if ':' in shown else shown}:{port}/"
    warm_up()  # first: what it loads (SciPy's BLAS) is then held to one thread too
    one_blas_thread()
    config = uvicorn.Config(
        create_app(max_sessions=max_sessions, public=public, names=names),
        log_level="warning",
        ws_max_size=protocol.MAX_MESSAGE + 4096,
        ws_per_message_deflate=False,  # nothing to gain on 127.0.0.1; a cost per frame
        ws_ping_interval=20,
        lifespan="off",
        # SIGTERM / Ctrl+C: the tabs' sockets are closed (1012) at once; what has not
        # ended after this many seconds is cancelled, so the server stops within ~2 s
        timeout_graceful_shutdown=GRACE_SECONDS,
    )

    class Server(uvicorn.Server):
        """uvicorn's server, which also removes the temporary folder when it stops (uvicorn
        re-raises SIGTERM after its shutdown: code after ``run`` would not run)."""

        async def shutdown(self, sockets=None) -> None:
            try:
                await super().shutdown(sockets=sockets)
            finally:
                scratch.remove()

    server = Server(config)
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


def one_blas_thread() -> bool:
    """Limit this process's BLAS to one thread (threadpoolctl); False without threadpoolctl.

    The playground's products are small (at most 2,000 rows × 16 × 16 in a step, the
    heatmap's 4,096 × 16 × 16): a second BLAS thread costs more than it saves, and when the
    cores are busy (other tabs, the browser drawing) each product waits for it. Next to one
    busy process, the largest network's snapshot took 100 ms with two threads and 9 ms with
    one. ``serve`` owns its process and calls this; ``create_app`` leaves the process alone.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return False
    threadpool_limits(limits=1, user_api="blas")
    return True


def warm_up() -> None:
    """Build, train, draw a tiny session with every activation once, before the first tab.

    What the first use of a part imports or builds would otherwise run inside some tab's
    message, on the event loop every tab shares, and be charged to that tab: the first
    GELU imports SciPy's erf (0.4-0.6 s), which made a GELU tab's hello cost 0.7 s and,
    with the other tabs rebuilding, kept its first snapshot back 3-7 s (the load test's
    known defect of sessions 23-24). ``serve`` calls this before it listens.
    """
    from . import fields, views
    from .session import Session

    names = list(fields.ACTIVATIONS)
    for first in range(0, len(names), fields.MAX_LAYERS):
        chunk = names[first : first + fields.MAX_LAYERS]
        s = Session({"n": 20, "seed": 0, "hidden": [1] * len(chunk), "activation": chunk})
        s.step_batch()
        views.snapshot(s, after={"history": None, "grad_history": None}, backward=True)
        views.data_view(s)
