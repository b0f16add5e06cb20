"""The fit loop: epochs of seeded minibatches, one engine for the gradients, a History back.

``fit`` checks the data before any step, chooses the engine once and says why
(``choice``: the compiled kernel, the NumPy δ engine, or autograd — the numbers agree to
rounding), and hands the run to the span runner (``spans``), which gives the engine every
step up to the next epoch a callback needs. The history's loss is the engine's; full-set
metrics are measured where asked (in chunks of bounded size: ``engines.eval_rows``). It
never prints: progress leaves through callbacks (``ProgressEvents``). It is not a data
loader or a model builder.
"""

from __future__ import annotations

import contextlib
import math
import numbers
import sys

import numpy as np

from ..apinames import python_api
from ..errors import ConfigError
from .callbacks import Callback, TrainingStopped, TrainState
from .cautions import caution_step_units, caution_still_falling, has_step_units
from .choice import choose_engine, make_loop
from .control import hooks_for
from .engines import (
    autograd_step,
    choose_plan,
    eval_rows,
    evaluator,
    flatten,
    measure_later,
    mlp_layers,
    probe,
)
from .guard import NaNGuard
from .history import History
from .inputs import check_model_and_callbacks, loss_kind, prepare
from .poorfit import beats_chance, caution_poor_fit
from .spans import Plan, SpanRunner
from .weights import flat_base

__all__ = ["fit"]


