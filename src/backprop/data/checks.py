"""Checking data and options where they enter the library (floor 5).

``check_xy`` turns user arrays into the two shapes the rest of the library trusts —
``x`` as ``(N, d)`` float64 and ``y`` as ``(N, k)`` float64 (regression) or ``(N,)`` int64
class indices (classification) — or raises ``DataError`` naming the row and column of the
first bad value and the fix. The ``config_*`` helpers check option values and raise
``ConfigError`` naming the parameter, the rule and the value. Nothing here reads files or
makes data; see ``backprop.data.csvfile`` for the line-numbered checks of CSV files.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..errors import ConfigError, DataError

TASKS = ("regression", "classification")
# Class indices run 0..C-1 with C at most this: the widest layer a spec may ask for.
MAX_CLASSES = 100_000


# ----------------------------------------------------------------------------- options


def config_error(param: str, rule: str, value, fix: str = "") -> ConfigError:
    """A ``ConfigError`` whose message names the parameter, the rule, the value and a fix."""
    message = f"{param}: must be {rule}; got {value!r}."
    if fix:
        message += f" {fix}"
    return ConfigError(message)


def check_int(value, param: str, low: int | None = None, high: int | None = None) -> int:
    """``value`` as a Python int in ``[low, high]``; bools and non-integral numbers refused."""
    if isinstance(value, bool | np.bool_):
        raise config_error(param, "a whole number (not true/false)", value)
    if not isinstance(value, numbers.Integral):
        if isinstance(value, numbers.Real) and float(value).is_integer():
            value = int(value)
        else:
            raise config_error(param, "a whole number", value)
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        raise config_error(param, _range_text(low, high), value)
    return value


def check_number(
    value, param: str, low: float | None = None, high: float | None = None, fix: str = ""
) -> float:
    """``value`` as a finite float in ``[low, high]``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise config_error(param, "a number", value, fix)
    value = float(value)
    if not math.isfinite(value):
        raise config_error(param, "a finite number", value, fix)
    if (low is not None and value < low) or (high is not None and value > high):
        raise config_error(param, _range_text(low, high), value, fix)
    return value


def check_task(task) -> str:
    if task not in TASKS:
        raise config_error("task", "'regression' or 'classification'", task)
    return task


def _range_text(low, high) -> str:
    if low is not None and high is not None:
        return f"between {low} and {high}"
    if low is not None:
        return f"at least {low}"
    return f"at most {high}"


# -------------------------------------------------------------------------------- data


def check_xy(x, y, task: str, *, what: str = "data") -> tuple[np.ndarray, np.ndarray]:
    """Validate and convert one set of inputs and targets.

    Args:
        x: inputs, shape ``(N, d)``, real numbers (a nested list, NumPy array or tensor).
        y: targets; regression: shape ``(N, k)`` real numbers; classification: shape ``(N,)``
            non-negative whole numbers (class indices).
        task: ``"regression"`` or ``"classification"``.
        what: how messages refer to this data, e.g. ``"validation data"``.

    Returns:
        ``(x, y)``: ``x`` float64 ``(N, d)``; ``y`` float64 ``(N, k)`` or int64 ``(N,)``.

    Raises:
        DataError: NaN/inf (naming the row and column of the first one), text or other
            non-numbers, wrong number of dimensions, no rows or columns, ``x`` and ``y`` of
            different lengths. The message says how to fix it.
        ConfigError: an unknown ``task``.

    Examples:
        >>> from backprop.data import check_xy
        >>> x, y = check_xy([[1.0], [2.0]], [[1.0], [4.0]], "regression")
        >>> x.shape, y.dtype
        ((2, 1), dtype('float64'))
    """
    check_task(task)
    x = as_matrix(x, "x", what)
    y = as_matrix(y, "y", what) if task == "regression" else as_labels(y, what)
    if len(x) != len(y):
        raise DataError(
            f"{what}: x has {len(x)} rows but y has {len(y)}; every input row needs exactly "
            "one target row."
        )
    return x, y


def as_matrix(a, name: str, what: str) -> np.ndarray:
    """``a`` as a finite float64 array of shape ``(N, d)`` with N, d ≥ 1, or ``DataError``."""
    arr = _as_real_array(a, name, what)
    if arr.ndim != 2:
        raise DataError(f"{what}: {name} has shape {arr.shape}; {_two_d_fix(arr, name)}")
    if arr.shape[0] == 0:
        raise DataError(f"{what}: {name} is empty (shape {arr.shape}); give at least one row.")
    if arr.shape[1] == 0:
        raise DataError(
            f"{what}: {name} has no columns (shape {arr.shape}); give at least one column."
        )
    check_finite(arr, name, what)
    return arr


