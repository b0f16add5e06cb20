"""Shared by the NumPy δ loop tests (test_numpy_loop.py, test_delta_engine_reuse.py): small
nets for each loss, their data, and the reference step by step — the lecture's hand-written
``zero_grad(); delta.backward(model, xb, yb, loss); step()`` (``engine.compute``: fresh arrays,
no buffers), then TF Playground's weight penalty as the span runner's per-batch loop applies
it (``train.spans.penalize``, the rule the playground used) — with a bit-for-bit comparison of
weights, ``.grad`` and ``optimizer.state_dict()`` that names what differs."""

from __future__ import annotations

import numpy as np

import backprop as bp
import backprop.nn as nn
import backprop.optim as optim
from backprop import delta
from backprop.delta import flatten_parameters

N, N_IN = 50, 3
LOSSES = {  # name: (loss, n_out, output module or None, target kind)
    "mse": (nn.MSELoss, 2, None, "real"),
    "mse_sum": (lambda: nn.MSELoss(reduction="sum"), 2, None, "real"),
    "half_mse": (nn.HalfMSELoss, 2, None, "real"),
    "cross_entropy": (nn.CrossEntropyLoss, 4, None, "index"),
    "bce_with_logits": (nn.BCEWithLogitsLoss, 1, None, "binary"),
    "sigmoid_bce": (nn.BCELoss, 1, nn.Sigmoid, "binary"),
    "log_softmax_nll": (nn.NLLLoss, 3, lambda: nn.LogSoftmax(dim=1), "index"),
    "huber": (nn.HuberLoss, 2, None, "real"),
}
OPTIMIZERS = {
    "sgd": lambda p: optim.SGD(p, lr=0.05),
    "momentum": lambda p: optim.SGD(p, lr=0.02, momentum=0.9, dampening=0.1, weight_decay=1e-3),
    "nesterov": lambda p: optim.SGD(p, lr=0.02, momentum=0.8, nesterov=True, weight_decay=1e-2),
    "sgd_maximize": lambda p: optim.SGD(p, lr=1e-3, momentum=0.5, maximize=True),
    "adam": lambda p: optim.Adam(p, lr=0.01, weight_decay=1e-3),
    "adam_maximize": lambda p: optim.Adam(p, lr=1e-3, maximize=True),
    "adamw": lambda p: optim.AdamW(p, lr=0.01, weight_decay=0.05),
    "rmsprop": lambda p: optim.RMSprop(p, lr=0.01, momentum=0.5),  # optimizer.step() path
    "amsgrad": lambda p: optim.Adam(p, lr=0.01, amsgrad=True),  # optimizer.step() path
    "two_groups": lambda p: optim.SGD(  # optimizer.step() path
        [{"params": p[:2], "lr": 0.05}, {"params": p[2:]}], lr=0.01, momentum=0.9
    ),
}
BATCHING = {  # name: (batch size, shuffled)
    "full": (N, False),
    "partial": (16, False),  # 16 + 16 + 16 + 2
    "shuffled": (16, True),
    "full_shuffled": (N, True),
}


def _data(loss: str, dtype, seed: int = 0):
    _, k, _, kind = LOSSES[loss]
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, N_IN)).astype(dtype)
    if kind == "real":
        y = np.tanh(x @ rng.standard_normal((N_IN, k))).astype(dtype)
    elif kind == "binary":
        y = (x[:, :1] > 0).astype(dtype)
    else:
        y = rng.integers(0, k, N).astype(np.int64)
    return x, y


def _model(loss: str, dtype, act=nn.ReLU, seed: int = 3, flat: bool = True):
    _, k, output, _ = LOSSES[loss]
    bp.manual_seed(seed)
    parts = [nn.Linear(N_IN, 8), act(), nn.Linear(8, 6), act(), nn.Linear(6, k)]
    if output is not None:
        parts.append(output())
    model = nn.Sequential(*parts)
    if dtype == np.float64:
        model.double()
    if flat:
        flatten_parameters(model)
    return model


def _perms(batch: str, n_steps: int, seed: int = 1):
    size, shuffled = BATCHING[batch]
    if not shuffled:
        return None
    rng = np.random.default_rng(seed)
    return np.stack([rng.permutation(N) for _ in range(n_steps // -(-N // size) + 1)])


def _regularize(model, lr, penalty):
    """TF Playground's penalty on the model's weights, by ``train.spans.penalize``."""
    from backprop.train.spans import penalize

    kind, rate = penalty
    penalize([m.weight._data for m in model.modules() if isinstance(m, nn.Linear)], kind, lr * rate)


def _per_batch(model, loss, opt, x, y, size, perms, first, n, penalty=("none", 0.0)):
    """The reference, batch by batch in Python: the lecture's hand-written step
    ``zero_grad(); delta.backward(model, xb, yb, loss); step()`` (``engine.compute``, fresh
    arrays, no buffers), then the weight penalty."""
    nb, losses = -(-N // size), []
    for s in range(first, first + n):
        e, b = divmod(s, nb)
        rows = np.arange(b * size, min(b * size + size, N)) if perms is None else None
        if perms is not None:
            rows = perms[e, b * size : (b + 1) * size]
            xb, yb = x[rows], y[rows]
        else:
            xb, yb = x[rows[0] : rows[-1] + 1], y[rows[0] : rows[-1] + 1]
        opt.zero_grad()
        losses.append(float(delta.backward(model, xb, yb, loss).loss))
        opt.step()
        if penalty[0] != "none":
            _regularize(model, opt.param_groups[0]["lr"], penalty)
    return losses


def _snapshot(model, opt):
    return (
        [p._data.copy() for p in model.parameters()],
        [None if p.grad is None else p.grad._data.copy() for p in model.parameters()],
        opt.state_dict(),
    )


def _assert_identical(got, want, what=""):
    (pg, gg, sg), (pw, gw, sw) = got, want
    for i, (a, b) in enumerate(zip(pg, pw)):
        assert np.array_equal(a, b, equal_nan=True), f"{what}: parameter {i}"
    for i, (a, b) in enumerate(zip(gg, gw)):
        assert (a is None) == (b is None) and (a is None or np.array_equal(a, b, equal_nan=True)), (
            f"{what}: grad {i}"
        )
    assert sg["state"].keys() == sw["state"].keys(), f"{what}: state keys"
    for index, state in sw["state"].items():
        assert sg["state"][index].keys() == state.keys(), f"{what}: state {index} keys"
        for key, value in state.items():
            assert np.array_equal(sg["state"][index][key]._data, value._data), f"{what}: {key}"
    assert sg["param_groups"] == sw["param_groups"], f"{what}: param_groups"
