"""The part of ``MLPRegressor`` and ``MLPClassifier`` they share: parameters, model, training.

``_BaseMLP.__init__`` only stores its arguments (scikit-learn's rule, so ``get_params``,
``set_params`` and ``clone`` work); they are checked in ``fit``. ``_train`` builds the model
(seeded from ``random_state``) unless it continues one (``warm_start``, ``partial_fit``),
makes the optimizer, the validation split and the callbacks, and calls
``backprop.train.fit``; the subclasses turn ``y`` into targets and outputs into predictions.
"""

from __future__ import annotations

import contextlib
import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils import check_random_state
from sklearn.utils.validation import (
    _check_sample_weight,
    _check_y,
    check_is_fitted,
    validate_data,
)

from ..data.checks import check_finite
from ..errors import BackpropError, ConfigError, DataError, DTypeError, OutOfScopeError
from ._params import check_params
from ._schedule import SklearnRules, batch_rows, glorot, hold_out
from ._training import LOSS_KINDS, Penalty, Scaled, WeightedLoss, loss_module, pack

# float32 by default: the same held-out scores as float64, on digits at 1.3-1.6x its speed
# and 1.7-2.0x scikit-learn's (benchmarks/sklearn_estimators.py); dtype="float64" on request
DEFAULT_DTYPE = "float32"


@contextlib.contextmanager
def _seeded(seed: int):
    """Run with backprop's global stream seeded to ``seed``; put the stream back after."""
    from ..autograd.random import default_generator

    generator = default_generator()
    saved_seed, saved_state = generator.initial_seed(), generator.get_state()
    generator.manual_seed(seed)
    try:
        yield
    finally:
        generator.manual_seed(saved_seed)
        generator.set_state(saved_state)


@contextlib.contextmanager
def input_errors(estimator, method: str, argument: str):
    """scikit-learn's input checks raise plain ValueError/TypeError; re-raise them as
    DataError/DTypeError (which subclass those), naming the method and the argument and
    keeping scikit-learn's words, which its own estimator checks look for."""
    try:
        yield
    except (BackpropError, NotFittedError):
        raise
    except ValueError as exc:
        raise DataError(f"{type(estimator).__name__}.{method}: {argument}: {exc}") from None
    except TypeError as exc:
        raise DTypeError(f"{type(estimator).__name__}.{method}: {argument}: {exc}") from None


