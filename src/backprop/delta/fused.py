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
import importlib.util
import itertools
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..autograd.tensor import Tensor
from .network import DeltaEngineError, layers

__all__ = [
    "ACTIVATIONS",
    "LOSSES",
    "FusedResult",
    "available",
    "cache_state",
    "decide",
    "estimate_numpy_seconds",
    "supported",
    "train",
    "warm_up",
]

ACTIVATIONS = {"identity": 0, "relu": 1, "tanh": 2, "sigmoid": 3, "leaky_relu": 4}
LOSSES = {"mse": 0, "half_mse": 1, "cross_entropy": 2, "bce_with_logits": 3}
OPTIMIZERS = {"SGD": 0, "Adam": 1, "AdamW": 2}

# A layer whose batch × n_in × n_out reaches this calls BLAS; smaller ones run plain loops.
BLAS_MIN_WORK = 16 * 16 * 16
# Below this (largest layer's batch × n_in × n_out) BLAS runs on one thread during the loop:
# waking a second thread for each small product costs more than it saves (digits job at 2
# threads: 155 µs/step, at 1 thread: 89).
SMALL_GEMM_WORK = 1 << 21
# Seconds (2-core machine): cold compile of one dtype's kernel; import numba + first load.
COLD_COMPILE_SECONDS = 6.0
WARM_LOAD_SECONDS = 1.0
# The NumPy path's cost model (estimate_numpy_seconds), fitted to the benchmark jobs.
NUMPY_STEP_SECONDS = 10e-6
NUMPY_LAYER_SECONDS = 15e-6
NUMPY_FLOPS = 20e9
# At most this many permutation entries (epochs × N) are held at once.
_PERM_BUDGET = 1 << 22


def available() -> bool:
    """True when numba is installed (checked without importing it)."""
    return importlib.util.find_spec("numba") is not None


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


@dataclass
class _Setup:
    net: list
    params: list  # in the flat layout's order: W1, b1, W2, b2, …
    dtype: np.dtype
    meta: np.ndarray
    slopes: np.ndarray
    entry: object
    reduction: str
    options: dict
    opt_code: int


def _setup(model, loss, optimizer) -> _Setup | str:
    """Everything the kernel needs, or the reason the setup is not fused."""
    try:
        net = layers(model)
    except DeltaEngineError as error:
        return str(error)
    codes, slopes = [], []
    for layer in net:
        if layer.rowwise is not None:
            return f"layer {layer.index} ends in {layer.rowwise}, which the fused loop lacks"
        name = layer.activation.name
        if name not in ACTIVATIONS:
            return f"layer {layer.index}: activation {name!r} is not fused ({_names(ACTIVATIONS)})"
        codes.append(ACTIVATIONS[name])
        slopes.append(float(layer.options.get("negative_slope", 0.01)))
    params = [p for layer in net for p in (layer.weight, layer.bias) if p is not None]
    dtype = params[0]._data.dtype
    if dtype not in (np.float32, np.float64) or any(p._data.dtype != dtype for p in params):
        return "parameters must all be float32 or all float64"
    if not all(p._requires_grad for p in params):
        return "a parameter has requires_grad=False (frozen layers are not fused)"
    reason = _check_loss(loss, net)
    if isinstance(reason, str):
        return reason
    entry, reduction, options = reason
    opt_code = _check_optimizer(optimizer, params)
    if isinstance(opt_code, str):
        return opt_code
    meta = np.zeros((len(net), 6), dtype=np.int64)
    offset = 0
    for i, layer in enumerate(net):
        meta[i, 0] = offset
        offset += layer.weight._data.size
        if layer.bias is not None:
            meta[i, 1] = offset
            offset += layer.bias._data.size
        else:
            meta[i, 1] = -1
        meta[i, 2], meta[i, 3], meta[i, 4] = layer.n_in, layer.n_out, codes[i]
    return _Setup(net, params, dtype, meta, np.array(slopes), entry, reduction, options, opt_code)


def _names(table: dict) -> str:
    return ", ".join(table)


def _check_loss(loss, net):
    from .losses import resolve

    if loss is None:
        return "no loss: the fused loop trains on a loss"
    try:
        entry, reduction, options = resolve(loss)
    except DeltaEngineError as error:
        return str(error)
    if entry.name not in LOSSES:
        return f"loss {entry.name!r} is not fused ({_names(LOSSES)})"
    if reduction not in ("mean", "sum"):
        return f"reduction={reduction!r}: the fused loop needs 'mean' or 'sum'"
    for key, default in entry.defaults.items():
        if key == "ignore_index":
            continue  # only matters if a target equals it: checked with the data
        value = options.get(key, default)
        if value is not None and value != default:
            return f"loss option {key}={value!r} is not fused (only the default {default!r})"
    top = net[-1].activation.name
    if entry.takes == "logits" and top != "identity":
        return f"{entry.name} takes logits, but the output layer applies {top}"
    return entry, reduction, options


