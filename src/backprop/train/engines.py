"""The two gradient engines as the fit loop uses them: one step, one evaluation each.

``choose_plan`` decides: the lecture's δ recursion (``delta.Plan`` on flat parameters) when the
model is a stack of Linear layers and elementwise activations and the loss comes from the
registry, otherwise autograd (``loss_fn(model(x), y).backward()``); the numbers agree to
rounding. ``evaluator`` measures loss and metrics on a whole data set without recording a
graph, with the same engine's forward pass. Nothing here loops over epochs or batches.
"""

from __future__ import annotations

import contextlib

import numpy as np

from ..errors import ConfigError, ShapeError
from . import metrics

__all__ = [
    "autograd_step",
    "choose_fused",
    "choose_plan",
    "evaluator",
    "flatten",
    "mlp_layers",
    "probe",
]


def autograd_step(model, loss_fn):
    """``step(x_batch, y_batch) -> float``: forward, loss and ``backward()`` on the tape."""
    from ..autograd.tensor import Tensor

    def step(xb, yb):
        value = loss_fn(model(Tensor._wrap(xb)), Tensor._wrap(yb))
        if not isinstance(value, Tensor) or value.numel() != 1:
            raise ConfigError(
                f"fit: the loss must return a scalar Tensor, got {type(value).__name__}"
                f"{'' if not isinstance(value, Tensor) else f' of shape {list(value.shape)}'}."
            )
        value.backward()
        return float(value._data)

    return step


def evaluator(model, loss_fn, loss_name, task, plan, toggle: bool):
    """``evaluate(x, y, prefix) -> logs``: loss and metrics on (x, y), no graph recorded.

    With the δ engine the forward pass is the engine's own and the loss comes straight
    from the registry (same numbers as the autograd op, without the tape); otherwise the
    model runs under ``no_grad`` (in eval mode when it is not a plain MLP).
    """
    import backprop

    from ..autograd.tensor import Tensor

    def outputs(x, y):
        if plan is not None:
            from ..delta import forward
            from ..nn.losses import loss_value

            out = forward(model, x, plan.net).output
            entry, reduction, options = plan.resolved
            return out, float(loss_value(entry.name, out, y, reduction, **options))
        if toggle:
            model.eval()
        try:
            with backprop.no_grad():
                out = model(Tensor._wrap(x))
                value = loss_fn(out, Tensor._wrap(y))
        finally:
            if toggle:
                model.train()
        return out._data, float(getattr(value, "_data", value))

    scorers: dict = {}

    def evaluate(x, y, prefix: str) -> dict:
        out, value = outputs(x, y)
        logs = {prefix + "loss": value}
        if task == "classification":
            logs[prefix + "accuracy"] = metrics.accuracy(out, y, loss_name)
        elif out.size == y.size:
            if scorers.get(prefix) is None or scorers[prefix].target is not y:
                scorers[prefix] = metrics.RegressionScorer(y)
            logs[prefix + "rmse"], logs[prefix + "r2"] = scorers[prefix](out)
        return logs

    return evaluate


def mlp_layers(model):
    """The δ engine's reading of ``model`` (``delta.layers``), or None if it cannot read it."""
    from ..delta import DeltaEngineError, layers

    try:
        return layers(model)
    except DeltaEngineError:
        return None


def probe(model, x):
    """Output width of a model the δ engine cannot read: run it on one row."""
    import backprop

    from ..autograd.tensor import Tensor

    was_training = model.training
    try:
        with backprop.no_grad():
            out = model.eval()(Tensor._wrap(x[:1]))
    except Exception as err:  # the model's own error, re-raised with the data's shape
        raise ShapeError(
            f"fit: the model cannot run on rows of x (shape [N, {x.shape[1]}]): "
            f"{type(err).__name__}: {err}"
        ) from err
    finally:
        model.train(was_training)
    shape = getattr(out, "shape", ())
    return int(shape[-1]) if len(shape) == 2 else None


def choose_plan(model, loss_fn, engine, net, x, y):
    """A δ-engine Plan when ``engine`` allows and the model and loss fit it, else None."""
    if engine == "autograd":
        return None
    from ..delta import DeltaEngineError, Plan

    engine = "delta" if engine == "fused" else engine
    try:
        if net is None:
            from ..delta import layers

            layers(model)  # raises the engine's own explanation
        plan = Plan(model, loss_fn)
        with np.errstate(all="ignore"):  # a probe: its numbers are thrown away
            plan.compute(x[:2], y[:2])  # loss/output combinations are checked on use
    except DeltaEngineError as err:
        if engine == "delta":
            raise DeltaEngineError(f"fit(engine='delta'): {err}") from err
        return None
    return plan


def flatten(model) -> None:
    """Move the parameters into one buffer (``delta.flatten_parameters``) when they can be."""
    from ..delta import flatten_parameters
    from ..errors import DTypeError

    with contextlib.suppress(DTypeError):  # mixed dtypes: the Plan works parameter by parameter
        flatten_parameters(model)


# The compiled loop runs one epoch per call from fit (so callbacks see every epoch); a call
# costs ~0.2 ms of set-up, which pays only over several minibatches.
FUSED_MIN_BATCHES = 8


def choose_fused(model, loss_fn, optimizer, engine, plan, callbacks, y, epochs, batches, size):
    """True when fit should run its epochs in the compiled loop (``delta.fused``).

    ``engine="fused"`` asks for it (an error says why it cannot run); ``"auto"`` takes it when
    ``delta.fused.decide`` says the run pays for numba, the epochs have at least
    ``FUSED_MIN_BATCHES`` minibatches, and no callback needs to see single batches (the NaN
    guard is handled by the loop itself).
    """
    if plan is None or engine not in ("auto", "fused"):
        return False
    from ..delta import fused
    from .callbacks import Callback
    from .guard import NaNGuard

    def why_not() -> str | None:
        if not fused.available():
            return 'numba is not installed (pip install "backprop-mlp[fast]")'
        for cb in callbacks:
            if isinstance(cb, NaNGuard):
                continue
            kind = type(cb)
            if (
                kind.on_batch_end is not Callback.on_batch_end
                or kind.on_after_backward is not Callback.on_after_backward
            ):
                return f"callback {kind.__name__} watches single batches"
        if engine == "fused":  # asked for: only whether it can run matters
            ok = fused.supported(model, loss_fn, optimizer, y)
            return None if ok is True else ok
        use, reason = fused.decide(
            model, loss_fn, optimizer, steps=epochs * batches, batch=size, y=y
        )
        if not use:
            return reason
        if batches < FUSED_MIN_BATCHES:
            return f"{batches} minibatch(es) per epoch: the NumPy δ engine is as fast"
        return None

    reason = why_not()
    if reason is None:
        return True
    if engine == "fused":
        raise ConfigError(f"fit(engine='fused'): the compiled loop cannot run: {reason}.")
    return False
