"""The playground's web server without a browser: Starlette's TestClient and the CLI.

The page and its static files with a strict policy, foreign Hosts and Origins refused, a
whole session over the socket, a model export the library loads, 1,000 malformed messages,
an oversized message closing only its own connection, the tab cap, and ``backprop
playground`` serving. Messages and links are in ``test_playground_server_protocol.py``,
sessions in ``test_playground_server_sessions.py``, the training loop in
``test_playground_server_training.py``.
"""

from __future__ import annotations

import base64
import json
import random
import warnings

import pytest

from backprop.playground import fields, protocol

starlette = pytest.importorskip("starlette", reason="the web extra (starlette) is not installed")
pytest.importorskip("httpx", reason="Starlette's TestClient needs httpx")

with warnings.catch_warnings():  # Starlette ≥ 1.x prefers httpx2; httpx still works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect  # noqa: E402

from backprop.playground.server import create_app, host_allowed  # noqa: E402
from playground_helpers import msg  # noqa: E402

ORIGIN = {"host": "localhost", "origin": "http://localhost"}


@pytest.fixture
def client():
    with TestClient(create_app(max_sessions=3), base_url="http://localhost") as c:
        yield c


def receive_until(ws, kind: str, limit: int = 20) -> dict:
    for _ in range(limit):
        m = json.loads(ws.receive_text())
        if m["type"] == kind:
            return m
    raise AssertionError(f"no {kind!r} message in {limit} messages")


def hello(ws, **url) -> dict:
    ws.send_text(msg("hello", url={k: str(v) for k, v in url.items()}))
    ready = receive_until(ws, "ready")
    receive_until(ws, "data")
    receive_until(ws, "snapshot")
    return ready


# -- the server -------------------------------------------------------------------------------
def test_page_and_static_files_are_served_with_a_strict_policy(client):
    r = client.get("/")
    assert r.status_code == 200 and "backprop" in r.text
    assert "script-src 'self'" in r.headers["content-security-policy"]
    for name in ("app.js", "draw.js", "network.js", "style.css", "favicon.svg"):
        assert client.get(f"/static/{name}").status_code == 200


def test_host_refusal(client):
    r = client.get("/", headers={"host": "evil.example:8000"})
    assert r.status_code == 400 and "Host not allowed" in r.text
    with (
        pytest.raises(WebSocketDisconnect),
        client.websocket_connect(
            "/ws", headers={"host": "evil.example", "origin": "http://evil.example"}
        ) as ws,
    ):
        ws.receive_text()
    assert host_allowed("127.0.0.1:8000", public=False)
    assert host_allowed("[::1]:8000", public=False)
    assert not host_allowed("192.168.1.5:8000", public=False)
    assert host_allowed("192.168.1.5:8000", public=True)
    assert not host_allowed("rebind.example:8000", public=True)


@pytest.mark.parametrize("origin", [None, "http://evil.example", "http://localhost:9999", "null"])
def test_origin_refusal(client, origin):
    headers = {"host": "localhost"} if origin is None else {"host": "localhost", "origin": origin}
    with (
        pytest.raises(WebSocketDisconnect) as err,
        client.websocket_connect("/ws", headers=headers) as ws,
    ):
        ws.receive_text()
    assert err.value.code == 1008


def test_a_full_session_over_the_socket(client):
    with client.websocket_connect("/ws", headers=ORIGIN) as ws:
        ready = hello(ws, dataset="spiral", seed=5, lr=0.1)
        assert ready["state"]["dataset"] == "spiral" and "seed=5" in ready["hash"]
        assert set(ready["previews"]) >= {"circle", "spiral", "square"}
        ws.send_text(msg("step", unit="epoch"))
        snap = receive_until(ws, "snapshot")
        assert snap["epoch"] == 1
        ws.send_text(msg("set", changes={"lr": 0.01}))
        state = receive_until(ws, "state")
        assert state["state"]["lr"] == 0.01
        ws.send_text(msg("export", what="spec"))
        spec = json.loads(base64.b64decode(receive_until(ws, "export")["data"]))
        assert spec["optimizer"]["lr"] == 0.01 and spec["seed"] == 5
        ws.send_text(msg("play"))
        for _ in range(3):
            snap = receive_until(ws, "snapshot")
            ws.send_text(msg("ack", seq=snap["seq"]))
        ws.send_text(msg("pause"))
        assert receive_until(ws, "snapshot")["epoch"] >= 1


