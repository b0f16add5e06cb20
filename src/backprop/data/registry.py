"""The dataset registry: ``DATASETS`` (name → ``DatasetInfo``) and ``make`` (floor 5).

One table of dataset names shared by the library, the spec, the CLI and the playground.
``make`` checks the options against each set's rules, generates (or loads) the rows from
``np.random.default_rng(seed)``, splits off the held-out part with a separate seeded stream
and standardises when asked. It never touches global random state and never prints.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..errors import ConfigError
from . import synthetic
from .checks import check_int, check_number, config_error
from .dataset import Dataset, Standardizer, split_count, split_indices, split_rng
from .real import SKLEARN_SETS, load_sklearn


@dataclass(frozen=True)
class DatasetInfo:
    """What a named dataset is: task, family, description, default options, input size.

    ``kind`` is ``"lecture"``, ``"playground"`` (TensorFlow Playground's sets, noise in
    percent 0–50, ``train_ratio`` 0.1–0.9) or ``"sklearn"`` (needs scikit-learn).
    ``defaults`` holds ``n``, ``noise``, ``train_ratio`` and any set-specific options.

    Examples:
        >>> from backprop.data import DATASETS
        >>> info = DATASETS['spiral']
        >>> info.task, info.kind, info.dims
        ('classification', 'playground', 2)
        >>> sorted(info.defaults)
        ['classes', 'n', 'noise', 'standardize', 'train_ratio']
    """

    name: str
    task: str
    kind: str
    description: str
    defaults: dict = field(default_factory=dict)
    dims: int = 1


def _lecture(name, description, n, noise):
    return DatasetInfo(
        name, "regression", "lecture", description,
        {"n": n, "noise": noise, "train_ratio": 1.0, "standardize": False}, 1,
    )  # fmt: skip


def _playground(name, task, description, n, classes=False):
    defaults = {"n": n, "noise": 0.0, "train_ratio": 0.5, "standardize": False}
    if classes:
        defaults["classes"] = 2
    return DatasetInfo(name, task, "playground", description, defaults, 2)


def _sklearn(name):
    _, task, (rows, dims), description = SKLEARN_SETS[name]
    defaults = {"n": rows, "noise": 0.0, "train_ratio": 0.8, "standardize": True}
    return DatasetInfo(name, task, "sklearn", description, defaults, dims)


DATASETS: dict[str, DatasetInfo] = {
    info.name: info
    for info in [
        _lecture("square", "the lecture's y = x² + noise·randn, x = 5·randn", 100, 1.0),
        _lecture("abs", "the lecture's y = |x − 1| (+ noise), x uniform on [−3, 5]", 100, 0.0),
        _lecture("sine", "y = sin x + noise·randn, x uniform on [−π, π]", 200, 0.1),
        _playground("circle", "classification", "class 1 inside radius 2.5, 0 in a ring", 500),
        _playground("xor", "classification", "class 1 where x1·x2 ≥ 0 (quadrants)", 500),
        _playground("gauss", "classification", "Gaussian blobs (classes=2..5)", 500, True),
        _playground("spiral", "classification", "interleaved spirals (classes=2..5)", 500, True),
        _playground("plane", "regression", "y = (x1 + x2) / 10 on [−6, 6]²", 1200),
        _playground("multigauss", "regression", "six ±1 bumps on [−6, 6]²", 1200),
        *(_sklearn(name) for name in SKLEARN_SETS),
    ]
}  # fmt: skip

# The most rows a generator makes (the spec's data.n has the same bound); more would only
# end in a MemoryError.
MAX_ROWS = 10_000_000

_GENERATORS: dict[str, Callable] = {
    "square": synthetic.square,
    "abs": synthetic.abs_shift,
    "sine": synthetic.sine,
    "circle": synthetic.circle,
    "xor": synthetic.xor,
    "gauss": synthetic.gauss,
    "spiral": synthetic.spiral,
    "plane": synthetic.plane,
    "multigauss": synthetic.multigauss,
}


def make(
    name: str,
    *,
    n: int | None = None,
    noise: float | None = None,
    seed: int = 0,
    train_ratio: float | None = None,
    **options,
) -> Dataset:
    """Build a named dataset; ``make(**dataset.params)`` rebuilds it exactly.

    Args:
        name: a key of ``DATASETS`` (or ``"csv"``, forwarding ``options`` to ``from_csv``).
        n: number of points (lecture and playground sets), or a random stratified subsample
            of a scikit-learn set; default ``DATASETS[name].defaults["n"]``.
        noise: lecture sets: standard deviation of the Gaussian noise on ``y``; playground
            sets: the playground's noise slider, percent 0–50; scikit-learn sets: 0 only.
        seed: seed of ``np.random.default_rng`` for the data (the split uses its own stream).
        train_ratio: fraction of rows kept for training, the rest go to ``x_test``/``y_test``
            at random (stratified for classes); playground sets 0.1–0.9 (default 0.5), the
            others ``0 < r ≤ 1`` (1: no test part). ``test_ratio=r`` is accepted as
            ``train_ratio=1 - r``.
        options: ``classes`` (2–5, for ``gauss`` and ``spiral``); ``standardize`` (fit a
            ``Standardizer`` on the training rows; default only for scikit-learn sets).

    Returns:
        A ``Dataset``: ``x`` float64 ``(N, d)``; ``y`` float64 ``(N, k)`` or int64 ``(N,)``.

    Examples:
        >>> from backprop.data import make
        >>> data = make("spiral", noise=10, seed=3, classes=3)
        >>> data.x.shape, data.x_test.shape, data.n_classes
        ((250, 2), (250, 2), 3)
    """
    if name == "csv":
        from .csvfile import from_csv

        if n is not None or noise is not None or train_ratio is not None:
            raise ConfigError(
                "make('csv'): n, noise and train_ratio do not apply to a CSV file; use "
                "max_rows and test_ratio."
            )
        try:
            return from_csv(seed=seed, **options)
        except TypeError as exc:
            raise ConfigError(f"make('csv'): {exc}; see from_csv for the options.") from None
    if name not in DATASETS:
        raise config_error("dataset name", f"one of {', '.join(DATASETS)} (or 'csv')", name)
    info = DATASETS[name]
    seed = check_int(seed, "seed", 0)
    options = dict(options)
    if "test_ratio" in options:
        if train_ratio is not None:
            raise ConfigError("give train_ratio or test_ratio, not both.")
        test = options.pop("test_ratio")
        train_ratio = 1.0 - _check_test_ratio(info, test)
    allowed = sorted(k for k in info.defaults if k not in ("n", "noise", "train_ratio"))
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise config_error(
            f"options of dataset {name!r}",
            f"among its options ({', '.join(allowed)})",
            unknown[0] if len(unknown) == 1 else unknown,
        )
    opts = {**info.defaults, **options}
    opts["n"] = _check_n(info, info.defaults["n"] if n is None else n)
    opts["noise"] = _check_noise(info, info.defaults["noise"] if noise is None else noise)
    ratio = opts["train_ratio"] if train_ratio is None else train_ratio
    opts["train_ratio"] = _check_ratio(info, ratio)
    if not isinstance(opts["standardize"], bool):
        raise config_error("standardize", "true or false", opts["standardize"])
    if "classes" in opts:
        opts["classes"] = check_int(opts["classes"], "classes", 2, 5)

    x, y, feature_names, target_names = _rows(info, opts, seed)
    if info.kind == "sklearn" and opts["n"] < len(y):
        labels = y if info.task == "classification" else None
        keep, _ = split_indices(labels, len(y), 0.5, np.random.default_rng(seed), opts["n"])
        x, y = x[keep], y[keep]
    x_test = y_test = None
    if opts["train_ratio"] < 1.0:
        count = split_count(len(y), opts["train_ratio"], "train_ratio")
        labels = y if info.task == "classification" else None
        train, test = split_indices(labels, len(y), opts["train_ratio"], split_rng(seed), count)
        x, y, x_test, y_test = x[train], y[train], x[test], y[test]
    scaler = Standardizer.fit(x) if opts["standardize"] else None
    if scaler is not None:
        x = scaler.transform(x)
        x_test = None if x_test is None else scaler.transform(x_test)
    return Dataset(
        name=name,
        task=info.task,
        x=x,
        y=y,
        x_test=x_test,
        y_test=y_test,
        feature_names=feature_names,
        target_names=target_names,
        scaler=scaler,
        params={"name": name, "seed": seed, **opts},
    )


def _rows(info: DatasetInfo, opts: dict, seed: int):
    if info.kind == "sklearn":
        return load_sklearn(info.name)
    rng = np.random.default_rng(seed)
    generate = _GENERATORS[info.name]
    if info.kind == "lecture":
        x, y = generate(opts["n"], opts["noise"], rng)
        return x, y, ["x"], ["y"]
    extra = {"classes": opts["classes"]} if "classes" in opts else {}
    x, y = generate(opts["n"], opts["noise"] / 100.0, rng, **extra)
    if info.task == "classification":
        return x, y, ["x1", "x2"], [str(c) for c in range(extra.get("classes", 2))]
    return x, y, ["x1", "x2"], ["y"]


def _check_n(info: DatasetInfo, n) -> int:
    if info.kind == "sklearn":
        rows = info.defaults["n"]
        return check_int(n, "n", 2, rows)
    low = 2 if info.kind == "playground" else 1
    return check_int(n, "n", low, MAX_ROWS)


def _check_noise(info: DatasetInfo, noise) -> float:
    if info.kind == "playground":
        return check_number(noise, "noise", 0, 50, "The playground's noise is a percent, 0 to 50.")
    if info.kind == "sklearn":
        value = check_number(noise, "noise")
        if value != 0:
            raise config_error(
                "noise", f"0 for {info.name!r}", noise, "It is measured data; leave noise out."
            )
        return value
    return check_number(  # far above any target of these sets; 1e308 would overflow y
        noise, "noise", 0, 1e6, "It is the standard deviation of the noise on y."
    )


def _check_test_ratio(info: DatasetInfo, test) -> float:
    """``test_ratio`` by its own name: the rule of ``train_ratio`` turned around."""
    if info.kind == "playground":
        return check_number(test, "test_ratio", 0.1, 0.9, "The playground holds out 10 to 90%.")
    test = check_number(test, "test_ratio", 0.0, 1.0)
    if test == 1.0:
        raise config_error("test_ratio", "a fraction with 0 ≤ test_ratio < 1", test,
                           "Some rows must be left to train on.")  # fmt: skip
    return test


def _check_ratio(info: DatasetInfo, ratio) -> float:
    if info.kind == "playground":
        return check_number(
            ratio, "train_ratio", 0.1, 0.9, "It is the playground's ratio of training to "
            "test data as a fraction (50% → 0.5)."
        )  # fmt: skip
    ratio = check_number(ratio, "train_ratio", 0.0, 1.0)
    if ratio == 0.0 or math.isnan(ratio):
        raise config_error("train_ratio", "a fraction with 0 < train_ratio ≤ 1", ratio)
    return ratio
