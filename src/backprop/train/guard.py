"""The NaN guard: stop at the first non-finite loss or gradient, keep good weights, say why.

``NaNGuard`` (on by default in ``fit``) looks at every batch between backward and the
optimizer step. On the first NaN or infinity — in the loss, or in any gradient while the
loss is finite — it asks ``fit`` to stop before that step, makes sure the model holds the
last finite weights (it keeps a copy of the weights before every step: one array copy when
the parameters are flat), and writes a plain-words reason: which number broke, where, and
the likely causes (a learning rate too high, unscaled inputs or targets, an unbounded
output under a loss that needs probabilities, a backward rule that produced NaN). It
diagnoses one run; it does not retry or change hyper-parameters.
"""

from __future__ import annotations

import math

import numpy as np

from .callbacks import Callback, TrainState
from .weights import WeightCopy, flat_base

__all__ = ["NaNGuard"]

LARGE_X = 10.0  # standardised features rarely exceed this in absolute value
LARGE_Y = 1e3
LR_TOO_HIGH = "is probably too high"  # words the CLI's exit line looks for (cli.common)
LR_SCHEDULE = "the learning-rate schedule"
RISE = 10.0  # an epoch's mean loss this many times the first batch's: the rise began there
KEEP_LR = "give it settings that keep the lr at or below its start (gamma ≤ 1, eta_min ≤ lr)"


