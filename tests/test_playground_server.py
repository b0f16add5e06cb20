"""The playground without a browser: messages, sessions, and the server's safety rules.

Sessions are checked against ``backprop.run`` (an exported spec trains to the same numbers),
the protocol against malformed input, and the server (Starlette's TestClient) against
foreign Origins and Hosts, oversized and 1,000 malformed messages.
"""

from __future__ import annotations

import base64
import json
import random
import warnings

import numpy as np
import pytest

from backprop.playground import protocol, views
from backprop.playground.features import FEATURES, transform
from backprop.playground.protocol import ProtocolError
from backprop.playground.session import Session

starlette = pytest.importorskip("starlette", reason="the web extra (starlette) is not installed")
pytest.importorskip("httpx", reason="Starlette's TestClient needs httpx")

with warnings.catch_warnings():  # Starlette ≥ 1.x prefers httpx2; httpx still works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect  # noqa: E402

from backprop.playground.server import create_app, host_allowed  # noqa: E402

ORIGIN = {"host": "localhost", "origin": "http://localhost"}


def msg(kind: str, **fields) -> str:
    return json.dumps({"v": 1, "type": kind, **fields})


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


# -- features and protocol ------------------------------------------------------------------
def test_features_match_their_formulas():
    x = np.array([[0.5, -2.0], [3.0, 1.5]])
    out = transform(x, list(FEATURES))
    a, b = x[:, 0], x[:, 1]
    expected = np.stack([a, b, a * a, b * b, a * b, np.sin(a), np.sin(b)], axis=1)
    np.testing.assert_allclose(out, expected)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ('{"type": "play"}', "protocol version"),
        ('{"v": 2, "type": "play"}', "protocol version"),
        ('{"v": 1, "type": "fly"}', "unknown message type"),
        ('{"v": 1, "type": "play", "x": 1}', "takes no fields"),
        ('{"v": 1, "type": "set", "changes": {}}', "non-empty"),
        ('{"v": 1, "type": "set", "changes": {"lr": -1}}', "between"),
        ('{"v": 1, "type": "set", "changes": {"lr": "fast"}}', "finite number"),
        ('{"v": 1, "type": "set", "changes": {"noise": 51}}', "between 0 and 50"),
        ('{"v": 1, "type": "set", "changes": {"hidden": [1, 2, 3, 4, 5, 6, 7, 8, 9]}}', "at most"),
        ('{"v": 1, "type": "set", "changes": {"hidden": [0]}}', "between 1"),
        ('{"v": 1, "type": "set", "changes": {"features": ["x1", "x1"]}}', "twice"),
        ('{"v": 1, "type": "set", "changes": {"dataset": "moons"}}', "one of"),
        ('{"v": 1, "type": "set", "changes": {"nope": 1}}', "unknown"),
        ('{"v": 1, "type": "set", "changes": {"discretize": 1}}', "true or false"),
        ('{"v": 1, "type": "step", "unit": "year"}', "epoch"),
        ('{"v": 1, "type": "edit", "kind": "weight", "layer": 1, "row": 0, "value": 1}', "col"),
        ('{"v": 1, "type": "edit", "kind": "bias", "layer": 1, "row": 0, "value": 1e9}', "between"),
        ('{"v": 1, "type": "upload", "name": "a.csv", "text": ""}', "empty"),
        ('{"v": 1, "type": "export", "what": "weights"}', "model"),
        ('{"v": 1, "type": "ack", "seq": -1}', "seq"),
        ('{"v": 1, "type": "set", "changes": {"lr": NaN}}', "not valid JSON"),
    ],
)
def test_parse_refuses_with_a_reason(text, fragment):
    with pytest.raises(ProtocolError, match=fragment):
        protocol.parse(text)


def test_parse_accepts_and_normalises():
    m = protocol.parse(msg("set", changes={"lr": 0.3, "activation": ["ReLU"], "hidden": [3]}))
    assert m == {"type": "set", "changes": {"lr": 0.3, "activation": ["relu"], "hidden": [3]}}
    assert protocol.parse(msg("step"))["unit"] == "epoch"


def test_url_round_trip_and_bad_links_still_open():
    state = protocol.defaults()
    state.update(dataset="spiral", hidden=[8, 3, 2], lr=0.003, features=["x1", "x1x2"], seed=42)
    params = dict(p.split("=", 1) for p in protocol.to_url(state).split("&"))
    back, notes = protocol.from_url(params)
    assert notes == []
    assert {k: back[k] for k in state} == state
    settings, notes = protocol.from_url({"lr": "lots", "bogus": "1", "noise": "20"})
    assert settings == {"noise": 20}
    assert len(notes) == 2