@python_api("fit")
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
    validation_freq=1,
    penalty=None,
    verbose="auto",
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
        callbacks: ``Callback`` objects (``EarlyStopping``, ``BackupAndRestore``, …). Each
            says when it needs control (``Callback.next_epoch``); in between the engine
            runs uninterrupted (see ``train.spans``).
        seed: seeds the per-epoch reshuffle, ``np.random.default_rng(seed).permutation``
            once per epoch, and the validation split (its own stream).
        engine: ``"auto"`` (the compiled loop of ``delta.fused`` when numba is installed and
            the run pays for loading it, else the NumPy δ engine when it reads the model,
            else autograd), ``"delta"``, ``"fused"`` or ``"autograd"``. The choice and its
            reason are in ``history.engine`` and ``history.engine_reason``.
        guard: True adds a ``NaNGuard``; ``"raise"`` also raises ``TrainingStopped`` when
            it stops; False trains without it.
        shuffle: reshuffle the rows every epoch (ignored for the full batch).
        scheduler: an ``optim.lr_scheduler`` scheduler, stepped once per epoch;
            ``ReduceLROnPlateau`` is fed ``val_loss`` (``loss`` without validation).
        validation_freq: measure the validation metrics every this many epochs (and after
            the last), as Keras' argument of that name; 1 measures every epoch.
        penalty: None, or TensorFlow Playground's weight penalty ``("l2", rate)`` /
            ``("l1", rate)``, applied to the weights (not the biases) after each update:
            L2 scales them by 1 − lr·rate, L1 moves them lr·rate towards 0, stopping at 0.
            ``("alpha", α)`` is scikit-learn's L2 term instead: α/2·Σ‖W‖²/m joins each
            batch's loss (m its rows; the history's loss includes it) and α/m·W the
            weights' gradients before the optimizer step.
        verbose: ``"auto"`` shows a progress bar (an HTML line) in a Jupyter notebook and
            nothing elsewhere; True always (rich's bar on stderr outside one); False or 0 never
            (``backprop.display.progress``).

    The history's ``loss`` is computed by the engine on the way, for every epoch: the mean
    of the epoch's batch losses, each taken in the forward pass before that batch's update
    (for one full batch, exactly the loss of the weights the epoch began with), which is
    what a PyTorch loop printing ``loss.item()`` reports. The full-set metrics —
    ``accuracy``, or ``rmse`` and ``r2``, on the whole training set after the epoch's
    updates, and all ``val_`` metrics — are measured only where asked for: at the epochs a
    callback needs, every ``validation_freq``-th epoch with validation data, and after the
    last epoch (``history.epochs_of(name)`` lists them; the last epoch's on first read when
    no callback reads its logs: ``History``). ``lr`` is the rate the epoch
    trained with; ``time`` the wall seconds since training began (within an uninterrupted
    span, spread evenly over its epochs).

    Examples:
        The lecture's y = x², 1-8-8-1 ReLU, Adam 0.1:

        >>> import backprop as bp
        >>> from backprop import fit, nn, optim
        >>> _ = bp.manual_seed(0)
        >>> x = 5 * bp.randn(100, 1)
        >>> y = x**2 + bp.randn(100, 1)
        >>> model = nn.MLP([1, 8, 8, 1])
        >>> adam = optim.Adam(model.parameters(), lr=0.1)
        >>> history = fit(model, (x, y), nn.MSELoss(), adam, epochs=300, validation=0.2)
        >>> len(history), history["val_loss"][-1] < history["val_loss"][0]
        (300, True)
        >>> history.engine in ("fused", "delta")  # compiled if numba is loaded, else NumPy
        True
    """
    callbacks = check_model_and_callbacks(model, callbacks)
    from ..display.progress import progress_callbacks  # the bar is drawn beside the plots

    bars = progress_callbacks(verbose)
    callbacks = [*callbacks, *bars]
    loss_fn, loss_name = _loss(loss)
    _check_args(epochs, batch_size, seed, engine, guard, shuffle)
    validation_freq, penalty = _check_more(validation_freq, penalty)
    params = list(model.parameters())
    if not params:
        raise ConfigError("fit: the model has no parameters, so there is nothing to train.")
    _check_optimizer(optimizer, params, scheduler)
    net = mlp_layers(model)
    caution_step_units(model, net)
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
    asked = engine
    # no BackupAndRestore can exist unless its module was imported: a run without backups
    # does not load the backup machinery (every CLI run pays for what fit imports)
    backup = sys.modules.get(f"{__package__}.backup")
    if backup is not None:
        engine = backup.resume_engine(callbacks, engine)  # a resumed run keeps its engine
    plan, plan_reason = choose_plan(model, loss_fn, engine, net, x, y)
    if plan is not None and flat_base([p._data for p in params]) is None:
        flatten(model)
    n = x.shape[0]
    size = n if batch_size is None else min(batch_size, n)
    batches = math.ceil(n / size)
    guard_cb = next((cb for cb in callbacks if isinstance(cb, NaNGuard)), None)
    extra = [] if guard_cb is not None or not guard else [NaNGuard()]
    guard_cb = guard_cb or (extra[0] if extra else None)
    everyone = [*extra, *callbacks]
    hooks = hooks_for(everyone)
    watcher = _batch_watcher(everyone)
    choice = choose_engine(
        model, loss_fn, optimizer, engine, plan, plan_reason, y, epochs * batches, size,
        stepwise=watcher,
    )  # fmt: skip
    if engine != asked:  # the backup's engine, not the user's choice: say so
        choice.reason = (
            f"{choice.name}: the backup was trained on the {choice.name} engine, and a resumed "
            "run keeps it (so it ends bit for bit as the uninterrupted run would)"
        )
    history = History(choice.name)
    history.engine_reason = choice.reason
    state = TrainState(
        model=model,
        optimizer=optimizer,
        history=history,
        epochs=epochs,
        batches=batches,
        parameters=params,
        loss_fn=loss_fn,
        loss_name=loss_name,
        engine=choice.name,
        task=prep.task,
        x=x,
        y=y,
        has_validation=prep.x_val is not None,
        scheduler=scheduler,
        validation_freq=validation_freq,
        penalty=penalty,
        shuffle=shuffle,
    )
    state.callbacks = everyone
    step = plan.step if plan is not None else autograd_step(model, loss_fn)
    evaluate = evaluator(
        model, loss_fn, loss_name, prep.task, plan, net is None, eval_rows(net, size)
    )
    # nobody reads the last epoch's logs: its full-set metrics wait for the history's reader
    alone = all(cb is guard_cb or cb in bars for cb in everyone)
    late = alone and plan is not None and prep.x_val is None and scheduler is None
    runner = SpanRunner(
        state,
        hooks,
        lambda: _counting(
            make_loop(choice, model, loss_fn, optimizer, plan, step, x, y, size, penalty),
            late and prep.task == "classification",
        ),
        Plan(
            evaluate=evaluate,
            x_val=prep.x_val,
            y_val=prep.y_val,
            size=size,
            shuffle=shuffle,
            seed=seed,
            guard=guard_cb,
            validation_freq=validation_freq,
            reduce_sum=getattr(loss_fn, "reduction", "mean") == "sum",
            stepwise=step if watcher is not None else None,
            penalty=penalty,
            timed=[cb for cb in everyone if type(cb).due is not Callback.due],
            later=measure_later(params, evaluate, x, y) if late else None,
        ),
    )
    # the guard reports overflow in words, so numpy need not warn about it as well
    quiet = np.errstate(all="ignore") if guard_cb is not None else contextlib.nullcontext()
    was_training = model.training
    try:
        with quiet:
            model.train()
            runner.train()
            if choice.kernel_could:  # short NumPy runs add up to the kernel's load
                from ..delta.fused_policy import note_numpy_seconds

                # the cost model's seconds for the epochs run, not the clock's: the same
                # runs in the same order choose the same engines however busy the machine
                done = len(history.epochs) / max(1, epochs)
                note_numpy_seconds(choice.numpy_seconds * min(1.0, done))
    except KeyboardInterrupt as stop:  # Ctrl-C: the epochs finished are kept; one line
        from .interrupt import FitInterrupted, interrupted

        runner.settle(keep_epochs=True)
        for bar in bars:
            bar.stopped(state, "interrupted")
        if isinstance(stop, FitInterrupted):  # an inner fit's (a callback's): as it is
            raise
        raise interrupted(history, epochs) from None
    except BaseException:
        runner.settle()  # weights, gradients and optimizer state agree, as far as it got
        raise
    finally:
        model.train(was_training)
        for cb in callbacks:  # after an exception no on_train_end ran: free backup folders
            if backup is not None and isinstance(cb, backup.BackupAndRestore):
                cb.release_lock()
        for bar in bars:  # an exception skips on_train_end: the bar stops here
            bar.close()
    history.stop_reason = state.stop_reason
    history.diverged = guard_cb is not None and state.stopped_by is guard_cb
    quiet = history.diverged or has_step_units(model, net)  # the Caution said why
    counted = getattr(runner.loop, "right_last_epoch", lambda: None)()
    poor = not quiet and not beats_chance(history, prep.task, evaluate, x, y, counted)
    poor = poor and caution_poor_fit(
        history,
        prep.task,
        y,
        model=model,
        x=x,
        net=net,
        batch_size=size,
        optimizer=optimizer,
        y_scale=_y_scale(data),
    )  # a dead network is named as such; the advice leaves out what the run already did
    if not quiet and not poor:
        caution_still_falling(history)
    if guard == "raise" and guard_cb is not None and state.stopped_by is guard_cb:
        raise TrainingStopped(state.stop_reason, history)
    return history


def _counting(loop, on: bool):
    """``loop``, counting the rows its batches classify right when ``on`` (for the caution
    at chance, ``beats_chance``) and it can."""
    if on and hasattr(loop, "count_right"):
        loop.count_right()
    return loop


def _y_scale(data):
    """(mean, std) of a dataset whose targets a spec's run standardised (``spec.targets``
    marks it while training), for the cautions to speak in the target's units; else None."""
    scaling = getattr(data, "target_scaling", None)
    return None if scaling is None else (scaling.mean, scaling.std)


