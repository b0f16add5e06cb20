"""Standardised regression targets for a spec's run: train on z = (y − mean) / std, then fold
the scaling into the output layer, so the model file predicts y itself.

A CSV's targets are in whatever units the file has (prices in the hundreds of thousands);
with Adam's small steps and outputs that start near 0, the output layer's bias alone would
need ~10⁵ steps to reach the mean, and the run looked like a useless model (r² = −7.9 on a
linear house-price file). So ``data.standardize_target`` (null: yes for a CSV's regression
targets, no for the built-in sets, whose numbers the lecture quotes) trains on z. After
training, ``fold`` rewrites the last Linear layer — W ← diag(std) W, b ← std ∘ b + mean — so
``model(x)`` is in the target's units again (exact up to rounding; predict, ONNX and PyTorch
exports need nothing new), and puts the dataset's targets back. The loss and metrics
recorded during training are in units of z; the run says so (``Run.target_scaling``).

Both scalings — the inputs' and the targets' — are fitted on the rows the run trains on:
with a ``validation`` fraction, ``training_rows`` gives the rows ``fit`` will keep for
training (the same split, seed and strata), so the validation rows never leak into the
means and standard deviations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .schema import fail


@dataclass
class TargetScaling:
    """z = (y − mean) / std per target column, fitted on the training rows."""

    mean: np.ndarray
    std: np.ndarray
    y: np.ndarray  # the training targets as given (put back after training)
    y_test: np.ndarray | None

    def to_dict(self) -> dict:
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    def describe(self, names) -> str:
        """'price = 612.3 + 178.2·z' for each target, the run's opening note."""
        parts = [
            f"{name} = {m:.6g} + {s:.6g}·z"
            for name, m, s in zip(names, self.mean.tolist(), self.std.tolist())
        ]
        return "; ".join(parts)


def wanted(spec: dict, dataset) -> bool:
    """Whether this run trains on standardised targets (``data.standardize_target``)."""
    choice = spec["data"].get("standardize_target")
    if dataset.task != "regression":
        if choice:
            raise fail(
                "data.standardize_target",
                "applies to regression targets; this dataset is a classification task",
                choice,
            )
        return False
    return spec["data"]["csv"] is not None if choice is None else bool(choice)


def training_rows(spec: dict, dataset):
    """The rows of ``dataset.x`` that ``fit`` trains on: with ``validation`` a fraction, the
    training part of fit's own split (``train.inputs.validation_rows``, stratified by class
    as fit does); otherwise ``None`` (every row)."""
    from ..train.inputs import validation_rows

    fraction = spec.get("validation")
    if not isinstance(fraction, float | int) or isinstance(fraction, bool):
        return None
    labels = dataset.y if dataset.task == "classification" and dataset.y.ndim == 1 else None
    train, _ = validation_rows(len(dataset.x), float(fraction), spec["seed"], labels)
    return train


def constant_columns(dataset, rows=None) -> list[tuple[int, float]]:
    """(index, value) of each input column that holds one value on every training ``rows``
    (``None``: all rows), read before any scaling. Such a column carries no information: the
    scaler's guard gives it std 1 and z = 0 on every row, so the weights from it get a zero
    gradient and stay as initialised (a CSV's 'year' = 2024 in every row)."""
    x = np.asarray(dataset.x if rows is None else dataset.x[rows])
    if x.ndim != 2 or len(x) < 2:
        return []
    same = np.all(x == x[:1], axis=0)
    return [(int(j), float(x[0, j])) for j in np.flatnonzero(same)]


def constant_note(dataset, columns: list[tuple[int, float]]) -> str:
    """The training-time warning for ``constant_columns``: each named with its value, and
    the fix (leave them out), in one sentence for all of them."""
    names = list(dataset.feature_names)
    said = ", ".join(f"'{names[j]}' is {v:g}" for j, v in columns)
    kept = [n for j, n in enumerate(names) if j not in {c for c, _ in columns}]
    one = len(columns) == 1
    keep = (
        f"--features {','.join(kept)} (data.features in a spec, features=[...] in Python)"
        if kept
        else "give the CSV a column that varies (every input is constant)"
    )
    it = "it" if one else "they"
    return (
        f"{'a CSV column holds' if one else f'{len(columns)} CSV columns hold'} one value on "
        f"every training row ({said}): {it} {'carries' if one else 'carry'} no information "
        f"(0 on every row once standardised: the weights from {'it' if one else 'them'} never "
        f"learn), and a prediction for another value is a guess; leave "
        f"{'it' if one else 'them'} out: {keep}."
    )


def standardize_inputs(dataset, rows=None) -> None:
    """Standardise ``dataset.x`` (and ``x_test``) with a ``Standardizer`` fitted on the
    training ``rows`` (``None``: all of them); store it as ``dataset.scaler``."""
    from ..data.dataset import Standardizer

    fitted = Standardizer.fit(dataset.x if rows is None else dataset.x[rows])
    dataset.x = fitted.transform(dataset.x)
    if dataset.x_test is not None:
        dataset.x_test = fitted.transform(dataset.x_test)
    dataset.scaler = fitted
    dataset.params["standardize"] = True


def standardize(dataset, rows=None) -> TargetScaling:
    """Replace the dataset's targets by z, the scaling fitted on the training ``rows``
    (``None``: all of them); return it."""
    from ..data.dataset import Standardizer

    y = dataset.y
    column = y.reshape(len(y), -1)
    fitted = Standardizer.fit(column if rows is None else column[rows])
    scaling = TargetScaling(fitted.mean, fitted.std, y, dataset.y_test)
    dataset.y = ((column - fitted.mean) / fitted.std).reshape(y.shape)
    dataset.target_scaling = scaling  # fit's cautions tell ŷ in y's units while it is z
    if dataset.y_test is not None:
        test = dataset.y_test.reshape(len(dataset.y_test), -1)
        dataset.y_test = ((test - fitted.mean) / fitted.std).reshape(dataset.y_test.shape)
    return scaling


def check_foldable(model) -> None:
    """The last module must be a Linear layer with a bias (identity output, and a bias to
    carry the mean) for the scaling to fold into it."""
    from ..nn import Linear

    last = list(model.modules())[-1]
    if not isinstance(last, Linear) or last.bias is None:
        what = type(last).__name__ if not isinstance(last, Linear) else "Linear without bias"
        raise fail(
            "data.standardize_target",
            f"needs a model whose last layer is Linear with a bias (the scaling is folded "
            f"into it after training); this one ends with {what}. Use an identity output "
            "with a bias, or set data.standardize_target to false",
            True,
        )


def fold(model, dataset, scaling: TargetScaling) -> None:
    """Fold z's scaling into the last Linear layer and give the dataset its targets back."""
    from ..autograd.grad_mode import no_grad

    last = list(model.modules())[-1]  # a Linear with a bias: check_foldable ran in prepare
    std, mean = scaling.std, scaling.mean
    with no_grad():
        w, b = last.weight._data, last.bias._data
        w[...] = w * std.reshape(-1, 1)
        b[...] = b * std + mean
    dataset.y, dataset.y_test = scaling.y, scaling.y_test
    dataset.target_scaling = None  # y is y again
