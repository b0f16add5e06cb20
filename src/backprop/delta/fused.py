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
3. the estimate is at least ``COLD_COMPILE_SECONDS`` (a cold compile pays for itself), or
4. the short NumPy runs this process has already done (a notebook, a sweep: ``fit`` counts
   them) and this one add up to ``WARM_LOAD_SECONDS``, and the kernel is in the disk cache.

Short runs never import numba. ``warm_up()`` compiles ahead of time (e.g. after
installing), so later runs start warm. While the loop runs, BLAS is held to one thread when
every layer's product is small (``SMALL_GEMM_WORK``), where a second thread only costs.

``fit`` does not call ``train``: it builds one ``fused_loop.FusedLoop`` per run and hands
it spans of steps between the epochs its callbacks need (``train.spans``). ``train`` runs
whole epochs directly (benchmarks, tests, scripts that want the kernel alone).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .fused_loop import FusedLoop
from .fused_policy import (
    COLD_COMPILE_SECONDS,
    NUMPY_FLOPS,
    NUMPY_LAYER_SECONDS,
    NUMPY_STEP_SECONDS,
    WARM_LOAD_SECONDS,
    cache_state,
    decide,
    estimate_numpy_seconds,
)
from .fused_setup import ACTIVATIONS, LOSSES, OPTIMIZERS, available, supported

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
    loop = FusedLoop(model, loss, optimizer, x, y, batch_size)
    n, size, batches = loop.n, loop.size, loop.batches
    orders = _orders(shuffle_seed, permutations, n, size)
    chunk = epochs if chunk_epochs is None else max(1, int(chunk_epochs))
    if orders is not None:
        chunk = max(1, min(chunk, _PERM_BUDGET // max(n, 1)))
    losses = np.full((epochs, batches), np.nan)
    stopped = None
    with loop.session():
        done = 0
        while done < epochs:
            count = min(chunk, epochs - done)
            perms = None if orders is None else orders(done, count)
            out = losses[done : done + count].reshape(-1)
            _, stop = loop.run(perms, 0, count * batches, out, guard, epoch_base=done)
            if stop is not None:
                stopped = (done + stop // batches + 1, stop % batches + 1)
                done += stop // batches + 1
                break
            done += count
            if on_epochs is not None and on_epochs(
                done, _epoch_losses(loop.setup, losses[done - count : done], n, size)
            ):
                break
    loop.sync()
    return FusedResult(
        _epoch_losses(loop.setup, losses[:done], n, size),
        losses[:done],
        loop.steps_taken,
        time.perf_counter() - start,
        stopped,
    )


def _epoch_losses(setup, batch_losses: np.ndarray, n: int, size: int) -> np.ndarray:
    if setup.reduction == "sum":
        return batch_losses.sum(axis=1)
    counts = np.full(batch_losses.shape[1], size, dtype=np.float64)
    counts[-1] = n - size * (batch_losses.shape[1] - 1)
    return batch_losses @ counts / n