def as_labels(a, what: str) -> np.ndarray:
    """Class labels as int64 of shape ``(N,)``, all whole numbers ≥ 0, or ``DataError``."""
    arr = _as_real_array(a, "y", what, labels=True)
    if arr.ndim != 1:
        if arr.ndim == 2 and arr.shape[1] == 1:
            fix = "flatten it with y.ravel()"
        elif arr.ndim == 2:
            fix = "for one-hot rows pass y.argmax(axis=1)"
        else:
            fix = "give one class index per row"
        raise DataError(
            f"{what}: classification targets y must be class indices of shape (N,); got shape "
            f"{arr.shape}; {fix}."
        )
    if arr.shape[0] == 0:
        raise DataError(f"{what}: y is empty; give at least one row.")
    return class_indices(arr, "y", what)


def class_indices(
    arr: np.ndarray,
    name: str,
    what: str,
    *,
    n_classes: int | None = None,
    why: str = "",
    ignore=None,
) -> np.ndarray:
    """Whole numbers ``0 ≤ v < n_classes`` as int64, or ``DataError``.

    ``arr`` is a numeric array of any shape. NaN/inf, fractions, negative values and values
    at or above ``n_classes`` (default ``MAX_CLASSES``; ``why`` says where the bound comes
    from) are refused, except ``ignore`` (an ignore_index). The message names the first bad
    value as given (``1e+20``, not what a cast to int64 would make of it).
    """
    check_finite(arr, name, what)
    if arr.dtype.kind == "f":
        bad = np.argwhere(arr != np.round(arr))
        if bad.size:
            index = tuple(int(i) for i in bad[0])
            raise DataError(
                f"{what}: {name} at {_where(index, arr.ndim)} is {_show(arr[index])}, not a class "
                "index; classification targets are whole numbers 0..C-1 (use a regression "
                "loss or task 'regression' for real-valued targets)."
            )
    if n_classes is None:
        n_classes, why = (
            MAX_CLASSES,
            (
                f"backprop supports at most {MAX_CLASSES} classes; number the classes 0..C-1, "
                "e.g. with np.unique(y, return_inverse=True)[1]"
            ),
        )
    outside = (arr < 0) | (arr >= n_classes)
    if ignore is not None:
        outside &= arr != ignore
    if outside.any():
        index = tuple(int(i) for i in np.argwhere(outside)[0])
        value = arr[index]
        at = f"{what}: {name} at {_where(index, arr.ndim)} is"
        if value < 0:
            raise DataError(
                f"{at} {_show(value)}, a negative class index; classes are numbered 0..C-1 (map "
                "-1/+1 labels with (y > 0).astype(int))."
            )
        raise DataError(f"{at} class {_show(value)} but {why}.")
    return arr.astype(np.int64)


def as_numeric(a, name: str, what: str, labels: bool = False) -> np.ndarray:
    """``a`` as a NumPy array of booleans, integers or floats (dtype kept), or ``DataError``.

    Object arrays of numbers become float64; text, ``None``, other objects, ragged lists,
    complex numbers and dates are refused, naming the first bad value and its position
    (``labels``: the message for text suggests mapping class labels to indices).
    """
    if a is None:
        raise DataError(f"{what}: {name} is None; give an array of numbers.")
    a = getattr(a, "_data", a)  # a backprop Tensor
    try:
        arr = np.asarray(a)
    except (ValueError, TypeError):
        raise DataError(
            f"{what}: {name} cannot be read as an array: its rows have different lengths"
            f"{_ragged_rows(a)}; every row needs the same number of columns."
        ) from None
    kind = arr.dtype.kind
    if kind in "biuf":
        return arr
    if kind == "O":
        for index in np.ndindex(arr.shape):
            value = arr[index]
            if isinstance(value, bool | np.bool_) or (
                isinstance(value, numbers.Real) and not isinstance(value, str)
            ):
                continue
            raise DataError(
                f"{what}: {name} at {_where(index, arr.ndim)} is {_show(value)}, not a number; "
                "every value must be a real number — drop or encode non-numeric columns."
            )
        try:
            return arr.astype(np.float64)
        except OverflowError:
            index = next(i for i in np.ndindex(arr.shape) if not _fits_float(arr[i]))
            raise DataError(
                f"{what}: {name} at {_where(index, arr.ndim)} is an integer of "
                f"{len(str(abs(int(arr[index]))))} digits, too large for a float; rescale it."
            ) from None
    if kind in "US":  # the first value that is not a number written as text, else the first
        index = next((i for i in np.ndindex(arr.shape) if not _reads_as_float(arr[i])), None)
        index = (0,) * arr.ndim if index is None else index
        value = arr[index].item() if arr.ndim else arr.item()
        if labels:
            raise DataError(
                f"{what}: {name} holds text labels ({value!r} at {_where(index, arr.ndim)}); map "
                "them to class indices 0..C-1 first, e.g. np.unique(y, return_inverse=True)[1] "
                "(from_csv does this for you)."
            )
        fix = (  # numbers written as text convert; words do not
            f"convert it with {name}.astype(float)"
            if _reads_as_float(value)
            else "give numbers there, or encode categories as numbers"
        )
        raise DataError(
            f"{what}: {name} holds text, not numbers ({value!r} at {_where(index, arr.ndim)}); "
            f"{fix}."
        )
    raise DataError(
        f"{what}: {name} has dtype {arr.dtype}, not real numbers; convert it to float "
        "(complex, dates and records are not supported)."
    )


