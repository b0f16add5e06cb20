"""backprop.sklearn beside scikit-learn's own MLPClassifier/MLPRegressor (the oracle).

With ``shuffle=False`` and float64 the two start from the same weights (scikit-learn's
Glorot draws from the same stream) and take the same steps: SGD's numbers agree to
rounding, under every learning-rate schedule, with momentum and the alpha penalty; Adam's
differ only by where ε sits. With the defaults (shuffled rows, float32) the scores are
compared within stated tolerances. A script written for scikit-learn runs with only the
import changed.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn import neural_network as sk  # noqa: E402
from sklearn.datasets import load_digits, make_classification, make_regression  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import backprop.sklearn as bp  # noqa: E402
from backprop.errors import ConfigError, OutOfScopeError  # noqa: E402

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning", "ignore::UserWarning"
)


def _digits(n=600):
    X, y = load_digits(return_X_y=True)
    return X[:n] / 16.0, y[:n]


def _regression(n=300, outputs=1):
    X, y = make_regression(n, 6, n_targets=outputs, noise=5.0, random_state=0)
    return StandardScaler().fit_transform(X), y / np.std(y)


def _both(name, X, y, **params):
    """(scikit-learn's fitted estimator, ours), same parameters, ours in float64."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = getattr(sk, name)(**params).fit(X, y)
        ours = getattr(bp, name)(**params, dtype="float64").fit(X, y)
    return theirs, ours


SGD_CASES = [
    dict(learning_rate="constant", momentum=0.9, nesterovs_momentum=True),
    dict(learning_rate="constant", momentum=0.5, nesterovs_momentum=False, alpha=1e-2),
    dict(learning_rate="constant", momentum=0.0, alpha=0.0),
    dict(learning_rate="invscaling", learning_rate_init=0.2, power_t=0.3),
    dict(learning_rate="adaptive", learning_rate_init=0.05, n_iter_no_change=2, tol=1e-2),
]


@pytest.mark.parametrize("case", SGD_CASES, ids=lambda c: "-".join(map(str, c.values())))
@pytest.mark.parametrize("name", ["MLPClassifier", "MLPRegressor"])
def test_sgd_takes_scikit_learns_steps(name, case):
    X, y = _digits() if name == "MLPClassifier" else _regression()
    params = dict(hidden_layer_sizes=(12, 7), solver="sgd", shuffle=False, random_state=3,
                  batch_size=100, max_iter=25, learning_rate_init=0.01)  # fmt: skip
    theirs, ours = _both(name, X, y, **{**params, **case})
    assert ours.n_iter_ == theirs.n_iter_ and ours.t_ == theirs.t_
    # the alpha term's ‖W‖² is interpolated over an epoch's batches (see loss_): ~1e-7
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-6)
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-6)
    assert ours.best_loss_ == pytest.approx(theirs.best_loss_, rel=1e-6)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-7, atol=1e-9)


def test_adam_differs_from_scikit_learn_only_by_epsilon():
    X, y = _digits()
    params = dict(hidden_layer_sizes=(16,), shuffle=False, random_state=0, max_iter=10)
    theirs, ours = _both("MLPClassifier", X, y, **params)
    # same start; within the first epoch Adam's steps on tiny gradients differ already
    assert ours.loss_curve_[0] == pytest.approx(theirs.loss_curve_[0], rel=1e-5)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-3)
    assert abs(ours.score(X, y) - theirs.score(X, y)) <= 0.01