class _BaseMLP(BaseEstimator):
    """Shared parameters; see ``MLPRegressor`` for their meaning."""

    _default_loss = "half_mse"

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        loss=None,
        loss_options=None,
        optimizer=None,
        optimizer_options=None,
        l1=0.0,
        l2=0.0,
        dtype=DEFAULT_DTYPE,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.loss = loss
        self.loss_options = loss_options
        self.optimizer = optimizer
        self.optimizer_options = optimizer_options
        self.l1 = l1
        self.l2 = l2
        self.dtype = dtype

    # -- checks ---------------------------------------------------------------------
    def _loss_name(self, default: str | None = None) -> str:
        from ..nn.losses import get_loss

        if self.loss == "poisson":
            raise OutOfScopeError(
                f"{type(self).__name__}: loss='poisson' (scikit-learn's, with an exp output) "
                "is not implemented in backprop; use loss='squared_error' (the default)."
            )
        # scikit-learn's "squared_error" is ½·mean((y − ŷ)²): backprop's half_mse
        loss = {"squared_error": "half_mse"}.get(self.loss, self.loss)
        name = get_loss(default or self._default_loss if loss is None else loss).name
        kinds = self._loss_kinds
        if LOSS_KINDS[name] not in kinds:
            allowed = sorted(n for n, k in LOSS_KINDS.items() if k in kinds)
            raise ConfigError(
                f"{type(self).__name__}: loss={self.loss!r} does not fit this estimator; "
                f"choose one of {', '.join(allowed)}."
            )
        return name

    def _hidden(self) -> list[int]:
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral) and not isinstance(sizes, bool):
            sizes = [sizes]
        try:
            sizes = list(sizes)
        except TypeError:
            sizes = None
        if sizes is None or any(
            isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1 for n in sizes
        ):
            raise ConfigError(
                "hidden_layer_sizes must be a sequence of positive whole numbers such as "
                f"(100,) or (32, 16), got {self.hidden_layer_sizes!r}."
            )
        return [int(n) for n in sizes]

    def _check_params(self) -> None:
        check_params(self)

    def _solver_name(self) -> str:
        return "sgd" if self.optimizer is None and self.solver == "sgd" else "other"

    # -- the model ------------------------------------------------------------------
    def _new_model(self, n_in: int, n_out: int, output_activation, random_state):
        """The network, with scikit-learn's initial weights drawn from ``random_state``."""
        import backprop

        from ..nn import MLP

        hidden = self._hidden()
        activation = self.activation
        if isinstance(activation, list | tuple) and len(activation) != len(hidden):
            raise ConfigError(
                f"activation: got {len(activation)} activations for {len(hidden)} hidden "
                f"layers {tuple(hidden)}; give one per hidden layer, or one name for all."
            )
        with _seeded(0):  # MLP draws its own initial weights: keep the global stream
            model = MLP(
                [n_in, *hidden, n_out],
                list(activation) if isinstance(activation, list | tuple) else activation,
                output_activation,
                dtype=getattr(backprop, self.dtype),
            )
        glorot(model, random_state, activation)
        return model

    def _new_optimizer(self, model):
        """scikit-learn's solver as backprop's (PyTorch's) optimizer: adam is Adam(betas=
        (beta_1, beta_2), eps=epsilon), sgd is SGD(momentum, nesterov=nesterovs_momentum);
        ``optimizer=`` (a backprop name) replaces the solver, with ``optimizer_options``."""
        from ..optim import OPTIMIZERS

        options = dict(self.optimizer_options or {})
        if self.optimizer is not None:
            name = str(self.optimizer).lower()
        elif self.solver == "sgd":
            name = "sgd"
            momentum = float(self.momentum)
            options = {"momentum": momentum, "nesterov": bool(self.nesterovs_momentum)
                       and momentum > 0, **options}  # fmt: skip
        else:
            name = "adam"
            options = {"betas": (self.beta_1, self.beta_2), "eps": self.epsilon, **options}
        cls = OPTIMIZERS[name]
        self._weight_decay = float(options.pop("weight_decay", 0.0))
        params = list(model.parameters())  # alpha: in the loss (see _train), not here
        try:
            return cls(params, lr=self.learning_rate_init, **options)
        except TypeError as err:
            raise ConfigError(
                f"optimizer_options: {options!r} do not fit {cls.__name__} ({err})."
            ) from None

    # -- fitted attributes as scikit-learn's --------------------------------------------
    def _linears(self):
        from ..nn import Linear

        if "model_" not in vars(self):
            raise AttributeError(f"{type(self).__name__} is not fitted yet: call fit first.")
        return [m for m in self.model_.modules() if isinstance(m, Linear)]

    @property
    def coefs_(self) -> list:
        """The lecture's W[l] = ``weight.T``, shape (n[l-1], n[l]): views of the weights."""
        return [m.weight._data.T for m in self._linears()]

    @property
    def intercepts_(self) -> list:
        """The biases b[l], shape (n[l],): views of the model's."""
        return [m.bias._data for m in self._linears()]

    def _forward(self, X) -> np.ndarray:
        """The model's outputs for checked rows ``X`` in the model's dtype (no graph), as
        float64."""
        import backprop

        from ..autograd.tensor import Tensor
        from ..train.engines import eval_rows, mlp_layers

        model = self.model_
        was_training = model.training
        rows = eval_rows(mlp_layers(model), 4096)  # bounded activations, as fit evaluates
        model.eval()
        try:
            with backprop.no_grad():
                parts = [model(Tensor._wrap(X[lo : lo + rows]))._data
                         for lo in range(0, max(len(X), 1), rows)]  # fmt: skip
        finally:
            model.train(was_training)
        out = parts[0] if len(parts) == 1 else np.concatenate(parts)
        return np.asarray(out, dtype=np.float64)

    # -- checking the data ------------------------------------------------------------
    def _validate_fit_input(self, X, y, reset: bool, method: str, **y_options):
        """Checked ``(X, y)``: scikit-learn's checks of X and of y, one argument at a time so
        that the error names the one at fault, then the row counts."""
        if y is None:
            raise DataError(
                f"{type(self).__name__}.{method}: this estimator requires y to be passed, but "
                "the target y is None; give one target per row of X."
            )
        with input_errors(self, method, "X"):
            X = validate_data(self, X, reset=reset, dtype=[np.float64, np.float32])
        with input_errors(self, method, "y"):
            y = _check_y(y, estimator=self, **y_options)
        if len(X) != len(y):
            raise DataError(
                f"{type(self).__name__}.{method}: X has {len(X)} rows but y has {len(y)}; give "
                "one target per row (found input variables with inconsistent numbers of "
                "samples)."
            )
        return X, y

    def _check_predict_input(self, X, method: str):
        check_is_fitted(self, "model_")
        with input_errors(self, method, "X"):
            X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return self._in_dtype(X, "X", method)

    def _in_dtype(self, a: np.ndarray, name: str, method: str) -> np.ndarray:
        """``a`` in the model's dtype; a value it cannot hold (1e39 in float32) is refused."""
        with np.errstate(over="ignore"):  # check_finite names the value that overflowed
            out = np.ascontiguousarray(a, dtype=self.dtype)
        check_finite(out, name, f"{type(self).__name__}.{method}", original=a)
        return out

    # -- training -------------------------------------------------------------------

    def _train(self, X, targets, sample_weight, *, n_out, output_activation, incremental, labels):
        """Train on checked ``X`` and targets (class indices or float (N, k)); return History."""

        from ..train import fit as train_fit

        loss_name = self._loss_used
        method = "partial_fit" if incremental else "fit"
        X = self._in_dtype(X, "X", method)
        if targets.dtype.kind == "f":
            targets = self._in_dtype(targets, "y", method)
        weights = None
        if sample_weight is not None:
            with input_errors(self, method, "sample_weight"):
                weights = _check_sample_weight(
                    sample_weight, X, dtype=np.float64, ensure_non_negative=True
                )
        self._random = check_random_state(self.random_state)  # anew each call, as sklearn
        if not ((incremental or self.warm_start) and "model_" in vars(self)):
            self.model_ = self._new_model(X.shape[1], n_out, output_activation, self._random)
            self._optimizer = self._new_optimizer(self.model_)
            self.n_layers_ = len(self._hidden()) + 2
            self.t_, self.loss_curve_, self._no_improvement_count = 0, [], 0
            early = self.early_stopping
            self.validation_scores_ = [] if early else None
            self.best_validation_score_ = -np.inf if early else None
            self.best_loss_ = None if early else np.inf
        elif not incremental:  # scikit-learn's warm start: the weights, a new optimizer
            self._optimizer = self._new_optimizer(self.model_)
        x, y, validation = X, targets, None
        if self.early_stopping and not incremental:
            arrays = [x, y] + [a for a in (labels, weights) if a is not None]
            x, x_val, y, y_val, labels_val, weights, w_val = hold_out(self, arrays, labels)
            validation = (x_val, y_val if labels_val is None else labels_val, w_val)
        batch = batch_rows(self, len(x))
        for group in self._optimizer.param_groups:
            group["weight_decay"] = self._weight_decay
        penalty = None
        if weights is not None:  # alpha/2·Σ‖W‖²/Σw in the loss, exactly (autograd runs)
            matrices = [p for n, p in self.model_.named_parameters() if n.endswith("weight")]
            multilabel = getattr(self, "_multilabel", False)
            loss = WeightedLoss(loss_name, self.loss_options, self.alpha, matrices, multilabel)
            y = pack(y, weights, self.dtype)
        else:
            loss = loss_module(loss_name, self.loss_options)
            if getattr(self, "_multilabel", False):  # sklearn's: Σ over labels, mean over rows
                loss = Scaled(loss, self.n_outputs_)
            # alpha as scikit-learn's: alpha/2·‖W‖²/m added to each batch's loss (m rows),
            # alpha/m·W to the weights' gradient, by the engine itself (so its epoch losses
            # are loss_curve_'s, and its loops judge the stopping rule: SklearnRules)
            if self.alpha:
                penalty = ("alpha", float(self.alpha))
        batches = -(-len(x) // batch)
        self.n_iter_ = 0  # epochs of this call, as scikit-learn's
        callbacks = [SklearnRules(self, len(x), batches, validation, incremental)]
        if self.l1 or self.l2:
            weights_only = [p for n, p in self.model_.named_parameters() if n.endswith("weight")]
            callbacks.append(Penalty(weights_only, self.l1, self.l2))
        history = train_fit(
            self.model_,
            (x, y),
            loss,
            self._optimizer,
            epochs=1 if incremental else self.max_iter,
            batch_size=batch,
            callbacks=callbacks,
            seed=int(self._random.randint(2**31 - 1)),
            shuffle=bool(self.shuffle),
            verbose=False,  # scikit-learn's estimators are silent; no notebook bar
            penalty=penalty,
        )
        self._record(history, incremental)
        return history

    def _record(self, history, incremental: bool) -> None:
        self.history_ = history
        name = type(self).__name__
        reason = history.stop_reason
        if reason and not reason.startswith("early stopping"):
            warnings.warn(f"{name}: training stopped: {reason}.", ConvergenceWarning, stacklevel=3)
        elif not incremental and self.n_iter_ == self.max_iter:
            warnings.warn(
                f"{name}: Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached "
                f"and the optimization hasn't converged yet: the loss still improved by more "
                f"than tol={self.tol} within n_iter_no_change={self.n_iter_no_change} "
                "epochs; raise max_iter (or tol).",
                ConvergenceWarning,
                stacklevel=3,
            )
