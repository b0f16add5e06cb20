"""The ``Dataset`` container, feature standardisation and random splits (floor 5).

A ``Dataset`` holds checked training rows, optional held-out rows, names for the columns
and classes, the fitted ``Standardizer`` and the parameters that regenerate it; every
loader in ``backprop.data`` returns one. ``train_test_split`` splits rows at random
(stratified by class when asked), never by taking "the last x %". Nothing here generates
or reads data.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

import numpy as np

from ..errors import ConfigError, DataError
from .checks import (
    as_matrix,
    as_numeric,
    check_finite,
    check_int,
    check_task,
    check_xy,
    config_error,
)


@dataclass(eq=False)
class Standardizer:
    """Per-feature standardisation ``(x - mean) / std``, fitted on training rows only.

    ``mean`` and ``std`` have shape ``(d,)``; a feature with zero spread gets ``std = 1`` so
    it maps to zero instead of dividing by zero. ``to_dict``/``from_dict`` give JSON-able
    lists, which is how a model file keeps the scaling of its inputs.

    Examples:
        >>> import numpy as np
        >>> from backprop.data import Standardizer
        >>> s = Standardizer.fit(np.array([[1.0, 5.0], [3.0, 5.0]]))
        >>> s.mean.tolist(), s.std.tolist()
        ([2.0, 5.0], [1.0, 1.0])
        >>> s.transform(np.array([[3.0, 5.0]])).tolist()
        [[1.0, 0.0]]
    """

    mean: np.ndarray
    std: np.ndarray

    def __post_init__(self) -> None:
        self.mean = np.array(self.mean, dtype=np.float64).reshape(-1)
        std = np.array(self.std, dtype=np.float64).reshape(-1)
        if self.mean.shape != std.shape:
            raise ConfigError(
                f"Standardizer: mean has {self.mean.size} values but std has {std.size}; give "
                "one of each per feature."
            )
        if not (np.isfinite(self.mean).all() and np.isfinite(std).all()):
            raise ConfigError("Standardizer: mean and std must be finite numbers.")
        if (std < 0).any():
            raise ConfigError(f"Standardizer: std must be ≥ 0; got {std.tolist()}.")
        # no spread beyond the rounding of the mean (relative: a column of values near
        # 1e-30 has a spread of its own size, not a zero one)
        tiny = 10 * np.finfo(np.float64).eps * np.abs(self.mean)
        self.std = np.where((std == 0) | (std <= tiny), 1.0, std)

    @classmethod
    def fit(cls, x) -> Standardizer:
        """Mean and (population) standard deviation of each column of ``x``, shape ``(N, d)``."""
        x = as_matrix(x, "x", "Standardizer.fit")
        with np.errstate(over="ignore", invalid="ignore"):
            mean, std = x.mean(axis=0), x.std(axis=0)
        spread = x.max(axis=0) > x.min(axis=0) if x.size else np.zeros(x.shape[1], bool)
        if not (np.isfinite(mean).all() and np.isfinite(std).all()) or (spread & (std == 0)).any():
            # the sums or squares of huge (finite, legal) values such as 1e300 overflowed,
            # or the squares of tiny ones such as 1e-300 underflowed to 0: divide each
            # column by its largest magnitude first
            scale = np.abs(x).max(axis=0)
            scale[scale == 0] = 1.0
            unit = x / scale
            mean, std = unit.mean(axis=0) * scale, unit.std(axis=0) * scale
        return cls(mean, std)

    @property
    def n_features(self) -> int:
        return int(self.mean.size)

    def transform(self, x) -> np.ndarray:
        """``(x - mean) / std`` for finite ``x`` of shape ``(..., d)``; returns float64."""
        x = self._check(x, "transform")
        check_finite(x, "x", "Standardizer.transform")
        return (x - self.mean) / self.std

    def inverse_transform(self, x) -> np.ndarray:
        """``x * std + mean`` for ``x`` of shape ``(..., d)``: back to the original units."""
        return self._check(x, "inverse_transform") * self.std + self.mean

    def to_dict(self) -> dict:
        """``{"mean": [...], "std": [...]}`` with plain floats (JSON-able)."""
        return {"mean": [float(v) for v in self.mean], "std": [float(v) for v in self.std]}

    @classmethod
    def from_dict(cls, d: dict) -> Standardizer:
        """Inverse of ``to_dict``."""
        if not isinstance(d, dict) or set(d) != {"mean", "std"}:
            got = sorted(d) if isinstance(d, dict) else type(d).__name__
            raise ConfigError(
                f"Standardizer.from_dict: needs exactly the keys 'mean' and 'std'; got {got}."
            )
        return cls(d["mean"], d["std"])

    def _check(self, x, method: str) -> np.ndarray:
        x = as_numeric(x, "x", f"Standardizer.{method}").astype(np.float64, copy=False)
        if x.ndim == 0 or x.shape[-1] != self.mean.size:
            raise DataError(
                f"Standardizer.{method}: x has shape {x.shape} but the scaler was fitted on "
                f"{self.mean.size} feature(s); give rows of {self.mean.size} values."
            )
        return x

    def __repr__(self) -> str:
        return f"Standardizer(n_features={self.n_features})"


@dataclass(eq=False)
class Dataset:
    """Training rows, optional held-out rows, and everything needed to remake them.

    Attributes:
        name: the dataset's name (``"spiral"``, a CSV file's stem, ...).
        task: ``"regression"`` or ``"classification"``.
        x: training inputs, float64 ``(N, d)`` (already standardised when ``scaler`` is set).
        y: training targets; regression: float64 ``(N, k)``; classification: int64 ``(N,)``
            class indices ``0..C-1``.
        x_test, y_test: held-out rows with the same conventions, or ``None``.
        feature_names: ``d`` names of the input columns.
        target_names: regression: the ``k`` target column names; classification: the ``C``
            class labels as strings (class ``i`` is ``target_names[i]``).
        scaler: the ``Standardizer`` fitted on the training rows, or ``None``.
        params: JSON-able arguments that regenerate the dataset: ``make(**params)``.

    Arrays are checked (and converted) when the dataset is built: see ``check_xy``.

    Examples:
        >>> from backprop.data import make
        >>> data = make('xor', n=40, seed=0)
        >>> data.name, data.task, data.n_classes
        ('xor', 'classification', 2)
        >>> data.x.shape, data.y.shape, data.y.dtype
        ((20, 2), (20,), dtype('int64'))
        >>> data.x_test.shape  # the held-out rows
        (20, 2)
    """

    name: str
    task: str
    x: np.ndarray
    y: np.ndarray
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    feature_names: list[str] = field(default_factory=list)
    target_names: list[str] = field(default_factory=list)
    scaler: Standardizer | None = None
    params: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_task(self.task)
        label = f"dataset {self.name!r}"
        self.x, self.y = check_xy(self.x, self.y, self.task, what=f"{label} training data")
        if (self.x_test is None) != (self.y_test is None):
            raise DataError(f"{label}: give both x_test and y_test, or neither.")
        if self.x_test is not None:
            self.x_test, self.y_test = check_xy(
                self.x_test, self.y_test, self.task, what=f"{label} test data"
            )
            if self.x_test.shape[1] != self.x.shape[1]:
                raise DataError(
                    f"{label}: x_test has {self.x_test.shape[1]} columns but x has "
                    f"{self.x.shape[1]}; both need the same features."
                )
            if self.task == "regression" and self.y_test.shape[1] != self.y.shape[1]:
                raise DataError(
                    f"{label}: y_test has {self.y_test.shape[1]} columns but y has "
                    f"{self.y.shape[1]}; both need the same targets."
                )
        self.feature_names = [str(v) for v in self.feature_names] or [
            f"x{j + 1}" for j in range(self.x.shape[1])
        ]
        if len(self.feature_names) != self.x.shape[1]:
            raise DataError(
                f"{label}: {len(self.feature_names)} feature names for {self.x.shape[1]} columns."
            )
        self.target_names = [str(v) for v in self.target_names] or self._default_targets()
        n_targets = self.y.shape[1] if self.task == "regression" else self._label_bound()
        if self.task == "regression" and len(self.target_names) != n_targets:
            raise DataError(
                f"{label}: {len(self.target_names)} target names for {n_targets} target columns."
            )
        if self.task == "classification" and len(self.target_names) < n_targets:
            raise DataError(
                f"{label}: labels go up to {n_targets - 1} but there are only "
                f"{len(self.target_names)} class names; give one name per class."
            )

    def _label_bound(self) -> int:
        top = int(self.y.max())
        if self.y_test is not None:
            top = max(top, int(self.y_test.max()))
        return top + 1

    def _default_targets(self) -> list[str]:
        if self.task == "classification":
            return [str(i) for i in range(self._label_bound())]
        k = self.y.shape[1]
        return ["y"] if k == 1 else [f"y{j + 1}" for j in range(k)]

    @property
    def n_features(self) -> int:
        """Number of input columns ``d``."""
        return int(self.x.shape[1])

    @property
    def n_classes(self) -> int:
        """Number of classes ``C`` (0 for regression)."""
        return len(self.target_names) if self.task == "classification" else 0

    @property
    def n_outputs(self) -> int:
        """Outputs a network needs: ``k`` targets (regression) or ``C`` logits (classification)."""
        return int(self.y.shape[1]) if self.task == "regression" else self.n_classes

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """The training rows ``(x, y)``."""
        return self.x, self.y

    def __repr__(self) -> str:
        test = "none" if self.x_test is None else str(len(self.x_test))
        kind = f"{self.n_classes} classes" if self.task == "classification" else "regression"
        return (
            f"Dataset({self.name!r}, {kind}, train={len(self.x)}, test={test}, "
            f"features={self.n_features}, standardised={self.scaler is not None})"
        )


def train_test_split(
    x, y, ratio: float, *, seed: int | np.random.Generator, stratify: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split rows at random into a first part of ``floor(N * ratio)`` rows and the rest.

    Args:
        x: array of shape ``(N, ...)``.
        y: array of shape ``(N, ...)``; with ``stratify``, class labels of shape ``(N,)``.
        ratio: fraction of rows in the first part, ``0 < ratio < 1``.
        seed: seed (or ``np.random.Generator``) of the random split.
        stratify: keep each class's share in both parts (to within one row per class).

    Returns:
        ``(x_a, y_a, x_b, y_b)``; both parts in random order.

    Examples:
        >>> import numpy as np
        >>> from backprop.data import train_test_split
        >>> x, y = np.arange(10.0).reshape(10, 1), np.array([0, 1] * 5)
        >>> xa, ya, xb, yb = train_test_split(x, y, 0.6, seed=0, stratify=True)
        >>> len(xa), int(ya.sum()), len(xb)
        (6, 3, 4)
    """
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim == 0 or y.ndim == 0 or len(x) != len(y):
        raise DataError(
            f"train_test_split: x has shape {x.shape} and y has shape {y.shape}; both need "
            "the same number of rows."
        )
    idx_a, idx_b = split_indices(y if stratify else None, len(y), ratio, _rng(seed))
    return x[idx_a], y[idx_a], x[idx_b], y[idx_b]


