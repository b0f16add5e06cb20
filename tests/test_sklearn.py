"""backprop.sklearn against scikit-learn's own estimator checks, a Pipeline, GridSearchCV, and
PyTorch for the weighted, penalised objective."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import make_classification, make_regression  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

import backprop  # noqa: E402
import backprop.nn as nn  # noqa: E402
from backprop.errors import ConfigError, DataError, DTypeError  # noqa: E402
from backprop.sklearn import MLPClassifier, MLPRegressor  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# Checks that cannot apply, with the reason. None today: every check of scikit-learn 1.9 runs
# and passes. (Three are *skipped* by scikit-learn itself on this machine: the pandas ones
# when pandas is not installed, and check_array_api_input unless SCIPY_ARRAY_API=1; our
# estimators compute in NumPy through backprop, so array-API inputs are converted, not kept.)
EXPECTED_FAILED_CHECKS: dict[str, str] = {}


def _small(cls, **kw):
    params = dict(hidden_layer_sizes=(8,), max_iter=50, learning_rate_init=0.01, random_state=0)
    return cls(**{**params, **kw})


# float64: check_sample_weight_equivalence compares weighted and repeated fits to rtol 1e-7,
# below float32's rounding (~6e-8 a step, over 50 epochs); the default dtype is float32
@parametrize_with_checks(
    [_small(MLPRegressor, dtype="float64"), _small(MLPClassifier, dtype="float64")],
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# -- in scikit-learn's machinery -------------------------------------------------------------
def test_pipeline_with_scaler_and_grid_search_classifier():
    X, y = make_classification(
        n_samples=160, n_features=4, n_informative=3, n_redundant=0, random_state=0
    )
    X = X * [1.0, 100.0, 0.01, 5.0] + [0.0, 500.0, 0.0, -3.0]  # scales only a scaler fixes
    pipe = make_pipeline(StandardScaler(), _small(MLPClassifier, max_iter=100))
    grid = GridSearchCV(
        pipe,
        {"mlpclassifier__hidden_layer_sizes": [(4,), (16,)], "mlpclassifier__l2": [0.0, 1e-3]},
        cv=3,
    )
    grid.fit(X, y)
    assert grid.best_score_ > 0.8
    assert set(grid.best_params_) == {"mlpclassifier__hidden_layer_sizes", "mlpclassifier__l2"}
    proba = grid.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert grid.score(X, y) > 0.85


def test_grid_search_regressor_over_activations_and_optimizers():
    X, y = make_regression(n_samples=120, n_features=3, noise=1.0, random_state=1)
    pipe = make_pipeline(StandardScaler(), _small(MLPRegressor, max_iter=200))
    grid = GridSearchCV(
        pipe,
        {
            "mlpregressor__activation": ["tanh", ["relu", "gelu"]],
            "mlpregressor__hidden_layer_sizes": [(16, 8)],
            "mlpregressor__optimizer": ["adam", "rmsprop"],
        },
        cv=2,
    )
    grid.fit(X, y / 100)
    assert grid.best_score_ > 0.9


# -- the contract's details ------------------------------------------------------------------
def test_wrong_width_at_predict_time_names_both_widths():
    X, y = make_regression(n_samples=30, n_features=2, random_state=0)
    reg = _small(MLPRegressor).fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features, but MLPRegressor is expecting 2"):
        reg.predict(np.ones((4, 3)))


def test_bad_input_is_our_error_naming_the_method_and_argument():
    # scikit-learn's own checks raised bare ValueError/TypeError; the words are kept (its
    # estimator checks look for them) and the error is a DataError/DTypeError
    X, y = make_regression(n_samples=10, n_features=2, random_state=0)
    reg = _small(MLPRegressor, max_iter=2)
    cases = [
        ((X, y[:5]), DataError, r"MLPRegressor\.fit: X has 10 rows but y has 5"),
        ((X * np.nan, y), DataError, r"MLPRegressor\.fit: X: Input X contains NaN"),
        ((X, y[:, None, None]), DataError, r"MLPRegressor\.fit: y: Found array with dim 3"),
        ((X, y.astype(str).astype(object) + "x"), DataError, r"fit: y: could not convert"),
        ((X, y, np.full(10, np.nan)), DataError, r"fit: sample_weight: .*NaN"),
    ]
    for args, error, message in cases:
        with pytest.raises(error, match=message):
            reg.fit(*args)
    reg.fit(X, y)
    with pytest.raises(DataError, match=r"MLPRegressor\.predict: X: Expected 2D array"):
        reg.predict(X[0])
    f32 = _small(MLPRegressor, max_iter=2, dtype="float32")
    with pytest.raises(DataError, match=r"fit: X at row 0, column 0 is 1e\+100, which overflows"):
        f32.fit(np.full((10, 2), 1e100), y)  # was an inf in the model's input
    f32.fit(X, y)
    with pytest.raises(DataError, match=r"MLPRegressor\.predict: X at row 0.*overflows"):
        f32.predict(np.full((1, 2), 1e100))  # was an inf prediction
    clf = _small(MLPClassifier, max_iter=2)
    with pytest.raises(DTypeError, match=r"MLPClassifier\.fit: y mixes labels of types int, str"):
        clf.fit(X, np.array(["a", 1] * 5, dtype=object))
    with pytest.raises(DataError, match=r"MLPClassifier\.fit: y: Unknown label type"):
        clf.fit(X, y)


def test_params_round_trip_and_per_layer_activations():
    clf = MLPClassifier((5, 4), ["tanh", nn.LeakyReLU(0.3)], l1=1e-4, optimizer="sgd")
    assert clf.get_params()["activation"][0] == "tanh"
    copy = clone(clf).set_params(optimizer_options={"momentum": 0.9}, max_iter=5, random_state=0)
    X, y = make_classification(n_samples=40, n_features=3, n_informative=2, n_redundant=0)
    copy.fit(X, y)
    kinds = [type(m).__name__ for m in copy.model_]
    assert kinds == ["Linear", "Tanh", "Linear", "LeakyReLU", "Linear"]
    assert copy.model_[3].negative_slope == 0.3
    assert copy._optimizer.param_groups[0]["momentum"] == 0.9
    with pytest.raises(ConfigError, match="2 activations for 1 hidden"):
        clone(copy).set_params(hidden_layer_sizes=(3,)).fit(X, y)


@pytest.mark.parametrize("loss", ["mse", "half_mse", "l1", "huber"])
def test_regressor_losses(loss):
    X, y = make_regression(n_samples=60, n_features=2, noise=0.5, random_state=2)
    reg = _small(MLPRegressor, loss=loss, max_iter=150, learning_rate_init=0.05)
    reg.fit(X, np.column_stack([y, -y]) / 50)
    assert reg.predict(X).shape == (60, 2)
    assert reg.loss_curve_[-1] < reg.loss_curve_[0]
    assert reg.history_.engine in ("delta", "fused")  # no weights: the δ engine's fast path


@pytest.mark.parametrize("loss", ["cross_entropy", "nll", "bce_with_logits", "bce"])
def test_classifier_losses(loss):
    X, y = make_classification(n_samples=80, n_features=4, random_state=3)
    labels = np.array(["cat", "dog"])[y]
    clf = _small(MLPClassifier, loss=loss, max_iter=100).fit(X, labels)
    assert clf.classes_.tolist() == ["cat", "dog"]
    proba = clf.predict_proba(X)
    assert proba.shape == (80, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert clf.score(X, labels) > 0.85
    last = [m for m in clf.model_ if isinstance(m, nn.Linear)][-1]
    assert last.out_features == (1 if loss.startswith("bce") else 2)


def test_classifier_refuses_losses_that_do_not_fit():
    X, y = make_classification(n_samples=30, n_classes=3, n_informative=3, random_state=0)
    with pytest.raises(ConfigError, match="takes two classes, y has 3"):
        _small(MLPClassifier, loss="bce").fit(X, y)
    with pytest.raises(ConfigError, match="does not fit this estimator"):
        _small(MLPClassifier, loss="mse").fit(X, y)
    with pytest.raises(ConfigError, match="does not fit this estimator"):
        _small(MLPRegressor, loss="cross_entropy").fit(X, y)


def test_random_state_reproduces_and_leaves_the_global_stream_alone():
    X, y = make_regression(n_samples=40, n_features=2, random_state=0)
    backprop.manual_seed(5)
    expected = backprop.randn(2).numpy()
    backprop.manual_seed(5)
    a = _small(MLPRegressor, random_state=7).fit(X, y).predict(X)
    np.testing.assert_array_equal(backprop.randn(2).numpy(), expected)
    b = _small(MLPRegressor, random_state=7).fit(X, y).predict(X)
    c = _small(MLPRegressor, random_state=8).fit(X, y).predict(X)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_warm_start_and_partial_fit_continue():
    X, y = make_classification(n_samples=60, n_features=3, n_informative=2, n_redundant=0)
    clf = _small(MLPClassifier, max_iter=5, tol=0.0, warm_start=True).fit(X, y)
    first = clf.model_[0].weight.detach().numpy().copy()
    clf.fit(X, y)
    assert len(clf.loss_curve_) == 10 and clf.n_iter_ == 5  # n_iter_: this call's, as sklearn
    assert not np.array_equal(first, clf.model_[0].weight.detach().numpy())
    with pytest.raises(ConfigError, match="first call needs classes="):
        _small(MLPClassifier).partial_fit(X, y)
    inc = _small(MLPClassifier)
    for _ in range(3):
        inc.partial_fit(X[:30], y[:30], classes=[0, 1])
    assert inc.n_iter_ == 1 and len(inc.loss_curve_) == 3 and inc.t_ == 90  # as sklearn
    with pytest.raises(ConfigError, match=r"labels \[7\]"):
        inc.partial_fit(X[:2], [7, 7])


def test_early_stopping_monitors_validation_score_and_keeps_the_best_weights():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 5))
    y = rng.normal(size=60)  # pure noise: the validation loss must turn up
    reg = _small(
        MLPRegressor,
        hidden_layer_sizes=(64,),
        learning_rate_init=0.03,
        max_iter=500,
        early_stopping=True,
        validation_fraction=0.25,
        n_iter_no_change=5,
    ).fit(X, y)
    curve = reg.validation_scores_
    assert len(curve) == len(reg.loss_curve_) == reg.n_iter_ < 500
    assert reg.best_validation_score_ == max(curve) and reg.best_loss_ is None
    assert "early stopping" in reg.history_.stop_reason
    assert _small(MLPRegressor).fit(X, y).validation_scores_ is None


def test_convergence_warning_when_max_iter_runs_out():
    X, y = make_regression(n_samples=30, n_features=2, random_state=0)
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(3\) reached"):
        _small(MLPRegressor, max_iter=3).fit(X, y)


# -- sample_weight: a weighted loss, held to duplicated rows and to PyTorch -------------------
def test_integer_weights_equal_repeated_rows_and_zero_weights_equal_dropped_rows():
    X, y = make_classification(n_samples=40, n_features=3, n_informative=2, n_redundant=0)
    w = np.random.default_rng(0).integers(0, 3, size=40)
    params = dict(batch_size=None, shuffle=False, max_iter=30, dtype="float64")
    weighted = _small(MLPClassifier, **params).fit(X, y, sample_weight=w)
    repeated = _small(MLPClassifier, **params).fit(np.repeat(X, w, 0), np.repeat(y, w))
    np.testing.assert_allclose(
        weighted.predict_proba(X), repeated.predict_proba(X), rtol=1e-10, atol=1e-12
    )
    assert weighted.history_.engine == "autograd" and repeated.history_.engine in ("delta", "fused")


def test_weighted_penalised_training_equals_pytorch():
    """Full-batch SGD on Σ wᵢ ℓᵢ / Σ wᵢ + ½ l2 Σ‖W‖² + l1 Σ|W|, written out in PyTorch."""
    torch = pytest.importorskip("torch")
    from backprop.interop import to_torch

    rng = np.random.default_rng(4)
    X = rng.normal(size=(25, 3))
    y = rng.normal(size=(25, 2))
    w = rng.uniform(0.0, 2.0, size=25)
    est = _small(
        MLPRegressor,
        hidden_layer_sizes=(6,),
        activation="tanh",
        optimizer="sgd",
        learning_rate_init=0.05,
        batch_size=None,
        l1=1e-3,
        l2=1e-2,
        alpha=0.0,  # scikit-learn's alpha is tested against scikit-learn
        loss="mse",
        dtype="float64",
        max_iter=1,
        tol=0.0,
        warm_start=True,
    )
    est.fit(X, y, sample_weight=w)  # one epoch builds the model; continue from its copy
    module = to_torch(est.model_)
    est.set_params(max_iter=15).fit(X, y, sample_weight=w)

    xt, yt, wt = (torch.from_numpy(a) for a in (X, y, w))
    optimizer = torch.optim.SGD(module.parameters(), lr=0.05)
    weights = [p for n, p in module.named_parameters() if n.endswith("weight")]
    for _ in range(15):
        optimizer.zero_grad()
        per_row = ((module(xt) - yt) ** 2).mean(dim=1)
        data_loss = (per_row * wt).sum() / wt.sum()
        penalty = sum(0.5 * 1e-2 * (p**2).sum() + 1e-3 * p.abs().sum() for p in weights)
        (data_loss + penalty).backward()
        last = data_loss.item()  # the epoch's loss: before its step, the data term
        optimizer.step()
    with torch.no_grad():
        expected = module(xt).numpy()
    np.testing.assert_allclose(est.predict(X), expected, rtol=1e-10, atol=1e-12)
    assert est.loss_curve_[-1] == pytest.approx(last, rel=1e-10)


def test_sample_weight_refusals():
    X, y = make_regression(n_samples=10, n_features=2, random_state=0)
    with pytest.raises(ValueError, match=r"[Nn]egative"):
        _small(MLPRegressor).fit(X, y, sample_weight=-np.ones(10))
    with pytest.raises(ValueError, match=r"\(5,\)|shape"):
        _small(MLPRegressor).fit(X, y, sample_weight=np.ones(5))


def test_float32_models_and_export():
    X, y = make_regression(n_samples=30, n_features=2, random_state=0)
    reg = _small(MLPRegressor, dtype="float32").fit(X, y)
    assert reg.model_[0].weight.dtype == backprop.float32
    assert reg.predict(X).dtype == np.float64
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # invalid params fail loudly, before training
        with pytest.raises(ConfigError, match="dtype must be"):
            _small(MLPRegressor, dtype="float16").fit(X, y)


def test_partial_fit_refuses_a_nan_class():
    from backprop.errors import DataError

    with pytest.raises(DataError, match="classes must be finite labels"):
        MLPClassifier(max_iter=5).partial_fit(np.zeros((2, 2)), [0, 1], classes=[0, np.nan])
