"""Issue 8, item 4: a run that diverges stops at the exact batch, keeps good weights, says why.

The reference is PyTorch, not our own loop: each configuration (engine, optimizer, learning
rate, activation, widths, batch size, seed) is replayed in ``torch`` from the same initial
weights (``interop.to_torch``) with fit's documented shuffle (one
``np.random.default_rng(seed).permutation`` per epoch). The replay finds the first batch whose
loss, or any gradient, is not finite, and the weights just before it. ``fit`` must stop at that
epoch and batch, hold those weights, and name the cause. A backward rule that returns NaN
while the loss is finite (a broken custom op, poisoned on its k-th call in both libraries)
is caught the same way.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import backprop as bp
from backprop import nn, optim
from backprop.autograd import Function
from backprop.interop import to_torch
from backprop.train import fit

torch = pytest.importorskip("torch")

TORCH_NAN = "torch's update"
OPTIMIZERS = {
    "sgd": (optim.SGD, torch.optim.SGD, {"momentum": 0.9}),
    "adam": (optim.Adam, torch.optim.Adam, {}),
    "rmsprop": (optim.RMSprop, torch.optim.RMSprop, {}),
}
# (engine, activation): the fused loop compiles relu and tanh; autograd and δ take any.
ENGINES = [
    ("delta", "tanh"),
    ("delta", "relu"),
    ("delta", "sigmoid"),
    ("autograd", "relu"),
    ("autograd", "elu"),
    ("fused", "relu"),
    ("fused", "tanh"),
]


def config(i: int) -> dict:
    rng = np.random.default_rng(1000 + i)
    engine, activation = ENGINES[i % len(ENGINES)]
    opt = ["sgd", "adam", "rmsprop"][(i // len(ENGINES)) % 3]
    if engine == "fused" and opt == "rmsprop":
        opt = "adam"  # the fused loop has SGD and Adam(W)
    # SGD's steps grow with the gradient, so a large rate explodes geometrically; Adam's and
    # RMSprop's steps are about lr each, so only an absurd rate overflows within a few epochs.
    lr = 10.0 ** (rng.uniform(1, 5) if opt == "sgd" else rng.uniform(100, 300))
    widths = [2, *rng.integers(2, 12, rng.integers(1, 3)).tolist(), 1]
    return {
        "engine": engine,
        "activation": activation,
        "opt": opt,
        "lr": float(lr),
        "widths": widths,
        "batch_size": int(rng.choice([4, 8, 16, 64])),
        "seed": int(rng.integers(0, 1000)),
        "data_seed": i,
    }


def data(seed: int, n: int = 64):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    return x, (x[:, :1] * 3 - x[:, 1:] ** 2 + 0.1 * rng.normal(size=(n, 1)))


def close(ours: np.ndarray, theirs: np.ndarray, rtol: float = 1e-6) -> bool:
    """Equal up to rounding grown by the explosion: relative to the tensor's largest entry."""
    scale = float(np.max(np.abs(theirs), initial=0.0))  # a norm would overflow at 1e300
    return bool(np.max(np.abs(ours - theirs), initial=0.0) <= rtol * scale + 1e-12)


def params(model) -> list[np.ndarray]:
    return [p.numpy(force=True).copy() for p in model.parameters()]


def torch_replay(model, x, y, c, epochs, poison_call=None):
    """(epoch, batch, what, weights before) of the first non-finite batch, or None.

    ``what`` is ``"loss"``, ``"gradient"``, or ``"torch's update"`` when torch's optimizer
    itself turned finite weights and gradients into NaN: its Adam/RMSprop compute
    (−lr·m)/(√v + ε), which is inf/inf = NaN once both overflow, where ours computes
    lr·(m/(√v + ε)) = lr·0. From there the two runs no longer share a trajectory.
    """
    tm = to_torch(model)
    _, torch_opt, extra = OPTIMIZERS[c["opt"]]
    opt = torch_opt(tm.parameters(), lr=c["lr"], **extra)
    rng, n, bs = np.random.default_rng(c["seed"]), len(x), c["batch_size"]
    calls = 0
    for epoch in range(1, epochs + 1):
        perm = rng.permutation(n)
        for batch, lo in enumerate(range(0, n, bs), 1):
            rows = perm[lo : lo + bs]
            before = [p.detach().numpy().copy() for p in tm.parameters()]
            opt.zero_grad()
            out = tm(torch.tensor(x[rows]))
            if poison_call is not None:
                calls += 1
                out = _TorchPoison.apply(out, calls == poison_call)
            loss = torch.nn.functional.mse_loss(out, torch.tensor(y[rows]))
            if not math.isfinite(loss.item()):
                return epoch, batch, "loss", before
            loss.backward()
            if not all(torch.isfinite(p.grad).all() for p in tm.parameters()):
                return epoch, batch, "gradient", before
            opt.step()
            if not all(torch.isfinite(p).all() for p in tm.parameters()):
                return epoch, batch, TORCH_NAN, before
    return None


