"""Issue 8, item 8: the playground server under load and under hostile traffic.

The real server (``playground.server.serve``: uvicorn on 127.0.0.1, a free port) runs in a
subprocess with one addition: a line on its stdin is answered with how many tabs are live
and how many ``Session`` objects exist after a garbage collection.

``test_hostile_traffic_is_refused``: 1,000 malformed messages (bad JSON, wrong types and
versions, unknown fields, out-of-range values, binary frames, messages near the size
limit) each answered with exactly one error; oversized messages closed with 1009 on their
own connection; foreign Origins (403) and Hosts (HTTP 400, WebSocket 403) refused; a tab
over the cap refused (1013). The TestClient versions stay in ``tests/test_playground_server.py``.

``test_ten_sessions_train_concurrently_with_bounded_memory``: ten clients, each with its own
configuration (dataset, learning rate, optimizer, activation, layer sizes, batch size,
seed, speed), train at once for 6 s (a minute in long mode) while the hostile traffic
above runs on other connections and one client stops reading altogether. Measured: the
server's RSS over time (a ceiling, no upward trend), snapshots and steps per session
(every tab keeps getting them; paced tabs keep their pace), each snapshot carrying its own
tab's settings, and each tab's final weights equal to ``backprop.run`` of its exported
spec, alone (no cross-talk); after closing, zero live sessions, and no climb over a churn
of short sessions.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import math
import random
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field

import numpy as np
import pytest

pytest.importorskip("starlette", reason="the web extra (starlette) is not installed")
pytest.importorskip("uvicorn", reason="the web extra (uvicorn) is not installed")
ws_client = pytest.importorskip("websockets.asyncio.client", reason="websockets ≥ 13 needed")
from websockets.exceptions import ConnectionClosed, InvalidStatus  # noqa: E402

from backprop.playground import protocol  # noqa: E402

SERVER = r"""
import gc, json, sys, threading

from backprop.playground import server
from backprop.playground.session import Session

made = []
create_app = server.create_app


def recording_create_app(**options):
    app = create_app(**options)
    made.append(app)
    return app


server.create_app = recording_create_app  # serve() builds its app by this name


def answer():  # one line of figures for every line the test writes
    for _ in sys.stdin:
        gc.collect()
        sessions = sum(isinstance(o, Session) for o in gc.get_objects())
        print(json.dumps({"live": len(made[0].state.live), "sessions": sessions}), flush=True)


threading.Thread(target=answer, daemon=True).start()
server.serve("127.0.0.1", 0, max_sessions=int(sys.argv[1]),
             on_ready=lambda url: print(url, flush=True))
