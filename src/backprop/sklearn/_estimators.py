"""``MLPRegressor`` and ``MLPClassifier``: backprop MLPs behind scikit-learn's estimator API."""

from __future__ import annotations

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets, type_of_target

from .. import stable
from ..errors import ConfigError, DataError, DTypeError
from ._base import DEFAULT_DTYPE, _BaseMLP, input_errors
from ._docs import PARAMETERS

__all__ = ["MLPClassifier", "MLPRegressor"]


class MLPRegressor(RegressorMixin, _BaseMLP):
    __doc__ = (
        """A multi-layer perceptron regressor trained by ``backprop.train.fit``.

    Takes scikit-learn's ``MLPRegressor`` parameters with their meaning and defaults and
    goes past it: per-layer activations, any regression loss and optimizer of backprop, an
    extra L1/L2 penalty. ``y`` may be (n,) or (n, n_outputs); ``predict`` returns the same
    shape.
    """
        + PARAMETERS.format(
            losses='"squared_error" (scikit-learn\'s, = "half_mse"), "mse", "l1", "huber"',
            default='"half_mse"',
            loss_words="½·mean((y − ŷ)²) over rows and outputs",
            out_activation='"identity".',
            extra="""    output_activation : str or None, default=None
        Activation of the output layer (None: the identity, scikit-learn's).
""",
            attributes="",
        )
        + """
    Examples
    --------
    >>> import numpy as np
    >>> from backprop.sklearn import MLPRegressor
    >>> X = np.linspace(-1, 1, 40).reshape(-1, 1)
    >>> reg = MLPRegressor((8,), "tanh", max_iter=300, learning_rate_init=0.05,
    ...                    random_state=0).fit(X, X[:, 0] ** 2)
    >>> round(reg.score(X, X[:, 0] ** 2), 1) >= 0.9
    True
    """
    )

    _loss_kinds = ("regression",)

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
        loss="squared_error",
        loss_options=None,
        optimizer=None,
        optimizer_options=None,
        l1=0.0,
        l2=0.0,
        dtype=DEFAULT_DTYPE,
        output_activation=None,
    ) -> None:
        super().__init__(
            hidden_layer_sizes,
            activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            loss=loss,
            loss_options=loss_options,
            optimizer=optimizer,
            optimizer_options=optimizer_options,
            l1=l1,
            l2=l2,
            dtype=dtype,
        )
        self.output_activation = output_activation

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags

    def fit(self, X, y, sample_weight=None):
        """Train from scratch (or, with ``warm_start``, from the current weights)."""
        return self._fit(X, y, sample_weight, incremental=False)

    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over ``(X, y)`` from the current weights (new ones on the first call)."""
        return self._fit(X, y, sample_weight, incremental=True)

    def _fit(self, X, y, sample_weight, incremental: bool):
        self._check_params()
        first = not hasattr(self, "model_") or not (incremental or self.warm_start)
        method = "partial_fit" if incremental else "fit"
        X, y = self._validate_fit_input(X, y, first, method, multi_output=True, y_numeric=True)
        with input_errors(self, method, "y"):
            y = np.asarray(y, dtype=np.float64)
        targets = y.reshape(len(y), -1)
        if first:
            self._loss_used = self._loss_name()
            self._y_1d = y.ndim == 1
            self.n_outputs_ = targets.shape[1]
            out = self.output_activation
            self.out_activation_ = "identity" if out is None else getattr(out, "name", str(out))
        elif targets.shape[1] != self.n_outputs_:
            raise ConfigError(
                f"{type(self).__name__}: y has {targets.shape[1]} outputs but the model was "
                f"trained with {self.n_outputs_}; fit a new model (warm_start=False)."
            )
        self._train(
            X,
            targets,
            sample_weight,
            n_out=self.n_outputs_,
            output_activation=self.output_activation,
            incremental=incremental,
            labels=None,
        )
        return self

    def predict(self, X):
        """Predictions, shape (n,) when trained on y of shape (n,), else (n, n_outputs)."""
        X = self._check_predict_input(X, "predict")
        out = self._forward(X)
        return out[:, 0] if self._y_1d else out


class MLPClassifier(ClassifierMixin, _BaseMLP):
    __doc__ = (
        """A multi-layer perceptron classifier trained by ``backprop.train.fit``.

    Labels may be any values (``classes_`` holds them sorted). As scikit-learn's, two
    classes train one logistic output (``bce_with_logits``) and more classes one output
    (logit) per class under softmax (``cross_entropy``); ``loss="nll"`` adds a LogSoftmax
    output layer, ``"bce"`` one sigmoid output for two classes. A 0/1 label matrix y of
    shape (n, k) (multilabel) trains k logistic outputs, as scikit-learn's.
    """
        + PARAMETERS.format(
            losses="cross_entropy, nll, bce_with_logits, bce",
            default=(
                'scikit-learn\'s log-loss: "bce_with_logits" on one output for two classes, '
                '"cross_entropy" on one per class for more'
            ),
            loss_words="the mean log-loss",
            out_activation=(
                '"logistic" for two classes (one output) and for multilabel y, "softmax" for '
                "more classes."
            ),
            extra="",
            attributes="""    classes_ : ndarray
        The class labels, sorted.
