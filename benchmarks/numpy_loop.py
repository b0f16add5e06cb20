"""The NumPy δ span loop (``delta.numpy_loop.NumpyLoop``) against the per-batch path and torch.

An INTERNAL path, labelled as such: ``NumpyLoop.run`` is what ``fit(engine="delta")`` hands
its spans to; the user-path figures are in ``user_paths.py``. Three jobs, each peer timed in
this process, round-robin, median of the repeats (``common.measure``):

- lecture: 1-8-8-1 ReLU, 100 rows, full batch, Adam lr 0.1, MSELoss, float32;
- digits: 64-128-128-10 ReLU, 1437 rows (synthetic, digits' shape), batch 32, shuffled, Adam
  1e-3, cross-entropy;
- wide: 784-512-512-10 ReLU, 2048 rows (synthetic), batch 256, shuffled, Adam 1e-3,
  cross-entropy.

Peers: the loop in one span (inside its ``session()``, as ``fit`` runs it), the same with the
NaN guard, the per-batch path ``zero_grad(); Plan.step(xb, yb); step()`` that ``fit`` used
before spans, the lecture's hand-written ``zero_grad(); delta.backward(...); step()``
(lecture only) and torch eager. Every peer at 1 thread (BLAS and torch), and for wide also at
2. ``python -m benchmarks.numpy_loop [--jobs lecture digits wide] [--repeats 5]``.
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np

from .common import Peer, machine, measure, table

JOBS = {  # sizes, rows, batch, lr, cross-entropy, steps
    "lecture": ([1, 8, 8, 1], 100, 100, 0.1, False, 2000),
    "digits": ([64, 128, 128, 10], 1437, 32, 1e-3, True, 450),
    "wide": ([784, 512, 512, 10], 2048, 256, 1e-3, True, 24),
}


def _data(job: str):
    sizes, n, batch, _, ce, steps = JOBS[job]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], n) if ce else (x**2 + 0.1 * rng.standard_normal((n, 1)))
    nb = -(-n // batch)
    perms = None if nb == 1 else np.stack([rng.permutation(n) for _ in range(steps // nb + 2)])
    return x, y.astype(np.int64 if ce else np.float32), perms


def _backprop_model(sizes):
    import backprop as bp
    import backprop.nn as nn
    from backprop.delta import flatten_parameters

    bp.manual_seed(0)
    parts = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        parts += [nn.Linear(a, b)] + ([nn.ReLU()] if i < len(sizes) - 2 else [])
    model = nn.Sequential(*parts)
    flatten_parameters(model)
    return model


def peers(job: str) -> list[Peer]:
    import backprop.nn as nn
    import backprop.optim as optim
    from backprop import delta
    from backprop.delta.numpy_loop import NumpyLoop

    sizes, n, batch, lr, ce, _ = JOBS[job]
    x, y, perms = _data(job)
    nb = -(-n // batch)

    def setup():
        model = _backprop_model(sizes)
        loss = nn.CrossEntropyLoss() if ce else nn.MSELoss()
        return model, loss, optim.Adam(list(model.parameters()), lr=lr)

    def loop(guard):
        def run(steps):
            model, loss, opt = setup()
            numpy_loop, losses = NumpyLoop(model, loss, opt, x, y, batch), np.zeros(steps)
            with numpy_loop.session():
                numpy_loop.run(perms, 0, steps, losses, guard)
            numpy_loop.sync()
            return float(losses[-1]), {}

        return run

    def per_batch(steps):
        model, loss, opt = setup()
        plan = delta.Plan(model, loss)
        for s in range(steps):
            e, b = divmod(s, nb)
            if perms is None:
                xb, yb = x[b * batch : b * batch + batch], y[b * batch : b * batch + batch]
            else:
                rows = perms[e, b * batch : b * batch + batch]
                xb, yb = x[rows], y[rows]
            opt.zero_grad()
            value = plan.step(xb, yb)
            opt.step()
        return float(value), {}

    def hand(steps):
        model, loss, opt = setup()
        for _ in range(steps):
            opt.zero_grad()
            grads = delta.backward(model, x, y, loss)
            opt.step()
        return float(grads.loss), {}

    out = [
        Peer("NumpyLoop.run (internal)", loop(False)),
        Peer("NumpyLoop.run, guard on (internal)", loop(True)),
        Peer("per batch: Plan.step + step()", per_batch),
    ]
    if job == "lecture":
        out.append(Peer("hand: delta.backward + step()", hand))
    out.append(Peer("torch eager", _torch(job, x, y, perms)))
    if job == "wide":
        out += [
            Peer("NumpyLoop.run (internal), 2 threads", loop(False), threads=2),
            Peer("torch eager, 2 threads", _torch(job, x, y, perms), threads=2),
        ]
    return out


def _torch(job, x, y, perms):
    import torch

    sizes, n, batch, lr, ce, _ = JOBS[job]
    nb = -(-n // batch)
    X, Y = torch.from_numpy(x), torch.from_numpy(y)
    P = None if perms is None else torch.from_numpy(perms)

    def run(steps):
        torch.manual_seed(0)
        parts = []
        for i, (a, b) in enumerate(itertools.pairwise(sizes)):
            parts += [torch.nn.Linear(a, b)] + ([torch.nn.ReLU()] if i < len(sizes) - 2 else [])
        model = torch.nn.Sequential(*parts)
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        loss_fn = torch.nn.CrossEntropyLoss() if ce else torch.nn.MSELoss()
        for s in range(steps):
            e, b = divmod(s, nb)
            if P is None:
                xb, yb = X[b * batch : b * batch + batch], Y[b * batch : b * batch + batch]
            else:
                rows = P[e, b * batch : b * batch + batch]
                xb, yb = X[rows], Y[rows]
            opt.zero_grad()
            value = loss_fn(model(xb), yb)
            value.backward()
            opt.step()
        return value.item(), {}

    return run


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", nargs="+", default=list(JOBS), choices=list(JOBS))
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    print("\n".join(machine()))
    for job in args.jobs:
        steps = JOBS[job][5]
        rows = measure(peers(job), steps, args.repeats, warmup_steps=max(2, steps // 10))
        with open("/proc/loadavg") as f:
            load = " ".join(f.read().split()[:3])
        print(f"\n{job}: {steps} steps, median of {args.repeats}, load {load}")
        print(table(rows, "torch eager", [("final loss", lambda r: f"{r.loss:.4g}")]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
