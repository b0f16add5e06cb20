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
import gc
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
    """Time each ``name -> run(steps)`` peer alternately: median wall and CPU seconds, and the
    final loss. CPU time is the steadier figure on a shared machine; both are reported."""
    for run in jobs.values():  # warm-up (imports, first allocations)
        run(max(steps // 10, 1))
    wall = {name: [] for name in jobs}
    cpu = {name: [] for name in jobs}
    losses = {}
    for _ in range(repeats):
        for name, run in jobs.items():
            gc.collect()  # a full collection left over from one peer must not land in the next
            start, start_cpu = time.perf_counter(), time.process_time()
            losses[name] = run(steps)
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
    return {
        name: (statistics.median(wall[name]), statistics.median(cpu[name]), losses[name])
        for name in jobs
    }


def table(title: str, results: dict, steps: int, reference: str) -> str:
    """A Markdown ratio table: µs/step (wall and CPU) and speed relative to ``reference``."""
    ref_wall, ref_cpu, _ = results[reference]
    lines = [
        f"### {title} ({steps} steps, median; load {_load()})",
        "",
        "| peer | µs/step | CPU µs/step | final loss | speed vs torch eager | speed, CPU time |",
        "|---|---|---|---|---|---|",
    ]
    for name, (seconds, cpu_seconds, loss) in results.items():
        us, cpu_us = seconds / steps * 1e6, cpu_seconds / steps * 1e6
        lines.append(
            f"| {name} | {us:.1f} | {cpu_us:.1f} | {loss:.4g} | {ref_wall / seconds:.2f}× | "
            f"{ref_cpu / cpu_seconds:.2f}× |"
        )
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
    from .common import threads

    with threads(1):  # torch's pool and NumPy's BLAS alike
        results = compare(
            {"torch eager (1 thread)": run_torch, "backprop autograd": run_backprop},
            args.steps,
            args.repeats,
        )
    print(table("Hand-written lecture loop", results, args.steps, "torch eager (1 thread)"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
