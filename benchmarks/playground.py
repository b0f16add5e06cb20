"""The playground's speed: training steps/s and snapshots/s, in-process and over a WebSocket.

    python benchmarks/playground.py [--seconds 5] [--repeats 5] [--browser-only]

Measures, for the default network (2 inputs, hidden 4-2 tanh, 500 points of which 250
train, batch 10, SGD 0.03):

1. the session alone: minibatch steps per second (δ engine on flat parameters), and the
   cost and size of one snapshot (heatmap 64², 32² per neuron, weights, ∂E/∂w, δ, and the
   loss and ‖∂E/∂W‖ curves): as sent while training (a frame's steps apart, the curves'
   new points only) and with the whole curves (a page that connects, resets or is shown);
2. end to end: a real uvicorn server on 127.0.0.1 and a WebSocket client that acknowledges
   every snapshot at once (as a page that draws instantly), at speed "fast" (train as fast
   as possible) and "normal" (60 epochs/s) — snapshots/s received and steps/s trained;
3. the page's pace (issue 16): ``backprop playground`` as its own process and headless
   Chromium on the same machine, spiral with 2 inputs → 8 tanh → 8 tanh → 1, batch 10:
   epochs/s the page shows, snapshots it draws and animation frames per second, at
   "normal" (the default) and "fast", alternating, medians of ``--repeats`` runs.

Targets: ≥ 20 snapshots/s while training ≥ 200 steps/s (issue 5); the default speed at
TensorFlow Playground's one epoch per animation frame, ≈ 60 epochs/s (issue 16). Prints
tables.
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


# -- the page: epochs/s and snapshots drawn/s seen by headless Chromium --------------------
PACE_NET = "dataset=spiral&hidden=8,8&activation=tanh,tanh&seed=0&batch_size=10"
COUNT_FRAMES = """() => {
  // count, once per animation frame, the snapshots the page has drawn (app.snap changes)
  const b = window.__bench = {drawn: 0, frames: 0, seq: -1};
  (function tick() {
    const s = window.playground.snap;
    b.frames++;
    if (s && s.seq !== b.seq) { b.drawn++; b.seq = s.seq; }
    requestAnimationFrame(tick);
  })();
}"""


def page_rates(page, url: str, speed: str, seconds: float) -> dict:
    """Open ``url`` at ``speed``, press Play, and read what the page shows for ``seconds``."""
    page.goto("about:blank")
    page.goto(f"{url}#{PACE_NET}&speed={speed}")
    wait = time.monotonic() + 30
    while not page.evaluate("Boolean(window.playground && window.playground.snap)"):
        if time.monotonic() > wait:
            raise RuntimeError("the page did not connect")
        time.sleep(0.05)
    page.click("#play")
    time.sleep(1.0)  # settle: the first snapshots, the paced clock
    page.evaluate(COUNT_FRAMES)
    read = (
        "() => [performance.now(), window.playground.snap.epoch, window.__bench.drawn, "
        "window.__bench.frames]"
    )
    t0, e0, d0, f0 = page.evaluate(read)
    time.sleep(seconds)
    t1, e1, d1, f1 = page.evaluate(read)
    page.click("#play")  # pause
    dt = (t1 - t0) / 1000
    return {"epochs_per_s": (e1 - e0) / dt, "drawn_per_s": (d1 - d0) / dt,
            "frames_per_s": (f1 - f0) / dt}  # fmt: skip


def browser_rates(seconds: float, repeats: int) -> dict | None:
    """Median epochs/s, snapshots drawn/s and animation frames/s in headless Chromium, the
    speeds alternating, with ``backprop playground`` as its own process (as a user runs it)."""
    import re
    import shutil
    import statistics
    import subprocess

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if chromium is None:
        return None
    proc = subprocess.Popen([sys.executable, "-m", "backprop", "playground", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    runs: dict = {"normal": [], "fast": []}
    try:
        url = re.search(r"(http://127\.0\.0\.1:\d+/)", proc.stdout.readline()).group(1)
        with sync_playwright() as p:
            args = ["--headless", "--no-sandbox", "--disable-gpu"]
            browser = p.chromium.launch(executable_path=chromium, args=args)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            for _ in range(repeats):
                for speed in runs:
                    runs[speed].append(page_rates(page, url, speed, seconds))
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return {speed: {k: statistics.median(r[k] for r in rs) for k in rs[0]}
            for speed, rs in runs.items()}  # fmt: skip


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=5.0, help="per measurement (5)")
    ap.add_argument("--repeats", type=int, default=5, help="browser runs per speed (5)")
    ap.add_argument("--browser-only", action="store_true", help="only the Chromium pace")
    args = ap.parse_args(argv)
    if args.browser_only:
        return pace_report(args)
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
    return pace_report(args) or (0 if ok else 1)


def pace_report(args) -> int:
    """TF Playground trains one epoch per animation frame (≈ 60 epochs/s): the default speed
    ("normal") on spiral, 2 inputs → 8 tanh → 8 tanh → 1, batch 10, as headless Chromium
    sees it with the server on the same machine."""
    with open("/proc/loadavg") if os.path.exists("/proc/loadavg") else open(os.devnull) as f:
        load = f.read().split()[:3]
    r = browser_rates(args.seconds, args.repeats)
    if r is None:
        print("page pace: skipped (no Chromium or playwright)")
        return 0
    print(f"page pace in headless Chromium (spiral, 2-8-8-1 tanh, batch 10; medians of "
          f"{args.repeats} × {args.seconds:g} s, speeds alternating; "
          f"load {' '.join(load)})")  # fmt: skip
    print(f"{'speed':<10}{'epochs/s':>10}{'drawn/s':>10}{'frames/s':>10}")
    for speed, m in r.items():
        print(f"{speed:<10}{m['epochs_per_s']:>10.1f}{m['drawn_per_s']:>10.1f}"
              f"{m['frames_per_s']:>10.1f}")  # fmt: skip
    ok = r["normal"]["epochs_per_s"] >= 0.95 * 60
    print(f"target (default speed ≥ one epoch a frame, ≈ 60 epochs/s): {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
