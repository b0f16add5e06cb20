"""backprop.data's named sets: the registry, the generators against the lecture's and the
playground's definitions, and the scikit-learn sets (sizes, split, scaling)."""

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from backprop.data import DATASETS, OptionalDependencyError, make
from backprop.data import real as real_module
from backprop.data.synthetic import multigauss_label
from backprop.errors import BackpropError

SYNTHETIC = [name for name, info in DATASETS.items() if info.kind != "sklearn"]
SKLEARN_SIZES = {
    "digits": (1797, 64, 10),
    "iris": (150, 4, 3),
    "wine": (178, 13, 3),
    "breast_cancer": (569, 30, 2),
    "diabetes": (442, 10, 0),
}


def all_rows(data):
    """Training and test rows together."""
    if data.x_test is None:
        return data.x, data.y
    return np.concatenate([data.x, data.x_test]), np.concatenate([data.y, data.y_test])


# ------------------------------------------------------------------- registry, shapes


def test_registry_lists_every_family():
    kinds = {info.kind for info in DATASETS.values()}
    assert kinds == {"lecture", "playground", "sklearn"}
    names = ["square", "abs", "sine", "circle", "xor", "gauss", "spiral", "plane", "multigauss",
             "digits", "iris", "wine", "breast_cancer", "diabetes"]  # fmt: skip
    for name in names:
        assert DATASETS[name].name == name


@pytest.mark.parametrize("name", list(DATASETS))
def test_shapes_and_dtypes(name):
    info = DATASETS[name]
    data = make(name, seed=1)
    assert data.task == info.task
    n, d = data.x.shape
    assert d == info.dims == data.n_features == len(data.feature_names)
    assert data.x.dtype == np.float64
    if info.task == "regression":
        assert data.y.dtype == np.float64 and data.y.shape == (n, 1)
        assert data.n_classes == 0 and data.n_outputs == 1 and data.target_names
    else:
        assert data.y.dtype == np.int64 and data.y.shape == (n,)
        assert data.n_classes == len(data.target_names) == data.n_outputs
        assert set(np.unique(all_rows(data)[1])) == set(range(data.n_classes))
    if data.x_test is not None:
        assert data.x_test.dtype == np.float64 and data.x_test.shape[1] == d
        assert data.y_test.dtype == data.y.dtype and data.y_test.shape[1:] == data.y.shape[1:]
    x, y = data.arrays()
    assert x is data.x and y is data.y
    assert len(all_rows(data)[0]) == info.defaults["n"]


@pytest.mark.parametrize("name", SYNTHETIC)
def test_same_seed_same_arrays_other_seed_other_arrays(name):
    a, b, c = make(name, seed=5), make(name, seed=5), make(name, seed=6)
    for field in ("x", "y", "x_test", "y_test"):
        assert np.array_equal(getattr(a, field), getattr(b, field))
    assert not np.array_equal(a.x, c.x)


@pytest.mark.parametrize("name", [*SYNTHETIC, "iris"])
def test_params_are_json_and_rebuild_the_dataset(name):
    data = make(name, seed=3, **({"noise": 20} if DATASETS[name].kind == "playground" else {}))
    params = json.loads(json.dumps(data.params))
    assert {"name", "n", "noise", "seed", "train_ratio"} <= set(params)
    again = make(**params)
    assert np.array_equal(again.x, data.x) and np.array_equal(again.y, data.y)


def test_generators_do_not_touch_global_random_state():
    np.random.seed(0)
    before = np.random.random()
    np.random.seed(0)
    make("spiral", seed=9)
    assert np.random.random() == before


# --------------------------------------------------------------------------- lecture


def test_square_is_the_lectures_distribution():
    data = make("square", n=200_000, seed=0)
    x, y = data.x[:, 0], data.y[:, 0]
    assert abs(x.std() - 5.0) < 0.03 and abs(x.mean()) < 0.03
    assert abs(np.var(y - x**2) - 1.0) < 0.02
    assert make("square").x.shape == (100, 1)  # the lecture's 100 samples
    assert make("square").x_test is None


def test_square_draws_x_then_noise_from_default_rng():
    rng = np.random.default_rng(4)
    x = 5 * rng.standard_normal((100, 1))
    y = np.square(x) + rng.standard_normal((100, 1))
    data = make("square", seed=4)
    assert np.array_equal(data.x, x) and np.array_equal(data.y, y)


def test_abs_and_sine_without_noise_are_exact():
    data = make("abs", n=2000, seed=1)
    assert data.x.min() >= -3 and data.x.max() <= 5
    assert data.x.min() < -2.9 and data.x.max() > 4.9
    assert np.array_equal(data.y, np.abs(data.x - 1))
    data = make("sine", n=2000, noise=0, seed=1)
    assert np.abs(data.x).max() <= math.pi
    assert np.array_equal(data.y, np.sin(data.x))
    noisy = make("abs", n=20_000, noise=0.5, seed=1)
    assert abs(np.std(noisy.y - np.abs(noisy.x - 1)) - 0.5) < 0.02


