"""Tensor factories: ``tensor``, ``zeros``, ``randn``, … (floor 1).

Each accepts ``dtype=``, ``device=`` (the CPU only) and ``requires_grad=`` as PyTorch's do.
Data coming in from Python lists or NumPy arrays is checked here, where it enters: ragged
lists, strings and objects get an error that says what was found and how to fix it.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ConfigError, DTypeError, ShapeError
from . import dtypes as _dt
from . import random_draws as _draws
from .random import engine_of, rng
from .tensor import Tensor


def _strip_tensors(data):
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, list | tuple):
        return [_strip_tensors(d) for d in data]
    return data


def as_array(data, dtype, who: str) -> np.ndarray:
    """``data`` (Tensor, array, number or nested list) as an array of a supported dtype."""
    target = None if dtype is None else _dt.to_dtype(dtype)
    if isinstance(data, Tensor):
        arr = data._data
    elif isinstance(data, np.ndarray | np.generic):  # a NumPy scalar keeps its dtype, as in torch
        arr = _dt.storage_dtype_of(np.asarray(data))
    else:
        plain = _strip_tensors(data)
        try:
            arr = np.array(plain)
        except ValueError as exc:
            raise ShapeError(
                f"{who}: data must be a rectangular nested list of numbers (every row the "
                f"same length); NumPy says: {exc}"
            ) from None
        if arr.dtype.kind == "f" and target is None:
            target = _dt.get_default_dtype()
        arr = _dt.storage_dtype_of(arr)
    if target is not None and arr.dtype != target.np:
        arr = arr.astype(target.np)
    return arr


def _finish(arr: np.ndarray, device, requires_grad: bool) -> Tensor:
    _dt.check_device(device)
    t = Tensor._wrap(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


# More elements than this cannot be addressed (NumPy: "array is too big").
_MAX_ELEMENTS = np.iinfo(np.intp).max // 16


def _size(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], tuple | list):
        size = tuple(size[0])
    out = []
    for n in size:
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
            raise ShapeError(
                f"size: every size must be a non-negative whole number, got {n!r} in {tuple(size)}."
            )
        out.append(int(n))
    if math.prod(out) > _MAX_ELEMENTS:  # Python ints: exact, never wraps
        raise ShapeError(f"size: {tuple(out)} has more elements than any array can hold.")
    return tuple(out)


def _count(n, name: str, who: str) -> int:
    """A non-negative whole number argument (``eye``'s n, ``randperm``'s n)."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise ConfigError(f"{who}: {name} must be a non-negative whole number, got {n!r}.")
    return int(_size((n,))[0])


def _number(value, name: str, who: str, *, whole: bool = False):
    """A real number argument (finite), or a ConfigError naming it."""
    if type(value) is int:  # the common case: a Python int is whole and finite
        return value
    kinds = (int, np.integer) if whole else (int, float, np.integer, np.floating)
    if isinstance(value, bool) or not isinstance(value, kinds) or not np.isfinite(value):
        rule = "a whole number" if whole else "a finite real number"
        raise ConfigError(f"{who}: {name} must be {rule}, got {value!r}.")
    return value


def _float(dtype) -> np.dtype:
    d = _dt.get_default_dtype() if dtype is None else _dt.to_dtype(dtype)
    return d.np


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (dtype inferred like PyTorch's).

    Examples:
        The lecture's autograd example, ŷ = w2·σ(w1·x) at x = w1 = w2 = 0:

        >>> import backprop as torch
        >>> x = torch.tensor([0.0])
        >>> w1 = torch.tensor([0.0], requires_grad=True)
        >>> w2 = torch.tensor([0.0], requires_grad=True)
        >>> y = w2 * torch.sigmoid(w1 * x)
        >>> y.backward()
        >>> print(w1.grad, w2.grad, x.grad)
        tensor([0.]) tensor([0.5000]) None
    """
    arr = as_array(data, dtype, "tensor")
    return _finish(np.array(arr, copy=True), device, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory with ``data`` when no conversion is needed."""
    if isinstance(data, Tensor) and (dtype is None or _dt.to_dtype(dtype).np == data._data.dtype):
        return data
    return _finish(as_array(data, dtype, "as_tensor"), device, False)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing ``array``'s memory (float64 arrays stay float64)."""
    if not isinstance(array, np.ndarray):
        raise DTypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}.")
    if array.dtype not in (np.float32, np.float64, np.int64, np.bool_):
        raise DTypeError(
            f"from_numpy: the array's dtype {array.dtype} is not one a tensor can share; "
            "use backprop.tensor(array) to copy it into a supported dtype, or convert it "
            "first (array.astype(np.float32))."
        )
    return Tensor._wrap(array)


