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
    "choose_plan",
    "eval_rows",
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


# Rows × Σ layer widths one evaluation chunk may hold (64 MB of float32 activations):
# fit's end-of-epoch pass over the whole training and validation set runs in chunks of
# at most this many numbers, so its memory does not grow with the number of rows.
EVAL_NUMBERS = 2**24
LATE_FIRST = 512  # rows of the first chunk of ``evaluate.beyond``


def eval_rows(net, batch: int) -> int:
    """Rows per evaluation chunk: ``EVAL_NUMBERS`` // Σ layer widths when the δ engine can
    read the model (``net``: ``mlp_layers``), else the training ``batch`` (whose forward
    pass training already holds). A run whose rows fit in one chunk is evaluated in one
    pass, as before chunking."""
    if net is None:
        return max(1, batch)
    widths = net[0].n_in + sum(layer.n_out for layer in net)
    return max(1, EVAL_NUMBERS // widths)


def evaluator(model, loss_fn, loss_name, task, plan, toggle: bool, rows: int | None = None):
    """``evaluate(x, y, prefix) -> logs``: loss and metrics on (x, y), no graph recorded.

    With the δ engine the forward pass is the engine's own and the loss comes straight
    from the registry (same numbers as the autograd op, without the tape); otherwise the
    model runs under ``no_grad`` (in eval mode when it is not a plain MLP). The rows go
    through in chunks of at most ``rows`` (``eval_rows``): the loss is Σℓ over the chunks
    divided by the sum of the chunks' denominators, accuracy and SS_res are summed, so the
    numbers are those of one pass to rounding, and one pass it is when every row fits.
    A custom loss callable gets the whole output at once (only the forward pass is chunked).
    """
    import backprop

    from ..autograd.tensor import Tensor

    resolved = None
    if plan is not None:
        resolved = plan.resolved
    elif loss_name is not None:
        from ..delta.losses import resolve

        resolved = resolve(loss_fn)

    scratch: dict = {}  # the δ engine's buffers per chunk size (delta.engine.output_rows)

    def forward(x):
        if plan is not None:
            from ..delta.engine import output_rows

            if len(scratch) > 4 * len(plan.net):  # other row counts: keep the memory bounded
                scratch.clear()
            return output_rows(plan.net, x, scratch)
        if toggle:
            model.eval()
        try:
            with backprop.no_grad():
                return model(Tensor._wrap(x))._data
        finally:
            if toggle:
                model.train()

    def whole(x, y):
        """(output, E) in one pass, as before chunking: the numbers of existing runs."""
        if resolved is not None:
            from ..nn.losses import loss_value

            out = forward(x)
            entry, reduction, options = resolved
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

    def scorer(prefix, y):
        if scorers.get(prefix) is None or scorers[prefix].target is not y:
            scorers[prefix] = metrics.RegressionScorer(y)
        return scorers[prefix]

    def evaluate(x, y, prefix: str) -> dict:
        n = len(x)
        if rows is None or n <= rows:
            out, value = whole(x, y)
            logs = {prefix + "loss": value}
            if task == "classification":
                logs[prefix + "accuracy"] = metrics.accuracy(out, y, loss_name)
            elif out.size == y.size:
                logs[prefix + "rmse"], logs[prefix + "r2"] = scorer(prefix, y)(out)
            return logs
        return chunked(x, y, prefix, n)

    def chunked(x, y, prefix, n) -> dict:
        from ..nn.loss_ops import prepare
        from ..nn.losses import denominator

        total = divisor = correct = 0.0
        ss_res, outs, regression = None, [], task != "classification"
        for lo in range(0, n, rows):
            xc, yc = x[lo : lo + rows], y[lo : lo + rows]
            out = forward(xc)
            if resolved is None:  # a custom loss: keep the outputs, call it once below
                outs.append(out.copy() if plan is not None else out)  # a reused buffer
            else:
                entry, _, options = resolved
                xo, yo, opts = prepare(entry, out, yc, options)
                losses = entry.value(xo, yo, **opts)
                total += float(np.sum(losses, dtype=np.float64))
                divisor += float(denominator(entry, xo, yo, losses, opts))
            if task == "classification":
                correct += metrics.accuracy(out, yc, loss_name) * len(xc)
            elif out.size == yc.size:
                part = scorer(prefix, y).residuals(out, lo)
                ss_res = part if ss_res is None else ss_res + part
            else:
                regression = False
        if resolved is None:
            out = np.concatenate(outs)
            with backprop.no_grad():
                value = loss_fn(Tensor._wrap(out), Tensor._wrap(y))
            value = float(getattr(value, "_data", value))
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                value = np.float64(total) / divisor if resolved[1] == "mean" else total
                value = float(np.asarray(value, dtype=x.dtype))  # the dtype one pass gives
        logs = {prefix + "loss": value}
        if task == "classification":
            logs[prefix + "accuracy"] = correct / n
        elif regression:
            logs[prefix + "rmse"], logs[prefix + "r2"] = scorer(prefix, y).scores(ss_res)
        return logs

    def beyond(x, y, most: int, first: int = LATE_FIRST) -> bool:
        """Whether more than ``most`` rows of (x, y) are classified right: True as soon as
        the rows counted so far (in order, in chunks sized from the rate seen) exceed it,
        False when all of them do not. ``fit``'s check against accuracy at chance."""
        correct, lo, n, step = 0, 0, len(x), first
        while lo < n:
            hi = min(n, lo + step)
            correct += round(metrics.accuracy(forward(x[lo:hi]), y[lo:hi], loss_name) * (hi - lo))
            lo = hi
            if correct > most:
                return True
            rate = max(correct / lo, 1 / lo)  # the rows still needed at the rate so far
            step = max(first, min(rows or n, int(1.25 * (most + 1 - correct) / rate)))
        return False

    evaluate.beyond = beyond
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
    """(a δ-engine Plan, None) when ``engine`` allows and the model and loss fit it, else
    (None, the reason in words)."""
    if engine == "autograd":
        return None, "engine='autograd' was asked for"
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
        return None, f"the δ engine cannot take this setup ({err})"
    return plan, ""


def flatten(model) -> None:
    """Move the parameters into one buffer (``delta.flatten_parameters``) when they can be."""
    from ..delta import flatten_parameters
    from ..errors import DTypeError

    with contextlib.suppress(DTypeError):  # mixed dtypes: the Plan works parameter by parameter
        flatten_parameters(model)


def measure_later(params, evaluate, x, y):
    """``later()`` for ``spans.Plan``: keeps the weights as they are now and returns the
    measurement ``History.measure_later`` takes on first read — ``evaluate`` on (x, y) with
    those weights (put in for the pass and taken out again when the model has trained on
    since), the same numbers as a pass at the run's end."""

    def later():
        kept = [p._data.copy() for p in params]

        def measure() -> dict:
            now = [p._data for p in params]
            same = all(
                a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
                for a, b in zip(now, kept, strict=True)
            )
            if same:
                return _train_metrics(evaluate(x, y, ""))
            back = [a.copy() for a in now]
            try:
                for a, b in zip(now, kept, strict=True):
                    np.copyto(a, b)
                return _train_metrics(evaluate(x, y, ""))
            finally:
                for a, b in zip(now, back, strict=True):
                    np.copyto(a, b)

        return measure

    return later


def _train_metrics(logs: dict) -> dict:
    logs.pop("loss", None)  # the engine's loss is the history's (see History)
    return logs
