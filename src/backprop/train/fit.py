"""The fit loop: epochs of seeded minibatches, one engine for the gradients, a History back.

``fit`` checks the data before any step, picks the gradient engine (the lecture's δ
recursion on flat parameters for an MLP with a registry loss, autograd for anything else —
the numbers agree to rounding), runs zero_grad / backward / optimizer step per batch,
measures the loss and metrics on the whole training (and validation) set at the end of
each epoch (in chunks of bounded size: ``engines.eval_rows``), and calls
the callbacks at fixed points. It never prints: progress leaves through callbacks
(``ProgressEvents``). It is not a data loader or a model builder.
"""

from __future__ import annotations

import contextlib
import math
import numbers
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError
from .backup import BackupAndRestore, resume_engine
from .callbacks import Callback, TrainingStopped, TrainState
from .engines import (
    autograd_step,
    choose_fused,
    choose_plan,
    eval_rows,
    evaluator,
    flatten,
    mlp_layers,
    probe,
)
from .guard import NaNGuard
from .history import History
from .inputs import check_model_and_callbacks, loss_kind, prepare
from .weights import flat_base

__all__ = ["fit"]

_HOOKS = (
    "on_train_begin",
    "on_epoch_begin",
    "on_after_backward",
    "on_batch_end",
    "on_epoch_end",
    "on_train_end",
)