def test_exploding_runs_stop_at_the_exact_batch_with_torchs_weights(count):
    n_runs = count(14, 300)
    stops = {"loss": 0, "gradient": 0, TORCH_NAN: 0}
    never = wrong = 0
    epochs = 30
    for i in range(n_runs):
        c = config(i)
        x, y = data(c["data_seed"])
        bp.manual_seed(c["seed"])
        model = nn.MLP(c["widths"], activation=c["activation"]).double()
        expected = torch_replay(model, x, y, c, epochs)
        ours_opt, _, extra = OPTIMIZERS[c["opt"]]
        with np.errstate(all="ignore"):
            h = fit(
                model,
                (x, y),
                "mse",
                ours_opt(model.parameters(), lr=c["lr"], **extra),
                epochs,
                batch_size=c["batch_size"],
                seed=c["seed"],
                engine=c["engine"],
            )
        if expected is None:
            never += 1
            wrong += h.stop_reason is not None
            continue
        epoch, batch, what, before = expected
        stops[what] += 1
        got = params(model)
        ok = all(np.isfinite(g).all() for g in got) and h.stop_reason is not None
        if what == TORCH_NAN:  # no shared trajectory after it: ours must stop later
            ok = ok and (h.stopped_epoch, h.stopped_batch) > (epoch, batch)
        else:
            ok = ok and (h.stopped_epoch, h.stopped_batch) == (epoch, batch)
            ok = ok and all(close(g, b) for g, b in zip(got, before))
            ok = ok and f"epoch {epoch}, batch {batch}" in h.stop_reason
            ok = ok and len(h) == epoch - 1
        if not ok:
            wrong += 1
            ours = (h.stopped_epoch, h.stopped_batch)
            print(f"  run {i} {c}: torch {epoch, batch, what}, ours {ours}")
            print(f"    {h.stop_reason}")
    print(
        f"divergence: {n_runs} exploding runs ({stops['loss']} stopped on a non-finite loss, "
        f"{stops['gradient']} on a non-finite gradient with a finite loss, "
        f"{stops[TORCH_NAN]} where torch's own update made NaN "
        f"first, {never} never diverged in {epochs} epochs) over δ/autograd/fused × "
        "SGD/Adam/RMSprop; "
        f"{wrong} not at torch's batch or weights"
    )
    assert wrong == 0
    assert stops["loss"] > 0


class _TorchPoison(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, poison):
        ctx.poison = poison
        return x.clone()

    @staticmethod
    def backward(ctx, grad):
        return (grad * math.nan if ctx.poison else grad), None


class _Poison(Function):
    """Identity whose backward returns NaN on the call the test chooses (a broken op)."""

    calls = 0
    poison = 0

    @staticmethod
    def forward(ctx, x):
        return x * 1.0

    @staticmethod
    def backward(ctx, grad):  # counted here: fit's end-of-epoch metrics also run forward
        _Poison.calls += 1
        return grad * math.nan if _Poison.calls == _Poison.poison else grad


class _Poisoned(nn.Module):
    def __init__(self, widths):
        super().__init__()
        self.net = nn.MLP(widths, activation="tanh")

    def forward(self, x):
        return _Poison.apply(self.net(x))


def test_a_nan_gradient_with_a_finite_loss_stops_at_its_batch(count):
    n_runs = count(6, 100)
    wrong = 0
    for i in range(n_runs):
        rng = np.random.default_rng(i)
        c = {"opt": ["sgd", "adam"][i % 2], "lr": 0.01, "batch_size": int(rng.choice([8, 16]))}
        c["seed"] = i
        x, y = data(i)
        bp.manual_seed(i)
        model = _Poisoned([2, int(rng.integers(2, 8)), 1]).double()
        poison = int(rng.integers(1, 4 * len(x) // c["batch_size"]))
        expected = torch_replay(model.net, x, y, c, 4, poison_call=poison)
        _Poison.calls, _Poison.poison = 0, poison
        ours_opt, _, extra = OPTIMIZERS[c["opt"]]
        h = fit(
            model,
            (x, y),
            "mse",
            ours_opt(model.parameters(), lr=c["lr"], **extra),
            4,
            batch_size=c["batch_size"],
            seed=i,
            engine="autograd",
        )
        epoch, batch, what, before = expected
        ok = what == "gradient" and (h.stopped_epoch, h.stopped_batch) == (epoch, batch)
        ok = ok and all(np.allclose(g, b, rtol=1e-10) for g, b in zip(params(model), before))
        ok = ok and "became NaN" in h.stop_reason and "while the loss was finite" in h.stop_reason
        if not ok:
            wrong += 1
            print(f"  run {i}: torch {epoch, batch}, ours {h.stopped_epoch, h.stopped_batch}")
    print(
        f"divergence: {n_runs} runs with a NaN backward on a chosen call (finite loss); "
        f"{wrong} not stopped at torch's batch with its weights"
    )
    assert wrong == 0