""",
        )
        + """
    Examples
    --------
    >>> import numpy as np
    >>> from backprop.sklearn import MLPClassifier
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]] * 10)
    >>> clf = MLPClassifier((8,), "tanh", max_iter=500, learning_rate_init=0.05,
    ...                     random_state=0).fit(X, ["no", "yes", "yes", "no"] * 10)
    >>> clf.predict([[0.0, 1.0], [1.0, 1.0]]).tolist()
    ['yes', 'no']
    """
    )

    _default_loss = "cross_entropy"
    _loss_kinds = ("class", "binary")

    def fit(self, X, y, sample_weight=None):
        """Train from scratch (or, with ``warm_start``, from the current weights)."""
        return self._fit(X, y, sample_weight, incremental=False, classes=None)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch over ``(X, y)``; the first call needs ``classes`` (all labels)."""
        if not hasattr(self, "model_") and classes is None:
            raise ConfigError(
                f"{type(self).__name__}.partial_fit: the first call needs classes=, the list of "
                "every label the data will hold (later batches may miss some)."
            )
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _fit(self, X, y, sample_weight, incremental: bool, classes):
        self._check_params()
        first = not hasattr(self, "model_") or not (incremental or self.warm_start)
        method = "partial_fit" if incremental else "fit"
        shape = np.shape(np.asarray(y, dtype=object)) if y is not None else ()
        wide = len(shape) == 2 and shape[1] > 1  # a label matrix: multilabel
        X, y = self._validate_fit_input(X, y, first, method, multi_output=wide)
        if wide:
            return self._fit_multilabel(X, y, sample_weight, incremental, first, method)
        try:
            present = np.unique(y)
        except TypeError:
            kinds = sorted({type(v).__name__ for v in np.ravel(y)})
            raise DTypeError(
                f"{type(self).__name__}.{method}: y mixes labels of types {', '.join(kinds)}, "
                "which cannot be sorted into classes; give labels of one type (all numbers or "
                "all strings)."
            ) from None
        with input_errors(self, method, "y"):
            check_classification_targets(y)
        if first:
            with input_errors(self, method, "classes"):
                labels = present if classes is None else np.unique(np.asarray(classes))
            if labels.dtype.kind == "f" and not np.isfinite(labels).all():
                raise DataError(
                    f"{type(self).__name__}.{method}: classes must be finite labels, got "
                    f"{labels.tolist()}; drop the NaN or infinite label."
                )
            self._set_classes(labels)
        with input_errors(self, method, "y"):
            unknown = np.setdiff1d(present, self.classes_)
        if unknown.size:
            raise ConfigError(
                f"{type(self).__name__}: y holds labels {unknown.tolist()} that are not among "
                f"the classes {self.classes_.tolist()} the model was built for; fit anew "
                "(warm_start=False) or pass every label in classes= on the first partial_fit."
            )
        indices = np.searchsorted(self.classes_, y)
        binary = self._binary
        targets = indices.astype(np.float64).reshape(-1, 1) if binary else indices
        self._train(
            X,
            targets,
            sample_weight,
            n_out=1 if binary else len(self.classes_),
            output_activation=self._output_activation,
            incremental=incremental,
            labels=indices,
        )
        return self

    def _fit_multilabel(self, X, y, sample_weight, incremental, first, method):
        """y a 0/1 matrix (n, k): k logistic outputs under binary cross-entropy, as
        scikit-learn's (``classes_`` = 0 … k−1, ``predict`` gives the 0/1 matrix)."""
        with input_errors(self, method, "y"):
            check_classification_targets(y)
        if type_of_target(y) != "multilabel-indicator":
            raise DataError(
                f"{type(self).__name__}.{method}: y has {y.shape[1]} columns but is not a 0/1 "
                "label matrix (multilabel-indicator); give one label per row, y of shape (n,)."
            )
        k = y.shape[1]
        if first:
            self._loss_used = self._loss_name("bce_with_logits")
            if self._loss_used != "bce_with_logits":
                raise ConfigError(
                    f"{type(self).__name__}: multilabel y trains with loss='bce_with_logits' "
                    f"(scikit-learn's), got loss={self.loss!r}; leave loss=None."
                )
            self._binary, self._multilabel = False, True
            self._output_activation = None
            self.classes_ = np.arange(k)
            self.n_outputs_, self.out_activation_ = k, "logistic"
        elif not getattr(self, "_multilabel", False) or k != self.n_outputs_:
            raise ConfigError(
                f"{type(self).__name__}: y has {k} label columns, which does not fit the "
                "model trained before; fit anew (warm_start=False)."
            )
        self._train(
            X,
            np.asarray(y, dtype=np.float64),
            sample_weight,
            n_out=k,
            output_activation=None,
            incremental=incremental,
            labels=None,
        )
        return self

    def _set_classes(self, labels: np.ndarray) -> None:
        from ..nn import LogSoftmax

        if len(labels) < 2:
            raise ConfigError(
                f"{type(self).__name__}: y holds only one class ({labels.tolist()}); a "
                "classifier needs at least two classes."
            )
        # scikit-learn's output layer: one logistic unit for two classes, softmax for more
        loss_name = self._loss_name("bce_with_logits" if len(labels) == 2 else "cross_entropy")
        self._binary = loss_name in ("bce", "bce_with_logits")
        if self._binary and len(labels) != 2:
            raise ConfigError(
                f"{type(self).__name__}: loss={loss_name!r} takes two classes, y has "
                f"{len(labels)}; use loss='cross_entropy' for more."
            )
        self._output_activation = {"nll": LogSoftmax(dim=1), "bce": "sigmoid"}.get(loss_name)
        self._loss_used = loss_name
        self._multilabel = False
        self.classes_ = labels
        self.n_outputs_ = 1 if self._binary else len(labels)
        self.out_activation_ = "logistic" if self._binary else "softmax"

    @stable.benign_underflow
    def predict_proba(self, X):
        """Class probabilities, shape (n, n_classes), columns in the order of ``classes_``."""
        return self._proba(X, "predict_proba")

    def _proba(self, X, method: str):
        X = self._check_predict_input(X, method)
        return self._proba_of(self._forward(X))

    def _indices(self, out: np.ndarray) -> np.ndarray:
        """The class index (into ``classes_``) of each row of model outputs (multilabel:
        the 0/1 matrix)."""
        if getattr(self, "_multilabel", False):
            return (out > 0).astype(int)  # σ(out) > ½
        return np.argmax(self._proba_of(out), axis=1)

    def _proba_of(self, out: np.ndarray) -> np.ndarray:
        loss = self._loss_used
        if getattr(self, "_multilabel", False):
            return stable.sigmoid(out)
        if loss in ("bce", "bce_with_logits"):
            p = out[:, 0] if loss == "bce" else stable.sigmoid(out[:, 0])
            return np.column_stack([1.0 - p, p])
        if loss == "nll":
            return np.exp(out)
        return stable.softmax(out, axis=1)

    def predict_log_proba(self, X):
        """log of ``predict_proba``."""
        with np.errstate(divide="ignore"):
            return np.log(self._proba(X, "predict_log_proba"))

    def predict(self, X):
        """The most probable class label of each row."""
        if getattr(self, "_multilabel", False):
            return self._indices(self._forward(self._check_predict_input(X, "predict")))
        proba = self._proba(X, "predict")
        return self.classes_[np.argmax(proba, axis=1)]
