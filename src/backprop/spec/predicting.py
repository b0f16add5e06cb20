"""Predictions from Python in the user's own units, as ``backprop predict`` gives them.

A run on a CSV trains on standardised inputs, z = (x − mean) / std, fitted on its training
rows (``data.standardize``, on by default for CSVs); the network itself only ever sees z.
Its targets are standardised too, but that scaling is folded into the last layer after
training (``spec.targets``), so outputs are in the target's units already. The inputs'
scaling is kept beside the weights (``Run.dataset.scaler``, the model file's
``data.scaler``) because ``explain``, the trace, the fit plots and ``export`` show or need
the network as it trained (``Run.net``, ``io.read(path).model``).

So there are two ways to feed a model inputs in the user's units, and this module holds
both:

- ``predict(model_or_run_or_path, x)`` (``backprop.predict``, ``Run.predict``) applies the
  stored scaler, then the network: the numbers ``backprop predict`` prints.
- ``fold_inputs(model, scaler)`` rewrites the first Linear layer, W ← W / std and
  b ← b − W (mean / std), so that ``model(x)`` takes raw x itself (exact up to rounding);
  ``backprop.load(path)`` and ``Run.model`` are networks folded this way.

A plain model with no scaler is called as it is.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..errors import ConfigError


def fold_inputs(model, scaler) -> None:
    """Fold ``z = (x − mean) / std`` into ``model``'s first Linear layer, in place.

    ``scaler`` is a ``data.Standardizer`` or its dict (``{"mean": [...], "std": [...]}``).
    The arithmetic runs in float64 and is cast back to the layer's dtype.
    """
    from ..autograd.grad_mode import no_grad
    from ..nn import Linear

    mean, std = _mean_std(scaler)
    first = next((m for m in model.modules() if isinstance(m, Linear)), None)
    if first is None or first.weight.shape[1] != mean.size:
        raise ConfigError(
            f"fold_inputs: the scaler standardises {mean.size} input(s), but the model's "
            "first layer is not a Linear layer taking that many; pass the model the scaler "
            "was fitted for."
        )
    with no_grad():
        w = first.weight._data
        w64 = w.astype(np.float64)
        if first.bias is not None:
            b = first.bias._data
            b[...] = (b.astype(np.float64) - w64 @ (mean / std)).astype(b.dtype)
        elif np.any(mean != 0):
            raise ConfigError(
                "fold_inputs: the first Linear layer has no bias to carry the inputs' means; "
                "use Run.predict(x) / backprop.predict(model, x) instead."
            )
        w[...] = (w64 / std.reshape(1, -1)).astype(w.dtype)


def _mean_std(scaler) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(scaler, dict):
        from ..data.dataset import Standardizer

        scaler = Standardizer.from_dict(scaler)
    return np.asarray(scaler.mean, np.float64), np.asarray(scaler.std, np.float64)


def predict(source, x, *, proba: bool = False):
    """The predictions for inputs ``x`` in the units the data had, as ``backprop predict``.

    ``source`` is a ``Run`` (``backprop.run``'s result), the path of a model file, a
    ``io.ModelFile``, or a model (called as it is: a bare model carries no scaler). ``x`` is
    an array of shape ``(N, n_inputs)`` (a 1-D array is N samples of a one-input model)
    in the CSV's own units. Returns a NumPy array: a regression's ``(N, n_outputs)`` values
    in the target's units; a classifier's predicted class labels ``(N,)`` (the CSV's own
    labels when it had them), or with ``proba=True`` the ``(N, n_classes)`` probabilities.

    Examples:
        >>> import backprop, numpy as np
        >>> from backprop import spec
        >>> s = spec.builtin('xor')
        >>> s['epochs'] = 5
        >>> r = backprop.run(s)
        >>> r.predict(np.array([[0.0, 1.0]])).shape  # a class label per sample
        (1,)
    """
    model, scaler, data = _parts(source)
    from ..delta import layers

    first = layers(model)
    n_in = first[0].n_in if first else None
    raw = _inputs(x, n_in)
    z = raw if scaler is None else (raw - scaler[0]) / scaler[1]
    import backprop as bp

    dtype = next(iter(model.parameters()))._data.dtype
    with bp.no_grad():
        out = model(bp.tensor(z.astype(dtype))).numpy().astype(np.float64)
    task = data.get("task", "regression")
    if task != "classification":
        if proba:
            raise ConfigError("predict(..., proba=True): a regression model has no classes.")
        return out
    if out.shape[1] == 1:
        p1 = 1 / (1 + np.exp(-out[:, 0]))
        probs = np.stack([1 - p1, p1], axis=1)
    else:
        e = np.exp(out - out.max(axis=1, keepdims=True))
        probs = e / e.sum(axis=1, keepdims=True)
    if proba:
        return probs
    k = probs.argmax(axis=1)
    names = list(data.get("target_names") or [])
    return np.asarray(names, dtype=object)[k] if len(names) == probs.shape[1] else k


def _parts(source) -> tuple[Any, tuple | None, dict]:
    """(model, (mean, std) or None, the data part of its spec) of what ``predict`` was given."""
    from ..io.modelfile import ModelFile

    if isinstance(source, str | os.PathLike):
        from .. import io

        source = io.read(source)
    if isinstance(source, ModelFile):
        data = (source.full_spec or {}).get("data") or {}
        scaler = data.get("scaler")
        return source.model, None if scaler is None else _mean_std(scaler), data
    if hasattr(source, "dataset") and hasattr(source, "net"):  # a Run: its net takes z
        ds = source.dataset
        scaler = getattr(ds, "scaler", None)
        data = {"task": ds.task, "target_names": list(getattr(ds, "target_names", []) or [])}
        return source.net, None if scaler is None else _mean_std(scaler), data
    if callable(source) and hasattr(source, "parameters"):
        return source, None, {}
    raise ConfigError(
        f"predict(source, x): source must be a Run, a model file's path, an io.ModelFile or a "
        f"model; got {type(source).__name__}."
    )


def _inputs(x, n_in: int | None) -> np.ndarray:
    """``x`` as a finite float64 (N, n_in) array, or a clear error naming the shape."""
    if hasattr(x, "numpy") and not isinstance(x, np.ndarray):
        x = x.detach().numpy() if hasattr(x, "detach") else x.numpy()
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise ConfigError(
            f"predict(source, x): x must be numbers of shape (N, {n_in}); got "
            f"{type(x).__name__} that is not a numeric array."
        ) from None
    if arr.ndim == 1 and n_in == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2 or (n_in is not None and arr.shape[1] != n_in):
        raise ConfigError(
            f"predict(source, x): x has shape {arr.shape}, but the model takes {n_in} "
            f"input(s) a sample; give an array of shape (N, {n_in}), one row per sample."
        )
    if not np.isfinite(arr).all():
        raise ConfigError(
            "predict(source, x): x holds NaN or infinite values; give finite numbers."
        )
    return arr
