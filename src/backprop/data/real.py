"""scikit-learn's bundled real datasets, loaded lazily (floor 5).

``load_sklearn(name)`` returns the raw rows of ``digits``, ``iris``, ``wine``,
``breast_cancer`` or ``diabetes`` with their column and class names. scikit-learn is an
optional dependency (the ``data`` extra): it is imported only here and only when one of
these sets is asked for, and a missing install raises ``OptionalDependencyError`` with the
command that fixes it. Subsampling, splitting and standardising happen in
``backprop.data.registry``; nothing here downloads anything (these sets ship with
scikit-learn).
"""

from __future__ import annotations

import functools
import importlib

import numpy as np

from .._extras import install_hint
from ..errors import BackpropError

# name -> (scikit-learn loader, task, documented (rows, features), description)
SKLEARN_SETS = {
    "digits": ("load_digits", "classification", (1797, 64), "8×8 images of digits 0–9"),
    "iris": ("load_iris", "classification", (150, 4), "iris flowers, 3 species"),
    "wine": ("load_wine", "classification", (178, 13), "wines from 3 cultivars"),
    "breast_cancer": (
        "load_breast_cancer",
        "classification",
        (569, 30),
        "breast tumours, malignant or benign",
    ),
    "diabetes": (
        "load_diabetes",
        "regression",
        (442, 10),
        "diabetes progression after one year (regression)",
    ),
}


class OptionalDependencyError(BackpropError, ImportError):
    """A feature needs a package that is not installed; the message gives the install line.

    Examples:
        >>> from backprop.data import OptionalDependencyError, make
        >>> issubclass(OptionalDependencyError, ImportError)
        True
        >>> try:  # the sets from scikit-learn need it installed
        ...     data = make('iris')
        ... except OptionalDependencyError as error:
        ...     hint = str(error)  # names the install line
    """


def load_sklearn(name: str) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """Raw rows of a bundled scikit-learn dataset.

    Returns:
        ``(x, y, feature_names, target_names)``: ``x`` float64 ``(N, d)``; ``y`` int64
        ``(N,)`` for classification or float64 ``(N, 1)`` for ``diabetes`` (unscaled
        features, as collected); fresh copies on every call.
    """
    x, y, features, targets = _load_cached(name)
    return x.copy(), y.copy(), list(features), list(targets)


def _digits_file():
    """The digits table scikit-learn ships (``datasets/data/digits.csv.gz``), found without
    importing scikit-learn (its import takes ~0.8 s, most of a short run's time), or None."""
    import importlib.util
    import os

    spec = importlib.util.find_spec("sklearn")
    if spec is None or spec.origin is None:
        return None
    path = os.path.join(os.path.dirname(spec.origin), "datasets", "data", "digits.csv.gz")
    return path if os.path.isfile(path) else None


def _digits_direct():
    """``load_digits``'s rows and names read straight from its file (same values)."""
    path = _digits_file()
    if path is None:
        return None
    try:
        table = np.loadtxt(path, delimiter=",")
    except (OSError, ValueError):
        return None  # an unexpected file: scikit-learn's own loader decides
    if table.shape != (1797, 65):
        return None
    features = [f"pixel_{r}_{c}" for r in range(8) for c in range(8)]
    return (
        table[:, :-1].copy(),
        table[:, -1].astype(np.int64),
        features,
        [str(t) for t in range(10)],
    )


@functools.cache
def _load_cached(name: str):
    loader, task, _, _ = SKLEARN_SETS[name]
    if name == "digits" and (direct := _digits_direct()) is not None:
        return direct
    try:
        datasets = importlib.import_module("sklearn.datasets")
    except ImportError:
        raise OptionalDependencyError(
            f"dataset {name!r} comes from scikit-learn, which is not installed; it comes with "
            f"backprop's data extra: install it {install_hint('data')}"
        ) from None
    kwargs = {"scaled": False} if name == "diabetes" else {}
    bunch = getattr(datasets, loader)(**kwargs)
    x = np.asarray(bunch.data, dtype=np.float64)
    features = [str(f) for f in bunch.feature_names]
    if task == "regression":
        return x, np.asarray(bunch.target, dtype=np.float64)[:, None], features, ["progression"]
    y = np.asarray(bunch.target, dtype=np.int64)
    return x, y, features, [str(t) for t in bunch.target_names]
