"""The layers and the data loader of issue 14 against torch eager, side by side in one process.

Each job is written once and run with ``lib`` bound to backprop and to PyTorch (1 thread):
an embedding lookup ``C[X]`` and ``nn.Embedding`` forward + backward in makemore's shapes
(27 × 10 table, 32 × 3 indices) and in a larger one (10 000 × 64, 512 × 8); BatchNorm1d and
LayerNorm forward + backward on 32 × 200; Dropout on 32 × 200; one epoch of a shuffled
``DataLoader(TensorDataset(X, y), batch_size=32)`` over 10 000 × 20 rows. The peers
alternate, each job repeated; the table gives the median time of each and the ratio
backprop / torch. ``python -m benchmarks.nn_layers [--repeats N]``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def _jobs(lib, rng):
    nn, data = lib.nn, lib.utils.data
    jobs = {}
    for name, rows, dim, shape in (("makemore", 27, 10, (32, 3)), ("large", 10_000, 64, (512, 8))):
        table = lib.tensor(rng.normal(size=(rows, dim)).astype(np.float32), requires_grad=True)
        idx = lib.tensor(rng.integers(0, rows, size=shape))
        layer = nn.Embedding(rows, dim)

        def index(table=table, idx=idx):
            table.grad = None
            table[idx].sum().backward()

        def embed(layer=layer, idx=idx):
            layer.weight.grad = None
            layer(idx).sum().backward()

        jobs[f"C[X] {name} fwd+bwd"] = index
        jobs[f"Embedding {name} fwd+bwd"] = embed
    x = lib.tensor(rng.normal(size=(32, 200)).astype(np.float32), requires_grad=True)
    for label, layer in (("BatchNorm1d", nn.BatchNorm1d(200)), ("LayerNorm", nn.LayerNorm(200))):

        def norm(layer=layer):
            x.grad = None
            layer(x).sum().backward()

        jobs[f"{label} 32x200 fwd+bwd"] = norm
    drop = nn.Dropout(0.2)
    jobs["Dropout 32x200 fwd"] = lambda: drop(x)
    X = lib.tensor(rng.normal(size=(10_000, 20)).astype(np.float32))
    y = lib.tensor(rng.integers(0, 2, size=10_000))
    loader = data.DataLoader(data.TensorDataset(X, y), batch_size=32, shuffle=True)

    def epoch():
        for _xb, _yb in loader:
            pass

    jobs["DataLoader epoch 10000x20 /32"] = epoch
    return jobs


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
    ours = _jobs(backprop, np.random.default_rng(0))
    theirs = _jobs(torch, np.random.default_rng(0))
    print(f"{'job':34} {'backprop':>12} {'torch':>12} {'ratio':>7}")
    for name in ours:
        inner = 1 if "epoch" in name else 50
        times = {"b": [], "t": []}
        for _ in range(args.repeats):
            times["b"].append(_time(ours[name], inner))
            times["t"].append(_time(theirs[name], inner))
        b, t = statistics.median(times["b"]), statistics.median(times["t"])
        print(f"{name:34} {b * 1e6:10.1f}µs {t * 1e6:10.1f}µs {b / t:6.2f}x")


if __name__ == "__main__":
    main()