def test_oversized_message_is_refused_by_parse():
    with pytest.raises(ProtocolError, match="too large"):
        protocol.parse("x" * (protocol.MAX_MESSAGE + 1))


# -- sessions ---------------------------------------------------------------------------------
def test_exported_spec_trains_to_the_same_numbers():
    from backprop.spec import run

    s = Session({"dataset": "xor", "noise": 10, "seed": 7, "optimizer": "adam", "lr": 0.01})
    for _ in range(4):
        s.step_epoch()
    r = run(s.spec())
    ours = np.concatenate([p._data.ravel() for p in s.model.parameters()])
    theirs = np.concatenate([p._data.ravel() for p in r.model.parameters()])
    np.testing.assert_array_equal(ours, theirs)
    assert r.history.last("val_loss") == pytest.approx(s.metrics["test_loss"], rel=1e-6)
    assert s.spec_gaps() == []


def test_training_lowers_the_loss_and_lr_changes_mid_run():
    s = Session({"dataset": "circle", "seed": 1, "lr": 0.1})
    start = s.metrics["test_loss"]
    s.train(10.0, max_epochs=30)
    assert s.epoch == 30
    assert s.metrics["test_loss"] < start * 0.7
    s.apply({"lr": 0.001})
    assert s.optimizer.param_groups[0]["lr"] == 0.001
    assert s.epoch == 30  # the learning rate changes the running training, no reset
    assert "learning-rate" in " ".join(s.spec_gaps())


def test_minibatch_step_and_epoch_counter():
    s = Session({"dataset": "gauss", "seed": 2, "batch_size": 100})
    assert s.x.shape[0] == 250
    for _ in range(2):
        s.step_batch()
    assert (s.epoch, s.steps) == (0, 2)
    s.step_batch()
    assert (s.epoch, s.steps) == (1, 3)  # 250 rows in batches of 100: 3 steps an epoch


def test_divergence_stops_and_keeps_finite_weights():
    s = Session({"dataset": "square", "hidden": [8], "activation": ["relu"], "lr": 10,
                 "batch_size": 2000, "noise": 10, "seed": 0})  # fmt: skip
    s.status.running = True
    s.train(5.0, max_epochs=200)
    assert s.status.diverged and not s.status.running
    assert "diverged" in s.status.stopped and "Lower the learning rate" in s.status.stopped
    assert np.isfinite(s.flat).all()
    snap = views.snapshot(s)
    json.dumps(snap, allow_nan=False)  # the page always gets drawable numbers


def test_stop_conditions():
    s = Session({"dataset": "gauss", "seed": 0, "stop_epochs": 5})
    s.status.running = True
    s.train(10.0)
    assert s.epoch == 5 and "5 epochs" in s.status.stopped
    s = Session({"dataset": "gauss", "seed": 0, "stop_loss": 0.3, "lr": 0.1})
    s.status.running = True
    s.train(10.0, max_epochs=500)
    assert s.metrics["test_loss"] <= 0.3 and "target" in s.status.stopped


def test_l1_makes_weights_exactly_zero_and_l2_shrinks():
    s = Session({"dataset": "gauss", "seed": 0, "hidden": [8, 8], "activation": ["tanh"],
                 "regularization": "l1", "reg_rate": 0.1, "lr": 0.1})  # fmt: skip
    s.train(10.0, max_epochs=30)
    assert sum(int((w == 0).sum()) for w in s.weights) > 10
    plain = Session({"dataset": "gauss", "seed": 0, "lr": 0.1})
    l2 = Session({"dataset": "gauss", "seed": 0, "lr": 0.1, "regularization": "l2",
                  "reg_rate": 0.3})  # fmt: skip
    for one in (plain, l2):
        one.train(10.0, max_epochs=20)
    norm = lambda ses: sum(float((w**2).sum()) for w in ses.weights)  # noqa: E731
    assert norm(l2) < norm(plain)


def test_features_hidden_layers_and_activations_rebuild_the_network():
    s = Session({"dataset": "circle", "features": ["x1sq", "x2sq"], "hidden": [],
                 "seed": 3, "lr": 0.3})  # fmt: skip
    assert s.plan.net[0].n_in == 2 and len(s.plan.net) == 1
    s.train(10.0, max_epochs=40)
    assert s.metrics["test_accuracy"] > 0.95  # x1² + x2² separates the circle linearly
    s.apply({"hidden": [5, 3, 2], "activation": ["relu", "sigmoid", "linear"]})
    assert [lay.n_out for lay in s.plan.net] == [5, 3, 2, 1]
    assert [lay.activation.name for lay in s.plan.net][:3] == ["relu", "sigmoid", "identity"]
    assert s.epoch == 0
    s.apply({"hidden": [4, 4]})  # the activations follow the layers
    assert s.state["activation"] == ["relu", "sigmoid"]
    s.apply({"hidden": [4, 4, 4, 4]})
    assert s.state["activation"] == ["relu", "sigmoid", "sigmoid", "sigmoid"]