def fit(
    model,
    data,
    loss,
    optimizer,
    epochs=1,
    batch_size=None,
    *,
    validation=None,
    callbacks=(),
    seed=0,
    engine="auto",
    guard=True,
    shuffle=True,
    scheduler=None,
) -> History:
    """Train ``model`` on ``data``; return the per-epoch ``History``.

    Args:
        model: an ``nn.Module``; its parameters are updated in place.
        data: a ``backprop.data.Dataset`` or a pair ``(x, y)`` of arrays or Tensors, x of
            shape (N, n_features). Targets are adapted to the loss: class indices (N,) for
            CrossEntropy/NLL, a float column (N, 1) for BCE/BCEWithLogits given 0/1
            labels, float (N, k) (or (N,) for one output) for regression losses; x and y
            are cast to the model's dtype. Bad data (empty, NaN/inf, wrong widths, classes
            beyond the outputs) raise DataError/ShapeError before any step.
        loss: a loss module (``nn.MSELoss()``), a registry name (``"mse"``,
            ``"cross_entropy"``) or any ``callable(prediction, target) -> scalar Tensor``.
        optimizer: a ``backprop.optim`` optimizer over the model's parameters.
        epochs: passes over the training data.
        batch_size: rows per step; None for the full batch. The last partial batch is kept.
        validation: None; a fraction in (0, 1) held out at random (stratified by class for
            classification, seeded) — never the last rows; ``(x_val, y_val)``; or
            ``"test"`` for a Dataset's test part.
        callbacks: ``Callback`` objects (``EarlyStopping``, ``BackupAndRestore``, …).
        seed: seeds the per-epoch reshuffle, ``np.random.default_rng(seed).permutation``
            once per epoch, and the validation split (its own stream).
        engine: ``"auto"`` (δ engine when it can — in the compiled loop of
            ``delta.fused`` when numba is installed and the run pays for it — else autograd),
            ``"delta"``, ``"fused"`` or ``"autograd"``. The δ engine moves the parameters
            into one flat buffer.
        guard: True adds a ``NaNGuard``; ``"raise"`` also raises ``TrainingStopped`` when
            it stops; False trains without it.
        shuffle: reshuffle the rows every epoch (ignored for the full batch).
        scheduler: an ``optim.lr_scheduler`` scheduler, stepped once per epoch;
            ``ReduceLROnPlateau`` is fed ``val_loss`` (``loss`` without validation).

    The reported ``loss`` and metrics (``accuracy``, or ``rmse`` and ``r2``) are measured
    on the whole training set after the epoch's updates, under ``no_grad`` — not averaged
    over the batches while the weights changed, as Keras does — so they are the model's
    actual end-of-epoch numbers, comparable with ``val_loss``. ``lr`` is the rate the
    epoch trained with; ``time`` the wall seconds since training began.

    Example (the lecture's y = x², 1-8-8-1 ReLU, Adam 0.1):
        >>> import backprop as bp
        >>> from backprop import nn, optim
        >>> _ = bp.manual_seed(0)
        >>> x = 5 * bp.randn(100, 1)
        >>> y = x**2 + bp.randn(100, 1)
        >>> model = nn.MLP([1, 8, 8, 1])
        >>> adam = optim.Adam(model.parameters(), lr=0.1)
        >>> history = fit(model, (x, y), nn.MSELoss(), adam, epochs=300, validation=0.2)
        >>> len(history), history.engine, history["val_loss"][-1] < history["val_loss"][0]
        (300, 'delta', True)
    """
    callbacks = check_model_and_callbacks(model, callbacks)
    loss_fn, loss_name = _loss(loss)
    _check_args(epochs, batch_size, seed, engine, guard, shuffle)
    params = list(model.parameters())
    if not params:
        raise ConfigError("fit: the model has no parameters, so there is nothing to train.")
    _check_optimizer(optimizer, params, scheduler)
    net = mlp_layers(model)
    n_in = None if net is None else net[0].n_in
    n_out = (lambda x: probe(model, x)) if net is None else net[-1].n_out
    prep = prepare(
        data,
        validation,
        kind=loss_kind(loss_name),
        n_in=n_in,
        n_out=n_out,
        dtype=params[0]._data.dtype,
        seed=seed,
        ignore=getattr(loss_fn, "ignore_index", None),
    )
    x, y = prep.x, prep.y
    callbacks = list(callbacks)
    engine = resume_engine(callbacks, engine)  # a resumed run keeps its recorded engine
    plan = choose_plan(model, loss_fn, engine, net, x, y)
    if plan is not None and flat_base([p._data for p in params]) is None:
        flatten(model)
    history = History("delta" if plan is not None else "autograd")
    n = x.shape[0]
    size = n if batch_size is None else min(batch_size, n)
    state = TrainState(
        model=model,
        optimizer=optimizer,
        history=history,
        epochs=epochs,
        batches=math.ceil(n / size),
        parameters=params,
        loss_fn=loss_fn,
        loss_name=loss_name,
        engine=history.engine,
        task=prep.task,
        x=x,
        y=y,
        has_validation=prep.x_val is not None,
        scheduler=scheduler,
    )
    guard_cb = next((cb for cb in callbacks if isinstance(cb, NaNGuard)), None)
    extra = [] if guard_cb is not None or not guard else [NaNGuard()]
    guard_cb = guard_cb or (extra[0] if extra else None)
    state.callbacks = [*extra, *callbacks]
    hooks = _hooks(state.callbacks)
    use_fused = choose_fused(
        model, loss_fn, optimizer, engine, plan, callbacks, y, epochs, state.batches, size
    )
    if use_fused:
        history.engine = state.engine = "fused"
    run = _Run(
        fused=use_fused,
        guard=guard_cb,
        step=plan.step if plan is not None else autograd_step(model, loss_fn),
        evaluate=evaluator(
            model, loss_fn, loss_name, prep.task, plan, net is None, eval_rows(net, size)
        ),
        x_val=prep.x_val,
        y_val=prep.y_val,
        size=size,
        shuffle=shuffle,
        seed=seed,
    )
    # the guard reports overflow in words, so numpy need not warn about it as well
    quiet = np.errstate(all="ignore") if guard_cb is not None else contextlib.nullcontext()
    was_training = model.training
    try:
        with quiet:
            model.train()
            _train(state, hooks, run)
    finally:
        model.train(was_training)
        for cb in callbacks:  # after an exception no on_train_end ran: free backup folders
            if isinstance(cb, BackupAndRestore):
                cb.release_lock()
    history.stop_reason = state.stop_reason
    history.diverged = guard_cb is not None and state.stopped_by is guard_cb
    if guard == "raise" and guard_cb is not None and state.stopped_by is guard_cb:
        raise TrainingStopped(state.stop_reason, history)
    return history


