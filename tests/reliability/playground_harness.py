"""The playground's real server and a client for it, shared by the reliability tests of
issue 8, item 8 (``test_playground_hostile.py``, ``test_playground_load.py``) and issue 12,
item 7 (``test_playground_flood.py``).

The real server (``playground.server.serve``: uvicorn on 127.0.0.1, a free port) runs in a
subprocess with one addition: a line on its stdin is answered with how many tabs are live,
how many ``Session`` objects exist after a garbage collection, and how many threads its BLAS
may use. ``Server`` starts it (with its own TMPDIR) and
reads its URL, RSS, log and those counts, sends it SIGTERM and times its exit
(``terminate``) and lists what it left in its temporary folder (``temp_files``);
``server_starter`` closes every server it started.
The client helpers speak the protocol over real WebSockets; ``malformed`` makes the messages
the server must refuse.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import time

import pytest

pytest.importorskip("starlette", reason="the web extra (starlette) is not installed")
pytest.importorskip("uvicorn", reason="the web extra (uvicorn) is not installed")
ws_client = pytest.importorskip("websockets.asyncio.client", reason="websockets ≥ 13 needed")

from backprop.playground import fields  # noqa: E402

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


def blas_threads():  # the most threads any BLAS library in this process may use
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    return max((p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"),
               default=None)


def answer():  # one line of figures for every line the test writes
    for _ in sys.stdin:
        gc.collect()
        sessions = sum(isinstance(o, Session) for o in gc.get_objects())
        print(json.dumps({"live": len(made[0].state.live), "sessions": sessions,
                          "blas_threads": blas_threads()}), flush=True)


threading.Thread(target=answer, daemon=True).start()
server.serve("127.0.0.1", 0, max_sessions=int(sys.argv[1]),
             on_ready=lambda url: print(url, flush=True))
"""

TIMEOUT = 60.0  # seconds any single answer may take under load


# -- the server -----------------------------------------------------------------------------
class Server:
    """``serve()`` in a subprocess: its URL, RSS, log, and live / Session counts."""

    def __init__(self, tmp_path, max_tabs: int) -> None:
        self.max_tabs = max_tabs
        self.log_path = tmp_path / "server.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 (closed in close())
        # the server's temporary files go here (TMPDIR), so a test can see what is left
        self.temp_dir = tmp_path / "server-tmp"
        self.temp_dir.mkdir(exist_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(max_tabs)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            env={**os.environ, "TMPDIR": str(self.temp_dir)},
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
                return {"live": s["live"], "sessions": s["sessions"]}
            await asyncio.sleep(0.1)

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def temp_files(self) -> list[str]:
        """What is left in the server's temporary folder (files and folders, recursively)."""
        return sorted(str(p.relative_to(self.temp_dir)) for p in self.temp_dir.rglob("*"))

    def terminate(self, limit: float) -> float | None:
        """SIGTERM; seconds until the process exited, or None if it had not within ``limit``
        (then it is killed)."""
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None
        return time.monotonic() - t0

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout, self._log):
            stream.close()


@contextlib.contextmanager
def server_starter(tmp_path):
    """``start(max_tabs)`` starts a ``Server``; every one started is closed on the way out."""
    started = []

    def start(max_tabs: int) -> Server:
        started.append(Server(tmp_path, max_tabs))
        return started[-1]

    try:
        yield start
    finally:
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
    options.setdefault("open_timeout", TIMEOUT)
    return ws_client.connect(server.ws_url, max_size=2**23, **options)


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
    names = list(fields.FIELDS)
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
    kind_of = {k: f.kind if f.kind in wrong_type else "list" for k, f in fields.FIELDS.items()}

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
        lambda: msg("set", changes={(k := rng.choice(names)):
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
