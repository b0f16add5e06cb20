"""``backprop.testing.assert_close``: are two tensors (or numbers, arrays, or lists and dicts
of them) equal up to a tolerance? The same rules and defaults as ``torch.testing``.

Elements are close when ``|actual − expected| ≤ atol + rtol·|expected|``. Without ``rtol``
and ``atol`` the tolerances follow the dtype as in torch: float32 (rtol 1.3e-6, atol 1e-5),
float64 (1e-7, 1e-7), integers and bools exact. Shapes must match, and dtypes too unless
``check_dtype=False`` (then both are promoted first). NaNs are equal only with
``equal_nan=True``. A failure is an ``AssertionError`` whose message gives the number of
mismatched elements and the greatest absolute and relative differences with their index, and
for nested inputs the item where it happened; ``msg`` (a string, or a function of the
generated message) replaces it.
"""

from __future__ import annotations

import collections.abc
import math

import numpy as np

from .errors import BackpropError, ConfigError, DTypeError

__all__ = ["NotCloseError", "assert_close"]

_DEFAULTS = {
    np.dtype(np.float32): (1.3e-6, 1e-5),
    np.dtype(np.float64): (1e-7, 1e-7),
}


class NotCloseError(BackpropError, AssertionError):
    """``assert_close`` found values (or shapes, dtypes, keys, lengths) that differ."""


def assert_close(
    actual,
    expected,
    *,
    allow_subclasses: bool = True,
    rtol=None,
    atol=None,
    equal_nan: bool = False,
    check_device: bool = True,
    check_dtype: bool = True,
    check_layout: bool = True,
    check_stride: bool = False,
    msg=None,
) -> None:
    """Raise ``AssertionError`` unless ``actual`` and ``expected`` are close (see the module)."""
    if (rtol is None) != (atol is None):
        missing = "rtol" if rtol is None else "atol"
        raise ConfigError(
            f"assert_close: Both 'rtol' and 'atol' must be either specified or omitted, but got "
            f"no {missing}."
        )
    try:
        _compare(actual, expected, (), rtol, atol, equal_nan, check_dtype)
    except NotCloseError as failure:
        text = str(failure)
        if callable(msg):
            text = msg(text)
        elif msg is not None:
            text = msg
        raise NotCloseError(text) from None


def _where(path: tuple) -> str:
    if not path:
        return ""
    return "\n\nThe failure occurred for item " + "".join(f"[{p!r}]" for p in path)


def _compare(actual, expected, path, rtol, atol, equal_nan, check_dtype) -> None:
    if isinstance(actual, collections.abc.Mapping) and isinstance(
        expected, collections.abc.Mapping
    ):
        if list(actual) != list(expected) and set(actual) != set(expected):
            raise NotCloseError(
                f"The keys of the mappings do not match:\nactual: {sorted(map(str, actual))}\n"
                f"expected: {sorted(map(str, expected))}{_where(path)}"
            )
        for key in actual:
            _compare(actual[key], expected[key], (*path, key), rtol, atol, equal_nan, check_dtype)
        return
    if _sequence(actual) and _sequence(expected):
        if len(actual) != len(expected):
            raise NotCloseError(
                f"The length of the sequences mismatch: {len(actual)} != {len(expected)}"
                f"{_where(path)}"
            )
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            _compare(a, e, (*path, i), rtol, atol, equal_nan, check_dtype)
        return
    a, scalar = _array(actual, expected)
    e, _ = _array(expected, actual)
    _check_attributes(a, e, check_dtype, path)
    if a.dtype != e.dtype:
        common = np.result_type(a.dtype, e.dtype)
        a, e = a.astype(common), e.astype(common)
    if rtol is None:
        rtol = max(_DEFAULTS.get(a.dtype, (0.0, 0.0))[0], _DEFAULTS.get(e.dtype, (0.0, 0.0))[0])
        atol = max(_DEFAULTS.get(a.dtype, (0.0, 0.0))[1], _DEFAULTS.get(e.dtype, (0.0, 0.0))[1])
    exact = rtol == 0 and atol == 0  # torch then says "not equal" and shows no tolerance
    if a.dtype.kind in "biu":
        ok = a == e if exact else np.isclose(a.astype(np.float64), e, rtol=rtol, atol=atol)
    else:
        ok = np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan)
    if np.all(ok):
        return
    raise NotCloseError(_report(a, e, ok, exact, scalar, rtol, atol) + _where(path))


