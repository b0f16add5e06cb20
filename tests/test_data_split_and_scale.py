"""backprop.data: random and stratified train/test splits, and the Standardizer (fitted on
training rows only, round trip, its own input checks)."""

import json

import numpy as np
import pytest

from backprop.data import Standardizer, make, train_test_split
from backprop.errors import ConfigError, DataError

# ---------------------------------------------------------------------------- splits


def test_stratified_split_keeps_class_proportions():
    y = np.repeat([0, 1, 2], [100, 300, 600])
    x = np.arange(1000.0)[:, None]
    xa, ya, xb, yb = train_test_split(x, y, 0.7, seed=3, stratify=True)
    assert len(ya) == 700 and len(yb) == 300
    assert np.array_equal(np.bincount(ya), [70, 210, 420])
    assert sorted(np.concatenate([xa, xb])[:, 0]) == list(range(1000))
    assert np.array_equal(y[xa[:, 0].astype(int)], ya)  # rows stay paired
    y = np.repeat([0, 1, 2], [10, 7, 13])  # halves 5, 3.5, 6.5: one of the .5s rounds up
    _, ya, _, yb = train_test_split(np.zeros((30, 1)), y, 0.5, seed=0, stratify=True)
    assert len(ya) == 15 and np.all(np.abs(np.bincount(ya) - np.array([10, 7, 13]) / 2) < 1)


def test_split_is_random_not_the_last_rows():
    x = np.arange(100.0)[:, None]
    xa, _, xb, _ = train_test_split(x, x[:, 0], 0.8, seed=0, stratify=False)
    assert sorted(xb[:, 0]) != list(range(80, 100))
    xa2, *_ = train_test_split(x, x[:, 0], 0.8, seed=0, stratify=False)
    xa3, *_ = train_test_split(x, x[:, 0], 0.8, seed=1, stratify=False)
    assert np.array_equal(xa, xa2) and not np.array_equal(xa, xa3)


def test_split_errors():
    x = np.zeros((10, 1))
    with pytest.raises(ConfigError, match="ratio"):
        train_test_split(x, np.zeros(10), 1.0, seed=0, stratify=False)
    with pytest.raises(DataError, match="same number of rows"):
        train_test_split(x, np.zeros(9), 0.5, seed=0, stratify=False)
    with pytest.raises(ConfigError, match="stratify"):
        train_test_split(x, np.zeros((10, 2)), 0.5, seed=0, stratify=True)


# ------------------------------------------------------------------------ Standardizer


def test_standardizer_round_trip_and_dict():
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, (50, 3))
    x[:, 2] = 7.0  # constant column
    s = Standardizer.fit(x)
    z = s.transform(x)
    assert np.allclose(z[:, :2].mean(axis=0), 0) and np.allclose(z[:, :2].std(axis=0), 1)
    assert s.std[2] == 1.0 and np.all(z[:, 2] == 0)
    assert np.allclose(s.inverse_transform(z), x)
    d = json.loads(json.dumps(s.to_dict()))
    t = Standardizer.from_dict(d)
    assert np.array_equal(t.mean, s.mean) and np.array_equal(t.std, s.std)
    assert np.array_equal(t.transform(x[:1]), z[:1])
    assert np.allclose(Standardizer([1.0], [0.0]).transform([[5.0]]), [[4.0]])
    with pytest.raises(DataError, match="3 feature"):
        s.transform(np.zeros((2, 2)))
    with pytest.raises(ConfigError, match="mean"):
        Standardizer.from_dict({"mean": [0.0]})


def test_scaler_is_fitted_on_training_rows_only():
    data = make("circle", seed=0, standardize=True)
    assert np.allclose(data.x.mean(axis=0), 0) and np.allclose(data.x.std(axis=0), 1)
    raw = make("circle", seed=0)
    assert np.allclose(data.scaler.mean, raw.x.mean(axis=0))
    assert np.allclose(data.x_test, (raw.x_test - raw.x.mean(axis=0)) / raw.x.std(axis=0))


def test_standardizer_refuses_text_ragged_and_nonfinite_inputs():
    # transform leaked NumPy's ValueError for text and ragged rows and passed NaN through
    scaler = Standardizer.fit(np.array([[1.0, 2.0], [3.0, 5.0]]))
    with pytest.raises(DataError, match=r"Standardizer\.transform: x holds text"):
        scaler.transform([["a", "b"]])
    with pytest.raises(DataError, match=r"Standardizer\.transform: x cannot be read"):
        scaler.transform([[1.0, 2.0], [3.0]])
    with pytest.raises(DataError, match=r"x at row 1, column 0 is NaN"):
        scaler.transform([[1.0, 2.0], [np.nan, 2.0]])
    with pytest.raises(DataError, match=r"Standardizer\.inverse_transform: x has shape \(3,\)"):
        scaler.inverse_transform([1.0, 2.0, 3.0])
    assert scaler.transform([[1, 2]]).tolist() == [[-1.0, -1.0]]  # integers are numbers


def test_standardizer_fits_huge_finite_columns():
    # the squares of 1e300 overflowed: "Standardizer: mean and std must be finite numbers"
    x = np.array([[1e300, 1.0], [-1e300, 2.0], [1.7e308, 3.0]])
    scaler = Standardizer.fit(x)
    assert np.isfinite(scaler.mean).all() and np.isfinite(scaler.std).all()
    z = scaler.transform(x)
    assert np.allclose(z.mean(axis=0), 0.0) and np.allclose(z.std(axis=0), 1.0)
