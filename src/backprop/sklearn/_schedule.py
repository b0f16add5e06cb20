"""scikit-learn's MLP training rules around ``backprop.train.fit`` (``SklearnRules`` and helpers).

scikit-learn's ``_fit_stochastic`` does, after each epoch: loss_ = the epoch's mean batch
loss plus its L2 term, ``t_ += n_samples``, the stopping count (training loss not below
``best_loss_ - tol``, or with ``early_stopping`` the validation score — accuracy or r² —
not above ``best_validation_score_ + tol``), the learning-rate schedule of ``solver="sgd"``
(``invscaling``: lr = learning_rate_init / (t_ + 1)^power_t; ``adaptive``: lr / 5 instead
of stopping, until lr <= 1e-6) and, at the end with ``early_stopping``, the best epoch's
weights. ``SklearnRules`` is that, as a ``fit`` callback; the epochs themselves run on
backprop's engines, which compute the L2 term in each batch's loss and judge the stopping
count themselves, so a run needs control at epoch ends only for validation scores, sgd's
rate schedules and verbose prints (``SklearnRules.loss_rule``). ``glorot`` draws
scikit-learn's initial weights from its random stream, in its order, so a seeded estimator
starts where scikit-learn's does; ``hold_out`` is its validation split (the same rows),
``batch_rows`` its batch size and ``validation_score`` its score on the held-out rows.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from sklearn.base import is_classifier

from ..errors import ConfigError
from ..train import Callback

__all__ = ["SklearnRules", "batch_rows", "glorot", "hold_out", "validation_score"]


def glorot(model, random_state, activation) -> None:
    """Set the Linear layers of ``model`` as scikit-learn's ``_init_coef``: per layer W then
    b uniform in ±sqrt(f / (fan_in + fan_out)), f = 2 for logistic units, else 6."""
    from ..nn import Linear

    factor = 2.0 if activation == "logistic" else 6.0
    for layer in (m for m in model.modules() if isinstance(m, Linear)):
        bound = np.sqrt(factor / (layer.in_features + layer.out_features))
        w = random_state.uniform(-bound, bound, (layer.in_features, layer.out_features))
        b = random_state.uniform(-bound, bound, layer.out_features)
        layer.weight._data[...] = w.T
        layer.bias._data[...] = b


class SklearnRules(Callback):
    """scikit-learn's per-epoch bookkeeping on estimator ``est`` (see the module docstring).

    Args:
        est: the estimator; its ``loss_curve_``, ``t_``, ``n_iter_``, ``best_loss_``,
            ``validation_scores_`` … are updated in place.
        n: training rows; batches: batches per epoch.
        validation: None, or ``(X_val, y_val, sample_weight_val)`` scored by
            ``est._validation_score``.
        incremental: True for ``partial_fit`` (no stopping, as scikit-learn's).

    The L2 term is in the loss the engine computes (``fit(penalty=("alpha", α))``, or the
    weighted loss), so the history's epoch losses are ``loss_curve_``'s, exactly.
    """

    wants_metrics = False  # the engine's epoch loss is all it reads

    def __init__(self, est, n, batches, validation, incremental) -> None:
        self.est, self.n, self.batches = est, n, batches
        self.validation, self.incremental = validation, incremental
        self.best = None

    def on_train_begin(self, state) -> None:
        self.seen = len(state.history.history.get("loss", ()))  # epochs in loss_curve_

    def loss_rule(self):
        """scikit-learn's stopping rule on the training loss for the engine to judge at each
        epoch's end (``train.best_epoch``; as (patience, tol, best, count, best epoch,
        scikit-learn's form)), so the run needs no control between epochs: the engine's
        epoch loss is ``loss_curve_``'s (L2 term included). None when an epoch's end needs
        Python: validation scores, sgd's invscaling or adaptive rate, verbose prints,
        partial_fit."""
        est = self.est
        if self.validation is not None or self.incremental or est.verbose:
            return None
        if est._solver_name() == "sgd" and est.learning_rate != "constant":
            return None
        best = np.inf if est.best_loss_ is None else est.best_loss_
        count = est._no_improvement_count
        return est.n_iter_no_change + 1, float(est.tol), float(best), count, None, True

    def take_rule(self, state, rule_state, fired: bool) -> None:
        """The engine's epochs so far into ``loss_curve_`` …, its counters, and its stop."""
        self._catch_up(state)
        est = self.est
        est.best_loss_, est._no_improvement_count = float(rule_state[0]), int(rule_state[1])
        if fired:
            self._stop(state, est._solver_name() == "sgd")

    def _catch_up(self, state) -> None:
        """``loss_curve_``, ``loss_``, ``n_iter_`` and ``t_`` for the epochs the history
        holds beyond those already counted (the engine's epoch losses, L2 term included)."""
        est, losses = self.est, state.history.history.get("loss", [])
        new = [float(v) for v in losses[self.seen :]]
        if new:
            est.loss_curve_.extend(new)
            est.loss_ = new[-1]
            est.n_iter_ += len(new)
            est.t_ += self.n * len(new)
        self.seen = len(losses)

    def on_epoch_end(self, state) -> None:
        est = self.est
        loss = float(state.logs["loss"])  # the L2 term included (see the class docstring)
        self.seen = len(state.history.history["loss"])
        est.n_iter_ += 1
        est.t_ += self.n
        est.loss_ = loss
        est.loss_curve_.append(loss)
        if est.verbose:
            print(f"Iteration {est.n_iter_}, loss = {loss:.8f}")  # noqa: T201 (scikit-learn's)
        self._count(state)
        sgd = est._solver_name() == "sgd"
        if sgd and est.learning_rate == "invscaling":
            self._set_lr(state, float(est.learning_rate_init) / (est.t_ + 1) ** est.power_t)
        if self.incremental or est._no_improvement_count <= est.n_iter_no_change:
            return
        self._stop(state, sgd)

    def _stop(self, state, sgd: bool) -> None:
        """The count passed n_iter_no_change: adaptive sgd divides the rate by 5, others stop."""
        est = self.est
        what = "Validation score" if self.validation is not None else "Training loss"
        msg = (
            f"{what} did not improve more than tol={est.tol:f} for "
            f"{est.n_iter_no_change} consecutive epochs."
        )
        lr = state.optimizer.param_groups[0]["lr"]
        if sgd and est.learning_rate == "adaptive" and lr > 1e-6:
            self._set_lr(state, lr / 5.0)
            est._no_improvement_count = 0
            if est.verbose:
                print(f"{msg} Setting learning rate to {lr / 5.0:f}")  # noqa: T201
            return
        if est.verbose:
            print(msg + " Stopping.")  # noqa: T201
        state.request_stop(f"early stopping: {msg}", self)

    def _count(self, state) -> None:
        est = self.est
        if self.validation is not None:
            score = validation_score(est, *self.validation)
            est.validation_scores_.append(score)
            if est.verbose:
                print(f"Validation score: {score:f}")  # noqa: T201
            better = score >= est.best_validation_score_ + est.tol
            est._no_improvement_count = 0 if better else est._no_improvement_count + 1
            if score > est.best_validation_score_:
                est.best_validation_score_ = score
                self.best = [p._data.copy() for p in state.model.parameters()]
            return
        loss = est.loss_curve_[-1]
        best = np.inf if est.best_loss_ is None else est.best_loss_  # partial_fit after
        # an early-stopping fit (scikit-learn refuses it); scikit-learn's comparisons, as
        # the engines judge them (loss_rule)
        worse = loss > best - est.tol
        est._no_improvement_count = est._no_improvement_count + 1 if worse else 0
        est.best_loss_ = loss if loss < best else best

    @staticmethod
    def _set_lr(state, lr: float) -> None:
        """Set the optimizer's lr. scikit-learn's momentum is a velocity v = μv − lr·g (lr
        inside), PyTorch's a buffer b = μb + g (lr outside), so v = −lr·b holds across a
        change of lr only if b is scaled by old/new: then both take the same steps."""
        for group in state.optimizer.param_groups:
            old = float(group["lr"])
            group["lr"] = lr
            if old != lr and group.get("momentum", 0.0):
                for p in group["params"]:
                    buf = state.optimizer.state.get(p, {}).get("momentum_buffer")
                    if buf is not None:
                        buf._data *= old / lr

    def on_train_end(self, state) -> None:
        self._catch_up(state)  # epochs the engine ran after the last take_rule (none here)
        if self.best is not None:  # scikit-learn keeps the best validation epoch's weights
            for p, best in zip(state.model.parameters(), self.best):
                p._data[...] = best


def hold_out(est, arrays, labels):
    """(x, x_val, y, y_val, labels_val, weights, w_val): scikit-learn's split, the same
    rows for the same ``random_state`` (stratified for two classes, by its bool label
    column). Where scikit-learn refuses (fewer than 2 rows held out, or too few for
    stratifying) 2 rows are held out, unstratified if need be; under 4 rows, an error."""
    from sklearn.model_selection import train_test_split

    n = len(arrays[0])
    size = est.validation_fraction
    if math.ceil(size * n) < 2:
        if n < 4:
            raise ConfigError(
                f"{type(est).__name__}: early_stopping=True holds out a validation part, "
                f"which needs at least 4 rows; got n_samples = {n}. Pass more rows or set "
                "early_stopping=False."
            )
        size = 2
    strata = (
        labels.reshape(-1, 1).astype(bool) if is_classifier(est) and est.n_outputs_ == 1 else None
    )
    try:
        parts = train_test_split(*arrays, random_state=est._random, test_size=size, stratify=strata)
    except ValueError:  # a class too small to stratify (scikit-learn would refuse)
        parts = train_test_split(*arrays, random_state=est._random, test_size=size)
    x, x_val, y, y_val = parts[:4]
    rest = parts[4:]
    labels_val = None
    if labels is not None:
        labels_val, rest = rest[1], rest[2:]
    weights, w_val = (rest[0], rest[1]) if rest else (None, None)
    return x, x_val, y, y_val, labels_val, weights, w_val


def batch_rows(est, n: int) -> int:
    """Rows per batch: "auto" is min(200, n), None all; larger than n is clipped (warned)."""
    if est.batch_size is None:
        return n
    if est.batch_size == "auto":
        return min(200, n)
    if est.batch_size > n:
        warnings.warn(
            f"{type(est).__name__}: batch_size={est.batch_size} is larger than the "
            f"{n} training rows; it is clipped to {n} (as scikit-learn's: 'Got "
            "`batch_size` less than 1 or larger than sample size. It is going to be "
            "clipped').",
            UserWarning,
            stacklevel=4,
        )
    return min(int(est.batch_size), n)


def validation_score(est, x_val, y_val, w_val) -> float:
    """``score`` on the held-out rows (accuracy, or r²), from the model as it is now."""
    out = est._forward(x_val)
    if is_classifier(est):
        from sklearn.metrics import accuracy_score

        return float(accuracy_score(y_val, est._indices(out), sample_weight=w_val))
    from sklearn.metrics import r2_score

    return float(r2_score(y_val, out.reshape(y_val.shape), sample_weight=w_val))