def zeros(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(np.zeros(_size(size), dtype=_float(dtype)), device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(np.ones(_size(size), dtype=_float(dtype)), device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(np.empty(_size(size), dtype=_float(dtype)), device, requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    if not isinstance(fill_value, bool | int | float | np.number) or isinstance(
        fill_value, complex | np.complexfloating
    ):
        raise DTypeError(f"full: fill_value must be a real number, got {fill_value!r}.")
    if dtype is None:
        dtype = _dt.result_dtype([fill_value])
    return _finish(np.full(_size((size,)), fill_value, dtype=_dt.to_dtype(dtype).np), device,
                   requires_grad)  # fmt: skip


def eye(n, m=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    n = _count(n, "n", "eye")
    m = n if m is None else _count(m, "m", "eye")
    _size((n, m))
    return _finish(np.eye(n, m, dtype=_float(dtype)), device, requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False) -> Tensor:
    if end is None:
        start, end = 0, start
    for name, value in (("start", start), ("end", end), ("step", step)):
        _number(value, name, "arange")
    if step == 0:
        raise ConfigError("arange: step must be nonzero, got 0.")
    _size((max(0, int(np.ceil((end - start) / step))),))
    if dtype is None:
        dtype = _dt.result_dtype([start, end, step])
    arr = np.arange(start, end, step).astype(_dt.to_dtype(dtype).np)
    return _finish(arr, device, requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False) -> Tensor:
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ConfigError(f"linspace: steps must be a non-negative integer, got {steps!r}.")
    _number(start, "start", "linspace")
    _number(end, "end", "linspace")
    _size((steps,))
    return _finish(np.linspace(start, end, steps).astype(_float(dtype)), device, requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uniform samples on [0, 1), PyTorch's bits for a given seed."""
    shape, kind = _size(size), _float(dtype)
    engine = engine_of(generator)
    if engine is None:  # a numpy.random.Generator: NumPy's own algorithm
        arr = rng(generator).random(shape, dtype=kind)
    else:
        arr = _draws.unit(engine, math.prod(shape), kind).reshape(shape)
    return _finish(arr, device, requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Standard normal samples (mean 0, variance 1), PyTorch's bits for a given seed."""
    shape, kind = _size(size), _float(dtype)
    engine = engine_of(generator)
    if engine is None:
        arr = rng(generator).standard_normal(shape, dtype=kind)
    else:
        arr = _draws.normal(engine, math.prod(shape), kind, 0.0, 1.0).reshape(shape)
    return _finish(arr, device, requires_grad)


def randint(low, high=None, size=(), generator=None, dtype=None, device=None,
            requires_grad=False) -> Tensor:  # fmt: skip
    """Integers uniform on [low, high); ``randint(high, size)`` draws from [0, high)."""
    if isinstance(high, tuple | list) and size == ():  # torch.randint(10, (3,))
        high, size = None, high
    if high is None:
        low, high = 0, low
    _number(low, "low", "randint", whole=True)
    _number(high, "high", "randint", whole=True)
    if high <= low:
        raise ConfigError(f"randint: high ({high}) must be greater than low ({low}).")
    shape = (size,) if type(size) is int and size >= 0 else _size((size,))
    engine = engine_of(generator)
    if engine is None:
        arr = rng(generator).integers(low, high, size=shape, dtype=np.int64)
    else:
        arr = _draws.randint(engine, math.prod(shape), int(low), int(high)).reshape(shape)
    if dtype is not None:
        arr = arr.astype(_dt.to_dtype(dtype).np)
    if device is None and not requires_grad:  # the common call: wrap, nothing to check
        return Tensor._wrap(arr)
    return _finish(arr, device, requires_grad)


def randperm(n, generator=None, dtype=None, device=None) -> Tensor:
    n = _count(n, "n", "randperm")
    engine = engine_of(generator)
    if engine is None:
        arr = rng(generator).permutation(n).astype(np.int64)
    else:
        arr = _draws.randperm(engine, n)
    return _finish(arr if dtype is None else arr.astype(_dt.to_dtype(dtype).np), device, False)


def _like(x: Tensor, dtype):
    return x._data.dtype if dtype is None else _dt.to_dtype(dtype).np


def zeros_like(x, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(np.zeros(x.shape, dtype=_like(x, dtype)), device, requires_grad)


def ones_like(x, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(np.ones(x.shape, dtype=_like(x, dtype)), device, requires_grad)


def empty_like(x, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(np.empty(x.shape, dtype=_like(x, dtype)), device, requires_grad)


def full_like(x, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(np.full(x.shape, fill_value, dtype=_like(x, dtype)), device, requires_grad)


def rand_like(x, dtype=None, device=None, requires_grad=False, generator=None) -> Tensor:
    kind = dtype or x.dtype
    return rand(*x.shape, generator=generator, dtype=kind, device=device,
                requires_grad=requires_grad)  # fmt: skip


def randn_like(x, dtype=None, device=None, requires_grad=False, generator=None) -> Tensor:
    kind = dtype or x.dtype
    return randn(*x.shape, generator=generator, dtype=kind, device=device,
                 requires_grad=requires_grad)  # fmt: skip
