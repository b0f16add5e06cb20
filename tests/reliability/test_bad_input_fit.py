"""Issue 8, item 3 (continued): bad arrays for training — ``fit``, datasets, scikit-learn.

The cases of ``fit_data`` (NaN/inf, empty, one sample, wrong rank, objects and text, values
that overflow float32, rows that do not match, classes out of range, a bad validation pair)
go to ``backprop.train.fit``, to ``backprop.data``'s ``Dataset``/``check_xy``/``Standardizer``
and to the scikit-learn estimators' ``fit``/``predict``. Each must train (valid and edge
inputs: one sample, one feature, y as (N,)) or raise a backprop error naming the argument;
see ``bad_input_harness.py`` for the referee.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import strategies as st

import backprop as bp
from backprop import data, nn, optim
from backprop.errors import ConfigError, DataError, DTypeError, ShapeError
from backprop.train import fit

from .bad_input_harness import SEEDS, Tally, run

# one epoch per fit: scikit-learn's ConvergenceWarning says so every time
pytestmark = pytest.mark.filterwarnings("ignore:.*epochs ran and the loss was still improving")

# -- backprop.train.fit -------------------------------------------------------------------------
FIT_CASES = {  # mutation: (expected, the argument the message must name)
    "valid": ("ok", ()),
    "one sample": ("ok", ()),
    "bool x": ("ok", ()),
    "y as (N,)": ("ok", ()),
    "x NaN": (DataError, ("x",)),
    "x inf": (DataError, ("x",)),
    "x overflows float32": (DataError, ("x",)),
    "empty": (DataError, ("x",)),
    "x 1-D": (DataError, ("x",)),
    "x 3-D": (DataError, ("x",)),
    "x too wide": (ShapeError, ("x",)),
    "x objects": (DataError, ("x",)),
    "x text": (DataError, ("x",)),  # numbers as strings: refused (scikit-learn parses them)
    "x words": (DataError, ("x",)),
    "x complex": (DataError, ("x",)),
    "x ragged": (DataError, ("x",)),
    "x None": (DataError, ("x",)),
    "y fewer rows": (ShapeError, ("y",)),
    "y more rows": (ShapeError, ("y",)),
    "y NaN": (DataError, ("y",)),
    "y text": (DataError, ("y",)),
    "y 3-D": (ShapeError, ("y",)),
    "y too wide": (ShapeError, ("y",)),
    "y scalar": (ShapeError, ("y",)),
    "x_val rows": (ShapeError, ("x_val", "y_val")),
    "x_val width": (ShapeError, ("x_val",)),
    "y_val inf": (DataError, ("y_val",)),
}
CLASS_CASES = {
    "class out of range": (DataError, ("y",)),
    "class negative": (DataError, ("y",)),
    "class fraction": (DataError, ("y",)),
    "class 1e20": (DataError, ("y",)),
}


def fit_data(case, loss, n, d, k, rng):
    """(x, y, validation) for ``case`` (a valid pair, then the mutation)."""
    x = rng.normal(size=(n, d))
    y = rng.integers(0, k, n) if loss == "cross_entropy" else rng.normal(size=(n, k))
    if loss == "bce_with_logits":
        y = (y > 0).astype(float)
    val = None
    i = rng.integers(0, n)
    if case == "one sample":
        x, y = x[:1], y[:1]
    elif case == "bool x":
        x = x > 0
    elif case == "y as (N,)" and y.ndim == 2:
        y = y[:, 0]
    elif case in ("x NaN", "x inf"):
        x[i, rng.integers(0, d)] = np.nan if case == "x NaN" else -np.inf
    elif case == "x overflows float32":
        x[i, 0] = 1e39
    elif case == "empty":
        x, y = x[:0], y[:0]
    elif case in ("x 1-D", "x 3-D"):
        x = x[:, 0] if case == "x 1-D" else x[:, :, None]
    elif case == "x too wide":
        x = np.c_[x, x[:, :1]]
    elif case in ("x objects", "x text", "x words", "x complex", "x ragged", "x None"):
        x = {
            "x objects": np.where(x > 0, x, None),
            "x text": x.astype(str),
            "x words": np.where(x > 0, "yes", "no"),
            "x complex": x + 1j,
            "x ragged": [[1.0] * d, [1.0] * (d + 1)] + [[0.0] * d] * (n - 2),
            "x None": None,
        }[case]
        if case == "x objects" and (x != None).all():  # noqa: E711 - elementwise
            x[i, 0] = None
    elif case in ("y fewer rows", "y more rows"):
        y = y[: n - 1] if case == "y fewer rows" else np.concatenate([y, y[:1]])
    elif case in ("y NaN", "y text"):
        y = y.astype(float)
        y[i] = np.nan
        if case == "y text":
            y = y.astype(str)
    elif case == "y 3-D":
        y = y.reshape(n, -1)[:, :, None]
    elif case == "y too wide":  # values that would be valid targets: the shape is the fault
        y = rng.integers(0, k, (n, 2)) if loss == "cross_entropy" else rng.normal(size=(n, k + 1))
        if loss == "bce_with_logits":
            y = (y > 0).astype(float)
    elif case == "y scalar":
        y = 1.0
    elif case == "x_val rows":
        val = (x, y[: n - 1] if n > 1 else np.concatenate([y, y]))
    elif case == "x_val width":
        val = (np.c_[x, x], y)
    elif case == "y_val inf":
        yv = y.astype(float)
        yv[i] = np.inf
        val = (x, yv)
    elif case.startswith("class"):
        y = y.astype(float)
        y[i] = {"class out of range": k, "class negative": -1, "class fraction": 0.5,
                "class 1e20": 1e20}[case]  # fmt: skip
    return x, y, val


def test_fit(count):
    tally = Tally("backprop.train.fit")
    cases = {**FIT_CASES, **CLASS_CASES}

    @run(count, 150, 1500, list(cases),
         st.sampled_from(["mse", "cross_entropy", "bce_with_logits"]), st.integers(1, 5),
         st.integers(1, 3), st.integers(1, 3), st.sampled_from([None, 1, 2]),
         st.sampled_from([bp.float32, bp.float64]), SEEDS)  # fmt: skip
    def body(case, loss, n, d, k, batch, dtype, seed):
        if case.startswith("class") and loss != "cross_entropy":
            case = "valid"
        k = 1 if loss == "bce_with_logits" else k + (loss == "cross_entropy")
        if case in ("y fewer rows", "x_val rows", "y_val inf") or case.startswith("class"):
            n = max(n, 2)  # a row to drop, or one to spoil while others stay valid
        if case == "x overflows float32" and dtype == bp.float64:
            case = "valid"
        rng = np.random.default_rng(seed)
        x, y, validation = fit_data(case, loss, n, d, k, rng)
        expect, names = cases[case]
        if case == "y as (N,)" and k > 1 and loss == "mse":
            expect, names = ShapeError, ("y",)  # (N,) against (N, k) outputs would broadcast
        bp.manual_seed(seed)
        model = nn.MLP([d, 3, k], dtype=dtype)
        opt = optim.SGD(model.parameters(), lr=0.01)

        def call():
            return fit(model, (x, y), loss, opt, 1, batch, validation=validation, seed=seed % 1000)

        history = tally.check(f"fit ({loss})", expect, call, names, case)
        if expect == "ok":
            assert len(history) == 1

    body()
    tally.report()


# -- backprop.data: Dataset, check_xy, Standardizer, make ----------------------------------------
def dataset_expectation(case: str, task: str):
    """What a Dataset makes of a fit case: float64 and no model, so fewer limits."""
    fine = (
        "valid",
        "one sample",
        "bool x",
        "x overflows float32",
        "class out of range",
        "x too wide",
    )
    if case in fine:
        return "ok"
    if case == "y too wide" and task == "regression":
        return "ok"  # several targets
    if case == "y as (N,)" and task == "classification":
        return "ok"
    return DataError


def test_datasets(count):
    tally = Tally("backprop.data (Dataset, check_xy, Standardizer, make)")
    cases = [c for c in {**FIT_CASES, **CLASS_CASES} if not c.startswith(("x_val", "y_val"))]

    tasks = st.sampled_from(["regression", "classification"])

    @run(count, 100, 1000, cases, tasks, st.integers(1, 5), st.integers(1, 3),
         st.booleans(), SEEDS)  # fmt: skip
    def arrays(case, task, n, d, as_dataset, seed):
        if case.startswith("class") and task == "regression":
            case = "valid"
        if case == "y fewer rows" or case.startswith("class"):
            n = max(n, 2)
        loss = "cross_entropy" if task == "classification" else "mse"
        x, y, _ = fit_data(case, loss, n, d, 2, np.random.default_rng(seed))
        expect = dataset_expectation(case, task)
        if as_dataset:
            call = lambda: data.Dataset("t", task, x, y)  # noqa: E731
        else:
            call = lambda: data.check_xy(x, y, task)  # noqa: E731
        name = "Dataset" if as_dataset else "check_xy"
        tally.check(f"{name} ({task})", expect, call, ("x", "y"), case)

    scaler = data.Standardizer.fit(np.array([[0.0, 1.0], [2.0, 3.0]]))
    bad_rows = {
        "valid": ([[1.0, 2.0]], "ok"),
        "one row 1-D": ([1.0, 2.0], "ok"),
        "NaN": ([[np.nan, 2.0]], DataError),
        "inf": ([[1.0, -np.inf]], DataError),
        "wrong width": ([[1.0, 2.0, 3.0]], DataError),
        "scalar": (1.0, DataError),
        "text": ([["a", "b"]], DataError),
        "ragged": ([[1.0, 2.0], [3.0]], DataError),
        "objects": (np.array([[1.0, None]], dtype=object), DataError),
        "None": (None, DataError),
    }

    @run(count, 30, 300, list(bad_rows), st.booleans())
    def standardizer(how, inverse):
        rows, expect = bad_rows[how]
        if inverse and how in ("NaN", "inf"):
            expect = "ok"  # inverse_transform only maps numbers back to the data's units
        method = scaler.inverse_transform if inverse else scaler.transform
        tally.check("Standardizer." + method.__name__, expect, lambda: method(rows), ("x",), how)

    bad_options = {
        "n": [0, -1, 2.5, "10", float("nan"), 10**12, True],
        "noise": [-1, float("nan"), float("inf"), "0.1", [0.1]],
        "seed": [-1, 1.5, "0", None],
        "train_ratio": [0, -0.5, 1.5, float("nan"), "half"],
        "test_ratio": [1.0, -0.1, float("inf"), "0.2"],
        "classes": [1, 6, 2.5, "3"],
        "standardize": ["yes", 1, None],
    }

    names = st.sampled_from(["square", "sine", "xor", "spiral", "plane"])

    @run(count, 40, 500, [*bad_options, "valid edge"], names, st.integers(0, 7))
    def make(option, name, which):
        valid_edge = option == "valid edge"
        if valid_edge:  # the smallest sets that exist: one row (lecture), two (playground)
            n = 1 if name in ("square", "sine") else 2
            kwargs, expect = {"n": n, "train_ratio": 1.0 if n == 1 else 0.5}, "ok"
        else:
            values = bad_options[option]
            kwargs, expect = {option: values[which % len(values)]}, ConfigError
            if option == "classes" and name != "spiral":
                kwargs = {"classes": 3}  # an option the set does not have: also refused
        tally.check(f"make({name!r})", expect, lambda: data.make(name, **kwargs),
                    (*kwargs, "options"), repr(kwargs))  # fmt: skip

    for part in (arrays, standardizer, make):
        part()
    tally.report()


# -- scikit-learn estimators ------------------------------------------------------------------
def sklearn_expectation(case, classifier, y, dtype):
    """What the estimators make of a fit case: no model yet, any labels are classes."""
    fine = ["valid", "one sample", "bool x", "y as (N,)", "x too wide", "x text"]
    fine += ["class out of range", "class negative"]  # 1e20: "continuous" to scikit-learn
    if dtype == "float64":
        fine.append("x overflows float32")
    if not classifier:
        fine.append("y too wide")  # several outputs
    else:
        fine.append("y text")  # strings are labels ("nan" too)
    if case == "y too wide":  # several outputs; to a classifier a 0/1 matrix is multilabel
        return "ok"
    if case not in fine:  # (a classifier may find one class first)
        return (DataError, DTypeError, ConfigError) if classifier else (DataError, DTypeError)
    if classifier and len(np.unique(y)) < 2:
        return ConfigError  # one class only
    return "ok"


def test_sklearn_estimators(count):
    pytest.importorskip("sklearn")
    from backprop.sklearn import MLPClassifier, MLPRegressor

    tally = Tally("backprop.sklearn (fit, predict)")
    cases = [c for c in {**FIT_CASES, **CLASS_CASES} if not c.startswith(("x_val", "y_val"))]
    cases += ["sample_weight length", "sample_weight NaN", "sample_weight negative"]

    @run(count, 50, 600, cases, st.booleans(), st.integers(1, 5),
         st.integers(1, 3), st.sampled_from(["float32", "float64"]), SEEDS)  # fmt: skip
    def fitting(case, classifier, n, d, dtype, seed):
        weight_case = case.startswith("sample_weight")
        if case.startswith("class") and not classifier:
            case = "valid"
        if case == "y fewer rows" or case.startswith("class") or weight_case:
            n = max(n, 2)
        rng = np.random.default_rng(seed)
        x, y, _ = fit_data("valid" if weight_case else case, "cross_entropy" if classifier
                           else "mse", n, d, 2, rng)  # fmt: skip
        if not classifier and isinstance(y, np.ndarray) and y.ndim == 2 and case != "y too wide":
            y = y[:, 0]
        if classifier and case in ("valid", "bool x", "x too wide", "x text") and n > 1:
            y[:2] = [0, 1]  # two classes at least (one is a ConfigError, as in one sample)
        weights = None
        if weight_case:
            weights = {"length": np.ones(n + 1), "NaN": np.full(n, np.nan),
                       "negative": -np.ones(n)}[case.split()[1]]  # fmt: skip
        cls = MLPClassifier if classifier else MLPRegressor
        est = cls((2,), max_iter=1, random_state=0, dtype=dtype)
        expect = sklearn_expectation("valid" if weight_case else case, classifier, y, dtype)
        if weight_case and expect == "ok":
            expect = DataError
        names = ("X", "y", "sample_weight", "classes")
        got = tally.check(f"{cls.__name__}.fit", expect, lambda: est.fit(x, y, weights), names,
                          case)  # fmt: skip
        assert expect != "ok" or got is est

    predict_cases = ["valid", "one row", "NaN", "wrong width", "1-D", "empty", "words", "1e39"]

    @run(count, 30, 300, predict_cases, st.booleans(), st.integers(1, 3),
         st.sampled_from(["float32", "float64"]), SEEDS)  # fmt: skip
    def predicting(how, classifier, d, dtype, seed):
        x = np.random.default_rng(seed).normal(size=(4, d))
        cls = MLPClassifier if classifier else MLPRegressor
        est = cls((2,), max_iter=1, random_state=0, dtype=dtype).fit(x, [0, 1, 0, 1])
        rows = {"valid": x, "one row": x[:1], "NaN": x * np.nan, "wrong width": np.c_[x, x],
                "1-D": x[0], "empty": x[:0], "words": np.where(x > 0, "yes", "no"),
                "1e39": np.full_like(x, 1e39)}[how]  # fmt: skip
        fine = how in ("valid", "one row") or (how == "1e39" and dtype == "float64")
        method = est.predict if seed % 2 else getattr(est, "predict_proba", est.predict)
        out = tally.check(f"{cls.__name__}.{method.__name__}", "ok" if fine else DataError,
                          lambda: method(rows), ("X",), how)  # fmt: skip
        assert not fine or len(out) == len(rows)

    fitting()
    predicting()
    tally.report()