def _word(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return "+inf" if value > 0 else "-inf"


def _first_bad(arrays: list) -> int | None:
    """Index of the first array holding a NaN or infinity, or None."""
    for i, a in enumerate(arrays):
        if a is not None and not np.isfinite(a).all():
            return i
    return None


# which weights fit leaves in the model, said in the stop reason; ``backprop.run`` replaces
# the clause when it puts back better ones (one statement of what the file holds)
KEPT_BEFORE_UPDATE = (
    "the weights were non-finite after the previous update, so the model now holds the "
    "weights from before that update"
)
KEPT_BEFORE_BATCH = "the model keeps the weights from before this batch (all finite)"


class NaNGuard(Callback):
    """Stop training at the exact batch where the loss or a gradient stops being finite.

    ``fit(guard=True)`` adds one; ``fit(guard="raise")`` also raises ``TrainingStopped``
    afterwards. After a stop, ``bad`` is ``"loss"`` or the name of the first non-finite
    gradient, ``restored`` tells whether the current weights had to be replaced by the
    copy from before the previous step (they were non-finite).

    Examples:
        >>> import backprop as bp
        >>> from backprop import fit, nn, optim, train
        >>> _ = bp.manual_seed(0)
        >>> x = bp.linspace(-1, 1, 20).reshape(20, 1)
        >>> y = x**2
        >>> model = nn.MLP([1, 8, 1], activation='tanh')
        >>> sgd = optim.SGD(model.parameters(), lr=1e6)  # diverges
        >>> history = fit(model, (x, y), nn.MSELoss(), sgd, epochs=50)  # fit adds a NaNGuard
        >>> len(history) < 50
        True
        >>> all(bp.isfinite(p).all() for p in model.parameters())
        True
    """

    def on_train_begin(self, state: TrainState) -> None:
        self._weights = WeightCopy(state.parameters)
        self._names = {id(p): name for name, p in state.model.named_parameters()}
        self._grad_key = None
        self._grad_arrays: list = []
        self.first_loss: float | None = None
        self.last_loss: float | None = None
        self.bad: str | None = None
        self.kind: str | None = None
        self.restored = False
        # the best epoch so far by training loss, for restore_best() after a divergence:
        # the last finite weights can be finite and still useless (predicting 1e18)
        self._state = state
        self._start = WeightCopy(state.parameters)
        self._best = WeightCopy(state.parameters)
        self.start_epoch = self.best_epoch = state.epoch
        self.best_loss = math.inf

    def next_epoch(self, state: TrainState) -> int | None:
        return None  # the engines guard every batch themselves; no epoch end needed

    def note_best(self, epoch: int, loss: float, weights) -> None:
        """The engine's best epoch so far: ``weights`` (one flat array, or one array per
        parameter) are those after ``epoch``, whose training loss was ``loss``."""
        if math.isfinite(loss) and loss < self.best_loss:
            if isinstance(weights, np.ndarray):
                weights = _split(weights, self._state.parameters)
            self._best.load(weights)
            self.best_epoch, self.best_loss = epoch, float(loss)

    def restore_best(self) -> tuple[int, float]:
        """Put back the best weights the run had: those of the epoch with the lowest training
        loss, or the weights it started from when their loss is lower (a first step can
        already overflow). Returns (epoch, loss), the loss measured again on the whole
        training set; epoch is ``start_epoch`` (0 unless resumed) for the starting weights.
        Costs two forward passes over the training set."""
        self._start.restore()
        start = self._training_loss()
        best = math.inf
        if self.best_epoch != self.start_epoch and math.isfinite(self.best_loss):
            self._best.restore()
            best = self._training_loss()
        if math.isfinite(start) and not start >= best:
            self._start.restore()
            self.best_epoch, self.best_loss = self.start_epoch, start
        else:
            self.best_loss = best
        return self.best_epoch, self.best_loss

    def _training_loss(self) -> float:
        """The loss of the model's current weights on the whole training set."""
        from .engines import eval_rows, evaluator, mlp_layers

        state, model = self._state, self._state.model
        was_training = getattr(model, "training", False)
        rows = eval_rows(mlp_layers(model), state.x.shape[0])  # in chunks, as fit evaluates
        evaluate = evaluator(model, state.loss_fn, state.loss_name, None, None, True, rows)
        try:
            with np.errstate(all="ignore"):
                return float(evaluate(state.x, state.y, "")["loss"])
        finally:
            model.train(was_training)

    def state_dict(self) -> dict:
        """The batch losses its advice quotes (the first of the run, the latest)."""
        return {"first_loss": self.first_loss, "last_loss": self.last_loss}

    def load_state_dict(self, state: dict) -> None:
        self.first_loss, self.last_loss = state["first_loss"], state["last_loss"]

    def seen_losses(self, losses: list[float]) -> None:
        """Batch losses that went by without this guard (the compiled loop's): all finite."""
        if losses:
            if self.first_loss is None:
                self.first_loss = losses[0]
            self.last_loss = losses[-1]
        self._weights.save()  # the compiled loop stopped before the bad update

    def _grads(self, params: list) -> list:
        """The gradient arrays to check: one flat buffer when they share one."""
        first = params[0]._grad
        if first is not None and first is self._grad_key:
            return self._grad_arrays
        arrays = [None if p._grad is None else p._grad._data for p in params]
        base = None if any(a is None for a in arrays) else flat_base(arrays)
        self._grad_key, self._grad_arrays = first, [base] if base is not None else arrays
        return self._grad_arrays

    def on_after_backward(self, state: TrainState) -> None:
        loss = float(state.batch_loss)
        params = state.parameters
        if math.isfinite(loss):
            arrays = self._grads(params)
            if _first_bad(arrays) is None:
                self._weights.save()  # the last good weights: those this step starts from
                if self.first_loss is None:
                    self.first_loss = loss
                self.last_loss = loss
                return
            index = _first_bad([None if p._grad is None else p._grad._data for p in params])
            self.bad = self._names.get(id(params[index]), f"parameter {index}")
            grad = params[index]._grad._data
            kind = "NaN" if np.isnan(grad).any() else "infinite"
        else:
            self.bad, kind = "loss", _word(loss)
        self.kind = kind
        self.restored = self.restored or _first_bad([p._data for p in params]) is not None
        if self.restored and _first_bad([p._data for p in params]) is not None:
            self._weights.restore()
        state.request_stop(self._explain(state, loss, kind), self)

    # ------------------------------------------------------------------ explanation

    def _explain(self, state: TrainState, loss: float, kind: str) -> str:
        where = f"in epoch {state.epoch}, batch {state.batch} of {state.batches}"
        if self.bad == "loss":
            what = f"the training loss became {kind} {where}"
        else:
            what = (
                f"the gradient of {self.bad} became {kind} {where} while the loss was "
                f"finite ({loss:.6g})"
            )
        causes = self._causes(state, loss)
        kept = KEPT_BEFORE_UPDATE if self.restored else KEPT_BEFORE_BATCH
        text = f"{what[0].upper()}{what[1:]}; {kept}."
        if causes:
            text += " Likely cause" + ("s: " if len(causes) > 1 else ": ") + "; ".join(causes) + "."
        return text

    def _causes(self, state: TrainState, loss: float) -> list[str]:
        causes = []
        lr = state.optimizer.param_groups[0].get("lr")
        needs = _needs_probabilities(state)
        if needs:
            causes.append(needs)
        broken_rule = self.bad != "loss" and self.kind == "NaN"
        if broken_rule:
            causes.append(
                "a backward rule produced a non-finite gradient from finite values (a custom "
                "Function's backward, or sqrt/log/division at 0 in a custom module); check "
                "it with backprop.gradcheck"
            )
        if broken_rule:
            pass
        elif state.step == 0:
            causes.append(
                "it happened before any update, so the learning rate is not the cause: the "
                "model's first forward pass on this data already overflows"
            )
        elif lr is not None and not needs:
            causes.append(self._lr_cause(state, float(lr)))
        big_x = float(np.max(np.abs(state.x))) if state.x.size else 0.0
        if big_x > LARGE_X:
            causes.append(
                f"the inputs are not scaled (max |x| = {big_x:.4g}); standardise each feature "
                "(subtract its mean, divide by its standard deviation: backprop.data."
                'Standardizer, or "standardize": true in a spec\'s data)'
            )
        if state.task == "regression" and state.y.dtype.kind == "f" and state.y.size:
            big_y = float(np.max(np.abs(state.y)))
            if big_y > LARGE_Y:
                causes.append(
                    f"the targets are large (max |y| = {big_y:.4g}); scale them, e.g. "
                    "standardise y and undo it on the predictions"
                )
        return causes

    def _lr_cause(self, state: TrainState, lr: float) -> str:
        """The learning rate as a cause, in words that fit its value: a schedule that raised it
        (up to infinity: then "10× smaller" means nothing) is named, not the lr itself."""
        if self.last_loss is None or self.last_loss == self.first_loss:
            before = "" if self.last_loss is None else f" (the loss was {self.last_loss:.4g})"
        else:
            before = self._rise(state)
        start = state.optimizer.param_groups[0].get("initial_lr")
        if state.scheduler is not None and start is not None and not lr <= start:
            where = f" from {start:.3g}"
            if not math.isfinite(lr):
                return (
                    f"{LR_SCHEDULE} made the learning rate overflow to infinity{where}; {KEEP_LR}"
                )
            return (
                f"{LR_SCHEDULE} raised the learning rate{where} to {lr:.3g} and the updates "
                f"grew until the numbers overflowed{before}; {KEEP_LR}"
            )
        if not math.isfinite(lr):
            return f"the learning rate is {lr} (not a finite number); give a finite one"
        return (
            f"the learning rate lr={lr:.3g} {LR_TOO_HIGH}: the updates grew until "
            f"the numbers overflowed{before}; lower it step by step, 10× at a time (lr="
            f"{lr / 10:.3g}, then {lr / 100:.3g}, …) until a run does not diverge"
        )

    def _rise(self, state: TrainState) -> str:
        """The batch losses quoted beside the epochs' means the history holds, and the epoch
        the loss rose from: 'went from 0.7188 to 7.5e+36 in epoch 3' read as a rise in epoch
        3 while the history's epochs 1 and 2 (means) were already 3.96e+12 and 9.06e+25."""
        first, last = self.first_loss, self.last_loss
        text = (
            f" (one batch's loss, before its update, went from {first:.4g} at the run's first "
            f"batch to {last:.4g} at the batch before this one"
        )
        h = getattr(state, "history", None)
        series = None if h is None else h.history.get("loss")
        losses = [] if series is None else list(series)  # a list, or a NumPy array
        at = h.epochs_of("loss") if losses and hasattr(h, "epochs_of") else getattr(h, "epochs", [])
        means = list(zip(at, losses))  # none yet when the run diverged in its first epoch
        means = [(e, float(m)) for e, m in means if m is not None and math.isfinite(m)]
        rose = next(((e, m) for e, m in means if first > 0 and m > RISE * first), None)
        what = "the history's loss, each epoch's mean of its batch losses,"
        if rose is None:
            text += f"; it rose within epoch {state.epoch}"
            if means:
                text += f" ({what} was {means[-1][1]:.4g} in epoch {means[-1][0]})"
        else:
            e, m = rose
            text += f"; it rose from epoch {e} on: {what} was {m:.4g} in epoch {e}"
            if means[-1][0] != rose[0]:
                text += f" and {means[-1][1]:.4g} in epoch {means[-1][0]}"
        return text + ")"


def _split(flat: np.ndarray, parameters: list) -> list[np.ndarray]:
    pieces, offset = [], 0
    for p in parameters:
        pieces.append(flat[offset : offset + p._data.size].reshape(p._data.shape))
        offset += p._data.size
    return pieces


def _needs_probabilities(state: TrainState) -> str | None:
    """A sentence when the loss needs (log-)probabilities the model's output cannot be."""
    name = state.loss_name
    if name not in ("nll", "bce"):
        return None
    last = None
    for module in state.model.modules():
        last = module
    wanted = "LogSoftmax" if name == "nll" else "Sigmoid"
    if type(last).__name__ == wanted:
        return None
    if name == "nll":
        return (
            "NLLLoss needs log-probabilities, but the model's output is unbounded, so the "
            "loss can fall without limit; end the model with nn.LogSoftmax(dim=1), or use "
            "CrossEntropyLoss on the raw outputs"
        )
    return (
        "BCELoss needs probabilities in [0, 1], but the model's output is unbounded; end the "
        "model with nn.Sigmoid(), or use BCEWithLogitsLoss on the raw outputs"
    )
