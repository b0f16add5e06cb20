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

from ..errors import BackpropError

INSTALL_HINT = 'pip install "backprop-mlp[data]"'

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
    """A feature needs a package that is not installed; the message gives the install line."""


def load_sklearn(name: str) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """Raw rows of a bundled scikit-learn dataset.

    Returns:
        ``(x, y, feature_names, target_names)``: ``x`` float64 ``(N, d)``; ``y`` int64
        ``(N,)`` for classification or float64 ``(N, 1)`` for ``diabetes`` (unscaled
        features, as collected); fresh copies on every call.
    """
    x, y, features, targets = _load_cached(name)
    return x.copy(), y.copy(), list(features), list(targets)


@functools.cache
def _load_cached(name: str):
    loader, task, _, _ = SKLEARN_SETS[name]
    try:
        datasets = importlib.import_module("sklearn.datasets")
    except ImportError:
        raise OptionalDependencyError(
            f"dataset {name!r} comes from scikit-learn, which is not installed; install it "
            f"with: {INSTALL_HINT}"
        ) from None
    kwargs = {"scaled": False} if name == "diabetes" else {}
    bunch = getattr(datasets, loader)(**kwargs)
    x = np.asarray(bunch.data, dtype=np.float64)
    features = [str(f) for f in bunch.feature_names]
    if task == "regression":
        return x, np.asarray(bunch.target, dtype=np.float64)[:, None], features, ["progression"]
    y = np.asarray(bunch.target, dtype=np.int64)
    return x, y, features, [str(t) for t in bunch.target_names]
