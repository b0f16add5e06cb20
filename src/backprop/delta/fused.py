"""The fused training loop: whole epochs of the δ engine in one compiled call (floor 3).

For the models the lecture trains — ``Linear`` layers with elementwise activations (identity,
ReLU, leaky ReLU, tanh, sigmoid), a loss among MSE, ½MSE, cross-entropy on class indices
and BCE-with-logits, and ``SGD`` (momentum, Nesterov, weight decay), ``Adam`` or ``AdamW`` —
``train`` runs forward pass, δ recursion, gradients and optimizer update for every minibatch
of every epoch inside one numba kernel (``fused_kernels``), on a flat copy of the parameters
and of the optimizer state, and writes weights, last gradients and optimizer state back, so
afterwards the model and the optimizer hold what the NumPy path (``delta.Plan`` +
``optimizer.step()``) leaves, to rounding. Minibatches take the rows the caller's per-epoch
permutations give, so both paths see the same batches. It is not a training loop with
callbacks (``backprop.train.fit`` is); ``supported`` says whether a setup qualifies and, if
not, why, and ``fit`` falls back to the NumPy path.

Compile policy. The kernel is compiled once per float dtype and cached on disk
(``cache=True``, in ``__pycache__`` beside this file or numba's user cache). Measured on the
project's 2-core machines (shared, so ranges): a cold compile costs 4–8 s per dtype
(``COLD_COMPILE_SECONDS``); a warm process start costs ≈ 0.25 s to import numba plus
≈ 0.35 s for numba's first cached load (most of it numba initialising its NumPy support,
which imports SciPy) — ``WARM_LOAD_SECONDS`` in all; after that a second dtype loads in
≈ 0.02 s and every further call starts at once. ``decide(...)`` therefore picks the
compiled loop when the setup is supported, numba is installed, and

1. the kernel for the dtype is already loaded in this process (no fixed cost left), or
2. the run's estimated NumPy time (``estimate_numpy_seconds``) is at least
   ``WARM_LOAD_SECONDS`` and the kernel is in the disk cache, or
3. the estimate is at least ``COLD_COMPILE_SECONDS`` (a cold compile pays for itself).

Short runs never import numba. ``warm_up()`` compiles ahead of time (e.g. after
installing), so later runs start warm. While the loop runs, BLAS is held to one thread when
every layer's product is small (``SMALL_GEMM_WORK``), where a second thread only costs.

Wiring into a fit loop::

    use, why = fused.decide(model, loss, opt, steps=epochs * n_batches, batch=size, y=y)
    if use:
        result = fused.train(model, loss, opt, x, y, epochs, size,
                             shuffle_seed=rng if shuffle else None,  # fit's own Generator
                             chunk_epochs=1, on_epochs=after_epoch)  # per-epoch hooks
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..autograd.tensor import Tensor
from .fused_policy import (
    COLD_COMPILE_SECONDS,
    NUMPY_FLOPS,
    NUMPY_LAYER_SECONDS,
    NUMPY_STEP_SECONDS,
    SMALL_GEMM_WORK,
    WARM_LOAD_SECONDS,
    _kernels,
    _one_blas_thread,
    cache_state,
    decide,
    estimate_numpy_seconds,
)
from .fused_setup import ACTIVATIONS, LOSSES, OPTIMIZERS, _Setup, _setup, available, supported
from .network import DeltaEngineError

__all__ = [
    "ACTIVATIONS",
    "COLD_COMPILE_SECONDS",
    "LOSSES",
    "NUMPY_FLOPS",
    "NUMPY_LAYER_SECONDS",
    "NUMPY_STEP_SECONDS",
    "OPTIMIZERS",
    "WARM_LOAD_SECONDS",
    "FusedResult",
    "available",
    "cache_state",
    "decide",
    "estimate_numpy_seconds",
    "supported",
    "train",
    "warm_up",
]

# A layer whose batch × n_in × n_out reaches this calls BLAS; smaller ones run plain loops.
BLAS_MIN_WORK = 16 * 16 * 16
# At most this many permutation entries (epochs × N) are held at once.
_PERM_BUDGET = 1 << 22


@dataclass
class FusedResult:
    """What ``train`` ran.

    ``batch_losses[e, b]`` is E of batch b in epoch e (before that batch's update);
    ``epoch_losses[e]`` their sample-weighted mean (their sum with ``reduction='sum'``).
    ``stopped`` is (epoch, batch), 1-based, of the batch whose non-finite loss or gradient
    stopped the run before its update (``guard=True``), else None.
    """

    epoch_losses: np.ndarray
    batch_losses: np.ndarray
    steps: int
    seconds: float
    stopped: tuple[int, int] | None = None
    notes: list[str] = field(default_factory=list)


def warm_up(dtypes=(np.float32, np.float64)) -> dict[str, float]:
    """Compile (or load from the disk cache) the kernel for each dtype; seconds per dtype."""
    from .. import nn, optim

    seconds = {}
    for dtype in dtypes:
        dtype = np.dtype(dtype)
        model = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
        if dtype == np.float64:
            model = model.double()
        opt = optim.SGD(model.parameters(), lr=0.0)
        start = time.perf_counter()
        train(model, nn.MSELoss(), opt, np.zeros((2, 2), dtype), np.zeros((2, 1), dtype), 1)
        seconds[dtype.name] = time.perf_counter() - start
    return seconds


# ---------------------------------------------------------------------------------- training


def _hyper(optimizer) -> np.ndarray:
    g = optimizer.param_groups[0]
    betas = g.get("betas", (0.9, 0.999))
    return np.array(
        [
            g["lr"],
            g.get("momentum", 0.0),
            g.get("dampening", 0.0),
            g.get("weight_decay", 0.0),
            betas[0],
            betas[1],
            g.get("eps", 1e-8),
            float(bool(g.get("nesterov", False))),
            float(bool(g.get("maximize", False))),
        ],
        dtype=np.float64,
    )


def _data(setup: _Setup, x, y):
    from ..nn.loss_ops import prepare

    xa = x._data if isinstance(x, Tensor) else np.asarray(x)
    n_in = setup.meta[0, 2]
    if xa.ndim == 1:
        xa = xa.reshape(-1, 1) if n_in == 1 else xa.reshape(1, -1)
    if xa.ndim != 2 or xa.shape[1] != n_in:
        from ..errors import ShapeError

        raise ShapeError(
            f"fused: input x has shape {list(xa.shape)} but layer 1 expects rows of {n_in} "
            f"features, i.e. shape [N, {n_in}]. Reshape x (x.reshape(-1, {n_in}))."
        )
    xa = np.ascontiguousarray(xa, dtype=setup.dtype)
    ya = y._data if isinstance(y, Tensor) else np.asarray(y)
    if ya.dtype.kind == "f":
        ya = ya.astype(setup.dtype, copy=False)
    c = int(setup.meta[-1, 3])
    like = np.zeros((xa.shape[0], c), dtype=setup.dtype)
    _, ya, _ = prepare(setup.entry, like, ya, setup.options)
    if setup.entry.name == "cross_entropy":
        if ya.dtype.kind == "f":
            raise DeltaEngineError("fused: class-probability targets are not fused")
        if np.any(ya < 0) or np.any(ya >= c):
            raise DeltaEngineError(
                "fused: targets equal to ignore_index are not fused; use the NumPy path"
            )
        return xa, np.zeros((0, 0), setup.dtype), np.ascontiguousarray(ya, dtype=np.int64)
    return xa, np.ascontiguousarray(ya, dtype=setup.dtype), np.zeros(0, np.int64)


def _flat_state(setup: _Setup, optimizer):
    """(s1, s2, step, has_buf) gathered from the optimizer's per-parameter state."""
    size = sum(p._data.size for p in setup.params)
    s1 = np.zeros(size, setup.dtype)
    s2 = np.zeros(size, setup.dtype)
    states = [optimizer.state.get(p) or {} for p in setup.params]
    first = states[0]
    keys = ("momentum_buffer", None) if setup.opt_code == 0 else ("exp_avg", "exp_avg_sq")
    has = bool(first) and keys[0] in first
    step = float(first["step"]._data) if "step" in first else 0.0
    if has:
        position = 0
        for p, state in zip(setup.params, states):
            n = p._data.size
            s1[position : position + n] = state[keys[0]]._data.reshape(-1)
            if keys[1] is not None:
                s2[position : position + n] = state[keys[1]]._data.reshape(-1)
            position += n
    return s1, s2, step, has


def _write_back(setup: _Setup, optimizer, run, mu: float) -> None:
    from ..optim.optimizer import _state_tensor, _step_tensor

    theta, grad, s1, s2, step = run.theta, run.grad, run.s1, run.s2, run.step
    steps_taken = run.steps_taken
    position = 0
    for p in setup.params:
        n, shape = p._data.size, p._data.shape
        p._data[...] = theta[position : position + n].reshape(shape)
        p._bump_version()
        if steps_taken:
            g = grad[position : position + n].reshape(shape)
            if p._grad is not None and p._grad._data.shape == shape:
                p._grad._data[...] = g
            else:
                p._grad = Tensor._wrap(g.copy())
            state = optimizer.state.setdefault(p, {})
            views = {"s1": s1[position : position + n].reshape(shape)}
            views["s2"] = s2[position : position + n].reshape(shape)
            if setup.opt_code == 0:
                names = {"momentum_buffer": "s1"} if mu != 0 else {}
            else:
                names = {"exp_avg": "s1", "exp_avg_sq": "s2"}
                if "step" in state:
                    state["step"]._data[...] = step
                else:
                    state["step"] = _step_tensor(step)
            for key, which in names.items():
                if key in state:
                    state[key]._data[...] = views[which]
                else:
                    state[key] = _state_tensor(views[which].copy())
        position += n


def _orders(shuffle_seed, permutations, n: int, size: int):
    """A function (first epoch, count) → (count × n) row orders, or None (natural order)."""
    if permutations is not None:
        if callable(permutations):
            return lambda first, count: np.stack([permutations(first + i) for i in range(count)])
        table = np.asarray(permutations)
        return lambda first, count: table[first : first + count]
    if shuffle_seed is None or size >= n:
        return None
    rng = (
        shuffle_seed
        if isinstance(shuffle_seed, np.random.Generator)
        else np.random.default_rng(shuffle_seed)
    )
    return lambda first, count: np.stack([rng.permutation(n) for _ in range(count)])


def train(
    model,
    loss,
    optimizer,
    x,
    y,
    epochs: int,
    batch_size: int | None = None,
    *,
    shuffle_seed: int | np.random.Generator | None = None,
    permutations=None,
    guard: bool = True,
    chunk_epochs: int | None = None,
    on_epochs: Callable[[int, np.ndarray], bool | None] | None = None,
) -> FusedResult:
    """Train ``model`` for ``epochs`` epochs in the compiled loop; weights and state written back.

    Args:
        model, loss, optimizer: a setup ``supported`` accepts (else ``DeltaEngineError``).
        x: inputs, shape (N, n_in). y: targets as the loss takes them ((N, C) floats, or
            (N,) class indices for cross-entropy).
        batch_size: rows per minibatch (None: full batch); the last batch may be smaller.
        shuffle_seed: an int or ``np.random.Generator``; epoch e's row order is then the
            generator's e-th ``permutation(N)`` (what ``fit`` draws). None: natural order.
            Ignored for full batches, as in ``fit``.
        permutations: explicit row orders instead — an (epochs × N) array, or a function
            epoch index (0-based) → permutation.
        guard: stop before the update of the first batch whose loss or gradient is not
            finite (the weights stay the last finite ones), as ``fit``'s NaN guard does.
        chunk_epochs: epochs per kernel call (default: all, within a memory budget for the
            permutations). Hyper-parameters (e.g. a scheduler's lr) are re-read between calls.
        on_epochs: called after each kernel call with (epochs done, their epoch losses);
            returning True stops training.

    Returns:
        ``FusedResult`` with per-epoch and per-batch losses.
    """
    start = time.perf_counter()
    setup = _setup(model, loss, optimizer)
    if isinstance(setup, str):
        raise DeltaEngineError(f"fused: {setup}; use the NumPy path (delta.Plan).")
    kernels = _kernels()
    xa, y_real, y_index = _data(setup, x, y)
    n = xa.shape[0]
    size = n if batch_size is None else max(1, min(int(batch_size), n))
    orders = _orders(shuffle_seed, permutations, n, size)
    run = _Run.build(setup, optimizer, xa, y_real, y_index, size, epochs)
    chunk = epochs if chunk_epochs is None else max(1, int(chunk_epochs))
    if orders is not None:
        chunk = max(1, min(chunk, _PERM_BUDGET // max(n, 1)))
    widest = max(size * int(k_in) * int(k_out) for k_in, k_out in setup.meta[:, 2:4])
    with _one_blas_thread() if widest < SMALL_GEMM_WORK else contextlib.nullcontext():
        done = 0
        while done < epochs and run.stopped is None:
            count = min(chunk, epochs - done)
            perms = None if orders is None else orders(done, count)
            done += run.epochs(kernels, setup, optimizer, perms, done, count, guard)
            if (
                run.stopped is None
                and on_epochs is not None
                and on_epochs(done, run.epoch_losses(setup, n, size, done)[done - count :])
            ):
                break
    mu = float(optimizer.param_groups[0].get("momentum", 0.0))
    _write_back(setup, optimizer, run, mu)
    return FusedResult(
        run.epoch_losses(setup, n, size, done),
        run.losses[:done],
        run.steps_taken,
        time.perf_counter() - start,
        run.stopped,
    )


@dataclass
class _Run:
    """The flat arrays one ``train`` call works on, and how far it got."""

    x: np.ndarray
    y_real: np.ndarray
    y_index: np.ndarray
    size: int
    meta: np.ndarray  # the setup's layer table with the BLAS column filled for this batch
    offsets: np.ndarray  # where F[l], A[l], δ[l] start in the workspaces (l = 0 … L)
    theta: np.ndarray
    grad: np.ndarray
    s1: np.ndarray
    s2: np.ndarray
    step: float
    has_buf: bool
    f_ws: np.ndarray
    a_ws: np.ndarray
    d_ws: np.ndarray
    sc: np.ndarray
    losses: np.ndarray  # epochs × batches
    steps_taken: int = 0
    stopped: tuple[int, int] | None = None

    @classmethod
    def build(cls, setup: _Setup, optimizer, x, y_real, y_index, size: int, epochs: int):
        theta = np.concatenate([p._data.reshape(-1) for p in setup.params]).astype(setup.dtype)
        s1, s2, step, has_buf = _flat_state(setup, optimizer)
        widths = [int(setup.meta[0, 2])] + [int(v) for v in setup.meta[:, 3]]
        offsets = np.cumsum([0] + [size * k for k in widths]).astype(np.int64)
        meta = setup.meta.copy()
        meta[:, 5] = size * meta[:, 2] * meta[:, 3] >= BLAS_MIN_WORK
        total = int(offsets[-1])
        batches = math.ceil(x.shape[0] / size)
        return cls(
            x, y_real, y_index, size, meta, offsets, theta, np.zeros_like(theta), s1, s2,
            step, has_buf, np.zeros(total, setup.dtype), np.zeros(total, setup.dtype),
            np.zeros(total, setup.dtype), np.zeros(10, setup.dtype),
            np.full((epochs, batches), np.nan),
        )  # fmt: skip

    def epochs(self, kernels, setup, optimizer, perms, first: int, count: int, guard) -> int:
        """Run ``count`` epochs in one kernel call; the number of epochs (partly) run."""
        perms = (
            np.zeros((0, 0), np.int64) if perms is None else np.ascontiguousarray(perms, np.int64)
        )
        before = self.step
        ran, stop_batch, self.step = kernels.train_loop(
            self.x, self.y_real, self.y_index, perms, self.size, count, self.meta,
            self.offsets, setup.slopes, LOSSES[setup.entry.name], setup.reduction == "sum",
            setup.opt_code, _hyper(optimizer), self.theta, self.grad, self.s1, self.s2,
            self.step, self.has_buf, self.f_ws, self.a_ws, self.d_ws, self.sc,
            self.losses[first : first + count], guard,
        )  # fmt: skip
        self.steps_taken += round(self.step - before)
        self.has_buf = self.has_buf or self.steps_taken > 0
        if stop_batch >= 0:
            self.stopped = (first + ran + 1, stop_batch + 1)
            return ran + 1
        return count

    def epoch_losses(self, setup: _Setup, n: int, size: int, done: int) -> np.ndarray:
        return _epoch_losses(setup, self.losses[:done], n, size)


def _epoch_losses(setup: _Setup, batch_losses: np.ndarray, n: int, size: int) -> np.ndarray:
    if setup.reduction == "sum":
        return batch_losses.sum(axis=1)
    counts = np.full(batch_losses.shape[1], size, dtype=np.float64)
    counts[-1] = n - size * (batch_losses.shape[1] - 1)
    return batch_losses @ counts / n