"""

# ten different tabs: every dataset, optimizer and speed, 1-4 layers, 1-16 neurons
CONFIGS = [
    {"dataset": "circle", "hidden": [4, 2], "activation": ["tanh", "tanh"], "optimizer": "sgd",
     "lr": 0.03, "batch_size": 10, "seed": 101, "speed": "fast"},
    {"dataset": "xor", "noise": 10, "hidden": [8, 8], "activation": ["relu", "relu"],
     "optimizer": "adam", "lr": 0.01, "batch_size": 20, "seed": 202, "speed": "fast"},
    {"dataset": "gauss", "classes": 3, "hidden": [6], "activation": ["sigmoid"],
     "optimizer": "momentum", "lr": 0.1, "batch_size": 5, "seed": 303, "speed": "normal"},
    {"dataset": "spiral", "noise": 10, "hidden": [8, 8, 4], "activation": ["tanh"] * 3,
     "optimizer": "adam", "lr": 0.003, "batch_size": 10, "seed": 404, "speed": "fast"},
    {"dataset": "plane", "hidden": [3], "activation": ["linear"], "optimizer": "sgd",
     "lr": 0.01, "batch_size": 125, "loss": "half_mse", "seed": 505, "speed": "normal"},
    {"dataset": "multigauss", "noise": 20, "hidden": [6, 6], "activation": ["elu", "elu"],
     "optimizer": "rmsprop", "lr": 0.001, "batch_size": 16, "seed": 606, "speed": "fast"},
    {"dataset": "square", "noise": 10, "n": 200, "hidden": [8], "activation": ["relu"],
     "optimizer": "adam", "lr": 0.01, "batch_size": 10, "seed": 707, "speed": "fast"},
    {"dataset": "abs", "n": 100, "hidden": [4, 4], "activation": ["leaky_relu"] * 2,
     "optimizer": "sgd", "lr": 0.03, "batch_size": 100, "loss": "huber", "seed": 808,
     "speed": "slow"},
    {"dataset": "sine", "noise": 10, "hidden": [10], "activation": ["softplus"],
     "optimizer": "adam", "lr": 0.03, "batch_size": 10, "seed": 909, "speed": "fast"},
    {"dataset": "spiral", "classes": 5, "n": 1000, "train_ratio": 70, "hidden": [16] * 3,
     "activation": ["gelu"] * 3, "optimizer": "rmsprop", "lr": 0.003, "batch_size": 50,
     "seed": 1010, "speed": "normal"},
]  # fmt: skip
OPTIMIZER_SPECS = {"sgd": ("sgd", {}), "momentum": ("sgd", {"momentum": 0.9}),
                   "adam": ("adam", {}), "rmsprop": ("rmsprop", {})}  # fmt: skip
PACES = {"slow": 3.0, "normal": 30.0}  # epochs/s of the paced speeds
CHEAP = ("plane", "abs")  # paced tabs whose pace costs a few ms a second keep it under load
RSS_CAP_MB = 400  # absolute ceiling for the server process
RSS_TREND_MB = 10  # lowest RSS of the load's last quarter over that of its second quarter
RSS_CHURN_MB = 12  # growth allowed over the churn of short sessions
TIMEOUT = 60.0  # seconds any single answer may take under load


# -- the server -----------------------------------------------------------------------------
class Server:
    """``serve()`` in a subprocess: its URL, RSS, log, and live / Session counts."""

    def __init__(self, tmp_path, max_tabs: int) -> None:
        self.max_tabs = max_tabs
        self.log_path = tmp_path / "server.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 (closed in close())
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(max_tabs)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        line = self.proc.stdout.readline()
        match = re.match(r"http://127\.0\.0\.1:(\d+)/", line)
        if match is None:
            self.close()
            pytest.fail(f"the server did not start: {line!r} {self.log()[:2000]}")
        self.port = int(match.group(1))
        self.origin = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/ws"

    def rss_mb(self) -> float:
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        raise AssertionError("no VmRSS line")

    def stats(self) -> dict:
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    async def wait_live(self, live: int, timeout: float = 10.0) -> dict:
        """The stats once ``live`` tabs remain (closing takes an event-loop turn or two)."""
        end = time.monotonic() + timeout
        while True:
            s = self.stats()
            if s["live"] == s["sessions"] == live or time.monotonic() > end:
                return s
            await asyncio.sleep(0.1)

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout, self._log):
            stream.close()


@pytest.fixture
def start_server(tmp_path):
    started = []

    def start(max_tabs: int) -> Server:
        started.append(Server(tmp_path, max_tabs))
        return started[-1]

    yield start
    for server in started:
        server.close()


def assert_clean_log(server: Server) -> None:
    """No traceback or error in the server's log (refused Origins are logged as warnings)."""
    bad = [ln for ln in server.log().splitlines()
           if re.search(r"Traceback|Exception|ERROR|internal error", ln)]  # fmt: skip
    assert not bad, "\n".join(bad[:20])


# -- messages -------------------------------------------------------------------------------
def msg(message_type, /, **fields) -> str:
    return json.dumps({"v": 1, "type": message_type, **fields})


def url_of(config: dict) -> dict:
    """A configuration as the page's URL hash entries (key: text)."""
    text = lambda v: ",".join(map(str, v)) if isinstance(v, list) else str(v)  # noqa: E731
    return {k: text(v) for k, v in config.items()}


def connect(server: Server, **options):
    options.setdefault("origin", server.origin)
    return ws_client.connect(server.ws_url, max_size=2**23, open_timeout=TIMEOUT, **options)


async def receive(ws) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))


async def next_of(ws, kind: str, also=None) -> dict:
    """The next message of ``kind``; any ``error`` on the way fails."""
    while True:
        m = await receive(ws)
        if m["type"] == kind and (also is None or also(m)):
            return m
        assert m["type"] != "error", m["message"]


