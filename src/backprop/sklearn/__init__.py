"""scikit-learn estimators built on backprop (floor 6): ``MLPRegressor``, ``MLPClassifier``.

Code written for scikit-learn's own ``sklearn.neural_network.MLPClassifier`` /
``MLPRegressor`` runs on them with only the import changed: the same constructor parameters
with their meaning and defaults (``solver="lbfgs"`` is refused, naming what to use), the same
fitted attributes (``coefs_``, ``intercepts_``, ``loss_curve_``, ``t_``, ...), the same
initial weights for the same ``random_state`` and scikit-learn's per-epoch rules (its loss,
stopping count, learning-rate schedules, early stopping on the validation score). They
follow the estimator contract and pass ``sklearn.utils.estimator_checks.check_estimator``
(tests/test_sklearn.py), so they work in a ``Pipeline`` and in ``GridSearchCV``. Training is
``backprop.train.fit`` on backprop's engines (autograd when ``sample_weight`` asks for a
weighted loss); beyond scikit-learn's MLP they take per-layer activations, every backprop
loss and optimizer, and an extra L1/L2 penalty. Their default dtype is float32 (see the
``dtype`` parameter). The trained network is ``est.model_``. Needs scikit-learn
(``pip install scikit-learn``).
"""

try:
    from sklearn.utils.validation import validate_data as _validate_data  # noqa: F401
except ImportError as _exc:  # scikit-learn missing, or older than 1.6
    raise ImportError(
        "backprop.sklearn needs scikit-learn >= 1.6: pip install -U scikit-learn"
    ) from _exc

from ._estimators import MLPClassifier, MLPRegressor  # noqa: E402

__all__ = ["MLPClassifier", "MLPRegressor"]