def split_count(n: int, ratio: float, param: str = "ratio", shown=None) -> int:
    """Rows in the first part: ``floor(n * ratio)``; both parts must be non-empty.

    Errors name ``param`` and show ``shown`` (default ``ratio``) as its value.
    """
    shown = ratio if shown is None else shown
    if isinstance(ratio, bool) or not isinstance(ratio, numbers.Real) or not 0 < ratio < 1:
        raise config_error(param, "a fraction strictly between 0 and 1", shown)
    n_a = math.floor(n * ratio + 1e-9)
    if n_a == 0 or n_a == n:
        empty = "first" if n_a == 0 else "second"
        raise config_error(
            param,
            f"a fraction that leaves rows on both sides of the split of {n} rows "
            f"(the {empty} part would be empty)",
            shown,
            "Use more rows or a ratio nearer 0.5.",
        )
    return n_a


def split_indices(
    labels: np.ndarray | None, n: int, ratio: float, rng: np.random.Generator, count=None
) -> tuple[np.ndarray, np.ndarray]:
    """Random index sets ``(a, b)`` of ``range(n)``; ``a`` has ``count`` or ``floor(n*ratio)``.

    With ``labels`` (shape ``(n,)``), each class is split in proportion (largest remainders
    decide the rounding), so class shares agree to within one row per class.
    """
    n_a = split_count(n, ratio) if count is None else count
    if labels is None:
        order = rng.permutation(n)
        return order[:n_a], order[n_a:]
    labels = np.asarray(labels)
    if labels.shape != (n,):
        raise ConfigError(
            f"stratify: needs one class label per row, shape ({n},); got {labels.shape}. "
            "Use stratify=False for regression targets."
        )
    _, inverse = np.unique(labels, return_inverse=True)
    sizes = np.bincount(inverse)
    ideal = sizes * (n_a / n)
    take = np.floor(ideal).astype(np.int64)
    extra = n_a - int(take.sum())
    take[np.argsort(-(ideal - take), kind="stable")[:extra]] += 1
    part_a, part_b = [], []
    for c, k in enumerate(take):
        members = rng.permutation(np.flatnonzero(inverse == c))
        part_a.append(members[:k])
        part_b.append(members[k:])
    return rng.permutation(np.concatenate(part_a)), rng.permutation(np.concatenate(part_b))


def split_rng(seed: int) -> np.random.Generator:
    """The generator for a dataset's split: a stream apart from the data's ``default_rng(seed)``."""
    return np.random.default_rng([seed, 1])


def _rng(seed) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(check_int(seed, "seed", 0))
