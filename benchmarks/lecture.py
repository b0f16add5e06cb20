"""The lecture job: a 1-8-8-1 ReLU MLP fitting y = x² + noise (x = 5·randn, 100 points) with
Adam (lr 0.1) on MSELoss, full batch, 10,000 epochs — backprop against its peers.

Peers, all in this process, each after a warm-up, timed round-robin as the median of
``repeats`` runs (the machines are shared and noisy; ratios are what this reports):

- ``torch eager``: PyTorch with 1 and with 2 threads, the lecture's own loop;
- ``backprop fused``: ``delta.fused.train`` (numba kernel already loaded in the process);
- ``backprop δ-engine (NumPy)``: ``delta.Plan`` + flat parameters + the flat optimizer;
- ``backprop autograd``: the lecture's loop on backprop (``import backprop as torch``);
- ``scikit-learn``: ``MLPRegressor`` (its own initial weights; its loss reported as MSE);
- ``JAX``: ``jit`` of a ``lax.scan`` over the epochs, when JAX is installed.

The fused loop is also timed in fresh processes, end to end — loading the kernel from a warm
disk cache, and compiling it with a cold one — which is what a user's first run pays.
All backprop and torch peers start from the same weights and data.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import warnings

import backprop as bp
from backprop import delta, nn, optim

from .common import Peer, Row, have, measure, python_snippet

EPOCHS = 10_000


def _data(seed: int = 0):
    bp.manual_seed(seed)
    x = 5 * bp.randn(100, 1)
    y = x.square() + bp.randn_like(x)
    return x, y


def _model(seed: int = 1):
    bp.manual_seed(seed)
    return nn.MLP([1, 8, 8, 1], activation="relu")


def run_backprop_autograd(epochs: int):
    x, y = _data()
    model = _model()
    adam = optim.Adam(model.parameters(), lr=0.1)
    loss_function = nn.MSELoss()
    for _ in range(epochs):
        adam.zero_grad()
        loss = loss_function(model(x), y)
        loss.backward()
        adam.step()
    return loss.item(), {}


def run_backprop_delta(epochs: int):
    x, y = _data()
    model = _model()
    delta.flatten_parameters(model)
    adam = optim.Adam(model.parameters(), lr=0.1)
    plan = delta.Plan(model, nn.MSELoss())
    for _ in range(epochs):
        adam.zero_grad()
        loss = plan.step(x, y)
        adam.step()
    return loss, {}


def run_backprop_fused(epochs: int):
    from backprop.delta import fused

    x, y = _data()
    model = _model()
    adam = optim.Adam(model.parameters(), lr=0.1)
    result = fused.train(model, nn.MSELoss(), adam, x, y, epochs)
    return float(result.epoch_losses[-1]), {}


def run_torch(epochs: int):
    import torch

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
    return loss.item(), {}


def run_sklearn(epochs: int):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPRegressor

    x, y = _data()
    reg = MLPRegressor(
        hidden_layer_sizes=(8, 8), activation="relu", solver="adam", learning_rate_init=0.1,
        batch_size=100, max_iter=epochs, tol=0.0, n_iter_no_change=epochs + 1, alpha=0.0,
        shuffle=False, random_state=1,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(x.numpy(), y.numpy().ravel())
    return 2 * reg.loss_, {}  # sklearn reports ½ MSE


def run_jax(epochs: int):  # pragma: no cover - only where JAX is installed
    import jax
    import jax.numpy as jnp

    x, y = _data()
    ours = _model()
    params = [
        (jnp.asarray(m.weight.detach().numpy().T), jnp.asarray(m.bias.detach().numpy()))
        for m in ours
        if isinstance(m, nn.Linear)
    ]
    xs, ys = jnp.asarray(x.numpy()), jnp.asarray(y.numpy())

    def loss_fn(ps):
        a = xs
        for i, (w, b) in enumerate(ps):
            a = a @ w + b
            if i < len(ps) - 1:
                a = jax.nn.relu(a)
        return jnp.mean((a - ys) ** 2)

    def adam_step(carry, _):
        ps, m, v, t = carry
        loss, g = jax.value_and_grad(loss_fn)(ps)
        t = t + 1
        m = jax.tree.map(lambda m_, g_: 0.9 * m_ + 0.1 * g_, m, g)
        v = jax.tree.map(lambda v_, g_: 0.999 * v_ + 0.001 * g_ * g_, v, g)
        c1, c2 = 1 - 0.9**t, 1 - 0.999**t
        ps = jax.tree.map(
            lambda p, m_, v_: p - 0.1 * (m_ / c1) / (jnp.sqrt(v_ / c2) + 1e-8), ps, m, v
        )
        return (ps, m, v, t), loss

    zeros = jax.tree.map(jnp.zeros_like, params)
    run = jax.jit(lambda ps: jax.lax.scan(adam_step, (ps, zeros, zeros, 0.0), None, length=epochs))
    _, losses = run(params)
    return float(losses[-1]), {}


def peers(short: int | None = None) -> tuple[list[Peer], list[str]]:
    """The contenders; torch at 2 threads runs ``short`` epochs (its threads only contend on
    a 1-8-8-1 net; µs/step stays comparable)."""
    notes = []
    out = []
    if have("torch"):
        out.append(Peer("torch eager (1 thread)", run_torch, 1))
        tail = "" if short is None else f", {short} epochs"
        out.append(Peer(f"torch eager (2 threads{tail})", run_torch, 2, short))
    else:
        notes.append("PyTorch not installed: no reference peer.")
    if have("numba"):
        out.append(Peer("backprop fused (kernel loaded)", run_backprop_fused))
    else:
        notes.append("numba not installed: the fused loop is skipped (pip install '.[fast]').")
    out.append(Peer("backprop δ-engine (NumPy)", run_backprop_delta))
    out.append(Peer("backprop autograd", run_backprop_autograd))
    if have("sklearn"):
        out.append(Peer("scikit-learn MLPRegressor", run_sklearn))
    if have("jax"):
        out.append(Peer("JAX jit + lax.scan", run_jax))
    else:
        notes.append("JAX not installed: skipped.")
    return out, notes


_FRESH = """
import json, time
t0 = time.perf_counter()
import numba
t1 = time.perf_counter()
from benchmarks import lecture
t2 = time.perf_counter()
loss, _ = lecture.run_backprop_fused({epochs})
t3 = time.perf_counter()
lecture.run_backprop_fused({epochs})
t4 = time.perf_counter()
print(json.dumps({{"import_numba": t1 - t0, "first": t3 - t2, "again": t4 - t3, "loss": loss}}))
"""


def fresh_process(epochs: int, runs: int, cold: bool) -> dict:
    """Medians over ``runs`` fresh interpreters: import numba, first call, second call."""
    samples = []
    for _ in range(runs):
        env = {}
        if cold:
            env["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="backprop-numba-cold-")
        samples.append(json.loads(python_snippet(_FRESH.format(epochs=epochs), env)))
    return {k: statistics.median(s[k] for s in samples) for k in samples[0]}


def run(quick: bool = False, repeats: int = 5) -> dict:
    epochs = 500 if quick else EPOCHS
    contenders, notes = peers(None if quick else EPOCHS // 10)
    rows = measure(contenders, epochs, repeats, warmup_steps=max(epochs // 20, 10))
    compile_info = {}
    if have("numba"):
        runs = 1 if quick else repeats
        warm = fresh_process(epochs, runs, cold=False)
        cold = fresh_process(epochs, 1 if quick else 3, cold=True)
        rows.insert(
            3,
            Row("backprop fused, fresh process, warm cache", warm["first"], epochs, warm["loss"]),
        )
        rows.insert(
            4,
            Row("backprop fused, fresh process, cold cache", cold["first"], epochs, cold["loss"]),
        )
        compile_info = {
            "import_numba": warm["import_numba"],
            "warm_load": warm["first"] - warm["again"],
            "cold_compile": cold["first"] - cold["again"],
            "run_in_memory": warm["again"],
        }
    return {
        "job": "lecture",
        "title": f"lecture: 1-8-8-1 ReLU, 100 points, Adam lr 0.1, MSE, {epochs} full-batch epochs",
        "rows": rows,
        "notes": notes,
        "compile": compile_info,
        "reference": "torch eager (1 thread)",
    }
