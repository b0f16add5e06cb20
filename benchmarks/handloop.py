"""The hand-written lecture loop on autograd: backprop against torch eager (1 thread).

The lecture's own code, as a user copies it: a 1-8-8-1 ReLU ``nn.Sequential``, x = 5·randn
(100 points), y = x² + noise, ``optim.Adam(lr=0.1)``, ``nn.MSELoss()``, and per epoch
``zero_grad(); loss = loss_fn(model(x), y); loss.backward(); step()``. The same function body
runs once with ``torch`` bound to PyTorch and once with it bound to ``backprop`` (``import
backprop as torch``); both start from the same data and the same initial weights (torch's,
copied into backprop's model).

``run_backprop(steps)`` and ``run_torch(steps)`` return the final loss (a float), for other
benchmark sections to import. ``python -m benchmarks.handloop`` prints a ratio table: both
peers timed in this process, alternating, median of the repeats.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

EPOCHS = 2_000


def _start(seed: int = 0):
    """The data and the initial weights (NumPy arrays), the same for both peers."""
    rng = np.random.default_rng(seed)
    x = 5 * rng.standard_normal((100, 1))
    y = x**2 + rng.standard_normal((100, 1))
    sizes = [(1, 8), (8, 8), (8, 1)]
    weights = []
    for fan_in, fan_out in sizes:
        bound = 1 / np.sqrt(fan_in)  # nn.Linear's default range
        weights.append(rng.uniform(-bound, bound, (fan_out, fan_in)))
        weights.append(rng.uniform(-bound, bound, fan_out))
    return x.astype(np.float32), y.astype(np.float32), [w.astype(np.float32) for w in weights]


def _lecture_loop(torch, steps: int) -> float:
    """The lecture's code, verbatim but for the module bound to ``torch``."""
    nn, optim = torch.nn, torch.optim
    xs, ys, weights = _start()
    x, y = torch.tensor(xs), torch.tensor(ys)
    model = nn.Sequential(nn.Linear(1, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 1))
    with torch.no_grad():
        for p, w in zip(model.parameters(), weights):
            p.copy_(torch.tensor(w))
    optimizer = optim.Adam(model.parameters(), lr=0.1)
    loss_fn = nn.MSELoss()
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
    return float(loss.item())


def run_backprop(steps: int) -> float:
    import backprop

    return _lecture_loop(backprop, steps)


def run_torch(steps: int) -> float:
    import torch

    torch.set_num_threads(1)
    return _lecture_loop(torch, steps)


def compare(jobs: dict, steps: int, repeats: int) -> dict:
    """Time each ``name -> run(steps)`` peer alternately; medians in seconds and final losses."""
    for run in jobs.values():  # warm-up (imports, first allocations)
        run(max(steps // 10, 1))
    times = {name: [] for name in jobs}
    losses = {}
    for _ in range(repeats):
        for name, run in jobs.items():
            start = time.perf_counter()
            losses[name] = run(steps)
            times[name].append(time.perf_counter() - start)
    return {name: (statistics.median(t), losses[name]) for name, t in times.items()}


def table(title: str, results: dict, steps: int, reference: str) -> str:
    """A Markdown ratio table: µs/step and speed relative to ``reference``."""
    ref = results[reference][0]
    lines = [
        f"### {title} ({steps} steps, median; load {_load()})",
        "",
        "| peer | µs/step | final loss | speed vs torch eager |",
        "|---|---|---|---|",
    ]
    for name, (seconds, loss) in results.items():
        us = seconds / steps * 1e6
        lines.append(f"| {name} | {us:.1f} | {loss:.4g} | {ref / seconds:.2f}× |")
    return "\n".join(lines)


def _load() -> str:
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "n/a"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=EPOCHS)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    results = compare(
        {"torch eager (1 thread)": run_torch, "backprop autograd": run_backprop},
        args.steps,
        args.repeats,
    )
    print(table("Hand-written lecture loop", results, args.steps, "torch eager (1 thread)"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
