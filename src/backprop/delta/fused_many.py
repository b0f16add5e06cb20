"""K networks of one shape trained at once in the fused loop (floor 3): ``train_many``.

A sweep trains the same network many times with different seeds: other initial weights and,
where the data's noise is seeded, other data. ``train_many`` runs such a group's runs in one
compiled loop (``fused_many_kernel.many_loop``), the weights of all K as one stack — JAX's
``vmap`` over a training loop, written out. Per run, the numbers are those of the one-run
kernel (``fused_kernels.train_loop``) bit for bit: the same operations in the same order for
each model, its NaN guard its own (a model that diverges stops where a run alone would; the
others go on), its per-step losses, final weights, optimizer state and best epoch kept.

How a run's ordinary code path gets those numbers (``capture`` / ``replaying``): the caller
runs each trial's ordinary training code once with ``capture``, which stops it at its first
kernel call and keeps that call (the inputs ``FusedLoop`` built: weights, data, optimizer
state); ``train_many`` trains the group's captured calls together; then the caller runs each
trial's code again with ``replaying(track)``: its ``FusedLoop`` (``adopt``, called by
``train.choice.make_loop``) gets the recorded steps instead of the kernel, after checking that
its call is bit for bit the captured one (else it runs the kernel itself). Everything around
the kernel — history, guard, notes, metrics — is the run's own code, unchanged. A sweep
runs each trial's code once instead: ``fused_many_pause`` holds each run at that first call
in a thread of its own while the group trains, then lets it go on with its ``Track``.

What a group can hold (``batchable``): full-batch runs in natural order with no penalty and
no loss stopping rule, MSE, half-MSE or BCE-with-logits, of one shape, loss, optimizer,
hyper-parameters and length. Anything else runs alone, as before.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass

import numpy as np

# train_loop's arguments, by position (fused_loop.FusedLoop.run passes them so)
ARGS = (
    "x", "y_real", "y_index", "perms", "batch_size", "first_step", "n_steps", "meta",
    "offsets", "slopes", "loss_code", "reduce_sum", "opt_code", "hyper", "theta", "grad",
    "s1", "s2", "step", "has_buf", "f_ws", "a_ws", "d_ws", "sc", "losses", "guard",
    "previous", "penalty", "epoch_start", "best", "best_theta",
)  # fmt: skip
# What must be equal, bit for bit, across a group (besides the shapes of the data).
SHARED = ("meta", "offsets", "slopes", "loss_code", "reduce_sum", "opt_code", "hyper", "step",
          "has_buf", "guard", "penalty")  # fmt: skip
# What a replayed call checks against the captured one before trusting the record.
INPUTS = ("x", "y_real", "y_index", "meta", "offsets", "slopes", "loss_code", "reduce_sum",
          "opt_code", "hyper", "theta", "s1", "s2", "step", "has_buf", "guard",
          "penalty")  # fmt: skip
LOSS_CODES = (0, 1, 3)  # mse, half_mse, bce_with_logits (fused_setup.LOSSES)


class _Slot(threading.local):
    """What the next FusedLoop made in this thread gets (``adopt``): a kernel stand-in's
    maker (``capture``, ``replaying``, ``fused_many_pause``), or nothing."""

    def __init__(self) -> None:
        self.makers: list = []


_slot = _Slot()


class Captured(Exception):  # noqa: N818 - a signal, not an error
    """Raised out of a run by ``capture``'s kernel: ``call`` is its first kernel call."""

    def __init__(self, call: dict) -> None:
        super().__init__("captured")
        self.call = call


def _copy(value):
    return value.copy() if isinstance(value, np.ndarray) else value


class _Capture:
    """A kernel stand-in that keeps the first call and stops the run."""

    def __init__(self, loop) -> None:
        self.loop = loop

    def train_loop(self, *args):
        call = {name: _copy(v) for name, v in zip(ARGS, args)}
        call["small"] = bool(getattr(self.loop, "small", False))
        raise Captured(call)


def adopt(loop):
    """``make_loop``'s hook: the loop a capture or a replay is waiting for, else ``loop``."""
    if _slot.makers:
        loop.kernels = _slot.makers.pop()(loop)
    return loop