async def hello(ws, config: dict) -> tuple[dict, dict, dict]:
    await ws.send(msg("hello", url=url_of(config)))
    return await next_of(ws, "ready"), await next_of(ws, "data"), await next_of(ws, "snapshot")


# -- malformed messages ---------------------------------------------------------------------
def malformed(count: int, seed: int = 0) -> list[str | bytes]:
    """``count`` messages the server must refuse, each with exactly one ``error`` answer:
    bad JSON, non-objects, wrong versions and types, unknown fields, out-of-range values,
    binary frames, a bad CSV, and messages near the size limit."""
    rng = random.Random(seed)
    fields = list(protocol.FIELDS)
    out_of_range = {
        "lr": [0, 11, -0.1, 1e9], "noise": [-1, 51], "hidden": [[0], [17], [1] * 9, [2, -1]],
        "classes": [1, 6], "n": [19, 2001, 10**12], "batch_size": [0, 2001], "seed": [-1, 2**31],
        "train_ratio": [9, 91], "reg_rate": [-1, 10.5], "stop_loss": [-1, 1e7],
        "stop_epochs": [-1, 10**7], "activation": [["swish"], ["relu"] * 9],
        "features": [["x3"], ["x1", "x1"]], "dataset": ["moons", ""], "optimizer": ["lbfgs"],
        "loss": ["hinge"], "speed": ["ludicrous"], "view": ["both"], "problem": ["ranking"],
        "regularization": ["l3"], "discretize": [1, "yes"], "show_test": [0, None],
    }  # fmt: skip
    wrong_type = {  # by the field's kind: values of another JSON type
        "bool": [None, "7", 1, [], {}],
        "choice": [None, 7, True, [], {}, "x" * 300],
        "int": [None, "7", 2.5, True, [], {}],
        "float": [None, "7", True, [], {}, "NaN"],
        "list": [None, "7", 5, {}, [None], [True], [1, "a"]],
    }
    kind_of = {k: f.kind if f.kind in wrong_type else "list" for k, f in protocol.FIELDS.items()}

    def bad_json():
        body = "".join(chr(rng.randrange(32, 0x2FF)) for _ in range(rng.randrange(0, 60)))
        return rng.choice(["{x", "{'v': 1", '{"v": 1,', "[1, 2", "nul", '"open']) + body

    kinds = [
        bad_json,
        lambda: rng.choice(["[" * 100_000, "[" * 50_000 + "]" * 50_000, '{"a":' * 20_000]),
        lambda: json.dumps(rng.choice([[1, 2], 3, "play", None, True, []])),
        lambda: json.dumps({"v": rng.choice([None, 0, 2, "1", 1.5]), "type": "ping"}),
        lambda: json.dumps({"type": "ping"}),
        lambda: msg(rng.choice(["fly", "", "PING", "hello ", None, 5])),
        lambda: msg(rng.choice(["play", "pause", "reset", "ping", "regenerate"]),
                    **{rng.choice(["x", "seq", "url"]): 1}),
        lambda: msg("set", changes=rng.choice([None, [], {}, "lr=1", 5])),
        lambda: msg("set", changes={(k := rng.choice(fields)):
                                    rng.choice(wrong_type[kind_of[k]])}),
        lambda: msg("set", changes={(k := rng.choice(list(out_of_range))):
                                    rng.choice(out_of_range[k])}),
        lambda: msg("set", changes={"lr": 0.1, "nope": 1}),
        lambda: '{"v": 1, "type": "set", "changes": {"lr": ' + rng.choice(
            ["NaN", "Infinity", "-Infinity"]) + "}}",
        lambda: msg("step", unit=rng.choice(["year", 1, None, ["epoch"]])),
        lambda: msg("ack", seq=rng.choice([-1, "3", 1.5, None, True])),
        lambda: msg("edit", kind=rng.choice(["weight", "bias"]), layer=rng.choice([0, 99]),
                    row=0, col=0, value=0.5),
        lambda: msg("edit", kind="weight", layer=1, row=0, col=0,
                    value=rng.choice([1e5, -1e9, "1", None])),
        lambda: msg("edit", kind=rng.choice(["neuron", None]), layer=1, row=0, value=1),
        lambda: msg("edit", kind="bias", layer=1, row=rng.choice([-1, 10_001, "0"]), value=1),
        lambda: msg("upload", name="x.csv",
                    text=rng.choice(["a,b,c\n1,zz,0\n2,3,1\n", "a\n1\n2\n"])),
        lambda: msg("upload", name=rng.choice(["", "x" * 201, 5]), text="a,b\n1,2\n"),
        lambda: msg("upload", name="big.csv", text="1,2,3\n" * 170_000),  # > 1,000,000 chars
        lambda: msg("export", what=rng.choice(["weights", None, 1])),
        lambda: msg("hello", url=rng.choice([[], "dataset=xor", 5])),
        lambda: msg("set", changes={"dataset": "x" * 1_400_000}),  # just under the limit
        lambda: bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40))),
    ]  # fmt: skip
    return [kinds[i % len(kinds)]() for i in range(count)]