def _check_optimizer(optimizer, params):
    name = type(optimizer).__name__
    module = type(optimizer).__module__
    if name not in OPTIMIZERS or not module.startswith("backprop.optim"):
        return f"optimizer {name} is not fused (SGD, Adam, AdamW)"
    if len(optimizer.param_groups) != 1:
        return "the optimizer has several parameter groups"
    group = optimizer.param_groups[0]
    members = group["params"]
    if len(members) != len(params) or {id(p) for p in members} != {id(p) for p in params}:
        return "the optimizer's parameters are not exactly the model's"
    if group.get("amsgrad"):
        return "amsgrad=True is not fused"
    states = [optimizer.state.get(p) or {} for p in params]
    keys = {frozenset(s) for s in states}
    if len(keys) != 1:
        return "the optimizer state covers some parameters but not others"
    if name != "SGD" and states[0]:
        steps = {float(s["step"]._data) for s in states}
        if len(steps) != 1:
            return "the parameters' Adam step counts differ"
    return OPTIMIZERS[name]


def supported(model, loss, optimizer, y=None) -> bool | str:
    """True if ``train`` can run this setup, else a one-line reason (a str).

    Give the targets ``y`` to check them too (class-probability targets and targets equal
    to ``ignore_index`` are not fused). numba must be installed.
    """
    if not available():
        return "numba is not installed (pip install 'backprop-mlp[fast]')"
    setup = _setup(model, loss, optimizer)
    if isinstance(setup, str):
        return setup
    if y is not None and setup.entry.name == "cross_entropy":
        arr = y._data if isinstance(y, Tensor) else np.asarray(y)
        if arr.dtype.kind == "f":
            return "class-probability targets are not fused (class indices are)"
        ignore = setup.options.get("ignore_index", -100)
        if arr.size and np.any(arr == ignore):
            return f"some targets equal ignore_index={ignore}"
    return True


# ---------------------------------------------------------------------------- compile policy


def _kernels():
    from . import fused_kernels

    return fused_kernels


_controller: list = []  # the threadpoolctl controller, made once (False without threadpoolctl)


def _one_blas_thread():
    """A context limiting BLAS to one thread (threadpoolctl), or a no-op without it."""
    if not _controller:
        try:
            import scipy.linalg.cython_blas  # noqa: F401  (the BLAS numba calls: load it first)
            from threadpoolctl import ThreadpoolController

            _controller.append(ThreadpoolController())
        except ImportError:
            _controller.append(False)
    if _controller[0] is False:
        return contextlib.nullcontext()
    return _controller[0].limit(limits=1, user_api="blas")


def _loaded(dtype) -> bool:
    """True if this process already holds the compiled kernel for ``dtype`` (no import)."""
    module = sys.modules.get(f"{__package__}.fused_kernels")
    if module is None:
        return False
    name = np.dtype(dtype).name
    return any(name in str(sig[13]) for sig in module.train_loop.signatures)


def cache_state(dtype=np.float32) -> str:
    """Where the kernel for ``dtype`` would come from: 'memory', 'disk' or 'cold'.

    'unavailable' without numba. Reading the disk cache's index imports numba and uses its
    internals; if they change, the answer is 'cold' (the safe side of the policy).
    """
    if not available():
        return "unavailable"
    if _loaded(dtype):
        return "memory"
    name = np.dtype(dtype).name
    try:
        index = _kernels().train_loop._cache._cache_file._load_index()
        if any(name in str(key[0][13]) for key in index):
            return "disk"
    except Exception:  # numba internals moved: be conservative
        pass
    return "cold"


def estimate_numpy_seconds(sizes: list[int], steps: int, batch: int) -> float:
    """A rough time of ``steps`` NumPy-path steps for layer widths ``sizes``: a fixed Python
    cost per step and per layer, plus forward + backward FLOPs at ``NUMPY_FLOPS``."""
    macs = sum(a * b for a, b in itertools.pairwise(sizes))
    per_step = NUMPY_STEP_SECONDS + NUMPY_LAYER_SECONDS * (len(sizes) - 1)
    return steps * (per_step + 6 * macs * batch / NUMPY_FLOPS)


def decide(model, loss, optimizer, steps: int, batch: int, y=None) -> tuple[bool, str]:
    """(use the compiled loop?, why) — the module docstring's policy.

    ``steps`` is the number of optimizer steps the run will take (epochs × batches per
    epoch) and ``batch`` the rows per step.
    """
    ok = supported(model, loss, optimizer, y)
    if ok is not True:
        return False, ok
    net = layers(model)
    dtype = net[0].weight._data.dtype
    if _loaded(dtype):
        return True, f"the compiled kernel for {dtype.name} is already loaded"
    sizes = [net[0].n_in] + [layer.n_out for layer in net]
    estimate = estimate_numpy_seconds(sizes, steps, batch)
    if estimate < WARM_LOAD_SECONDS:
        return False, f"short run (≈ {estimate:.2f} s on NumPy): loading numba would not pay"
    if cache_state(dtype) == "disk":
        return True, f"the compiled kernel for {dtype.name} is in the disk cache"
    if estimate >= COLD_COMPILE_SECONDS:
        return True, f"long run (≈ {estimate:.1f} s on NumPy) pays for a cold compile"
    return False, f"cold cache and a run of ≈ {estimate:.1f} s: compiling would not pay"


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