def _ragged_rows(a) -> str:
    """`` (row 0 has 2 values, row 1 has 1)``: the first two rows whose lengths differ."""
    try:
        lengths = [len(row) if hasattr(row, "__len__") else 1 for row in a]
    except TypeError:
        return ""
    first = next((i for i, n in enumerate(lengths) if n != lengths[0]), None)
    if first is None:
        return ""

    def values(n: int) -> str:
        return f"{n} value{'' if n == 1 else 's'}"

    return f" (row 0 has {values(lengths[0])}, row {first} has {values(lengths[first])})"


def _reads_as_float(value) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _fits_float(value) -> bool:
    try:
        float(value)
    except OverflowError:
        return False
    return True


def _as_real_array(a, name: str, what: str, labels: bool = False) -> np.ndarray:
    """``a`` as a float64 array (integer ``labels`` stay integers); refuses text and objects."""
    arr = as_numeric(a, name, what, labels=labels)
    if arr.dtype.kind in "iu" and labels:
        return arr
    return arr.astype(np.float64, copy=False)


def check_finite(arr: np.ndarray, name: str, what: str, original=None) -> None:
    """``DataError`` naming the first NaN or ±inf of ``arr`` (row, column, how many rows).

    ``original`` is the array ``arr`` was cast from: a value finite there but infinite in
    ``arr`` overflowed the cast (1e39 → float32), and the message says so.
    """
    if arr.dtype.kind != "f":
        return
    finite = np.isfinite(arr)
    if finite.all():
        return
    index = tuple(int(i) for i in np.argwhere(~finite)[0])
    rows = int((~finite).any(axis=tuple(range(1, arr.ndim))).sum()) if arr.ndim else 1
    where = _where(index, arr.ndim)
    before = None if original is None else np.asarray(original)[index]
    if before is not None and np.isfinite(before):
        raise DataError(
            f"{what}: {name} at {where} is {_show(before)}, which overflows {arr.dtype} (largest "
            f"{np.finfo(arr.dtype).max:.4g}); rescale the data (e.g. standardise it) or use "
            f"float64 ({rows} row(s) affected)."
        )
    value = arr[index]
    kind = "NaN" if np.isnan(value) else ("inf" if value > 0 else "-inf")
    raise DataError(
        f"{what}: {name} at {where} is {kind}, not a finite number; remove or fill in the "
        f"missing or infinite values, e.g. drop the row ({rows} row(s) affected)."
    )


def _show(value) -> str:
    return repr(value.item() if isinstance(value, np.generic) else value)


def _where(index, ndim: int) -> str:
    """``row i, column j`` (2-D), ``row i`` (1-D) or ``the only value`` (0-D)."""
    index = (index,) if isinstance(index, int | np.integer) else tuple(index)
    if ndim == 0 or not index:
        return "the only value"
    text = f"row {int(index[0])}"
    if ndim >= 2:
        text += f", column {int(index[1])}"
    if ndim > 2:
        text += f" (index {tuple(int(i) for i in index)})"
    return text


def _two_d_fix(arr: np.ndarray, name: str) -> str:
    if arr.ndim == 0:
        return f"it must be a table of shape (N, d); wrap a single value as [[{name}]]."
    if arr.ndim == 1:
        return (
            f"it must be 2-D, one row per sample: use {name}.reshape(-1, 1) for N samples of "
            f"one feature, or {name}.reshape(1, -1) for one sample."
        )
    return (
        f"it must be 2-D, one row per sample: flatten each sample with "
        f"{name}.reshape(len({name}), -1)."
    )
