"""Turning what the user passes to ``fit`` into checked arrays, before any training step.

``prepare`` reads a Dataset or an ``(x, y)`` pair (NumPy arrays or Tensors), rejects what
cannot train (empty, NaN/inf, non-numeric, wrong widths, classes the model cannot output)
with a DataError/ShapeError naming the array, the row and the column, adapts the targets to
the loss (class indices for CrossEntropy/NLL, a float column for BCE, float (N, k) for
regression) and casts everything to the model's dtype; it also makes the validation set (a
seeded random split, stratified for classes — never the last rows). It trains nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..data.checks import as_numeric, check_finite, class_indices
from ..errors import ConfigError, DataError, ShapeError

__all__ = [
    "LOSS_KINDS",
    "Prepared",
    "check_model_and_callbacks",
    "loss_kind",
    "prepare",
    "validation_rows",
]

LOSS_KINDS = {  # what each registry loss trains: classes, one binary column, or values
    "cross_entropy": "class",
    "nll": "class",
    "bce": "binary",
    "bce_with_logits": "binary",
    "mse": "regression",
    "half_mse": "regression",
    "l1": "regression",
    "huber": "regression",
}


def loss_kind(loss_name: str | None) -> str:
    """ "class", "binary", "regression" or "custom" (a loss outside the registry)."""
    return LOSS_KINDS.get(loss_name, "custom")


@dataclass
class Prepared:
    """Training (and validation) arrays ready for the loop."""

    x: np.ndarray
    y: np.ndarray
    x_val: np.ndarray | None
    y_val: np.ndarray | None
    task: str  # "classification" or "regression"
    n_out: int | None


def _array(value, what: str) -> np.ndarray:
    return as_numeric(value, what, "fit")


def _inputs(x, what: str, dtype: np.dtype, n_in: int | None) -> np.ndarray:
    raw = _array(x, what)
    if raw.ndim != 2:
        hint = " (reshape with x.reshape(-1, 1) for one feature)" if raw.ndim == 1 else ""
        raise DataError(
            f"fit: {what} must be 2-D, (n_samples, n_features); got shape {list(raw.shape)}{hint}."
        )
    if raw.shape[0] == 0:
        raise DataError(f"fit: {what} has no rows; there is nothing to train on.")
    if n_in is not None and raw.shape[1] != n_in:
        from ..nn.shapes import wrong_width

        raise ShapeError(wrong_width("fit", raw.shape, n_in, what))
    return _cast(raw, dtype, what)


def _cast(raw: np.ndarray, dtype, what: str) -> np.ndarray:
    """``raw`` in the model's dtype; a value that overflows it (1e39 → float32) is refused."""
    with np.errstate(over="ignore"):  # check_finite reports the overflow in words
        arr = raw.astype(dtype, copy=False)
    check_finite(arr, what, "fit", original=raw)
    return arr


def _class_indices(y: np.ndarray, what: str, n_out: int | None, ignore) -> np.ndarray:
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ShapeError(
            f"fit: {what} must hold one class index per row, shape [N]; got shape {list(y.shape)}."
        )
    n = n_out or 0
    why = (
        f"the model has {n} outputs (classes 0 … {n - 1}); give the last layer one output per class"
    )
    return class_indices(y, what, "fit", n_classes=n, why=why, ignore=ignore)


def _targets(y, what: str, kind: str, n_out, dtype, n_rows: int, ignore=None, xname="x"):
    raw = _array(y, what)
    if raw.ndim == 0 or raw.shape[0] != n_rows:
        got = "a scalar" if raw.ndim == 0 else f"{raw.shape[0]} rows"
        raise ShapeError(
            f"fit: {xname} has {n_rows} rows but {what} has {got}; give one target per sample."
        )
    check_finite(raw, what, "fit")
    if kind == "class" and raw.ndim == 2 and raw.shape[1] > 1 and raw.dtype.kind == "f":
        if raw.shape[1] != n_out:
            raise ShapeError(
                f"fit: {what} holds probabilities for {raw.shape[1]} classes but the model "
                f"has {n_out} outputs; they must match."
            )
        return _cast(raw, dtype, what)
    if kind == "class":
        return _class_indices(raw, what, n_out, ignore)
    if kind == "binary":
        col = raw.reshape(-1, 1) if raw.ndim == 1 else raw
        out = _cast(col, dtype, what)
        outside = (out < 0) | (out > 1)
        if outside.any():
            row = int(np.argwhere(outside)[0][0])
            raise DataError(
                f"fit: {what} at row {row} is {col[row].tolist()}, but a binary cross-entropy "
                "target must lie in [0, 1] (class 0 or 1)."
            )
    elif kind == "regression":
        out = _cast(raw.reshape(-1, 1) if raw.ndim == 1 else raw, dtype, what)
    else:
        return _cast(raw, dtype, what) if raw.dtype.kind == "f" else raw.astype(np.int64)
    if out.ndim != 2 or (n_out is not None and out.shape[1] != n_out):
        raise ShapeError(
            f"fit: {what} has shape {list(raw.shape)} but the model has {n_out} outputs; "
            f"the targets need shape [N, {n_out}] (or [N] for one output)."
        )
    return out