# ------------------------------------------------------------------------ playground


def test_circle_geometry_as_dataset_ts():
    x, y = all_rows(make("circle", n=2000, seed=2))
    r = np.hypot(x[:, 0], x[:, 1])
    assert np.all(r[y == 1] < 2.5)
    assert np.all((r[y == 0] >= 3.5) & (r[y == 0] <= 5.0))
    assert (y == 1).sum() == (y == 0).sum() == 1000
    # Noise 5 % shifts the labelled point by at most 0.25·√2 ≈ 0.354, so inside points near
    # the edge can get class 0 (the label radius is 2.5, not anything up to the ring at 3.5).
    x, y = all_rows(make("circle", n=4000, noise=5, seed=2))
    r = np.hypot(x[:, 0], x[:, 1])
    assert np.any((r < 2.5) & (y == 0)) and np.all(r[(r < 2.5) & (y == 0)] > 2.5 - 0.354)
    assert np.all(y[r >= 3.5] == 0)
    # Noise changes the labels (the playground shifts the point it labels), not the points.
    x, y = all_rows(make("circle", n=2000, noise=50, seed=2))
    r = np.hypot(x[:, 0], x[:, 1])
    assert np.all((r < 2.5) | (r >= 3.5))
    wrong = np.mean((r < 2.5) != (y == 1))
    assert 0.05 < wrong < 0.5


def test_xor_sign_rule_and_padding():
    x, y = all_rows(make("xor", n=2000, seed=3))
    assert np.array_equal(y, (x[:, 0] * x[:, 1] >= 0).astype(np.int64))
    assert np.all((np.abs(x) >= 0.3) & (np.abs(x) <= 5.3))
    x, y = all_rows(make("xor", n=2000, noise=50, seed=3))
    assert np.mean(y != (x[:, 0] * x[:, 1] >= 0)) > 0.05


def test_gauss_centres_and_variance_as_dataset_ts():
    x, y = all_rows(make("gauss", n=40_000, seed=4))
    assert np.allclose(x[y == 1].mean(axis=0), [2, 2], atol=0.03)
    assert np.allclose(x[y == 0].mean(axis=0), [-2, -2], atol=0.03)
    assert np.allclose(x[y == 1].var(axis=0), 0.5, atol=0.03)  # variance 0.5 at noise 0
    x, y = all_rows(make("gauss", n=40_000, noise=50, seed=4))
    assert np.allclose(x[y == 0].var(axis=0), 4.0, rtol=0.05)  # ... 4 at noise 50


@pytest.mark.parametrize("classes", [3, 4, 5])
def test_gauss_multiclass_centres_keep_the_two_class_distance(classes):
    x, y = all_rows(make("gauss", n=20_000, seed=5, classes=classes))
    means = np.array([x[y == c].mean(axis=0) for c in range(classes)])
    gaps = np.linalg.norm(means - np.roll(means, 1, axis=0), axis=1)
    assert np.allclose(gaps, 4 * math.sqrt(2), atol=0.1)


def test_spiral_points_lie_on_the_playgrounds_arms():
    x, y = all_rows(make("spiral", n=1000, seed=6))
    r = np.hypot(x[:, 0], x[:, 1])
    assert r.max() < 5.0
    t = np.arctan2(x[:, 0], x[:, 1])  # x = r sin t, y = r cos t
    arm = np.where(y == 1, 0.0, math.pi)  # class 1 (+1): Δ = 0, class 0 (−1): Δ = π
    diff = np.angle(np.exp(1j * (t - (1.75 * 2 * math.pi * r / 5 + arm))))
    assert np.all(np.abs(diff[r > 1e-9]) < 1e-9)
    noisy = all_rows(make("spiral", n=1000, noise=50, seed=6))[0]
    shift = noisy - x  # same seed, same draw order: noise is p·U(−1, 1) per coordinate
    assert np.all(np.abs(shift) <= 0.5) and np.abs(shift).max() > 0.45


@pytest.mark.parametrize("classes", [3, 4, 5])
def test_multiclass_spiral_is_balanced(classes):
    data = make("spiral", n=503, seed=7, classes=classes)
    counts = np.bincount(all_rows(data)[1])
    assert len(counts) == classes == data.n_classes and counts.max() - counts.min() <= 1
    train_counts = np.bincount(data.y, minlength=classes)
    assert np.all(np.abs(train_counts - counts * len(data.y) / 503) <= 1)