def test_model_export_loads_with_the_library(client, tmp_path):
    import backprop
    from backprop import io

    with client.websocket_connect("/ws", headers=ORIGIN) as ws:
        hello(ws, dataset="gauss", seed=1)
        ws.send_text(msg("step", unit="epoch"))
        receive_until(ws, "snapshot")
        ws.send_text(msg("export", what="model"))
        out = receive_until(ws, "export")
    path = tmp_path / out["filename"]
    path.write_bytes(base64.b64decode(out["data"]))
    model = io.load(path)
    with backprop.no_grad():
        y = model(backprop.tensor([[2.0, 2.0], [-2.0, -2.0]])).numpy()
    assert y[0, 0] > y[1, 0]  # gauss: class 1 around (2, 2)


def test_1000_malformed_messages_leave_the_server_up(client):
    rng = random.Random(0)
    junk = [
        lambda: "".join(chr(rng.randrange(32, 0x2FF)) for _ in range(rng.randrange(0, 40))),
        lambda: json.dumps({"v": 1, "type": rng.choice(protocol.TYPES),
                            rng.choice(["changes", "url", "unit", "seq", "what", "kind"]):
                            rng.choice([None, -1, 1e308, "x" * 50, [], {}, [1, "a"], True])}),
        lambda: json.dumps({"v": 1, "type": "set", "changes": {
            rng.choice(list(fields.FIELDS)): rng.choice([-5, 1e9, "relu", [0, -1], None, 2.5])}}),
        lambda: json.dumps({"v": 1, "type": "edit", "kind": "weight", "layer": rng.randrange(0, 9),
                            "row": rng.randrange(0, 40), "col": rng.randrange(0, 40),
                            "value": rng.uniform(-2, 2)}),
        lambda: json.dumps([rng.random() for _ in range(5)]),
        lambda: "[" * 5000,
        lambda: json.dumps({"v": 1, "type": "upload", "name": "x.csv",
                            "text": "a,b\n" + "\n".join(["1,zz"] * 3)}),
    ]  # fmt: skip
    with client.websocket_connect("/ws", headers=ORIGIN) as ws:
        hello(ws, dataset="xor", seed=0)
        errors = 0
        for i in range(1000):
            ws.send_text(junk[i % len(junk)]())
            if i % len(junk) == 3:  # a valid-shaped edit may succeed: answered with a snapshot
                m = json.loads(ws.receive_text())
                if m["type"] == "edited":  # (after 'edited')
                    m = json.loads(ws.receive_text())
                assert m["type"] in ("error", "snapshot")
                errors += m["type"] == "error"
                continue
            m = json.loads(ws.receive_text())
            if m["type"] != "error":  # a junk 'set' that happened to be valid
                assert m["type"] in ("state", "data", "snapshot", "ready", "pong")
                while m["type"] != "snapshot":
                    m = json.loads(ws.receive_text())
                continue
            errors += 1
            assert m["message"] and "internal error" not in m["message"], m["message"]
        assert errors > 800
        ws.send_text(msg("ping"))
        assert receive_until(ws, "pong")["type"] == "pong"
    with client.websocket_connect("/ws", headers=ORIGIN) as ws:  # and new tabs still work
        hello(ws)


def test_oversized_message_closes_only_that_connection(client):
    with client.websocket_connect("/ws", headers=ORIGIN) as other:
        hello(other, dataset="circle")
        with client.websocket_connect("/ws", headers=ORIGIN) as ws:
            ws.send_text("x" * (protocol.MAX_MESSAGE + 10))
            with pytest.raises(WebSocketDisconnect) as err:
                ws.receive_text()
            assert err.value.code == 1009
        other.send_text(msg("ping"))
        assert receive_until(other, "pong")


def test_messages_before_hello_and_too_many_tabs(client):
    with client.websocket_connect("/ws", headers=ORIGIN) as ws:
        ws.send_text(msg("play"))
        assert "hello" in receive_until(ws, "error")["message"]
    conns = [client.websocket_connect("/ws", headers=ORIGIN) for _ in range(4)]
    opened = [c.__enter__() for c in conns[:3]]
    try:
        for ws in opened:  # tabs are sessions: sockets that said hello
            hello(ws)
        extra = conns[3].__enter__()
        m = json.loads(extra.receive_text())
        assert m["type"] == "error" and m["fatal"] and "already has 3 open tabs" in m["message"]
        conns[3].__exit__(None, None, None)
    finally:
        for c, _ in zip(conns, opened):
            c.__exit__(None, None, None)


