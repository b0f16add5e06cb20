"""The playground's speed: training steps/s and snapshots/s, in-process and over a WebSocket.

    python benchmarks/playground.py [--seconds 5]

Measures, for the default network (2 inputs, hidden 4-2 tanh, 500 points of which 250
train, batch 10, SGD 0.03):

1. the session alone: minibatch steps per second (δ engine on flat parameters), and the
   cost and size of one snapshot (heatmap 64², 32² per neuron, weights, ∂E/∂w, δ, and the
   loss and ‖∂E/∂W‖ curves): as sent while training (a frame's steps apart, the curves'
   new points only) and with the whole curves (a page that connects, resets or is shown);
2. end to end: a real uvicorn server on 127.0.0.1 and a WebSocket client that acknowledges
   every snapshot at once (as a page that draws instantly), at speed "fast" (train as fast
   as possible) and "normal" (30 epochs/s) — snapshots/s received and steps/s trained.

Targets (issue 5): ≥ 20 snapshots/s while training ≥ 200 steps/s. Prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))


def session_rates(seconds: float) -> dict:
    from backprop.playground import protocol, views
    from backprop.playground.connection import Connection
    from backprop.playground.session import Session

    s = Session({"dataset": "spiral", "seed": 0})
    s.train(0.2)  # warm up
    start, steps = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        steps += s.train(0.05)
    step_rate = steps / (time.perf_counter() - start)
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < min(seconds, 2.0):
        text = protocol.dumps("snapshot", **views.snapshot(s))  # the whole curves
        n += 1
    whole_ms, whole_bytes = 1000 * (time.perf_counter() - start) / n, len(text)
    # as the server sends them while training: a frame's steps (1/25 s) between two, the
    # curves' new points only
    conn = Connection(None)
    conn.session = s
    conn.snapshot_text()
    per_frame = max(1, round(step_rate / 25))
    taken, sizes = [], []
    end = time.perf_counter() + min(seconds, 2.0)
    while time.perf_counter() < end:
        s.train(10.0, max_steps=per_frame)
        t0 = time.perf_counter()
        text = conn.snapshot_text()
        taken.append(time.perf_counter() - t0)
        sizes.append(len(text))
    return {
        "steps_per_s": step_rate,
        "snapshot_ms": 1000 * sum(taken) / len(taken),
        "snapshot_bytes": sum(sizes) / len(sizes),
        "whole_ms": whole_ms,
        "whole_bytes": whole_bytes,
        "history": len(s.history.x),
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int):
    import uvicorn

    from backprop.playground.server import create_app

    config = uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    return server, thread


async def socket_rates(port: int, speed: str, seconds: float) -> dict:
    import websockets

    url = f"ws://127.0.0.1:{port}/ws"
    origin = f"http://127.0.0.1:{port}"
    async with websockets.connect(url, origin=origin, max_size=2**24) as ws:

        async def send(kind, **fields):
            await ws.send(json.dumps({"v": 1, "type": kind, **fields}))

        await send("hello", url={"dataset": "spiral", "seed": "0", "speed": speed})
        while json.loads(await ws.recv())["type"] != "snapshot":
            pass
        await send("play")
        first = last = None
        count, nbytes = 0, 0
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            text = await ws.recv()
            m = json.loads(text)
            if m["type"] != "snapshot":
                continue
            await send("ack", seq=m["seq"])
            if first is None:
                first = (time.perf_counter(), m["steps"])
                continue
            last = (time.perf_counter(), m["steps"])
            count += 1
            nbytes += len(text)
        await send("pause")
    dt = last[0] - first[0]
    return {
        "snapshots_per_s": count / dt,
        "steps_per_s": (last[1] - first[1]) / dt,
        "kb_per_snapshot": nbytes / count / 1024,
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=5.0, help="per measurement (5)")
    args = ap.parse_args(argv)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(
        "network: 2 inputs → 4 tanh → 2 tanh → 1 (BCE on the logit), 250 training points, batch 10"
    )
    s = session_rates(args.seconds)
    print(
        f"session alone: {s['steps_per_s']:,.0f} steps/s; one snapshot while training "
        f"(new curve points only) {s['snapshot_ms']:.2f} ms, "
        f"{s['snapshot_bytes'] / 1024:.1f} KB of JSON; with the whole curves "
        f"({s['history']} points each) {s['whole_ms']:.2f} ms, {s['whole_bytes'] / 1024:.1f} KB"
    )
    port = _free_port()
    server, thread = start_server(port)
    try:
        print(f"{'over the WebSocket':<22}{'snapshots/s':>12}{'steps/s':>10}{'KB/snapshot':>13}")
        ok = True
        for speed in ("fast", "normal"):
            r = asyncio.run(socket_rates(port, speed, args.seconds))
            print(f"  speed={speed:<13}{r['snapshots_per_s']:>12.1f}{r['steps_per_s']:>10,.0f}"
                  f"{r['kb_per_snapshot']:>13.1f}")  # fmt: skip
            ok &= r["snapshots_per_s"] >= 20 and r["steps_per_s"] >= 200
    finally:
        server.should_exit = True
        thread.join(timeout=5)
    print(
        f"targets (≥ 20 snapshots/s and ≥ 200 steps/s at both speeds): {'met' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