async def send_malformed(ws, messages: list, batch: int = 100) -> dict:
    """Send ``messages`` each followed by a ping; every one must get exactly one error."""
    answered, refused_sets = 0, 0
    for start in range(0, len(messages), batch):
        part = messages[start : start + batch]
        for m in part:
            await ws.send(m)
            await ws.send(msg("ping"))
        for m in part:
            errors = []
            while True:
                reply = await receive(ws)
                if reply["type"] == "pong":
                    break
                if reply["type"] == "error":
                    errors.append(reply["message"])
                else:  # a refused change puts the page's controls back first
                    assert reply["type"] == "state", (reply["type"], str(m)[:200])
                    refused_sets += 1
            assert len(errors) == 1, (str(m)[:200], errors)
            assert "internal error" not in errors[0] and errors[0].strip(), errors[0]
            answered += 1
    return {"answered": answered, "state_resets": refused_sets}


async def oversized(server: Server, text: str | bytes) -> int:
    """The close code a lone oversized message gets (its own connection only)."""
    async with connect(server) as ws:
        await ws.send(text)
        try:
            await asyncio.wait_for(ws.recv(), TIMEOUT)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else -1
    return 0


async def handshake_status(server: Server, origin: str | None) -> int:
    try:
        async with connect(server, origin=origin) as ws:
            await ws.recv()
    except InvalidStatus as exc:
        return exc.response.status_code
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else -1
    return 101