def _batch_watcher(callbacks) -> str | None:
    """The name of a callback that must see single batches (the NaN guard need not: every
    engine guards its batches itself), or None."""
    for cb in callbacks:
        if isinstance(cb, NaNGuard) or not getattr(cb, "batch_hooks", True):
            continue
        kind = type(cb)
        if (
            kind.on_batch_end is not Callback.on_batch_end
            or kind.on_after_backward is not Callback.on_after_backward
        ):
            return kind.__name__
    return None


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


def _check_more(validation_freq, penalty):
    """(validation_freq, penalty as (kind, rate)), checked."""
    if (
        isinstance(validation_freq, bool)
        or not isinstance(validation_freq, numbers.Integral)
        or validation_freq < 1
    ):
        raise ConfigError(
            f"fit: validation_freq must be a whole number >= 1 (validate every that many "
            f"epochs, and after the last), got {validation_freq!r}; e.g. validation_freq=10."
        )
    if penalty is None:
        return int(validation_freq), ("none", 0.0)
    ok = isinstance(penalty, tuple | list) and len(penalty) == 2
    kind, rate = penalty if ok else (None, None)
    if (
        not ok
        or kind not in ("l1", "l2", "alpha")
        or isinstance(rate, bool)
        or not isinstance(rate, numbers.Real)
        or not math.isfinite(rate)
        or rate < 0
    ):
        raise ConfigError(
            f"fit: penalty must be None or ('l1', 'l2' or 'alpha', rate >= 0), got "
            f"{penalty!r}; e.g. penalty=('l2', 0.001)."
        )
    return int(validation_freq), (kind, float(rate))


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
