"""backprop.data's input validation: make()'s options, check_xy and Dataset refuse bad
input with messages that name the parameter, the rule, the value and the fix."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop.data import Dataset, check_xy, make
from backprop.errors import ConfigError, DataError

# -------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"name": "circles"}, ["dataset name", "circles", "circle", "digits", "square"]),
        ({"name": "circle", "noise": 60}, ["noise", "0 and 50", "60"]),
        ({"name": "circle", "noise": -1}, ["noise", "-1"]),
        ({"name": "circle", "train_ratio": 0.95}, ["train_ratio", "0.1 and 0.9", "0.95"]),
        ({"name": "circle", "train_ratio": 50}, ["train_ratio", "50"]),
        ({"name": "square", "n": 0}, ["n", "between 1 and 10000000", "0"]),
        ({"name": "square", "n": 2.5}, ["n", "whole number", "2.5"]),
        ({"name": "square", "n": True}, ["n", "whole number", "True"]),  # was taken as n=1
        ({"name": "square", "train_ratio": 0}, ["train_ratio", "0"]),
        ({"name": "spiral", "classes": 6}, ["classes", "2 and 5", "6"]),
        ({"name": "circle", "classes": 3}, ["options", "circle", "classes"]),
        ({"name": "digits", "noise": 10}, ["noise", "digits", "10"]),
        ({"name": "digits", "n": 5000}, ["n", "1797", "5000"]),
        ({"name": "square", "seed": -1}, ["seed", "-1"]),
        ({"name": "circle", "n": 5, "train_ratio": 0.1}, ["train_ratio", "empty"]),
    ],
)
def test_option_errors_name_parameter_rule_and_value(kwargs, words):
    with pytest.raises(ConfigError) as info:
        make(**kwargs)
    for word in words:
        assert word in str(info.value)


def test_test_ratio_is_accepted_for_named_sets():
    data = make("iris", test_ratio=0.4)
    assert len(data.x_test) == 60 and data.params["train_ratio"] == pytest.approx(0.6)
    with pytest.raises(ConfigError):
        make("iris", test_ratio=0.4, train_ratio=0.6)


# ----------------------------------------------------------------------------- check_xy


def test_check_xy_converts_and_accepts_good_input():
    x, y = check_xy([[1, 2], [3, 4]], [[0.5], [1.5]], "regression")
    assert x.dtype == y.dtype == np.float64 and y.shape == (2, 1)
    x, y = check_xy(np.ones((3, 2), dtype=np.float32), [0.0, 2.0, 1.0], "classification")
    assert y.dtype == np.int64 and y.tolist() == [0, 2, 1]
    x, _ = check_xy(np.array([[1, 2.5]], dtype=object), [1], "classification")
    assert x.dtype == np.float64


@pytest.mark.parametrize(
    ("x", "y", "task", "words"),
    [
        (np.ones(3), np.ones((3, 1)), "regression", ["x", "shape (3,)", "reshape(-1, 1)"]),
        (np.ones((3, 1)), np.ones(3), "regression", ["y", "reshape(-1, 1)"]),
        (np.ones((2, 2, 2)), np.ones((2, 1)), "regression", ["x", "2-D"]),
        (np.ones((0, 2)), np.ones((0, 1)), "regression", ["x", "empty"]),
        (np.ones((3, 0)), np.ones((3, 1)), "regression", ["x", "no columns"]),
        (np.ones((3, 2)), np.ones((4, 1)), "regression", ["3 rows", "4"]),
        (np.ones((2, 1)), np.array([[0], [1]]), "classification", ["(N,)", "ravel"]),
        (np.ones((2, 1)), np.array([0, -1]), "classification", ["row 1", "negative"]),
        (np.ones((2, 1)), np.array([0, 1.5]), "classification", ["row 1", "1.5"]),
        (np.ones((2, 1)), np.array(["a", "b"]), "classification", ["text labels", "'a'"]),
        (np.array([["1", "2"]]), np.ones((1, 1)), "regression", ["text", "'1'", "astype"]),
        (np.array([[1.0, None]], dtype=object), [[1]], "regression", ["row 0, column 1", "None"]),
        (np.array([[1.0], [2]], dtype=complex), [[1], [2]], "regression", ["complex"]),
        ([[1.0, 2.0], [3.0]], [[1], [2]], "regression", ["different lengths"]),
        (None, [[1]], "regression", ["x is None"]),
    ],
)
def test_check_xy_refuses_bad_input(x, y, task, words):
    with pytest.raises(DataError) as info:
        check_xy(x, y, task, what="training data")
    message = str(info.value)
    assert message.startswith("training data:")
    for word in words:
        assert word in message


def test_check_xy_unknown_task():
    with pytest.raises(ConfigError, match="task"):
        check_xy([[1.0]], [[1.0]], "ranking")


@settings(max_examples=60, deadline=None)
@given(
    rows=st.integers(1, 30),
    cols=st.integers(1, 6),
    bad=st.lists(
        st.tuples(st.integers(0, 10_000), st.integers(0, 10_000), st.sampled_from(
            [np.nan, np.inf, -np.inf])),
        min_size=1,
        max_size=4,
    ),
    in_y=st.booleans(),
    seed=st.integers(0, 2**16),
)  # fmt: skip
def test_nonfinite_values_are_reported_at_their_row_and_column(rows, cols, bad, in_y, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, cols))
    y = rng.normal(size=(rows, 2))
    target = y if in_y else x
    for i, j, value in bad:
        target[i % target.shape[0], j % target.shape[1]] = value
    first = min((i % target.shape[0], j % target.shape[1]) for i, j, _ in bad)
    kind = "NaN" if np.isnan(target[first]) else ("inf" if target[first] > 0 else "-inf")
    with pytest.raises(DataError) as info:
        check_xy(x, y, "regression")
    message = str(info.value)
    name = "y" if in_y else "x"
    assert f"{name} at row {first[0]}, column {first[1]} is {kind}," in message
    assert re.search(r"row \d+, column \d+", message)


@settings(max_examples=30, deadline=None)
@given(rows=st.integers(1, 40), where=st.integers(0, 10_000), seed=st.integers(0, 2**16))
def test_nan_class_label_reported_at_its_row(rows, where, seed):
    y = np.random.default_rng(seed).integers(0, 3, rows).astype(float)
    y[where % rows] = np.nan
    with pytest.raises(DataError, match=rf"y at row {where % rows} is NaN,"):
        check_xy(np.zeros((rows, 2)), y, "classification")


def test_test_ratio_errors_name_test_ratio():
    # test_ratio=1.0 was reported as "train_ratio ... got 0.0"
    for name, bad in (("square", 1.0), ("xor", 0.95), ("square", -0.1)):
        with pytest.raises(ConfigError, match=rf"test_ratio: .*got {bad}"):
            make(name, test_ratio=bad)
    assert make("xor", n=10, test_ratio=0.3).x_test.shape == (3, 2)


def test_make_bounds_n_like_the_spec():
    # n=10**12 was a MemoryError (7 TiB); one row is a valid edge case
    with pytest.raises(ConfigError, match=r"n: must be between 1 and 10000000"):
        make("square", n=10**12)
    assert make("square", n=1).x.shape == (1, 1)


def test_class_labels_far_out_of_range_are_refused_as_given():
    # a label of 2**40 used to make 2**40 class names (out of memory); 1e20 was shown as the
    # int64 it wraps to (-9223372036854775808)
    x = np.zeros((3, 1))
    with pytest.raises(DataError, match=r"y at row 1 is class 1099511627776 but backprop"):
        Dataset("big", "classification", x, np.array([0, 2**40, 1]))
    with pytest.raises(DataError, match=r"y at row 0 is class 1e\+20"):
        check_xy(x, np.array([1e20, 0.0, 1.0]), "classification")
    with pytest.raises(DataError, match=r"x at row 2, column 0 is an integer of 401 digits"):
        check_xy(np.array([[1], [2], [10**400]], dtype=object), np.zeros((3, 1)), "regression")


def test_dataset_checks_its_arrays():
    x = np.ones((4, 2))
    with pytest.raises(DataError, match="test data: x at row 1, column 0 is inf"):
        Dataset("mine", "regression", x, np.ones((4, 1)), x_test=np.array([[0, 0], [np.inf, 0]]),
                y_test=np.ones((2, 1)))  # fmt: skip
    with pytest.raises(DataError, match="both x_test and y_test"):
        Dataset("mine", "regression", x, np.ones((4, 1)), x_test=x)
    with pytest.raises(DataError, match="class names"):
        Dataset("mine", "classification", x, np.array([0, 1, 2, 0]), target_names=["a", "b"])
    data = Dataset("mine", "classification", x, np.array([0, 1, 2, 0]))
    assert data.target_names == ["0", "1", "2"] and data.feature_names == ["x1", "x2"]
    assert "3 classes" in repr(data)


def test_lecture_noise_has_an_upper_bound_named_noise():
    # noise=1e308 made y = ±inf and was reported as bad data at some row, not as noise
    with pytest.raises(ConfigError, match=r"noise: must be between 0 and"):
        make("square", noise=1e308)
    assert np.isfinite(make("square", noise=1e6).y).all()