async def raw_status(server: Server, host: str | None, websocket: bool) -> int:
    """Status of a hand-written request with the given Host header (None: no Host)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    path = "/ws" if websocket else "/"
    lines = [f"GET {path} HTTP/1.1"] + ([f"Host: {host}"] if host is not None else [])
    if websocket:
        lines += [
            "Upgrade: websocket",
            "Connection: Upgrade",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version: 13",
            f"Origin: http://{host}",
        ]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    await writer.drain()
    status = await asyncio.wait_for(reader.readline(), TIMEOUT)
    writer.close()
    return int(status.split()[1])


FOREIGN_ORIGINS = [None, "http://evil.example", "null", "http://localhost:{port}",
                   "http://127.0.0.1:{other}", "https://127.0.0.1:{port}"]  # fmt: skip
FOREIGN_HOSTS = ["evil.example", "evil.example:{port}", "192.168.1.5:{port}",
                 "127.0.0.1.evil.example", "localhost.:{port}"]  # fmt: skip


async def knock(server: Server) -> dict:
    """Foreign Origins and Hosts: every one refused (WebSocket 403, HTTP 400)."""
    fill = {"port": server.port, "other": server.port + 1}
    refused_origins = 0
    for origin in FOREIGN_ORIGINS:
        status = await handshake_status(server, None if origin is None else origin.format(**fill))
        assert status == 403, (origin, status)
        refused_origins += 1
    refused_hosts = 0
    for host in FOREIGN_HOSTS:
        host = host.format(**fill)
        assert await raw_status(server, host, websocket=False) == 400, host
        assert await raw_status(server, host, websocket=True) == 403, host
        refused_hosts += 2
    assert await raw_status(server, None, websocket=False) == 400  # no Host at all
    own = f"127.0.0.1:{server.port}"  # the same requests with our own Host are answered
    assert await raw_status(server, own, websocket=False) == 200
    assert await raw_status(server, own, websocket=True) == 101
    return {"origins": refused_origins, "hosts": refused_hosts + 1}


async def tab_cap(server: Server) -> int:
    """Tabs open until one is refused (an error, then 1013), which happens at the cap."""
    async with contextlib.AsyncExitStack() as stack:
        for i in range(server.max_tabs + 1):
            ws = await stack.enter_async_context(connect(server))
            with contextlib.suppress(ConnectionClosed):  # a refused tab may be closed by now
                await ws.send(msg("hello", url={"seed": str(i)}))
            m = await receive(ws)  # its error came before the close
            if m["type"] == "error":
                assert m["fatal"] and "Too many" in m["message"], m
                assert server.stats()["live"] == server.max_tabs
                with pytest.raises(ConnectionClosed) as closed:
                    await asyncio.wait_for(ws.recv(), TIMEOUT)
                assert closed.value.rcvd.code == 1013
                return 1
            assert m["type"] == "ready", m
            await next_of(ws, "snapshot")
    raise AssertionError(f"{server.max_tabs + 1} tabs opened; none was refused")


async def malformed_traffic(server: Server, n_malformed: int) -> dict:
    """One tab sends the malformed messages; first, how long one answer takes (ping)."""
    figures = {"ping": []}
    async with connect(server) as ws:
        await hello(ws, {"dataset": "xor", "seed": 0})
        for _ in range(5):
            t0 = time.perf_counter()
            await ws.send(msg("ping"))
            await next_of(ws, "pong")
            figures["ping"].append(time.perf_counter() - t0)
        figures.update(await send_malformed(ws, malformed(n_malformed)))
        await ws.send(msg("ping"))  # and the tab is still answered
        await next_of(ws, "pong")
    return figures


async def oversized_traffic(server: Server) -> dict:
    codes = [
        await oversized(server, "x" * (protocol.MAX_MESSAGE + 10)),  # our limit
        await oversized(server, msg("set", changes={"dataset": "y" * protocol.MAX_MESSAGE})),
        await oversized(server, "z" * (2 * protocol.MAX_MESSAGE)),  # the socket's own limit
        await oversized(server, random.Random(1).randbytes(protocol.MAX_MESSAGE + 5000)),
    ]
    assert codes == [1009] * len(codes), codes
    return {"oversized": len(codes)}


async def hostile(server: Server, n_malformed: int) -> dict:
    """Everything item 8 says must be refused, side by side, then the tab cap."""
    figures = {}
    for part in await asyncio.gather(
        malformed_traffic(server, n_malformed), oversized_traffic(server), knock(server)
    ):
        figures.update(part)
    figures["cap"] = await tab_cap(server)
    return figures


def test_hostile_traffic_is_refused(start_server):
    """1,000 malformed messages, oversized ones, foreign Origins and Hosts, the tab cap."""
    server = start_server(max_tabs=3)
    n = 1000

    async def main():
        t0 = time.perf_counter()
        figures = await hostile(server, n)
        async with connect(server) as ws:  # still serving, and a new tab works
            ready, _, _ = await hello(ws, {"dataset": "spiral", "seed": 3})
            assert ready["state"]["dataset"] == "spiral"
        return figures, time.perf_counter() - t0

    figures, seconds = asyncio.run(main())
    stats = asyncio.run(server.wait_live(0))
    assert stats == {"live": 0, "sessions": 0}, stats
    assert figures["answered"] == n
    assert_clean_log(server)
    print(
        f"\nplayground hostile traffic ({seconds:.1f} s): {figures['answered']} malformed "
        f"messages each answered with one error ({figures['state_resets']} also reset the "
        f"controls), {figures['oversized']} oversized closed with 1009, "
        f"{figures['origins']} foreign Origins refused (403), {figures['hosts']} foreign or "
        f"missing Hosts refused (HTTP 400 / WebSocket 403), {figures['cap']} tab over the "
        f"cap refused (1013); afterwards {stats['live']} live tabs, {stats['sessions']} "
        f"Session objects"
    )


# -- ten sessions under load ----------------------------------------------------------------
@dataclass
class Tab:
    config: dict
    ready: dict | None = None
    data: dict | None = None
    snapshots: int = 0
    steps_during: int = 0
    epochs_during: int = 0
    last_steps: int = 0
    last_epoch: int = 0
    last_seq: int = 0
    max_gap: float = 0.0
    seconds: float = 0.0
    other: list = field(default_factory=list)
    final: dict | None = None
    spec: dict | None = None
    model: bytes | None = None
    gaps: list = field(default_factory=list)


def expected_sizes(config: dict, data: dict) -> list[int]:
    n_in = 1 if config["dataset"] in protocol.FUNCTION_SETS else 2
    classes = config.get("classes", 2) if data["task"] == "classification" else 1
    return [n_in, *config["hidden"], 1 if classes == 2 else classes]


def check_snapshot(tab: Tab, snap: dict) -> None:
    """The snapshot is this tab's: its layer sizes, activations, counters moving forward."""
    cfg = tab.config
    assert snap["sizes"] == expected_sizes(cfg, tab.data), (cfg, snap["sizes"])
    names = ["identity" if a == "linear" else a for a in cfg["activation"]]
    assert [layer["activation"] for layer in snap["layers"][:-1]] == names
    assert snap["seq"] > tab.last_seq and snap["steps"] >= tab.last_steps
    assert not snap["diverged"], snap["stopped"]
    history = snap["history"]
    assert history["epochs"] == sorted(history["epochs"])
    assert all(v is not None and math.isfinite(v) for v in history["train"])
    metric = "test_accuracy" if tab.data["task"] == "classification" else "test_rmse"
    assert metric in snap["metrics"]
    tab.last_seq, tab.last_steps, tab.last_epoch = snap["seq"], snap["steps"], snap["epoch"]