def test_multiclass_uses_softmax_cross_entropy():
    s = Session({"dataset": "spiral", "classes": 4, "seed": 0, "hidden": [8]})
    assert s.loss_name == "cross_entropy" and s.plan.net[-1].n_out == 4
    snap = views.snapshot(s)
    assert snap["heatmap"]["kind"] == "classes" and len(snap["heatmap"]["neurons"][-1]) == 4
    s.apply({"loss": "bce_with_logits"})  # not for four classes: stays cross-entropy
    assert s.loss_name == "cross_entropy"


def test_problem_type_switches_the_dataset():
    s = Session({"dataset": "circle"})
    s.apply({"problem": "regression"})
    assert s.state["dataset"] == "plane" and s.raw.task == "regression"
    assert s.loss_name == "mse"
    s.apply({"dataset": "xor"})
    assert s.state["problem"] == "classification"


def test_one_d_curve_marks_every_relu_kink():
    s = Session({"dataset": "abs", "hidden": [2], "activation": ["relu"], "seed": 0})
    lay = s.plan.net[0]
    lay.weight._data[:, 0] = [1.0, -1.0]
    lay.bias._data[:] = [-1.0, 1.0]  # both kinks at x = 1, the lecture's |x − 1| network
    snap = views.snapshot(s)
    xs = sorted(k["x"] for k in snap["curve"]["kinks"])
    assert xs == pytest.approx([1.0, 1.0], abs=1e-6)
    assert views.data_view(s)["target_curve"] is not None


def test_edit_weight_and_bias():
    s = Session({"dataset": "circle", "seed": 0})
    s.edit("weight", 1, 2, 1, 0.75)
    s.edit("bias", 2, 1, None, -0.5)
    assert s.plan.net[0].weight._data[2, 1] == np.float32(0.75)
    assert s.plan.net[1].bias._data[1] == np.float32(-0.5)
    with pytest.raises(ProtocolError, match="layer"):
        s.edit("weight", 9, 0, 0, 1.0)
    with pytest.raises(ProtocolError, match="weights go from"):
        s.edit("weight", 1, 0, 5, 1.0)
    assert "by hand" in " ".join(s.spec_gaps())


def test_snapshots_stay_small_for_the_largest_network():
    s = Session({"dataset": "spiral", "classes": 5, "hidden": [protocol.MAX_NEURONS]
                 * protocol.MAX_LAYERS, "activation": ["relu"]})  # fmt: skip
    size = len(protocol.dumps("snapshot", **views.snapshot(s)))
    assert size < 400_000, size
    default = Session({"dataset": "spiral"})
    assert len(protocol.dumps("snapshot", **views.snapshot(default))) < 40_000


CSV_OK = "a,b,label\n" + "\n".join(
    f"{x:.3f},{y:.3f},{int(x * y > 0)}"
    for x, y in np.random.default_rng(0).uniform(-3, 3, (120, 2))
)


def test_csv_upload_trains_and_bad_files_are_refused():
    s = Session({"dataset": "circle", "seed": 0})
    s.upload("quadrants.csv", CSV_OK)
    assert s.state["dataset"] == "csv" and s.raw.task == "classification"
    s.train(5.0, max_epochs=5)
    assert s.spec()["data"]["csv"] == "quadrants.csv"
    bad = {
        "a,b,label\n1,2,0\nnan,2,1\n3,4,0\n": "line 3",
        "a,b,label\n1,2,0\nx,2,1\n3,4,0\n": "line 3",
        "a,b,c,label\n1,2,3,0\n4,5,6,1\n7,8,9,0\n": "4 columns",
        "a,b,label\n" + "1,2,0\n" * (protocol.MAX_CSV_ROWS + 1): "5,000",
        "a,b,label\n1,2,0\n": "at least two data rows",
        "a,b,label\n" + "".join(f"{i},{i},{i % 7}\n" for i in range(70)): "7 classes",
    }
    for text, fragment in bad.items():
        with pytest.raises(ProtocolError, match=fragment):
            s.upload("bad.csv", text)
        assert s.csv[0] == "quadrants.csv"  # a refused file leaves the session as it was


