"""When the fused loop pays (floor 3): the compile policy behind ``fused.decide``.

The policy itself is told in ``fused``'s docstring: a loaded kernel is always used; a
cached one when the run's estimated NumPy time covers numba's load; a cold compile only
for runs long enough to pay for it. Here are its measured constants, the disk-cache probe
(``cache_state``), the NumPy cost model (``estimate_numpy_seconds``) and the one-BLAS-thread
context the loop runs small products in.
"""

from __future__ import annotations

import contextlib
import itertools
import sys

import numpy as np

from .fused_setup import available, supported
from .network import layers

# Below this (largest layer's batch × n_in × n_out) BLAS runs on one thread during the loop:
# waking a second thread for each small product costs more than it saves (digits job at 2
# threads: 155 µs/step, at 1 thread: 89).
SMALL_GEMM_WORK = 1 << 21
# Seconds (2-core machine): cold compile of one dtype's kernel; import numba + first load.
COLD_COMPILE_SECONDS = 6.0
WARM_LOAD_SECONDS = 1.0
# The NumPy path's cost model (estimate_numpy_seconds): the span loop (delta.numpy_loop) on
# a quiet 2-core machine took 31.5 µs a step on the lecture job (3 layers, 8,000 MACs a
# batch) and about 170 µs on digits (3 layers, 0.83 M MACs), float32, one BLAS thread.
NUMPY_STEP_SECONDS = 6e-6
NUMPY_LAYER_SECONDS = 8e-6
NUMPY_FLOPS = 30e9


THETA_ARG = 14  # position of θ among train_loop's arguments: its type names the dtype


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
    return any(name in str(sig[THETA_ARG]) for sig in module.train_loop.signatures)


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
        if any(name in str(key[0][THETA_ARG]) for key in index):
            return "disk"
    except Exception:  # numba internals moved: be conservative
        pass
    return "cold"


# Seconds this process trained on the NumPy path with setups the kernel takes, by the cost
# model (``estimate_numpy_seconds``, not the clock, so the engine a run gets does not depend
# on how busy the machine is; ``note_numpy_seconds``): short runs one after another — a
# notebook, a sweep — add up, and once they cover numba's load the kernel is loaded for the
# next one.
NUMPY_SPENT = [0.0]


def note_numpy_seconds(seconds: float) -> None:
    """Count a NumPy run the compiled loop could have taken (``fit`` calls it)."""
    NUMPY_SPENT[0] += max(0.0, float(seconds))


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
    spent = NUMPY_SPENT[0]
    if (  # a notebook, a sweep: short runs have added up, the load pays from here on
        spent + estimate >= WARM_LOAD_SECONDS > estimate and cache_state(dtype) == "disk"
    ):
        return True, (
            f"this process has already trained ≈ {spent:.1f} s on NumPy that the kernel "
            "could have run: loading it from the disk cache pays from here on"
        )
    if estimate < WARM_LOAD_SECONDS:
        return False, f"short run (≈ {estimate:.2f} s on NumPy): loading numba would not pay"
    if cache_state(dtype) == "disk":
        return True, f"the compiled kernel for {dtype.name} is in the disk cache"
    if estimate >= COLD_COMPILE_SECONDS:
        return True, f"long run (≈ {estimate:.1f} s on NumPy) pays for a cold compile"
    return False, f"cold cache and a run of ≈ {estimate:.1f} s: compiling would not pay"