async def run_tab(server: Server, tab: Tab, until: float, release: asyncio.Event) -> None:
    async with connect(server) as ws:
        tab.ready, tab.data, first = await hello(ws, tab.config)
        for key, value in tab.config.items():
            assert tab.ready["state"][key] == value, (key, tab.ready["state"][key], value)
        check_snapshot(tab, first)
        await ws.send(msg("play"))
        start = last = time.monotonic()
        steps0, epoch0 = first["steps"], first["epoch"]
        while (now := time.monotonic()) < until:
            try:
                raw = await asyncio.wait_for(ws.recv(), until - now)
            except TimeoutError:
                break
            m = json.loads(raw)
            if m["type"] != "snapshot":
                tab.other.append(m)
                continue
            check_snapshot(tab, m)
            tab.snapshots += 1
            now = time.monotonic()
            tab.max_gap, last = max(tab.max_gap, now - last), now
            await ws.send(msg("ack", seq=m["seq"]))
        tab.max_gap = max(tab.max_gap, time.monotonic() - last)
        tab.seconds = time.monotonic() - start
        tab.steps_during = tab.last_steps - steps0
        tab.epochs_during = tab.last_epoch - epoch0
        await ws.send(msg("pause"))
        await next_of(ws, "snapshot", lambda m: not m["running"])
        await ws.send(msg("step", unit="epoch"))  # to an epoch's end: the spec can say it
        tab.final = await next_of(ws, "snapshot")
        check_snapshot(tab, tab.final)
        await ws.send(msg("export", what="spec"))
        exported = await next_of(ws, "export")
        tab.spec, tab.gaps = json.loads(base64.b64decode(exported["data"])), exported["gaps"]
        await ws.send(msg("export", what="model"))
        tab.model = base64.b64decode((await next_of(ws, "export"))["data"])
        await release.wait()  # stay open until the hostile traffic is done


async def stalled(server: Server, ready: asyncio.Event, release: asyncio.Event) -> None:
    """A tab that claims to have drawn everything, then never reads again, then vanishes."""
    async with connect(server, max_queue=4) as ws:
        await hello(ws, {"dataset": "spiral", "hidden": [16] * 4, "speed": "fast", "seed": 9})
        await ws.send(msg("play"))
        await ws.send(msg("ack", seq=2**40))
        ready.set()
        await release.wait()
        ws.transport.abort()  # gone without a closing handshake, its buffers full


