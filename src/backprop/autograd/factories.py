"""Tensor factories: ``tensor``, ``zeros``, ``arange``, … (floor 1); the seeded draws
(``rand``, ``randn``, …) are in ``factories_random.py`` and re-exported here.

Each accepts ``dtype=``, ``device=`` (the CPU only) and ``requires_grad=`` as PyTorch's do.
Data coming in from Python lists or NumPy arrays is checked here, where it enters: ragged
lists, strings and objects get an error that says what was found and how to fix it.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ConfigError, DTypeError, ShapeError
from . import dtypes as _dt
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
    """Like ``tensor`` but shares memory with ``data`` when no conversion is needed.

    Examples:
        >>> import backprop as bp
        >>> import numpy as np
        >>> a = np.array([1.0, 2.0])
        >>> t = bp.as_tensor(a)
        >>> a[0] = 10.0  # t shares a's memory
        >>> t
        tensor([10.,  2.], dtype=backprop.float64)
    """
    if isinstance(data, Tensor) and (dtype is None or _dt.to_dtype(dtype).np == data._data.dtype):
        return data
    return _finish(as_array(data, dtype, "as_tensor"), device, False)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing ``array``'s memory (float64 arrays stay float64).

    Examples:
        >>> import backprop as bp
        >>> import numpy as np
        >>> a = np.array([[1, 2], [3, 4]])
        >>> t = bp.from_numpy(a)
        >>> t
        tensor([[1, 2],
                [3, 4]])
        >>> t.dtype
        backprop.int64
    """
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
    """A tensor of zeros of shape ``size`` (default float dtype unless ``dtype``).

    Examples:
        >>> import backprop as bp
        >>> bp.zeros(2, 3)
        tensor([[0., 0., 0.],
                [0., 0., 0.]])
    """
    return _finish(np.zeros(_size(size), dtype=_float(dtype)), device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of ones of shape ``size`` (default float dtype unless ``dtype``).

    Examples:
        >>> import backprop as bp
        >>> bp.ones(2, 3)
        tensor([[1., 1., 1.],
                [1., 1., 1.]])
    """
    return _finish(np.ones(_size(size), dtype=_float(dtype)), device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """An uninitialised tensor of shape ``size``: fill it before reading it.

    Examples:
        >>> import backprop as bp
        >>> bp.empty(2, 3).shape  # the values are whatever was in memory
        backprop.Size([2, 3])
    """
    return _finish(np.empty(_size(size), dtype=_float(dtype)), device, requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of shape ``size`` filled with ``fill_value`` (its dtype inferred from it).

    Examples:
        >>> import backprop as bp
        >>> bp.full((2, 2), 7.0)
        tensor([[7., 7.],
                [7., 7.]])
        >>> bp.full((3,), 1)
        tensor([1, 1, 1])
    """
    if not isinstance(fill_value, bool | int | float | np.number) or isinstance(
        fill_value, complex | np.complexfloating
    ):
        raise DTypeError(f"full: fill_value must be a real number, got {fill_value!r}.")
    if dtype is None:
        dtype = _dt.result_dtype([fill_value])
    return _finish(np.full(_size((size,)), fill_value, dtype=_dt.to_dtype(dtype).np), device,
                   requires_grad)  # fmt: skip


def eye(n, m=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """An ``n × m`` matrix (``m = n`` by default) with ones on the diagonal.

    Examples:
        >>> import backprop as bp
        >>> bp.eye(3)
        tensor([[1., 0., 0.],
                [0., 1., 0.],
                [0., 0., 1.]])
        >>> bp.eye(2, 3)
        tensor([[1., 0., 0.],
                [0., 1., 0.]])
    """
    n = _count(n, "n", "eye")
    m = n if m is None else _count(m, "m", "eye")
    _size((n, m))
    return _finish(np.eye(n, m, dtype=_float(dtype)), device, requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False) -> Tensor:
    """The numbers ``start, start + step, …`` below ``end`` (``arange(end)`` starts at 0).

    Examples:
        >>> import backprop as bp
        >>> bp.arange(5)
        tensor([0, 1, 2, 3, 4])
        >>> bp.arange(1, 2.5, 0.5)
        tensor([1.0000, 1.5000, 2.0000])
    """
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
    """``steps`` evenly spaced numbers from ``start`` to ``end``, both included.

    Examples:
        >>> import backprop as bp
        >>> bp.linspace(-1, 1, steps=5)
        tensor([-1.0000, -0.5000,  0.0000,  0.5000,  1.0000])
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ConfigError(f"linspace: steps must be a non-negative integer, got {steps!r}.")
    _number(start, "start", "linspace")
    _number(end, "end", "linspace")
    _size((steps,))
    return _finish(np.linspace(start, end, steps).astype(_float(dtype)), device, requires_grad)


def _like(x: Tensor, dtype):
    return x._data.dtype if dtype is None else _dt.to_dtype(dtype).np


def zeros_like(x, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Zeros of ``x``'s shape and dtype (unless ``dtype``).

    Examples:
        >>> import backprop as bp
        >>> x = bp.tensor([[1, 2], [3, 4]])
        >>> bp.zeros_like(x)
        tensor([[0, 0],
                [0, 0]])
    """
    return _finish(np.zeros(x.shape, dtype=_like(x, dtype)), device, requires_grad)


def ones_like(x, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Ones of ``x``'s shape and dtype (unless ``dtype``).

    Examples:
        >>> import backprop as bp
        >>> x = bp.tensor([[1, 2], [3, 4]])
        >>> bp.ones_like(x, dtype=bp.float32)
        tensor([[1., 1.],
                [1., 1.]])
    """
    return _finish(np.ones(x.shape, dtype=_like(x, dtype)), device, requires_grad)


def empty_like(x, dtype=None, device=None, requires_grad=False) -> Tensor:
    """An uninitialised tensor of ``x``'s shape and dtype.

    Examples:
        >>> import backprop as bp
        >>> x = bp.tensor([[1, 2], [3, 4]])
        >>> bp.empty_like(x).shape
        backprop.Size([2, 2])
    """
    return _finish(np.empty(x.shape, dtype=_like(x, dtype)), device, requires_grad)


def full_like(x, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``fill_value`` in ``x``'s shape and dtype (unless ``dtype``).

    Examples:
        >>> import backprop as bp
        >>> x = bp.tensor([[1, 2], [3, 4]])
        >>> bp.full_like(x, 7)
        tensor([[7, 7],
                [7, 7]])
    """
    return _finish(np.full(x.shape, fill_value, dtype=_like(x, dtype)), device, requires_grad)


# the seeded draws (PyTorch's bits for a seed) live in factories_random.py
from .factories_random import rand, rand_like, randint, randn, randn_like, randperm  # noqa: E402, F401
