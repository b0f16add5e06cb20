"""The wide job: 784-512-512-10 ReLU, softmax cross-entropy, batch 256, Adam, float32 — where
matrix multiplies dominate and the question is how close each peer gets to the BLAS peak.

Peers at 1 and 2 threads: PyTorch eager, backprop's NumPy δ engine (NumPy's OpenBLAS), the
fused loop (BLAS through numba, i.e. SciPy's OpenBLAS), scikit-learn's MLPClassifier (one
epoch of ``steps`` minibatches). Each step is one minibatch of fresh random data rows (a fixed
pool, cycled), so the numbers measure throughput, not learning. Also measured: the GEMM peak
of a large float32 matrix multiply in NumPy and PyTorch, to put GFLOP/s in context.
"""

from __future__ import annotations

import itertools
import time
import warnings

import numpy as np

import backprop as bp
from backprop import delta, nn, optim

from .common import Peer, have, measure, threads

SIZES = [784, 512, 512, 10]
BATCH = 256
POOL = 8  # distinct batches cycled through


def flops_per_step(sizes=SIZES, batch=BATCH) -> float:
    """Multiply-adds × 2 of forward, weight gradients and δ propagation (not to the input)."""
    pairs = list(itertools.pairwise(sizes))
    forward = sum(a * b for a, b in pairs)
    return 2.0 * batch * (3 * forward - pairs[0][0] * pairs[0][1])


def _data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((POOL * BATCH, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], POOL * BATCH).astype(np.int64)
    return x, y


def _model():
    bp.manual_seed(0)
    return nn.MLP(SIZES, activation="relu")


def run_delta(steps: int):
    x, y = _data()
    model = _model()
    delta.flatten_parameters(model)
    adam = optim.Adam(model.parameters(), lr=1e-3)
    plan = delta.Plan(model, nn.CrossEntropyLoss())
    loss = float("nan")
    for s in range(steps):
        lo = (s % POOL) * BATCH
        adam.zero_grad()
        loss = plan.step(x[lo : lo + BATCH], y[lo : lo + BATCH])
        adam.step()
    return loss, {}


def run_fused(steps: int):
    from backprop.delta import fused

    x, y = _data()
    n = min(steps, POOL) * BATCH
    epochs = -(-steps // POOL)
    model = _model()
    adam = optim.Adam(model.parameters(), lr=1e-3)
    result = fused.train(model, nn.CrossEntropyLoss(), adam, x[:n], y[:n], epochs, BATCH)
    return float(result.batch_losses[-1, -1]), {}


def run_torch(steps: int):
    import torch

    x, y = _data()
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    ours = _model()
    layers = []
    for a, b in itertools.pairwise(SIZES):
        layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    model.load_state_dict(
        {k: torch.from_numpy(v.numpy(force=True).copy()) for k, v in ours.state_dict().items()}
    )
    adam = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_function = torch.nn.CrossEntropyLoss()
    loss = None
    for s in range(steps):
        lo = (s % POOL) * BATCH
        adam.zero_grad()
        loss = loss_function(model(tx[lo : lo + BATCH]), ty[lo : lo + BATCH])
        loss.backward()
        adam.step()
    return loss.item(), {}


def run_sklearn(steps: int):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    x, y = _data()
    reps = -(-steps // POOL)
    xs, ys = np.tile(x, (reps, 1))[: steps * BATCH], np.tile(y, reps)[: steps * BATCH]
    clf = MLPClassifier(
        hidden_layer_sizes=tuple(SIZES[1:-1]), batch_size=BATCH, learning_rate_init=1e-3,
        max_iter=1, alpha=0.0, shuffle=False, random_state=0,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(xs, ys)
    return clf.loss_, {}


def gemm_peak(n_threads: int, size: int = 2048, repeats: int = 7) -> dict:
    """GFLOP/s of an n×n float32 matrix product in NumPy and in PyTorch (best of ``repeats``:
    a peak, so the least disturbed run)."""
    a = np.random.default_rng(0).standard_normal((size, size)).astype(np.float32)
    b = a.copy()
    out = {}
    with threads(n_threads):
        np.dot(a, b)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            np.dot(a, b)
            times.append(time.perf_counter() - start)
        out["numpy"] = 2 * size**3 / min(times) / 1e9
        if have("torch"):
            import torch

            ta, tb = torch.from_numpy(a), torch.from_numpy(b)
            torch.mm(ta, tb)
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                torch.mm(ta, tb)
                times.append(time.perf_counter() - start)
            out["torch"] = 2 * size**3 / min(times) / 1e9
    return out


def peers() -> tuple[list[Peer], list[str]]:
    out, notes = [], []
    for n in (1, 2):
        s = "" if n == 1 else "s"
        if have("torch"):
            out.append(Peer(f"torch eager ({n} thread{s})", run_torch, n))
        out.append(Peer(f"backprop δ-engine NumPy ({n} thread{s})", run_delta, n))
        if have("numba"):
            out.append(Peer(f"backprop fused ({n} thread{s})", run_fused, n))
        if have("sklearn"):
            out.append(Peer(f"scikit-learn MLPClassifier ({n} thread{s})", run_sklearn, n))
    notes.append("JAX not installed: skipped." if not have("jax") else "JAX: not run for this job.")
    return out, notes


def run(quick: bool = False, repeats: int = 5) -> dict:
    steps = 4 if quick else 40
    contenders, notes = peers()
    rows = measure(contenders, steps, repeats, warmup_steps=2)
    flops = flops_per_step()
    for r in rows:
        r.extra["gflops"] = flops / (r.us_per_step * 1e-6) / 1e9
    peaks = {n: gemm_peak(n, 1024 if quick else 2048) for n in (1, 2)}
    notes.append(
        "GEMM peak (2048² float32): "
        + "; ".join(
            f"{n} thread{'s' if n > 1 else ''}: NumPy {p['numpy']:.0f}, torch "
            f"{p.get('torch', float('nan')):.0f} GFLOP/s"
            for n, p in peaks.items()
        )
    )
    return {
        "job": "wide",
        "title": f"wide: 784-512-512-10 ReLU, softmax CE, batch {BATCH}, Adam, float32, "
        f"{steps} steps ({flops / 1e9:.2f} GFLOP/step)",
        "rows": rows,
        "notes": notes,
        "reference": "torch eager (2 threads)",
        "peaks": peaks,
    }