def test_csv_spec_retrains_identically_next_to_the_file(tmp_path):
    from backprop.spec import run

    s = Session({"seed": 5, "optimizer": "adam", "lr": 0.03, "batch_size": 16})
    s.upload("quadrants.csv", CSV_OK)
    for _ in range(3):
        s.step_epoch()
    path = tmp_path / "quadrants.csv"
    path.write_text(CSV_OK)
    r = run(s.spec(csv_path=str(path)))
    for a, b in zip(s.model.parameters(), r.model.parameters()):
        np.testing.assert_array_equal(a._data, b._data)


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
            rng.choice(list(protocol.FIELDS)): rng.choice([-5, 1e9, "relu", [0, -1], None, 2.5])}}),
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
        extra = conns[3].__enter__()
        m = json.loads(extra.receive_text())
        assert m["type"] == "error" and m["fatal"] and "Too many" in m["message"]
        conns[3].__exit__(None, None, None)
    finally:
        for c, _ in zip(conns, opened):
            c.__exit__(None, None, None)


class Sink:
    """A stand-in for the tab's WebSocket: keeps what the server sends."""

    def __init__(self) -> None:
        self.sent: list[dict] = []

    async def send_text(self, text: str) -> None:
        self.sent.append(json.loads(text))

    def snapshots(self) -> list[dict]:
        return [m for m in self.sent if m["type"] == "snapshot"]


def test_model_export_holds_the_weights_of_the_moment_it_was_asked_for(tmp_path):
    """The file is written on another thread; training that goes on meanwhile (the tab's
    trainer, between the server's frames) must not reach it."""
    import asyncio

    from backprop import io
    from backprop.playground.server import Connection

    conn = Connection(Sink())
    conn.session = s = Session({"dataset": "xor", "seed": 3, "lr": 0.1})
    s.step_epoch()
    asked = [p._data.copy() for p in s.model.parameters()]

    async def export_while_training():
        loop = asyncio.get_running_loop()
        write_on_a_thread = loop.run_in_executor

        def trainer_runs_meanwhile(executor, fn, *args):
            s.train(10.0, max_steps=60)
            return write_on_a_thread(executor, fn, *args)

        loop.run_in_executor = trainer_runs_meanwhile
        await conn.export("model")

    asyncio.run(export_while_training())
    out = conn.ws.sent[-1]
    assert out["type"] == "export" and out["filename"].endswith("-epoch1.safetensors")
    path = tmp_path / out["filename"]
    path.write_bytes(base64.b64decode(out["data"]))
    assert s.steps > 25  # the session did move on
    for before, p in zip(asked, io.load(path).parameters(), strict=True):
        np.testing.assert_array_equal(p._data, before)


def test_a_second_hello_starts_the_flow_control_afresh():
    """Snapshots stay at most two ahead of the page's acks in a new session too (the old
    session's acknowledgements must not count)."""
    import asyncio

    from backprop.playground.server import Connection

    async def main():
        conn = Connection(Sink())
        await conn.hello({"seed": "1", "speed": "fast"})
        for seq in range(1, 41):  # a long first session, every snapshot drawn
            await conn.handle(msg("ack", seq=seq))
        await conn.hello({"seed": "2", "speed": "fast"})
        sent = len(conn.ws.snapshots())
        await conn.handle(msg("play"))
        await asyncio.sleep(0.5)  # about a dozen frames, none acknowledged
        conn.stop()
        return [m["seq"] for m in conn.ws.snapshots()[sent:]]

    seqs = asyncio.run(main())
    assert seqs and max(seqs) <= 3, seqs  # ready's snapshot was 1; two more in flight at most


def test_paced_speeds_keep_their_pace_on_a_busy_server():
    """'normal' is 30 epochs/s even when other tabs make every turn of the event loop slow
    (the pace follows the clock, not the number of frames)."""
    import asyncio
    import time

    from backprop.playground.server import Connection

    async def main():
        conn = Connection(Sink())
        conn.session = s = Session({"dataset": "plane", "batch_size": 25, "seed": 0})
        assert s.steps_per_epoch() == 10 and s.state["speed"] == "normal"
        conn.acked = 10**9  # the page draws everything at once

        async def other_tabs():  # each turn of the loop spends 0.2 s on other tabs' frames
            while True:
                time.sleep(0.2)
                await asyncio.sleep(0)

        others = asyncio.create_task(other_tabs())
        start = time.perf_counter()
        await conn.handle(msg("play"))
        await asyncio.sleep(2.0)
        conn.stop()
        others.cancel()
        return s.epoch / (time.perf_counter() - start)

    rate = asyncio.run(main())
    assert 20 <= rate <= 31, rate


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