def capture(fn):
    """Run ``fn()`` until its first fused kernel call: that call (a dict), or None if it
    made none (``fn``'s own errors propagate)."""
    _slot.makers[:] = [_Capture]
    try:
        fn()
    except Captured as stop:
        return stop.call
    finally:
        _slot.makers.clear()
    return None


def lanes() -> int:
    """Models one kernel call trains (``fused_many_lanes.LANES``)."""
    from .fused_many_lanes import LANES

    return LANES


def batchable(call: dict, n_steps: int) -> str | None:
    """Why a captured call cannot join a group, or None."""
    if call["perms"].size or call["first_step"] != 0:
        return "minibatches in shuffled order"
    if call["batch_size"] != call["x"].shape[0]:
        return "minibatches"
    if call["loss_code"] not in LOSS_CODES:
        return "the loss (cross-entropy runs alone)"
    if call["penalty"][0] != 0 or call["best"][5] != 0:
        return "a weight penalty or a loss stopping rule"
    if call["best"][4] != 0 or n_steps < 1:
        return "a run that does not start at epoch 0"
    return None


def group_key(call: dict, n_steps: int) -> bytes:
    """Calls with equal keys can be trained together."""
    parts = [repr((call["x"].shape, call["y_real"].shape, call["x"].dtype.str, n_steps,
                   call["small"], float(call["best"][0])))]  # fmt: skip
    for name in SHARED:
        value = call[name]
        parts.append(value.tobytes() if isinstance(value, np.ndarray) else repr(value))
    return "|".join(p if isinstance(p, str) else p.hex() for p in parts).encode()


@dataclass
class Track:
    """One model's run as the one-run kernel would leave it after ``n_steps`` steps."""

    call: dict
    total: int  # steps asked for
    losses: np.ndarray  # float64, one per step taken (up to and with the stop)
    stop: int  # the step the guard stopped at, or -1
    step: float  # the Adam step count at the stop or the end
    theta: np.ndarray
    grad: np.ndarray
    s1: np.ndarray
    s2: np.ndarray
    previous: np.ndarray
    best: np.ndarray  # train_loop's best[0:5]
    best_theta: np.ndarray


def train_many(calls: list[dict], n_steps: int) -> list[Track]:
    """Train the captured ``calls`` (one group: equal ``group_key``) for ``n_steps`` steps
    each; one ``Track`` per call, in order. The kernel takes ``LANES`` models a call: the
    last block is filled up with copies of its last model, whose results are dropped."""
    from .fused_many_kernel import LANES

    tracks: list[Track] = []
    for lo in range(0, len(calls), LANES):
        block = calls[lo : lo + LANES]
        padded = block + [block[-1]] * (LANES - len(block))
        tracks.extend(_train_block(padded, n_steps)[: len(block)])
    return tracks


