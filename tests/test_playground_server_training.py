"""The playground's training loop without a socket: a ``Connection`` sending to a ``Sink``.

A model export holds the weights of the moment it was asked for, a new session's flow
control starts afresh, and the paced speeds keep their pace when other tabs keep the event
loop busy. The same server over Starlette's TestClient is in ``test_playground_server.py``.
"""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from backprop.playground.session import Session

pytest.importorskip("starlette", reason="the web extra (starlette) is not installed")


def msg(kind: str, **fields) -> str:
    return json.dumps({"v": 1, "type": kind, **fields})


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
    from backprop.playground.connection import Connection

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

    from backprop.playground.connection import Connection

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

    from backprop.playground.connection import Connection

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