def check_spec(tab: Tab, tmp_path) -> None:
    """The exported spec is this tab's configuration; ``backprop.run`` of it, alone, lands
    on the exported model's weights bit for bit."""
    import backprop
    from backprop import io

    cfg, spec = tab.config, tab.spec
    assert tab.gaps == []
    assert spec["seed"] == cfg["seed"] and spec["data"]["name"] == cfg["dataset"]
    assert spec["data"]["n"] == cfg.get("n", 500)
    assert spec["data"]["train_ratio"] == cfg.get("train_ratio", 50) / 100
    assert spec["data"].get("options", {}).get("classes", 2) == cfg.get("classes", 2)
    assert spec["model"]["hidden"] == cfg["hidden"]
    assert spec["model"]["activation"] == [
        "identity" if a == "linear" else a for a in cfg["activation"]
    ]
    name, options = OPTIMIZER_SPECS[cfg["optimizer"]]
    assert spec["optimizer"] == {"name": name, "lr": cfg["lr"], "options": options}
    n_train = tab.data["n_train"]
    assert spec["batch_size"] == (None if cfg["batch_size"] >= n_train else cfg["batch_size"])
    assert spec["epochs"] == tab.final["epoch"]
    per_epoch = math.ceil(n_train / min(cfg["batch_size"], n_train))
    assert tab.final["steps"] == tab.final["epoch"] * per_epoch
    path = tmp_path / f"tab-{cfg['seed']}.safetensors"
    path.write_bytes(tab.model)
    exported = io.load(path).state_dict()
    replay = backprop.run(spec).model.state_dict()
    assert list(exported) == list(replay)
    for key in exported:
        np.testing.assert_array_equal(exported[key].numpy(), replay[key].numpy(), err_msg=key)


async def churn(server: Server, rounds: int, width: int = 5) -> None:
    """Short sessions opened and closed, ``width`` at a time: hello, play, two snapshots."""

    async def one(i: int) -> None:
        async with connect(server) as ws:
            await hello(ws, {**CONFIGS[i % len(CONFIGS)], "speed": "fast", "seed": 5000 + i})
            await ws.send(msg("play"))
            for _ in range(2):
                snap = await next_of(ws, "snapshot")
                await ws.send(msg("ack", seq=snap["seq"]))

    for start in range(0, rounds, width):
        await asyncio.gather(*(one(i) for i in range(start, min(rounds, start + width))))


