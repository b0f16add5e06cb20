"""scikit-learn's MLP training rules around ``backprop.train.fit``: ``SklearnRules``, ``glorot``.

scikit-learn's ``_fit_stochastic`` does, after each epoch: loss_ = the epoch's mean batch
loss plus its L2 term, ``t_ += n_samples``, the stopping count (training loss not below
``best_loss_ - tol``, or with ``early_stopping`` the validation score — accuracy or r² —
not above ``best_validation_score_ + tol``), the learning-rate schedule of ``solver="sgd"``
(``invscaling``: lr = learning_rate_init / (t_ + 1)^power_t; ``adaptive``: lr / 5 instead
of stopping, until lr <= 1e-6) and, at the end with ``early_stopping``, the best epoch's
weights. ``SklearnRules`` is that, as a ``fit`` callback at each epoch's end; the epochs
themselves run on backprop's engines. ``glorot`` draws scikit-learn's initial weights from
its random stream, in its order, so a seeded estimator starts where scikit-learn's does.
"""

from __future__ import annotations

import numpy as np

from ..train import Callback

__all__ = ["SklearnRules", "glorot"]


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
        in_loss: the loss itself holds the L2 term (the weighted loss), so it is not added.
    """

    wants_metrics = False  # the engine's epoch loss is all it reads

    def __init__(self, est, n, batches, validation, incremental, in_loss=False) -> None:
        self.est, self.n, self.batches, self.in_loss = est, n, batches, in_loss
        self.validation, self.incremental = validation, incremental
        self.weights: list = []
        self.best = None

    def _square_norm(self) -> float:
        return float(sum(np.dot(w._data.ravel(), w._data.ravel()) for w in self.weights))

    def on_train_begin(self, state) -> None:
        self.weights = [p for n, p in state.model.named_parameters() if n.endswith("weight")]
        self.alpha = 0.0 if self.in_loss else float(self.est.alpha)
        self.norm = self._square_norm() if self.alpha else 0.0

    def on_epoch_end(self, state) -> None:
        est = self.est
        # the L2 term as scikit-learn adds it to each batch's loss (alpha/2 ‖W_b‖² / rows),
        # weighted by rows: alpha/2 · Σ_b ‖W_b‖² / n over the weights W_b each batch began
        # with. They are not kept, so Σ_b ‖W_b‖² is interpolated between the epoch's first
        # and last: exact for one batch, else off by the curvature of ‖W‖² along the epoch
        end = self._square_norm() if self.alpha else 0.0
        k = self.batches
        squares = k * self.norm + (k - 1) / 2 * (end - self.norm)
        loss = float(state.logs["loss"]) + 0.5 * self.alpha * squares / self.n
        self.norm = end
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
            score = est._validation_score(*self.validation)
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
        better = loss <= best - est.tol  # an early-stopping fit (scikit-learn refuses it)
        est._no_improvement_count = 0 if better else est._no_improvement_count + 1
        est.best_loss_ = min(best, loss)

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
        if self.best is not None:  # scikit-learn keeps the best validation epoch's weights
            for p, best in zip(state.model.parameters(), self.best):
                p._data[...] = best