@dataclass
class _Run:
    """What the loop needs besides the state: the step, the evaluation, validation, batching."""

    fused: bool
    guard: object
    step: Callable
    evaluate: Callable
    x_val: np.ndarray | None
    y_val: np.ndarray | None
    size: int
    shuffle: bool
    seed: int


def _train(state: TrainState, hooks: dict, run: _Run) -> None:
    """The epochs: hooks, batches, end-of-epoch metrics, history, scheduler."""
    history, optimizer = state.history, state.optimizer
    n = state.x.shape[0]
    state.rng = np.random.default_rng(run.seed)
    start = time.perf_counter()
    _call(hooks, "on_train_begin", state)  # BackupAndRestore may resume: epoch, history, rng
    start -= history.last("time") or 0.0
    for epoch in range(state.epoch + 1, state.epochs + 1):
        if state.stop:
            break
        state.epoch, lr = epoch, optimizer.param_groups[0].get("lr")
        _call(hooks, "on_epoch_begin", state)
        if state.stop:
            history.stopped_epoch = epoch - 1 or None
            break
        order = state.rng.permutation(n) if run.shuffle and run.size < n else None
        run_epoch = _fused_epoch if run.fused else _run_epoch
        if not run_epoch(state, hooks, run, order):
            history.stopped_epoch, history.stopped_batch = epoch, state.batch
            break
        logs = run.evaluate(state.x, state.y, "")
        if run.x_val is not None:
            logs.update(run.evaluate(run.x_val, run.y_val, "val_"))
        if lr is not None:
            logs["lr"] = float(lr)
        logs["time"] = time.perf_counter() - start
        state.logs = logs
        history.append(epoch, logs)
        _step_scheduler(state.scheduler, logs, run.x_val is not None)
        _call(hooks, "on_epoch_end", state)
        if state.stop:
            history.stopped_epoch = epoch
    _call(hooks, "on_train_end", state)


def _run_epoch(state: TrainState, hooks: dict, run: _Run, order) -> bool:
    """One pass over the data; False if a callback stopped it before its end."""
    x, y, size, step, optimizer = state.x, state.y, run.size, run.step, state.optimizer
    n = x.shape[0]
    after_backward, batch_end = hooks["on_after_backward"], hooks["on_batch_end"]
    for b, lo in enumerate(range(0, n, size)):
        if order is not None:
            rows = order[lo : lo + size]
            xb, yb = x[rows], y[rows]
        elif size < n:
            xb, yb = x[lo : lo + size], y[lo : lo + size]
        else:
            xb, yb = x, y
        optimizer.zero_grad()
        state.batch, state.batch_loss = b + 1, step(xb, yb)
        for cb in after_backward:
            cb.on_after_backward(state)
        if state.stop:
            return False
        optimizer.step()
        state.step += 1
        for cb in batch_end:
            cb.on_batch_end(state)
        if state.stop and lo + size < n:
            return False
    return True


def _fused_epoch(state: TrainState, hooks: dict, run: _Run, order) -> bool:
    """One epoch in the compiled loop (same batches, same numbers as ``_run_epoch``).

    The loop stops by itself before the update of a batch whose loss or gradient is not
    finite, with the weights of before that batch and that batch's gradients in ``.grad``;
    the NaN guard then looks at exactly what it would have seen on the NumPy path.
    """
    from ..delta import fused

    result = fused.train(
        state.model, state.loss_fn, state.optimizer, state.x, state.y, 1, run.size,
        permutations=None if order is None else order[None, :], guard=run.guard is not None,
    )  # fmt: skip
    losses = result.batch_losses[0]
    if result.stopped is None:
        state.step += len(losses)
        state.batch, state.batch_loss = len(losses), float(losses[-1])
        return True
    bad = result.stopped[1]
    state.step += bad - 1
    state.batch, state.batch_loss = bad, float(losses[bad - 1])
    run.guard.seen_losses([float(v) for v in losses[: bad - 1]])
    run.guard.on_after_backward(state)
    return False


