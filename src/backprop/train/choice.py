"""Which engine trains a run, and why (floor 4): ``choose_engine`` and ``make_loop``.

One decision, made once per run and stated in words (``History.engine_reason``, the CLI's
``--verbose``): the compiled kernel (``"fused"``) when numba is installed, the setup is one it
knows and the run pays for loading it (``delta.fused.decide``: the kernel already in memory,
or a run long enough for numba's load or compile); the NumPy δ engine (``"delta"``) for every
other model the δ recursion reads; autograd for the rest. ``make_loop`` builds the chosen
engine's span loop (``spans``' protocol) for ``fit``, the estimators and the playground.
"""

from __future__ import annotations

import sys

from .._extras import install_hint
from ..errors import ConfigError
from .spans import EngineChoice, PerBatchLoop

__all__ = ["choose_engine", "make_loop"]

# Rows × Σ layer widths of one batch above which the NumPy δ engine runs ``Plan.step`` per
# batch instead of ``NumpyLoop``: the loop's preallocated buffers (several per layer) save
# Python overhead that only small batches feel, and would cost memory that big ones do
# (a full batch of 1.5 million rows: 725 MB against 200 MB).
BIG_BATCH_NUMBERS = 1 << 22


def choose_engine(model, loss_fn, optimizer, engine, plan, plan_reason, y, steps, size, *,
                  stepwise: str | None = None) -> EngineChoice:  # fmt: skip
    """The engine for a run of ``steps`` optimizer steps of ``size`` rows.

    ``engine`` is fit's argument ("auto", "delta", "fused", "autograd"); ``plan`` the δ
    engine's Plan or None (``plan_reason`` then says why); ``stepwise`` names a callback
    that needs single batches (the compiled loop cannot stop at each).
    """
    if plan is None:
        return EngineChoice("autograd", f"autograd: {plan_reason}")
    if engine == "delta":
        return EngineChoice("delta", "delta (NumPy): engine='delta' was asked for")
    from ..delta import fused

    if stepwise is not None:
        reason = f"callback {stepwise} watches single batches"
    elif not fused.available():
        reason = f"numba is not installed ({install_hint('fast')})"
    elif engine == "fused":
        ok = fused.supported(model, loss_fn, optimizer, y)
        if ok is True:
            return EngineChoice("fused", "fused: engine='fused' was asked for")
        reason = ok
    else:
        use, reason = fused.decide(model, loss_fn, optimizer, steps=steps, batch=size, y=y)
        if use:
            return EngineChoice("fused", f"fused (compiled): {reason}")
        if fused.supported(model, loss_fn, optimizer, y) is True:
            from ..delta.fused_policy import estimate_numpy_seconds

            choice = EngineChoice("delta", f"delta (NumPy): {reason}")
            choice.kernel_could = True  # its seconds count towards loading the kernel
            sizes = [plan.net[0].n_in] + [layer.n_out for layer in plan.net]
            choice.numpy_seconds = estimate_numpy_seconds(sizes, steps, size)
            return choice
    if engine == "fused":
        raise ConfigError(f"fit(engine='fused'): the compiled loop cannot run: {reason}.")
    return EngineChoice("delta", f"delta (NumPy): {reason}")


def make_loop(choice: EngineChoice, model, loss_fn, optimizer, plan, step, x, y, size,
              penalty=("none", 0.0)):  # fmt: skip
    """The span loop of ``choice``: ``FusedLoop``, ``NumpyLoop`` (or, for setups it does not
    take, ``Plan.step`` batch by batch) or autograd batch by batch (``step``)."""
    params = [p for group in optimizer.param_groups for p in group["params"]]
    if choice.name == "fused":
        from ..delta.fused_loop import FusedLoop

        loop = FusedLoop(model, loss_fn, optimizer, x, y, size, penalty=penalty)
        many = sys.modules.get("backprop.delta.fused_many")  # a sweep's batch of runs
        return loop if many is None else many.adopt(loop)
    if choice.name == "delta":
        from ..delta import DeltaEngineError
        from ..delta.numpy_loop import NumpyLoop

        widths = plan.net[0].n_in + sum(layer.n_out for layer in plan.net)
        if size * widths <= BIG_BATCH_NUMBERS:
            try:
                return NumpyLoop(model, loss_fn, optimizer, x, y, size, penalty=penalty)
            except DeltaEngineError:
                pass
        return PerBatchLoop("delta", plan.step, optimizer, params, x, y, size, penalty)
    return PerBatchLoop("autograd", step, optimizer, params, x, y, size, penalty)