def _sequence(x) -> bool:
    return isinstance(x, collections.abc.Sequence) and not isinstance(x, str | bytes)


def _array(x, other):
    """``x`` as an array, and whether it is a scalar (a number or a 0-d tensor)."""
    from .autograd.tensor import Tensor

    if isinstance(x, Tensor) and isinstance(other, Tensor):
        return x._data, x.ndim == 0
    if isinstance(x, np.ndarray) and isinstance(other, np.ndarray):
        return x, x.ndim == 0
    numbers = (bool, int, float, np.number, np.bool_)
    if isinstance(x, numbers) and isinstance(other, numbers):
        if isinstance(x, bool | np.bool_):
            return np.asarray(x, dtype=np.bool_), True
        if isinstance(x, int):
            return np.asarray(x, dtype=np.int64), True
        if isinstance(x, float):
            return np.asarray(x, dtype=np.float64), True
        return np.asarray(x), True
    raise DTypeError(
        f"No comparison pair was able to handle inputs of type {type(x)} and {type(other)}; "
        "compare a tensor with a tensor (wrap numbers and lists with backprop.tensor(...))."
    )


def _check_attributes(a: np.ndarray, e: np.ndarray, check_dtype: bool, path) -> None:
    from .autograd.dtypes import from_numpy_dtype
    from .autograd.tensor import Size

    if a.shape != e.shape:
        raise NotCloseError(
            f"The values for attribute 'shape' do not match: {Size(a.shape)!r} != "
            f"{Size(e.shape)!r}.{_where(path)}"
        )
    if check_dtype and a.dtype != e.dtype:
        raise NotCloseError(
            f"The values for attribute 'dtype' do not match: {from_numpy_dtype(a.dtype)!r} != "
            f"{from_numpy_dtype(e.dtype)!r}.{_where(path)}"
        )


def _number(x):
    return int(x) if isinstance(x, np.integer | np.bool_) else float(x)


def _report(a, e, ok, exact, scalar, rtol, atol) -> str:
    kind = "equal" if exact else "close"
    # differences in the values' own dtype, as torch forms them (integers: exact, and their
    # relative difference in float32)
    integral = a.dtype.kind in "biu"
    wide = np.int64 if integral else a.dtype
    a_w, e_w = a.astype(wide), e.astype(wide)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        abs_diff = np.abs(a_w - e_w)
        rel_diff = (abs_diff / np.abs(e_w)).astype(np.float32 if integral else wide)
    if not integral:
        abs_diff = np.where(ok, 0.0, abs_diff)
        rel_diff = np.where(ok, 0.0, rel_diff)
    allowed_abs = "" if exact else f" (up to {atol} allowed)"
    allowed_rel = "" if exact else f" (up to {rtol} allowed)"
    if scalar:  # torch compares scalars as Python numbers
        x, y = _number(a.reshape(())), _number(e.reshape(()))
        diff = abs(x - y)
        rel = diff / abs(y) if y else (math.nan if diff != diff else math.inf)
        return (
            f"Scalars are not {kind}!\n\nExpected {y} but got {x}.\nAbsolute difference: "
            f"{diff}{allowed_abs}\nRelative difference: {rel}{allowed_rel}"
        )
    bad = int(np.count_nonzero(~ok))
    total = ok.size
    i_abs = np.unravel_index(int(np.argmax(abs_diff)), a.shape)
    i_rel = np.unravel_index(int(np.argmax(rel_diff)), a.shape)
    fmt = tuple(int(i) for i in i_abs), tuple(int(i) for i in i_rel)
    pct = math.floor(1000 * bad / total + 0.5) / 10
    return (
        f"Tensor-likes are not {kind}!\n\nMismatched elements: {bad} / {total} ({pct}%)\n"
        f"Greatest absolute difference: {_number(abs_diff[i_abs])} at index {fmt[0]}"
        f"{allowed_abs}\nGreatest relative difference: {float(rel_diff[i_rel])} at index "
        f"{fmt[1]}{allowed_rel}"
    )
