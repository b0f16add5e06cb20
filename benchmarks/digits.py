"""The digits job: scikit-learn's 8×8 digits (shipped with scikit-learn, no download),
64-128-128-10 ReLU, softmax cross-entropy, Adam lr 1e-3, batch 32, 50 epochs, float32.

A stratified 75/25 split (seed 0), pixels scaled to [0, 1]. Every peer shuffles each epoch;
backprop and torch use the same permutations (``np.random.default_rng(0)``, as ``fit``) and
the same initial weights. Reported: time, µs per minibatch step, final training loss and test
accuracy — a peer is only faster if it also learns as well.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np

import backprop as bp
from backprop import delta, nn, optim

from .common import Peer, have, measure

SIZES = [64, 128, 128, 10]
BATCH = 32
EPOCHS = 50
_CACHE: dict = {}


def _data():
    if "data" not in _CACHE:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        digits = load_digits()
        x = (digits.data / 16.0).astype(np.float32)
        y = digits.target.astype(np.int64)
        _CACHE["data"] = train_test_split(x, y, test_size=0.25, stratify=y, random_state=0)
    return _CACHE["data"]


def steps_per_epoch() -> int:
    return -(-len(_data()[0]) // BATCH)


def _model():
    bp.manual_seed(0)
    return nn.MLP(SIZES, activation="relu")


def _accuracy(logits: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(logits.argmax(axis=1) == y))


def _epochs(steps: int) -> int:
    return max(1, round(steps / steps_per_epoch()))


def run_fused(steps: int):
    from backprop.delta import fused

    x, x_test, y, y_test = _data()
    model = _model()
    adam = optim.Adam(model.parameters(), lr=1e-3)
    result = fused.train(
        model, nn.CrossEntropyLoss(), adam, x, y, _epochs(steps), BATCH, shuffle_seed=0
    )
    with bp.no_grad():
        logits = model(bp.tensor(x_test)).numpy()
    return float(result.epoch_losses[-1]), {"accuracy": _accuracy(logits, y_test)}


def run_delta(steps: int):
    x, x_test, y, y_test = _data()
    model = _model()
    delta.flatten_parameters(model)
    adam = optim.Adam(model.parameters(), lr=1e-3)
    plan = delta.Plan(model, nn.CrossEntropyLoss())
    rng = np.random.default_rng(0)
    n = len(x)
    for _ in range(_epochs(steps)):
        order = rng.permutation(n)
        total = 0.0
        for lo in range(0, n, BATCH):
            rows = order[lo : lo + BATCH]
            adam.zero_grad()
            total += plan.step(x[rows], y[rows]) * len(rows)
            adam.step()
    with bp.no_grad():
        logits = model(bp.tensor(x_test)).numpy()
    return total / n, {"accuracy": _accuracy(logits, y_test)}


def run_torch(steps: int):
    import torch

    x, x_test, y, y_test = _data()
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
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    rng = np.random.default_rng(0)
    n = len(x)
    for _ in range(_epochs(steps)):
        order = torch.from_numpy(rng.permutation(n))
        total = 0.0
        for lo in range(0, n, BATCH):
            rows = order[lo : lo + BATCH]
            adam.zero_grad()
            loss = loss_function(model(tx[rows]), ty[rows])
            loss.backward()
            adam.step()
            total += loss.item() * len(rows)
    with torch.no_grad():
        logits = model(torch.from_numpy(x_test)).numpy()
    return total / n, {"accuracy": _accuracy(logits, y_test)}


def run_sklearn(steps: int):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    x, x_test, y, y_test = _data()
    epochs = _epochs(steps)
    clf = MLPClassifier(
        hidden_layer_sizes=tuple(SIZES[1:-1]), batch_size=BATCH, learning_rate_init=1e-3,
        max_iter=epochs, tol=0.0, n_iter_no_change=epochs + 1, alpha=0.0, random_state=0,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(x, y)
    return clf.loss_, {"accuracy": float(clf.score(x_test, y_test))}


def peers(short: int | None = None) -> tuple[list[Peer], list[str]]:
    """The contenders; 2-thread peers run ``short`` steps (on a busy 2-core machine their
    OpenMP threads contend and a full run takes minutes; µs/step stays comparable)."""
    out, notes = [], []
    tail = "" if short is None else f", {round(short / steps_per_epoch())} epochs"
    if have("torch"):
        out.append(Peer("torch eager (1 thread)", run_torch, 1))
        out.append(Peer(f"torch eager (2 threads{tail})", run_torch, 2, short))
    if have("numba"):
        out.append(Peer("backprop fused", run_fused, 1))
    out.append(Peer("backprop δ-engine (NumPy)", run_delta, 1))
    out.append(Peer("scikit-learn MLPClassifier (1 thread)", run_sklearn, 1))
    out.append(Peer(f"scikit-learn MLPClassifier (2 threads{tail})", run_sklearn, 2, short))
    notes.append("JAX not installed: skipped." if not have("jax") else "JAX: not run for this job.")
    return out, notes


def run(quick: bool = False, repeats: int = 5) -> dict:
    if not have("sklearn"):
        return {"job": "digits", "title": "digits", "rows": [], "notes": ["needs scikit-learn"]}
    epochs = 3 if quick else EPOCHS
    steps = epochs * steps_per_epoch()
    contenders, notes = peers(None if quick else 5 * steps_per_epoch())
    rows = measure(contenders, steps, repeats, warmup_steps=steps_per_epoch())
    return {
        "job": "digits",
        "title": f"digits: 64-128-128-10 ReLU, CE, Adam 1e-3, batch {BATCH}, {epochs} epochs "
        f"({steps} steps), float32; accuracy on a 25 % test split",
        "rows": rows,
        "notes": notes,
        "reference": "torch eager (1 thread)",
    }