def test_ten_sessions_train_concurrently_with_bounded_memory(
    start_server, long_mode, count, tmp_path
):
    seconds = 60.0 if long_mode else 6.0
    n_malformed = count(300, 1000)  # fast: what fits in the 6 s (the idle test sends 1,000)
    tabs = [Tab(dict(c)) for c in CONFIGS]
    # 10 tabs, the stalled one, and room for the hostile connections
    server = start_server(max_tabs=len(tabs) + 4)
    rss: list[tuple[float, float]] = []

    async def sample(stop: asyncio.Event) -> None:
        t0 = time.monotonic()
        while not stop.is_set():
            rss.append((time.monotonic() - t0, server.rss_mb()))
            await asyncio.sleep(0.25)

    async def main() -> dict:
        stop, release, stalled_in = asyncio.Event(), asyncio.Event(), asyncio.Event()
        sampler = asyncio.create_task(sample(stop))
        t0 = time.monotonic()
        until = t0 + seconds
        runs = [asyncio.create_task(run_tab(server, tab, until, release)) for tab in tabs]
        stall = asyncio.create_task(stalled(server, stalled_in, release))
        await stalled_in.wait()
        figures = await hostile(server, n_malformed)
        figures["hostile_done"] = time.monotonic() - t0
        release.set()
        await asyncio.gather(*runs, stall)
        figures["load_end"] = time.monotonic() - t0
        figures["after_load"] = await server.wait_live(0)
        figures["rss_after_close"] = server.rss_mb()
        figures["churned"] = 200 if long_mode else 20
        await churn(server, rounds=figures["churned"])
        figures["after_churn"] = await server.wait_live(0)
        figures["rss_after_churn"] = server.rss_mb()
        stop.set()
        await sampler
        return figures

    rss_start = server.rss_mb()
    figures = asyncio.run(main())
    for tab in tabs:
        assert tab.other == [], (tab.config, tab.other[:3])
    assert figures["answered"] == n_malformed
    assert max(figures["ping"]) < 5.0, figures["ping"]
    assert figures["after_load"] == {"live": 0, "sessions": 0}, figures["after_load"]
    assert figures["after_churn"] == {"live": 0, "sessions": 0}, figures["after_churn"]
    assert_clean_log(server)

    # memory: a ceiling, no upward trend over the load, no climb over the churn
    load_end = min(seconds, figures["load_end"])
    quarter = [min(m for t, m in rss if q * load_end / 4 <= t <= (q + 1) * load_end / 4)
               for q in range(4)]  # fmt: skip
    peak = max(m for _, m in rss)
    assert peak < RSS_CAP_MB, peak
    trend = quarter[3] - quarter[1]  # a leak lifts the floor; big messages only spike
    assert trend < RSS_TREND_MB, quarter
    churn_growth = figures["rss_after_churn"] - figures["rss_after_close"]
    assert churn_growth < RSS_CHURN_MB, churn_growth

    # every tab got snapshots all along, and its own numbers
    for tab in tabs:
        assert tab.snapshots >= max(3, tab.seconds / 2), (tab.config, tab.snapshots)
        assert tab.max_gap < max(5.0, seconds / 6), (tab.config, tab.max_gap)
        if tab.config["dataset"] in CHEAP:  # other tabs' frames must not slow its pace
            rate = tab.epochs_during / tab.seconds
            assert rate >= 0.6 * PACES[tab.config["speed"]], (tab.config, rate)
        check_spec(tab, tmp_path)

    lines = [
        f"\nplayground load: {len(tabs)} sessions training together for {seconds:.0f} s "
        f"({'long' if long_mode else 'fast'} mode), plus a stalled reader and hostile "
        f"traffic (done at {figures['hostile_done']:.1f} s)",
        "  dataset     optimizer  speed   layers        snapshots  snaps/s  steps  steps/s"
        "  epochs/s  max gap s",
    ]
    for tab in tabs:
        c = tab.config
        lines.append(
            f"  {c['dataset']:<11} {c['optimizer']:<10} {c['speed']:<7} "
            f"{'-'.join(map(str, tab.final['sizes'])):<13} {tab.snapshots:>9} "
            f"{tab.snapshots / tab.seconds:>8.1f} {tab.steps_during:>6} "
            f"{tab.steps_during / tab.seconds:>8.0f} {tab.epochs_during / tab.seconds:>9.1f} "
            f"{tab.max_gap:>10.2f}"
        )
    total = sum(t.steps_during for t in tabs)
    lines += [
        f"  all tabs: {sum(t.snapshots for t in tabs)} snapshots, {total} steps "
        f"({total / seconds:.0f} steps/s); every final state equals backprop.run of the "
        "exported spec, bit for bit",
        f"  server RSS MB: start {rss_start:.1f}, peak {peak:.1f}, lowest in each quarter of "
        f"the load {' / '.join(f'{q:.1f}' for q in quarter)} (last minus second "
        f"{trend:+.1f}), "
        f"after close {figures['rss_after_close']:.1f}, after {figures['churned']} short "
        f"sessions {figures['rss_after_churn']:.1f} ({churn_growth:+.1f})",
        f"  under load: {figures['answered']} malformed messages each answered with one "
        f"error, {figures['oversized']} oversized closed with 1009, {figures['origins']} "
        f"foreign Origins and {figures['hosts']} foreign Hosts refused, "
        f"{figures['cap']} tab over the cap refused; a ping answered in "
        f"{np.median(figures['ping']) * 1e3:.0f} ms (median of 5, max "
        f"{max(figures['ping']) * 1e3:.0f} ms)",
        f"  after closing: {figures['after_load']['live']} live tabs, "
        f"{figures['after_load']['sessions']} Session objects (after the churn: "
        f"{figures['after_churn']['live']}, {figures['after_churn']['sessions']})",
    ]
    print("\n".join(lines))