def _train_block(calls: list[dict], n_steps: int) -> list[Track]:
    from .fused_kernels import BLAS, N_IN, N_OUT
    from .fused_many_kernel import BEST_THETA, GRAD, PREVIOUS, S1, S2, THETA, many_loop
    from .fused_policy import _one_blas_thread
    from .fused_setup import vectorising

    first = calls[0]
    K = len(calls)
    dtype = first["theta"].dtype
    meta = first["meta"]
    m = first["x"].shape[0]

    def lanes(name, transform=lambda a: a):
        return np.ascontiguousarray(np.stack([transform(c[name]) for c in calls], axis=-1).ravel())

    theta, grad = lanes("theta"), lanes("grad")
    s1, s2, previous = lanes("s1"), lanes("s2"), lanes("previous")
    x_lanes = lanes("x", lambda a: a.T)
    x_rows = np.ascontiguousarray(np.stack([c["x"].reshape(-1) for c in calls]))
    y = lanes("y_real")
    total = int(first["offsets"][-1])
    f_ws, a_ws, d_ws = (np.zeros(total * K, dtype) for _ in range(3))
    P = theta.size // K
    out = np.zeros((K, 6, P), dtype)
    track = bool(first["best"][0] > 0)
    if track:
        for k, c in enumerate(calls):
            out[k, BEST_THETA] = c["best_theta"]
    best = np.stack([c["best"][:5].copy() for c in calls])
    ins, outs = meta[:, N_IN] * m, meta[:, N_OUT] * m
    blas = meta[:, BLAS] != 0
    weights = int((meta[:, N_IN] * meta[:, N_OUT]).max())
    scratch = (
        np.zeros(int(ins.max()), dtype),
        np.zeros(2 * weights, dtype),
        np.zeros(int(meta[:, N_OUT].max()), dtype),
        np.zeros(int(outs.max()), dtype),
        np.zeros(int(ins.max()), dtype),
    )
    losses = np.full((K, n_steps), np.nan)
    stop = np.full(K, -1, np.int64)
    steps = np.zeros(K)
    session = _one_blas_thread() if first["small"] and blas.any() else contextlib.nullcontext()
    with session, vectorising():
        modes = _modes(meta, m, dtype)
        many_loop(
            x_lanes, x_rows, y, n_steps, meta, first["offsets"], first["slopes"],
            first["loss_code"], first["reduce_sum"], first["opt_code"], first["hyper"],
            theta, grad, s1, s2, float(first["step"]), bool(first["has_buf"]), f_ws, a_ws,
            d_ws, np.zeros(10, dtype), losses, previous, bool(first["guard"]), track,
            np.zeros(P * K, dtype), best, stop, out, steps, scratch, modes,
        )  # fmt: skip
    tracks = []
    for k, c in enumerate(calls):
        ran = n_steps if stop[k] < 0 else int(stop[k]) + 1
        tracks.append(
            Track(
                c,
                n_steps,
                losses[k, :ran].copy(),
                int(stop[k]),
                float(steps[k]),
                out[k, THETA].copy(),
                out[k, GRAD].copy(),
                out[k, S1].copy(),
                out[k, S2].copy(),
                out[k, PREVIOUS].copy(),
                best[k].copy(),
                out[k, BEST_THETA].copy(),
            )
        )
    return tracks


# Seconds a cold compile of many_loop took on this 2-core machine (about 50 on a busy one): a
# group trains together only when the kernel is loaded, in numba's disk cache, or the
# group's runs alone would take longer than this (``worth``).
COLD_COMPILE_SECONDS = 40.0
THETA_ARG = 11  # position of θ among many_loop's arguments: its type names the dtype


def kernel_state(dtype) -> str:
    """Where many_loop for ``dtype`` would come from: 'memory', 'disk' or 'cold' (as
    ``fused_policy.cache_state``; numba internals that moved read as 'cold')."""
    from . import fused_many_kernel

    name = np.dtype(dtype).name
    kernel = fused_many_kernel.many_loop
    if any(name in str(sig[THETA_ARG]) for sig in kernel.signatures):
        return "memory"
    try:
        if any(name in str(key[0][THETA_ARG]) for key in kernel._cache._cache_file._load_index()):
            return "disk"
    except Exception:  # numba internals moved: be conservative
        pass
    return "cold"


def worth(calls: list[dict], n_steps: int) -> bool:
    """Whether training ``calls`` together pays: the kernel is ready, or the runs alone
    (by a rough cost of the one-run kernel) would outlast its compile."""
    first = calls[0]
    if kernel_state(first["theta"].dtype) != "cold":
        return True
    meta, m = first["meta"], first["x"].shape[0]
    macs = float((meta[:, 2] * meta[:, 3]).sum()) * m
    seconds = len(calls) * n_steps * (2e-6 + 3 * macs / 5e9)
    return seconds >= COLD_COMPILE_SECONDS