def test_plane_and_multigauss_labels():
    x, y = all_rows(make("plane", n=3000, seed=8))
    assert np.abs(x).max() <= 6 and np.abs(x).max() > 5.9
    assert np.allclose(y[:, 0], (x[:, 0] + x[:, 1]) / 10)
    x, y = all_rows(make("plane", n=3000, noise=30, seed=8))
    assert not np.allclose(y[:, 0], (x[:, 0] + x[:, 1]) / 10)
    x, y = all_rows(make("multigauss", n=3000, seed=8))
    assert np.abs(y).max() <= 1 and np.allclose(y[:, 0], multigauss_label(x))


def test_multigauss_label_hand_worked_points():
    points = np.array([[-4, 2.5], [0, 2.5], [1, 2.5], [2, 2.5], [4, -2.5], [0, -1.5], [9, 9]])
    # (1, 2.5): 1 from the −1 bump at (0, 2.5) → −(1 − 1/2); (2, 2.5): 2 from two bumps → 0;
    # (0, −1.5): 1 from the +1 bump at (0, −2.5) → +0.5.
    expected = [1.0, -1.0, -0.5, 0.0, -1.0, 0.5, 0.0]
    assert np.allclose(multigauss_label(points.astype(float)), expected)


@pytest.mark.parametrize("ratio", [0.1, 0.3, 0.5, 0.7, 0.9])
def test_train_ratio_sizes_like_the_playground(ratio):
    data = make("circle", n=500, train_ratio=ratio, seed=1)
    assert len(data.x) == math.floor(500 * ratio + 1e-9)
    assert len(data.x) + len(data.x_test) == 500
    assert len(make("square", train_ratio=ratio).x) == math.floor(100 * ratio + 1e-9)


def test_noise_and_defaults_follow_the_playground():
    for name in ("circle", "xor", "gauss", "spiral"):
        assert DATASETS[name].defaults["n"] == 500
    for name in ("plane", "multigauss"):
        assert DATASETS[name].defaults["n"] == 1200  # the playground's NUM_SAMPLES_REGRESS
    for info in DATASETS.values():
        if info.kind == "playground":
            assert info.defaults["noise"] == 0 and info.defaults["train_ratio"] == 0.5


# ------------------------------------------------------------------------- scikit-learn


@pytest.mark.parametrize("name", list(SKLEARN_SIZES))
def test_sklearn_sizes_split_and_scaling(name):
    rows, features, classes = SKLEARN_SIZES[name]
    data = make(name, seed=0)
    x, _ = all_rows(data)
    assert x.shape == (rows, features) and data.n_classes == classes
    assert len(data.x_test) == rows - math.floor(rows * 0.8)  # test_ratio 0.2
    assert np.allclose(data.x.mean(axis=0), 0, atol=1e-9)
    spread = data.x.std(axis=0)
    assert np.all(np.isclose(spread, 1) | np.isclose(spread, 0))  # constant pixels → 0
    raw_x, raw_y, _, _ = real_module.load_sklearn(name)
    back = data.scaler.inverse_transform(data.x_test)
    assert np.allclose(np.sort(np.concatenate([data.scaler.inverse_transform(data.x), back]),
                               axis=0), np.sort(raw_x, axis=0))  # fmt: skip
    if classes:
        full = np.bincount(raw_y) / rows
        assert np.all(np.abs(np.bincount(data.y_test) - full * len(data.y_test)) <= 1)


def test_diabetes_features_are_raw_before_our_scaling():
    data = make("diabetes")
    x, y = all_rows(data)
    age = data.scaler.inverse_transform(x)[:, 0]
    assert age.min() == pytest.approx(19) and age.max() == pytest.approx(79)  # years
    assert y.min() == 25 and y.max() == 346  # scikit-learn documents targets 25–346


def test_sklearn_names_and_subsample():
    iris = make("iris")
    assert iris.target_names == ["setosa", "versicolor", "virginica"]
    assert iris.feature_names[0] == "sepal length (cm)"
    small = make("digits", n=300, seed=2)
    assert len(small.x) + len(small.x_test) == 300 and small.n_classes == 10
    assert not np.allclose(make("iris", seed=1).x, iris.x)


def test_missing_sklearn_names_the_install_command(monkeypatch):
    real_module._load_cached.cache_clear()
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    try:
        with pytest.raises(OptionalDependencyError) as info:
            make("wine")
    finally:
        real_module._load_cached.cache_clear()
    project = Path(__file__).resolve().parents[1]  # outside a kernel: the terminal's line
    assert f'pip install -e "{project}[data]"' in str(info.value)
    assert "%pip" not in str(info.value) and "notebook" not in str(info.value)
    assert isinstance(info.value, ImportError) and isinstance(info.value, BackpropError)