def validation_rows(n: int, fraction: float, seed: int, labels=None):
    """(training rows, validation rows) for ``validation=fraction``: floor(n·fraction) rows
    picked at random (``backprop.data.train_test_split``; stratified when ``labels`` are
    given, so every class keeps its share to within one row), never the last rows.

    The generator is ``default_rng([seed, 2])``, a stream apart from the epoch shuffle's
    ``default_rng(seed)`` and the data set's own split.
    """
    from ..data import train_test_split

    k = math.floor(n * fraction + 1e-9)
    if k < 1 or k > n - 1:
        raise DataError(
            f"fit: validation={fraction} of {n} samples leaves {k} for validation and "
            f"{n - k} for training; each needs at least one. Use more data or another fraction."
        )
    rows = np.arange(n).reshape(n, 1)
    strata = np.zeros(n, dtype=np.int64) if labels is None else labels
    rng = np.random.default_rng([seed, 2])
    val, _, train, _ = train_test_split(
        rows, strata, fraction, seed=rng, stratify=labels is not None
    )
    return train[:, 0], val[:, 0]


def _shown(value) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 60 else text[:57] + '...'}"


def check_model_and_callbacks(model, callbacks) -> list:
    """``fit``'s first check: ``model`` is a backprop ``nn.Module`` and ``callbacks`` an
    iterable of ``Callback`` objects (returned as a list); else a ConfigError naming them."""
    from ..nn import Module
    from .callbacks import Callback

    if not isinstance(model, Module):
        torch_hint = ""
        if type(model).__module__.startswith("torch"):
            torch_hint = " (a PyTorch module: build the network with backprop.nn instead)"
        raise ConfigError(
            f"fit: model must be a backprop nn.Module such as nn.MLP([1, 8, 1]), got "
            f"{_shown(model)}{torch_hint}; the order is fit(model, data, loss, optimizer, ...)."
        )
    if isinstance(callbacks, Callback):
        raise ConfigError(
            f"fit: callbacks must be a list of Callback objects, got one "
            f"{type(callbacks).__name__}; pass callbacks=[it]."
        )
    if isinstance(callbacks, str | bytes | dict) or not hasattr(callbacks, "__iter__"):
        raise ConfigError(
            f"fit: callbacks must be a list of Callback objects, got {_shown(callbacks)}; "
            "e.g. callbacks=[EarlyStopping()]."
        )
    callbacks = list(callbacks)
    for i, cb in enumerate(callbacks):
        if not isinstance(cb, Callback):
            raise ConfigError(
                f"fit: callbacks[{i}] must be a Callback object (EarlyStopping, "
                f"ModelCheckpoint, ...), got {_shown(cb)}."
            )
    return callbacks


def _pair(data, what: str):
    if isinstance(data, tuple | list) and len(data) == 2:
        return data
    raise ConfigError(f"fit: {what} must be a Dataset or a pair (x, y), got {type(data).__name__}.")


def prepare(data, validation, *, kind, n_in, n_out, dtype, seed, ignore=None) -> Prepared:
    """Check and convert ``data`` and ``validation`` (see the module docstring).

    ``n_out`` is the model's output width, or a function of the checked x that finds it.
    """
    is_dataset = hasattr(data, "x") and hasattr(data, "y") and hasattr(data, "task")
    x_raw, y_raw = (data.x, data.y) if is_dataset else _pair(data, "data")
    if is_dataset and data.task not in ("classification", "regression"):
        raise DataError(
            f"fit: the data set's task must be classification or regression, got {data.task!r}."
        )
    task = data.task if is_dataset else None
    if task == "regression" and kind in ("class", "binary"):
        raise ConfigError(
            f"fit: the data set {getattr(data, 'name', '')!r} is a regression task (real-valued "
            "targets) but the loss is a classification loss; use MSELoss (or L1Loss, HuberLoss)."
        )
    if task is None:
        if kind in ("class", "binary"):
            task = "classification"
        elif kind == "regression":
            task = "regression"
        else:
            task = "classification" if _array(y_raw, "y").dtype.kind in "biu" else "regression"

    x = _inputs(x_raw, "x", dtype, n_in)
    if callable(n_out):  # a model the δ engine cannot read: ask it (one row, no_grad)
        n_out = n_out(x)
    y = _targets(y_raw, "y", kind, n_out, dtype, x.shape[0], ignore)

    def convert(x, y, xname, yname):
        xa = _inputs(x, xname, dtype, n_in)
        return xa, _targets(y, yname, kind, n_out, dtype, xa.shape[0], ignore, xname)

    x_val = y_val = None
    if validation is None:
        pass
    elif isinstance(validation, str):
        if validation != "test":
            raise ConfigError(
                f"fit: validation must be None, a fraction, (x_val, y_val) or "
                f"'test', got {validation!r}."
            )
        if not is_dataset or getattr(data, "x_test", None) is None:
            raise ConfigError(
                "fit: validation='test' needs a Dataset with a test part (x_test, y_test); "
                "pass validation=0.2 for a random split or (x_val, y_val)."
            )
        x_val, y_val = convert(data.x_test, data.y_test, "x_test", "y_test")
    elif isinstance(validation, float | int) and not isinstance(validation, bool):
        if not 0 < validation < 1:
            raise ConfigError(
                f"fit: validation as a fraction must be in (0, 1), got {validation!r}; "
                "e.g. validation=0.2 keeps a random 20 % of the samples for validation."
            )
        labels = None
        if task == "classification" and kind != "custom" and y.ndim <= 2:
            labels = y if y.ndim == 1 else (y.argmax(1) if y.shape[1] > 1 else y[:, 0])
        elif task == "classification" and y.ndim == 1:
            labels = y
        train, val = validation_rows(x.shape[0], float(validation), seed, labels)
        x, y, x_val, y_val = x[train], y[train], x[val], y[val]
    else:
        xv, yv = _pair(validation, "validation")
        x_val, y_val = convert(xv, yv, "x_val", "y_val")
    return Prepared(x, y, x_val, y_val, task, n_out)