def test_early_stopping_scores_the_same_validation_rows():
    X, y = _digits()
    params = dict(hidden_layer_sizes=(16,), solver="sgd", learning_rate_init=0.05,
                  shuffle=False, random_state=0, max_iter=60, early_stopping=True,
                  n_iter_no_change=3, validation_fraction=0.2,
                  batch_size=96)  # 480 training rows: whole batches, alpha exact  # fmt: skip
    theirs, ours = _both("MLPClassifier", X, y, **params)
    assert ours.n_iter_ == theirs.n_iter_ < 60
    np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_)
    assert ours.best_validation_score_ == theirs.best_validation_score_
    assert ours.best_loss_ is None and theirs.best_loss_ is None
    for a, b in zip(ours.coefs_, theirs.coefs_):  # both keep the best epoch's weights
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("extra", [{}, {"early_stopping": True}, {"sample_weight": True}])
def test_multilabel_as_scikit_learns(extra):
    from sklearn.datasets import make_multilabel_classification

    n = 300 if extra.get("early_stopping") else 270  # whole batches of 90 (alpha exact)
    X, Y = make_multilabel_classification(n, 8, n_classes=4, random_state=0)
    X = X / X.max()
    params = dict(hidden_layer_sizes=(10,), solver="sgd", shuffle=False, random_state=0,
                  max_iter=15, batch_size=90, learning_rate_init=0.1)  # fmt: skip
    fit = {}
    if extra.pop("sample_weight", False):
        fit["sample_weight"] = np.random.default_rng(0).integers(0, 3, len(X))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = sk.MLPClassifier(**params, **extra).fit(X, Y, **fit)
        ours = bp.MLPClassifier(**params, **extra, dtype="float64").fit(X, Y, **fit)
    assert (ours.out_activation_, ours.n_outputs_) == (theirs.out_activation_, 4)
    assert list(ours.classes_) == list(theirs.classes_)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-6)
    for a, b in zip(ours.coefs_, theirs.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-10)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-10)
    assert ours.validation_scores_ == theirs.validation_scores_


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_warm_start_and_partial_fit_continue_as_scikit_learns(solver):
    X, y = _digits(400)
    params = dict(hidden_layer_sizes=(10,), solver=solver, shuffle=False, random_state=0,
                  max_iter=4, batch_size=100, warm_start=True, learning_rate="invscaling",
                  learning_rate_init=0.05 if solver == "sgd" else 0.005)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = sk.MLPClassifier(**params).fit(X, y).fit(X, y)
        ours = bp.MLPClassifier(**params, dtype="float64").fit(X, y).fit(X, y)
        for est in (theirs, ours):
            est.partial_fit(X[:200], y[:200])
    assert ours.n_iter_ == theirs.n_iter_ and ours.t_ == theirs.t_
    rtol = 1e-7 if solver == "sgd" else 3e-3  # adam: where ε sits
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=rtol)
    if solver == "sgd":
        for a, b in zip(ours.coefs_, theirs.coefs_):
            np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-9)
    else:  # weights of always-blank pixels see only alpha's ~1e-6 gradient, where Adam's ε
        # decides the step: compare what the weights compute
        np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=2e-2)


@pytest.mark.parametrize(
    "name, data",
    [
        ("MLPClassifier", lambda: make_classification(200, 5, random_state=0)),
        ("MLPClassifier", lambda: _digits(300)),
        ("MLPRegressor", lambda: _regression(200)),
        ("MLPRegressor", lambda: _regression(200, outputs=3)),
    ],
    ids=["binary", "multiclass", "regression", "3 outputs"],
)
def test_fitted_attributes_as_scikit_learns(name, data):
    X, y = data()
    params = dict(hidden_layer_sizes=(9, 4), max_iter=5, random_state=0, shuffle=False)
    theirs, ours = _both(name, X, y, **params)
    for attr in ("n_layers_", "n_outputs_", "out_activation_", "n_iter_", "t_",
                 "n_features_in_", "validation_scores_", "best_validation_score_"):  # fmt: skip
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    assert [c.shape for c in ours.coefs_] == [c.shape for c in theirs.coefs_]
    assert [b.shape for b in ours.intercepts_] == [b.shape for b in theirs.intercepts_]
    assert len(ours.loss_curve_) == len(theirs.loss_curve_)
    assert ours.loss_curve_[0] == pytest.approx(theirs.loss_curve_[0], rel=1e-4)  # Adam's ε
    assert ours.predict(X).shape == theirs.predict(X).shape
    if name == "MLPClassifier":
        assert list(ours.classes_) == list(theirs.classes_)
        assert ours.predict_proba(X).shape == theirs.predict_proba(X).shape


@pytest.mark.slow  # ~13 s: twelve fits on all of digits and a 600-row regression
def test_default_estimators_score_as_scikit_learns():
    """Defaults (shuffled rows, float32): within 0.03 of scikit-learn's accuracy and r²,
    the mean over three seeds each, on held-out rows."""
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    Xr, yr = _regression(600)
    gaps = {"accuracy": [], "r2": []}
    for seed in range(3):
        for name, (A, b), key in (("MLPClassifier", (X, y), "accuracy"),
                                  ("MLPRegressor", (Xr, yr), "r2")):  # fmt: skip
            cut = int(0.75 * len(A))
            scores = []
            for module in (sk, bp):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    est = getattr(module, name)(random_state=seed, max_iter=100)
                    est.fit(A[:cut], b[:cut])
                scores.append(est.score(A[cut:], b[cut:]))
            gaps[key].append(scores[1] - scores[0])
    assert abs(np.mean(gaps["accuracy"])) <= 0.03, gaps
    assert abs(np.mean(gaps["r2"])) <= 0.03, gaps


# -- parameters -------------------------------------------------------------------------------
def test_every_scikit_learn_parameter_with_its_default():
    for name in ("MLPClassifier", "MLPRegressor"):
        theirs = getattr(sk, name)().get_params()
        ours = getattr(bp, name)().get_params()
        assert {k: ours[k] for k in theirs} == theirs
        assert ours["dtype"] == "float32"


