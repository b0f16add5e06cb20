"""The lecture job: a 1-8-8-1 ReLU MLP fitting y = x² + noise (x = 5·randn, 100 points) with
Adam (lr 0.1) on MSELoss, full batch, 10,000 epochs — backprop against PyTorch eager.

Peers run in this one process, each after a warm-up, timed as the median of ``repeats``
runs (the machines are shared and noisy; ratios are what this reports):

- ``torch eager``: PyTorch 2.13 with ``torch.set_num_threads(1)``, the lecture's own loop;
- ``backprop autograd``: the same loop on backprop (``import backprop as torch``);
- ``backprop δ-engine``: ``delta.Plan`` + flat parameters + the fused optimizer path.

All three start from the same weights and data (copied from the backprop model), so final
losses are comparable.
"""

from __future__ import annotations

import platform
import statistics
import time

import numpy as np

import backprop as bp
from backprop import delta, nn, optim

EPOCHS = 10_000


def _data(seed: int = 0):
    bp.manual_seed(seed)
    x = 5 * bp.randn(100, 1)
    y = x.square() + bp.randn_like(x)
    return x, y


def _model(seed: int = 1):
    bp.manual_seed(seed)
    return nn.MLP([1, 8, 8, 1], activation="relu")


def run_backprop_autograd(epochs: int) -> float:
    x, y = _data()
    model = _model()
    adam = optim.Adam(model.parameters(), lr=0.1)
    loss_function = nn.MSELoss()
    for _ in range(epochs):
        adam.zero_grad()
        loss = loss_function(model(x), y)
        loss.backward()
        adam.step()
    return loss.item()


def run_backprop_delta(epochs: int) -> float:
    x, y = _data()
    model = _model()
    delta.flatten_parameters(model)
    adam = optim.Adam(model.parameters(), lr=0.1)
    plan = delta.Plan(model, nn.MSELoss())
    for _ in range(epochs):
        adam.zero_grad()
        loss = plan.step(x, y)
        adam.step()
    return loss


def run_torch(epochs: int) -> float:
    import torch

    torch.set_num_threads(1)
    x, y = _data()
    ours = _model()
    tx, ty = torch.from_numpy(x.numpy().copy()), torch.from_numpy(y.numpy().copy())
    model = torch.nn.Sequential(
        torch.nn.Linear(1, 8), torch.nn.ReLU(), torch.nn.Linear(8, 8), torch.nn.ReLU(),
        torch.nn.Linear(8, 1),
    )  # fmt: skip
    model.load_state_dict(
        {k: torch.from_numpy(v.numpy(force=True).copy()) for k, v in ours.state_dict().items()}
    )
    adam = torch.optim.Adam(model.parameters(), lr=0.1)
    loss_function = torch.nn.MSELoss()
    for _ in range(epochs):
        adam.zero_grad()
        loss = loss_function(model(tx), ty)
        loss.backward()
        adam.step()
    return loss.item()


def _time(fn, epochs: int, repeats: int):
    fn(max(epochs // 20, 10))  # warm-up
    times, losses = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        losses.append(fn(epochs))
        times.append(time.perf_counter() - start)
    return statistics.median(times), losses[-1]


def measure(quick: bool = False, repeats: int = 5) -> list[dict]:
    epochs = 500 if quick else EPOCHS
    peers = [
        ("backprop δ-engine", run_backprop_delta),
        ("backprop autograd", run_backprop_autograd),
    ]
    try:
        import torch  # noqa: F401

        peers.append(("torch eager (1 thread)", run_torch))
    except ImportError:
        pass
    rows = []
    for name, fn in peers:
        seconds, loss = _time(fn, epochs, repeats)
        rows.append(
            {
                "peer": name,
                "seconds": seconds,
                "us_per_step": seconds / epochs * 1e6,
                "loss": loss,
                "epochs": epochs,
            }
        )
    return rows


def report(quick: bool = False, repeats: int = 5) -> str:
    rows = measure(quick, repeats)
    ref = next((r for r in rows if r["peer"].startswith("torch")), None)
    lines = [
        f"lecture job: 1-8-8-1 ReLU, 100 points, Adam lr 0.1, MSE, {rows[0]['epochs']} full-batch "
        f"epochs; median of {repeats}",
        f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}",
        "",
        f"{'peer':<24} {'time (s)':>9} {'µs/step':>9} {'final loss':>11} {'× torch eager':>14}",
    ]
    for r in rows:
        ratio = f"{ref['seconds'] / r['seconds']:.1f}×" if ref else "-"
        cells = f"{r['seconds']:>9.3f} {r['us_per_step']:>9.1f} {r['loss']:>11.4f}"
        lines.append(f"{r['peer']:<24} {cells} {ratio:>14}")
    return "\n".join(lines)
