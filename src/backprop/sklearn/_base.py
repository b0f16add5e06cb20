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
from ..errors import BackpropError, ConfigError, DataError, DTypeError
from ._training import LOSS_KINDS, Penalty, WeightedLoss, loss_module, pack

_DTYPES = ("float32", "float64")


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


def _number(value, name: str, low: float, high: float | None = None, open_low=False) -> float:
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    ok = ok and (value > low if open_low else value >= low)
    ok = ok and (high is None or value < high)
    if not ok:
        bound = f"> {low}" if open_low else f">= {low}"
        bound += "" if high is None else f" and < {high}"
        raise ConfigError(f"{name} must be a number {bound}, got {value!r}.")
    return float(value)


def _whole(value, name: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ConfigError(f"{name} must be a whole number >= {low}, got {value!r}.")
    return int(value)


def _split(n: int, fraction: float, seed: int, labels) -> tuple[np.ndarray, np.ndarray]:
    """(training rows, validation rows): round(n·fraction) rows held out at random, in
    proportion to each class's count when ``labels`` are given (largest remainders)."""
    if n < 2:
        raise ConfigError(
            "early_stopping=True holds out a validation part, so it needs at least 2 samples; "
            f"got n_samples = {n}. Pass more rows or set early_stopping=False."
        )
    rng = np.random.default_rng(seed)
    k = min(max(round(n * fraction), 1), n - 1)
    if labels is None:
        held = rng.permutation(n)[:k]
    else:
        _, inverse = np.unique(labels, return_inverse=True)
        share = np.bincount(inverse) * (k / n)
        take = np.floor(share).astype(int)
        take[np.argsort(take - share, kind="stable")[: k - int(take.sum())]] += 1
        held = np.concatenate(
            [rng.permutation(np.flatnonzero(inverse == c))[:t] for c, t in enumerate(take)]
        )
    mask = np.zeros(n, dtype=bool)
    mask[held] = True
    return np.flatnonzero(~mask), np.flatnonzero(mask)


class _BaseMLP(BaseEstimator):
    """Shared parameters; see ``MLPRegressor`` for their meaning."""

    _default_loss = "mse"

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        loss=None,
        loss_options=None,
        optimizer="adam",
        learning_rate_init=0.001,
        optimizer_options=None,
        l1=0.0,
        l2=0.0,
        batch_size="auto",
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        warm_start=False,
        dtype="float64",
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.loss = loss
        self.loss_options = loss_options
        self.optimizer = optimizer
        self.learning_rate_init = learning_rate_init
        self.optimizer_options = optimizer_options
        self.l1 = l1
        self.l2 = l2
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.warm_start = warm_start
        self.dtype = dtype

    # -- checks ---------------------------------------------------------------------
    def _loss_name(self) -> str:
        from ..nn.losses import get_loss

        name = get_loss(self._default_loss if self.loss is None else self.loss).name
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
        if self.dtype not in _DTYPES:
            raise ConfigError(f"dtype must be 'float32' or 'float64', got {self.dtype!r}.")
        _number(self.learning_rate_init, "learning_rate_init", 0.0, open_low=True)
        _number(self.l1, "l1", 0.0)
        _number(self.l2, "l2", 0.0)
        _number(self.tol, "tol", 0.0)
        _whole(self.max_iter, "max_iter", 1)
        _whole(self.n_iter_no_change, "n_iter_no_change", 1)
        _number(self.validation_fraction, "validation_fraction", 0.0, 1.0, open_low=True)
        if self.batch_size not in ("auto", None):
            _whole(self.batch_size, "batch_size", 1)
        for name in ("shuffle", "early_stopping", "warm_start"):
            if not isinstance(getattr(self, name), bool | np.bool_):
                raise ConfigError(f"{name} must be True or False, got {getattr(self, name)!r}.")
        from ..optim import OPTIMIZERS

        if str(self.optimizer).lower() not in OPTIMIZERS:
            raise ConfigError(
                f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}."
            )

    # -- the model ------------------------------------------------------------------
    def _new_model(self, n_in: int, n_out: int, output_activation, seed: int):
        import backprop

        from ..nn import MLP

        hidden = self._hidden()
        activation = self.activation
        if isinstance(activation, list | tuple) and len(activation) != len(hidden):
            raise ConfigError(
                f"activation: got {len(activation)} activations for {len(hidden)} hidden "
                f"layers {tuple(hidden)}; give one per hidden layer, or one name for all."
            )
        with _seeded(seed):
            return MLP(
                [n_in, *hidden, n_out],
                list(activation) if isinstance(activation, list | tuple) else activation,
                output_activation,
                dtype=getattr(backprop, self.dtype),
            )

    def _new_optimizer(self, model):
        from ..optim import OPTIMIZERS

        cls = OPTIMIZERS[str(self.optimizer).lower()]
        options = dict(self.optimizer_options or {})
        try:
            return cls(model.parameters(), lr=self.learning_rate_init, **options)
        except TypeError as err:
            raise ConfigError(
                f"optimizer_options: {options!r} do not fit {cls.__name__} ({err})."
            ) from None

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
        from ..train import EarlyStopping
        from ..train import fit as train_fit

        loss_name = self._loss_name()
        method = "partial_fit" if incremental else "fit"
        X = self._in_dtype(X, "X", method)
        if targets.dtype.kind == "f":
            targets = self._in_dtype(targets, "y", method)
        if sample_weight is not None:
            with input_errors(self, method, "sample_weight"):
                weights = _check_sample_weight(
                    sample_weight, X, dtype=np.float64, ensure_non_negative=True
                )
        continuing = (incremental or self.warm_start) and hasattr(self, "model_")
        if not continuing:
            self._random = check_random_state(self.random_state)
            self.model_ = self._new_model(
                X.shape[1], n_out, output_activation, self._random.randint(2**31 - 1)
            )
            self._optimizer = self._new_optimizer(self.model_)
            self.loss_curve_ = []
            self.validation_loss_curve_ = [] if self.early_stopping else None
            self.n_iter_ = 0
        seed = int(self._random.randint(2**31 - 1))
        x = X
        if sample_weight is not None:
            loss = WeightedLoss(loss_name, self.loss_options)
            y = pack(targets, weights, self.dtype)
        else:
            loss = loss_module(loss_name, self.loss_options)
            y = targets
        validation = None
        stop_early = self.early_stopping and not incremental
        if stop_early:
            train_rows, val_rows = _split(len(x), self.validation_fraction, seed, labels)
            validation = (x[val_rows], y[val_rows])
            x, y = x[train_rows], y[train_rows]
        callbacks = []
        if self.l1 or self.l2:
            weights_only = [p for n, p in self.model_.named_parameters() if n.endswith("weight")]
            callbacks.append(Penalty(weights_only, self.l1, self.l2))
        if not incremental:
            stopper = EarlyStopping(
                "val_loss" if stop_early else "loss",
                # scikit-learn stops once n_iter_no_change epochs in a row did not improve
                # and the next does not either (count > n): Keras' patience n + 1
                patience=self.n_iter_no_change + 1,
                min_delta=self.tol,
                restore_best_weights=stop_early,
            )
            # on the training loss it needs each epoch's end, not a pass over the whole set
            # (EarlyStopping.wants_metrics follows its monitor)
            callbacks.append(stopper)
        batch = self.batch_size
        if batch == "auto":
            batch = min(200, len(x))
        history = train_fit(
            self.model_,
            (x, y),
            loss,
            self._optimizer,
            epochs=1 if incremental else self.max_iter,
            batch_size=batch,
            validation=validation,
            callbacks=callbacks,
            seed=seed,
            shuffle=bool(self.shuffle),
        )
        self._record(history, incremental)
        return history

    def _record(self, history, incremental: bool) -> None:
        self.history_ = history
        self.loss_curve_.extend(history.history.get("loss", []))
        if self.validation_loss_curve_ is not None and not incremental:
            self.validation_loss_curve_.extend(history.history.get("val_loss", []))
        self.n_iter_ += len(history)
        curve = self.validation_loss_curve_ or self.loss_curve_
        self.best_loss_ = min(curve) if curve else None
        name = type(self).__name__
        if history.stop_reason and not history.stop_reason.startswith("early stopping"):
            warnings.warn(
                f"{name}: training stopped: {history.stop_reason}.",
                ConvergenceWarning,
                stacklevel=3,
            )
        elif not incremental and history.stop_reason is None:
            warnings.warn(
                f"{name}: max_iter={self.max_iter} epochs ran and the loss was still improving "
                f"by more than tol={self.tol}; raise max_iter (or tol) to let it converge.",
                ConvergenceWarning,
                stacklevel=3,
            )