def _modes(meta, m: int, dtype) -> np.ndarray:
    """How each layer runs in the kernel (``fused_many_kernel.many_loop``'s ``modes``). A
    layer the one-run kernel hands to BLAS runs its forward and backward products in lanes
    only where ``probe`` finds BLAS summing as the lanes do, on this machine, for these
    shapes and dtype (checked once per process on random data); else all of it goes to BLAS
    model by model (``BLAS_ALL``), which is the one-run kernel's own code. Where the probe
    holds, a narrow layer (``fma.SMALL_GRAD``) takes its weight gradient in lanes too
    (``SMALL_LANES``: the one-run kernel's ``fma._grads_small`` order), a wider one keeps
    BLAS for it (``BLAS_GRADS``: a long sum OpenBLAS splits its own way)."""
    from .fma import SMALL_GRAD
    from .fused_kernels import BLAS, N_IN, N_OUT
    from .fused_many_kernel import BLAS_ALL, BLAS_GRADS, LANES_ONLY, SMALL_LANES

    modes = np.full(meta.shape[0], LANES_ONLY, np.int64)
    for li in range(meta.shape[0]):
        if meta[li, BLAS] == 0:
            continue
        modes[li] = BLAS_ALL
        if li == 0:  # the first layer reads its rows through BLAS: model by model
            continue
        n_in, n_out = int(meta[li, N_IN]), int(meta[li, N_OUT])
        if sums_as_lanes(m, n_in, n_out, dtype):
            small = n_in <= SMALL_GRAD and n_out <= SMALL_GRAD
            modes[li] = SMALL_LANES if small else BLAS_GRADS
    return modes


_probed: dict = {}  # (rows, n_in, n_out, dtype) -> whether BLAS sums as the lanes do


def sums_as_lanes(m: int, n_in: int, n_out: int, dtype) -> bool:
    """Whether this machine's BLAS computes F = A W (+ b) and δW for these shapes as the
    lanes do, bit for bit (``fused_many_kernel.probe`` on random data; kept per process)."""
    from .fused_many_kernel import LANES, probe

    key = (m, n_in, n_out, np.dtype(dtype).str)
    if key not in _probed:
        rng = np.random.default_rng(0)
        theta, a_in, d = (
            rng.standard_normal(n * LANES).astype(dtype)
            for n in (n_out * n_in + n_out, n_in * m, n_out * m)
        )
        _probed[key] = bool(probe(m, n_in, n_out, theta, a_in, d))
    return _probed[key]


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    return a == b


class _Recorded:
    """A kernel stand-in that hands a loop the steps ``train_many`` recorded for it.

    The first call must be the captured one, bit for bit, else every call goes to the real
    kernel. Calls must follow each other (steps at, at + 1, …); the run's final state is
    written when its last step (or its guard's stop) is handed out."""

    def __init__(self, track: Track, loop) -> None:
        self.track, self.loop, self.at, self.real = track, loop, 0, None

    def train_loop(self, *args):
        a = dict(zip(ARGS, args))
        if self.real is None:  # the first call decides
            same = a["first_step"] == 0 and a["best"][4] == 0
            same = same and all(_same(a[name], self.track.call[name]) for name in INPUTS)
            if same:
                self.real = False
            else:
                from .fused_policy import _kernels

                self.real = _kernels()
        if self.real is not False:
            return self.real.train_loop(*args)
        t = self.track
        start = int(a["best"][4]) + a["first_step"]
        n = a["n_steps"]
        if start != self.at or start + n > t.total:
            raise RuntimeError(
                f"fused_many: a replayed run asked for steps {start}..{start + n - 1}, "
                f"but the record is at step {self.at} of {t.total}"
            )
        losses = a["losses"]
        if 0 <= t.stop < start + n:
            ran = t.stop - start
            losses[: ran + 1] = t.losses[start : t.stop + 1]
            self._finish(a)
            self.at = t.stop
            return ran, ran, t.step
        losses[:n] = t.losses[start : start + n]
        self.at = start + n
        if self.at == t.total:
            self._finish(a)
            return n, -1, t.step
        return n, -1, a["step"] + n

    def _finish(self, a) -> None:
        t = self.track
        for name in ("theta", "grad", "s1", "s2", "previous"):
            a[name][...] = getattr(t, name)
        a["best"][1:4] = t.best[1:4]
        if a["best_theta"].size:
            a["best_theta"][...] = t.best_theta


@contextlib.contextmanager
def replaying(track: Track):
    """While inside, the next ``FusedLoop`` made (``adopt``) runs from ``track``."""
    _slot.makers[:] = [lambda loop: _Recorded(track, loop)]
    try:
        yield
    finally:
        _slot.makers.clear()
