"""scikit-learn estimators built on backprop (floor 6): ``MLPRegressor``, ``MLPClassifier``.

They follow scikit-learn's estimator contract — ``get_params``/``set_params``/``clone``,
``fit``/``partial_fit``/``predict``/``predict_proba``/``score``, ``n_features_in_``,
``classes_``, ``warm_start``, ``random_state``, ``sample_weight`` — and pass
``sklearn.utils.estimator_checks.check_estimator`` (tests/test_sklearn.py lists the checks
that cannot apply, with the reason), so they work in a ``Pipeline`` and in ``GridSearchCV``.
Training is ``backprop.train.fit`` (the δ engine's fast path unless ``sample_weight`` asks
for a weighted loss); beyond scikit-learn's own MLP they take per-layer activations, every
backprop loss and optimizer, L1 and L2 penalties and early stopping on the validation loss.
The trained network is ``est.model_``. Needs scikit-learn (``pip install scikit-learn``).
"""

try:
    from sklearn.utils.validation import validate_data as _validate_data  # noqa: F401
except ImportError as _exc:  # scikit-learn missing, or older than 1.6
    raise ImportError(
        "backprop.sklearn needs scikit-learn >= 1.6: pip install -U scikit-learn"
    ) from _exc

from ._estimators import MLPClassifier, MLPRegressor  # noqa: E402

__all__ = ["MLPClassifier", "MLPRegressor"]
