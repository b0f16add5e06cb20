"""Datasets for training MLPs: generators, real data, CSV files, checks and splits (floor 5).

``make(name, ...)`` builds any set named in ``DATASETS`` — the lecture's ``square``, ``abs``
and ``sine``, TensorFlow Playground's ``circle xor gauss spiral plane multigauss`` and
scikit-learn's bundled ``digits iris wine breast_cancer diabetes`` — from a seed, and
``from_csv`` loads a CSV file. Both return a ``Dataset`` whose arrays have passed
``check_xy``: ``x`` float64 ``(N, d)``, ``y`` float64 ``(N, k)`` or int64 class indices
``(N,)``. Held-out rows are split at random (stratified for classes) and feature scaling is
fitted on the training rows only. This package prepares arrays; batching and training live
in ``backprop.train``.

Examples:
    >>> from backprop.data import make
    >>> data = make("square", seed=0)
    >>> data.x.shape, data.y.shape, data.x_test is None
    ((100, 1), (100, 1), True)
"""

from __future__ import annotations

from .._lazy import lazy

# name -> the module that holds it, imported on first use (the CSV reader only when used)
__getattr__, __dir__ = lazy(
    __name__,
    {
        "DATASETS": ".registry",
        "Dataset": ".dataset",
        "DatasetInfo": ".registry",
        "OptionalDependencyError": ".real",
        "Standardizer": ".dataset",
        "check_xy": ".checks",
        "from_csv": ".csvfile",
        "make": ".registry",
        "train_test_split": ".dataset",
    },
    globals(),
)

__all__ = [
    "DATASETS",
    "Dataset",
    "DatasetInfo",
    "OptionalDependencyError",
    "Standardizer",
    "check_xy",
    "from_csv",
    "make",
    "train_test_split",
]