BAD = [
    ("solver", "newton", ConfigError, r"solver must be one of 'adam', 'sgd'"),
    ("solver", "lbfgs", OutOfScopeError, r"lbfgs.*not implemented.*solver='adam'"),
    ("learning_rate", "adaptiv", ConfigError, r"learning_rate must be one of.*'adaptive'\?"),
    ("alpha", -1.0, ConfigError, r"alpha must be a number >= 0.0, got -1.0"),
    ("momentum", 1.5, ConfigError, r"momentum must be a number >= 0.0 and <= 1.0, got 1.5"),
    ("beta_1", 1.0, ConfigError, r"beta_1 must be a number >= 0.0 and < 1.0"),
    ("beta_2", -0.1, ConfigError, r"beta_2 must be a number"),
    ("epsilon", 0.0, ConfigError, r"epsilon must be a number > 0.0"),
    ("power_t", "half", ConfigError, r"power_t must be a number"),
    ("max_fun", 0, ConfigError, r"max_fun must be a whole number >= 1"),
    ("nesterovs_momentum", "yes", ConfigError, r"nesterovs_momentum must be True or False"),
    ("verbose", -1, ConfigError, r"verbose must be True/False or a whole number"),
    ("validation_fraction", 1.0, ConfigError, r"validation_fraction must be a number > 0.0"),
    ("learning_rate_init", 0.0, ConfigError, r"learning_rate_init must be a number > 0.0"),
    ("batch_size", 0, ConfigError, r"batch_size must be a whole number >= 1"),
]


@pytest.mark.parametrize("param, value, error, message", BAD, ids=[b[0] for b in BAD])
def test_bad_parameters_are_named(param, value, error, message):
    X, y = make_classification(30, 3, n_informative=2, n_redundant=0, random_state=0)
    with pytest.raises(error, match=message):
        bp.MLPClassifier(max_iter=2, **{param: value}).fit(X, y)
    if param == "solver" and value == "lbfgs":
        with pytest.raises(NotImplementedError):
            bp.MLPRegressor(solver="lbfgs").fit(X, y)


def test_verbose_prints_as_scikit_learn(capsys):
    X, y = _digits(200)
    params = dict(hidden_layer_sizes=(8,), solver="sgd", shuffle=False, random_state=0,
                  max_iter=3, verbose=True)  # fmt: skip
    _both("MLPClassifier", X, y, **params)
    theirs, ours = np.split(np.array(capsys.readouterr().out.splitlines()), 2)
    assert list(ours) == list(theirs)


# -- a script written for scikit-learn, run with the import changed ----------------------------
def _script(module):
    """What a scikit-learn user writes; ``module`` plays ``sklearn.neural_network``."""
    X, y = make_classification(240, 6, n_informative=4, random_state=1)
    X = X * [1, 10, 100, 0.1, 1, 5]
    Xr, yr = make_regression(240, 4, noise=2.0, random_state=1)
    out = {}
    for kw in (
        dict(solver="adam", alpha=1e-4),
        dict(solver="sgd", learning_rate="adaptive", momentum=0.8),
        dict(solver="sgd", learning_rate="invscaling", nesterovs_momentum=False),
        dict(hidden_layer_sizes=(20, 10), activation="tanh", early_stopping=True),
        dict(activation="logistic", beta_1=0.8, beta_2=0.99, epsilon=1e-7, batch_size=32),
        dict(activation="identity", learning_rate_init=0.01, tol=1e-3, n_iter_no_change=5),
    ):
        clf = make_pipeline(StandardScaler(), module.MLPClassifier(random_state=0, **kw))
        out[str(kw)] = clf.fit(X, y).score(X, y)
    grid = GridSearchCV(
        make_pipeline(StandardScaler(), module.MLPRegressor(max_iter=300, random_state=0)),
        {"mlpregressor__alpha": [1e-4, 1e-1], "mlpregressor__learning_rate_init": [1e-3, 1e-2]},
        cv=3,
    )
    grid.fit(Xr, yr / 100)
    out["grid"] = grid.best_score_
    reg = grid.best_estimator_[-1]
    out["attributes"] = (reg.n_layers_, reg.out_activation_, len(reg.coefs_), reg.t_ > 0)
    return out


def test_a_script_written_for_scikit_learn_runs_with_the_import_changed():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs, ours = _script(sk), _script(bp)
    assert ours["attributes"] == theirs["attributes"]
    for key, score in theirs.items():
        if key != "attributes":
            assert ours[key] >= score - 0.05, (key, ours[key], score)
