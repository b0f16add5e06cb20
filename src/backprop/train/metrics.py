"""The numbers ``fit`` reports each epoch: accuracy, RMSE and R², on NumPy arrays.

Each function takes the model's outputs and the targets as ``fit`` prepared them and
returns a Python float computed in float64; they follow scikit-learn's definitions
(``accuracy_score``, the square root of ``mean_squared_error``, ``r2_score`` with its
default uniform average over outputs), and the tests hold them to those functions. How an
output becomes a predicted class depends on the loss (``predicted_classes``). This module
trains nothing and knows nothing about models.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["RegressionScorer", "accuracy", "predicted_classes", "r2", "regression_scores", "rmse"]


# Every per-epoch metric fit can report, in display order (training, then validation).
METRIC_NAMES = ("loss", "val_loss", "accuracy", "val_accuracy", "rmse", "val_rmse", "r2", "val_r2")


def predicted_classes(output: np.ndarray, loss_name: str | None) -> np.ndarray:
    """The class the model predicts for each row (or each cell for binary outputs).

    - several output columns with ``cross_entropy``/``nll`` (or an unknown loss): the argmax;
    - ``bce_with_logits``: 1 where the logit is > 0, the cells of a multi-label output apart;
    - ``bce`` or an unknown loss with one output column: 1 where the output is > 0.5.
    """
    output = np.asarray(output)
    if loss_name == "bce_with_logits":
        return (output > 0).astype(np.int64)
    if loss_name == "bce" or output.ndim == 1 or output.shape[1] == 1:
        return (output > 0.5).astype(np.int64)
    return output.argmax(axis=1)


def accuracy(output: np.ndarray, target: np.ndarray, loss_name: str | None = None) -> float:
    """Fraction of correct predictions: rows for class indices, cells for binary targets.

    ``target`` holds class indices (N,), 0/1 values shaped like the output (binary
    losses) or class probabilities (N, C), whose argmax is taken as the class.
    """
    pred = predicted_classes(output, loss_name)
    target = np.asarray(target)
    if target.dtype.kind == "f":
        if target.ndim == 2 and pred.ndim == 1:
            target = target.argmax(axis=1)
        else:
            target = (target > 0.5).astype(np.int64)
    if pred.ndim == 2 and pred.shape[1] == 1 and target.ndim == 1:
        pred = pred[:, 0]
    return float(np.mean(pred == target))


class RegressionScorer:
    """RMSE and R² against one fixed target array, its float64 copy and SS_tot computed once."""

    def __init__(self, target: np.ndarray) -> None:
        self.target = target
        y = np.asarray(target, dtype=np.float64)
        self.y = y[:, None] if y.ndim == 1 else y.reshape(len(y), -1)
        c = self.y - self.y.mean(axis=0)
        self.ss_tot = np.einsum("ij,ij->j", c, c)
        self.varying = self.ss_tot != 0

    def __call__(self, output: np.ndarray) -> tuple[float, float]:
        return self.scores(self.residuals(output))

    def residuals(self, output: np.ndarray, start: int = 0) -> np.ndarray:
        """SS_res per output column of ``output``, the predictions for rows ``start`` on."""
        y = self.y[start : start + len(output)]
        d = np.asarray(output, dtype=np.float64).reshape(y.shape) - y
        return np.einsum("ij,ij->j", d, d)

    def scores(self, ss_res: np.ndarray) -> tuple[float, float]:
        """(RMSE, R²) from SS_res per column summed over every row (``residuals``)."""
        size = self.y.size
        root = math.sqrt(float(ss_res.sum()) / size) if size else math.nan
        if self.varying.all():
            return root, float((1.0 - ss_res / self.ss_tot).mean())
        scores = np.where(ss_res != 0, 0.0, 1.0)
        scores[self.varying] = 1.0 - ss_res[self.varying] / self.ss_tot[self.varying]
        return root, float(scores.mean())


def regression_scores(output: np.ndarray, target: np.ndarray) -> tuple[float, float]:
    """``(rmse(output, target), r2(output, target))`` computed together."""
    return RegressionScorer(target)(output)


def rmse(output: np.ndarray, target: np.ndarray) -> float:
    """Root of the mean squared error over every element: √(mean (ŷ − y)²).

    For several outputs this is √ of scikit-learn's uniformly averaged MSE (every output
    has N values, so the two means agree).
    """
    return regression_scores(output, target)[0]


def r2(output: np.ndarray, target: np.ndarray) -> float:
    """Coefficient of determination R² = 1 − SS_res/SS_tot, averaged over output columns.

    As in scikit-learn: a column whose targets are constant scores 1.0 when predicted
    exactly and 0.0 otherwise (instead of dividing by zero).
    """
    return regression_scores(output, target)[1]