def test_sockets_without_hello_are_closed_and_hold_no_tab_slot(monkeypatch):
    # trial 2, attacker #4: bare sockets (a valid Origin, no hello) held every slot forever
    from backprop.playground import loop

    monkeypatch.setattr(loop, "HELLO_SECONDS", 1.0)
    with TestClient(create_app(max_sessions=2), base_url="http://localhost") as client:
        bare = [client.websocket_connect("/ws", headers=ORIGIN) for _ in range(2)]
        idle = [c.__enter__() for c in bare]
        try:
            with client.websocket_connect("/ws", headers=ORIGIN) as tab:
                assert hello(tab, seed=1)["state"]["seed"] == 1  # a slot, though 2 are open
            for ws in idle:
                m = json.loads(ws.receive_text())
                assert m["type"] == "error" and "no 'hello'" in m["message"]
                with pytest.raises(WebSocketDisconnect) as closed:
                    ws.receive_text()
                assert closed.value.code == 1008
        finally:
            for c in bare:
                c.__exit__(None, None, None)


def test_cli_serves_prints_the_url_and_warns_when_exposed():
    import re
    import subprocess
    import sys
    import urllib.request

    proc = subprocess.Popen(
        [sys.executable, "-m", "backprop", "playground", "--port", "0", "--host", "0.0.0.0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        warning = proc.stderr.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", proc.stdout.readline()).group(0)
        assert "warning" in warning and "other machines" in warning
        with urllib.request.urlopen(url, timeout=5) as r:
            assert r.status == 200 and b"backprop" in r.read()
    finally:
        proc.terminate()
        proc.wait(timeout=5)


def test_the_name_the_server_was_started_with_is_its_own_and_brackets_are_exact():
    """An outside tester: ``--host vm`` printed http://vm:PORT/, which the Host check
    refused; ``[::1]evil.com`` passed as ::1; ``--host 127.0.0.2`` warned of exposure."""
    from backprop.playground.server import is_loopback

    assert host_allowed("vm:43683", public=False, names=("vm",))
    assert not host_allowed("vm:43683", public=False)
    assert not host_allowed("other:43683", public=False, names=("vm",))
    for header in ("[::1]evil.com", "[::1]:80x", "[::1]evil.com:80", "[::1"):
        assert not host_allowed(header, public=False), header
    assert host_allowed("[::1]", public=False)
    assert is_loopback("127.0.0.2") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")
    assert not is_loopback("vm")  # a name is not resolved: it may point anywhere


def test_bare_sockets_never_keep_a_real_tab_out_and_a_full_server_says_what_is_full():
    """Third trial, attacker #1: sockets that never said hello, reopened as soon as one was
    closed, kept 29 of 30 real tabs out with 'Too many open playground tabs' while no tab
    was open (the cap counted every socket). Only tabs (sessions) count; the oldest waiting
    socket makes room for a new one."""
    cap = 8  # admission.WAITING_PER_ADDRESS × max_sessions
    with TestClient(create_app(max_sessions=2), base_url="http://localhost") as client:
        bare = [client.websocket_connect("/ws", headers=ORIGIN) for _ in range(cap + 3)]
        idle = [c.__enter__() for c in bare]  # more than may wait: the oldest were closed
        try:
            for ws in idle[:3]:
                m = json.loads(ws.receive_text())
                assert m["type"] == "error" and "had not said 'hello'" in m["message"]
            with client.websocket_connect("/ws", headers=ORIGIN) as tab:
                assert hello(tab, seed=1)["state"]["seed"] == 1  # a tab, among bare sockets
                with client.websocket_connect("/ws", headers=ORIGIN) as second:
                    hello(second)
                    with client.websocket_connect("/ws", headers=ORIGIN) as third:
                        m = json.loads(third.receive_text())
                        assert m["fatal"] and "already has 2 open tabs" in m["message"]
                        assert "--max-tabs 2" in m["message"]
        finally:
            for c in bare:
                c.__exit__(None, None, None)


def test_tab_slots_are_checked_again_at_hello():
    # sockets opened while a slot was free, saying hello after it was taken
    with TestClient(create_app(max_sessions=1), base_url="http://localhost") as client:
        first = client.websocket_connect("/ws", headers=ORIGIN)
        with first as a, client.websocket_connect("/ws", headers=ORIGIN) as b:
            hello(a)
            b.send_text(msg("hello", url={}))
            m = json.loads(b.receive_text())
            assert m["type"] == "error" and m["fatal"]
            assert "already has 1 open tab," in m["message"]
            with pytest.raises(WebSocketDisconnect) as closed:
                b.receive_text()
            assert closed.value.code == 1013