def _loss(loss):
    """(callable loss, registry name or None)."""
    from ..nn import loss_modules
    from ..nn.losses import get_loss

    if isinstance(loss, str):
        name = get_loss(loss).name
        for cls_name in loss_modules.__all__:
            cls = getattr(loss_modules, cls_name)
            if cls.loss == name:
                return cls(), name
    name = getattr(type(loss), "loss", None)
    if isinstance(name, str) and name:
        if getattr(loss, "reduction", "mean") == "none":
            raise ConfigError(
                "fit: the loss has reduction='none', which gives one value per sample; "
                "training needs one number: use reduction='mean' (or 'sum')."
            )
        return loss, name
    if not callable(loss):
        raise ConfigError(
            f"fit: loss must be a loss module (nn.MSELoss()), a loss name ('mse') or a "
            f"callable(prediction, target), got {loss!r}."
        )
    return loss, None


def _check_args(epochs, batch_size, seed, engine, guard, shuffle) -> None:
    def whole(value, name, low, fix):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
            raise ConfigError(f"fit: {name} must be a whole number >= {low}, got {value!r}; {fix}")

    whole(epochs, "epochs", 0, "e.g. epochs=100.")
    if batch_size is not None:
        whole(batch_size, "batch_size", 1, "e.g. batch_size=32, or None for the full batch.")
    whole(seed, "seed", 0, "e.g. seed=0.")
    if engine not in ("auto", "delta", "fused", "autograd"):
        raise ConfigError(
            f"fit: engine must be 'auto', 'delta', 'fused' or 'autograd', got {engine!r}."
        )
    if guard not in (True, False, "raise"):
        raise ConfigError(f"fit: guard must be True, False or 'raise', got {guard!r}.")
    if not isinstance(shuffle, bool):
        raise ConfigError(f"fit: shuffle must be True or False, got {shuffle!r}.")


def _check_optimizer(optimizer, params, scheduler) -> None:
    from ..optim import Optimizer

    if not isinstance(optimizer, Optimizer):
        raise ConfigError(
            f"fit: optimizer must be a backprop.optim optimizer, got {type(optimizer).__name__}; "
            "e.g. optim.Adam(model.parameters(), lr=1e-3)."
        )
    held = {id(p) for group in optimizer.param_groups for p in group["params"]}
    if not any(id(p) in held for p in params if p.requires_grad):
        raise ConfigError(
            "fit: the optimizer holds none of this model's parameters, so training would not "
            "change the model; build it from model.parameters() of this very model."
        )
    if scheduler is not None and getattr(scheduler, "optimizer", None) is not optimizer:
        raise ConfigError(
            "fit: scheduler must be an optim.lr_scheduler scheduler built on this optimizer, "
            f"got {scheduler!r}."
        )


def _step_scheduler(scheduler, logs, has_validation) -> None:
    if scheduler is None:
        return
    from ..optim.lr_scheduler import ReduceLROnPlateau

    if isinstance(scheduler, ReduceLROnPlateau):
        scheduler.step(logs["val_loss" if has_validation else "loss"])
    else:
        scheduler.step()


def _hooks(callbacks) -> dict[str, list]:
    """For each hook, the callbacks that override it (the others are never called);
    ``runs_last`` ones (BackupAndRestore) after the rest, so they see their work done."""
    for cb in callbacks:
        if not isinstance(cb, Callback):
            raise ConfigError(f"fit: callbacks must be Callback objects, got {cb!r}.")
    callbacks = sorted(callbacks, key=lambda cb: bool(getattr(cb, "runs_last", False)))
    return {
        name: [cb for cb in callbacks if getattr(type(cb), name) is not getattr(Callback, name)]
        for name in _HOOKS
    }


def _call(hooks, name, state) -> None:
    for cb in hooks[name]:
        getattr(cb, name)(state)
