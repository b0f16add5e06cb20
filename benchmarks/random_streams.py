"""torch's random streams, reproduced bit for bit: what they cost against torch, side by side.

Each job is written once and run with ``lib`` bound to backprop and to PyTorch (1 thread):
``manual_seed``; ``randn(10)`` (the scalar Box-Muller path with its cached sample),
``randn(10_000)`` in float32 (the 16-wide SIMD Box-Muller, emulated in NumPy) and float64
(the C library's log/cos/sin, called through Python's ``math``); ``rand(10_000)``;
``randperm(60_000)`` (a sequential Fisher-Yates); ``nn.Linear(784, 512)`` (its default
initialisation); a 32 x 200 dropout mask; makemore's ``multinomial(p, 1, generator=g)``.
The peers alternate, each job repeated; the table gives the median time of each and the
ratio backprop / torch. The cost of the old stream (NumPy's PCG64, other numbers) is shown
for reference where NumPy has the same call. ``python -m benchmarks.random_streams``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np


def _jobs(lib):
    g = lib.Generator().manual_seed(1)
    p = lib.tensor(np.full(27, 1 / 27, dtype=np.float32))
    x = lib.ones(32, 200)
    return {
        "manual_seed(0)": lambda: lib.manual_seed(0),
        "randn(10)": lambda: lib.randn(10),
        "randn(10_000) float32": lambda: lib.randn(10_000),
        "randn(10_000) float64": lambda: lib.randn(10_000, dtype=lib.float64),
        "rand(10_000)": lambda: lib.rand(10_000),
        "randperm(60_000)": lambda: lib.randperm(60_000),
        "nn.Linear(784, 512)": lambda: lib.nn.Linear(784, 512),
        "dropout 32x200 p=0.2": lambda: lib.nn.functional.dropout(x, 0.2),
        "multinomial(p27, 1, generator=g)": lambda: lib.multinomial(p, 1, True, generator=g),
    }


def _numpy_jobs():
    rng = np.random.default_rng(0)
    return {
        "manual_seed(0)": lambda: np.random.default_rng(0),
        "randn(10)": lambda: rng.standard_normal(10, dtype=np.float32),
        "randn(10_000) float32": lambda: rng.standard_normal(10_000, dtype=np.float32),
        "randn(10_000) float64": lambda: rng.standard_normal(10_000),
        "rand(10_000)": lambda: rng.random(10_000, dtype=np.float32),
        "randperm(60_000)": lambda: rng.permutation(60_000),
    }


def _time(fn, inner: int) -> float:
    start = time.perf_counter()
    for _ in range(inner):
        fn()
    return (time.perf_counter() - start) / inner


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    import torch

    import backprop

    torch.set_num_threads(1)
    ours, theirs, old = _jobs(backprop), _jobs(torch), _numpy_jobs()
    print(f"load average: {os.getloadavg()}")
    print("| job | backprop | torch | ratio | NumPy PCG64 (old stream) |\n|---|---|---|---|---|")
    for name in ours:
        inner = 3 if ("60_000" in name or "784" in name) else 50
        times = {"b": [], "t": [], "n": []}
        for _ in range(args.repeats):
            times["b"].append(_time(ours[name], inner))
            times["t"].append(_time(theirs[name], inner))
            if name in old:
                times["n"].append(_time(old[name], inner))
        b, t = statistics.median(times["b"]), statistics.median(times["t"])
        n = f"{statistics.median(times['n']) * 1e6:.1f} µs" if times["n"] else "-"
        print(f"| {name} | {b * 1e6:.1f} µs | {t * 1e6:.1f} µs | {b / t:.2f}x | {n} |")


if __name__ == "__main__":
    main()
