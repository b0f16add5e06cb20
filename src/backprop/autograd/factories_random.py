"""The seeded tensor factories: ``rand``, ``randn``, ``randint``, ``randperm`` and the
``*_like`` draws (floor 1).

Given ``backprop.manual_seed(s)`` (or a ``Generator``) they draw PyTorch's numbers bit for bit;
given a ``numpy.random.Generator`` they use NumPy's own algorithms. ``factories.py`` re-exports
them, so ``backprop.randn`` and ``factories.randn`` are one function.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ConfigError
from . import dtypes as _dt
from . import random_draws as _draws
from .factories import _count, _finish, _float, _number, _size
from .random import engine_of, rng
from .tensor import Tensor


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uniform samples on [0, 1), PyTorch's bits for a given seed.

    Examples:
        >>> import backprop as bp
        >>> _ = bp.manual_seed(0)
        >>> bp.rand(2, 3)
        tensor([[0.4963, 0.7682, 0.0885],
                [0.1320, 0.3074, 0.6341]])
    """
    shape, kind = _size(size), _float(dtype)
    engine = engine_of(generator)
    if engine is None:  # a numpy.random.Generator: NumPy's own algorithm
        arr = rng(generator).random(shape, dtype=kind)
    else:
        arr = _draws.unit(engine, math.prod(shape), kind).reshape(shape)
    return _finish(arr, device, requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Standard normal samples (mean 0, variance 1), PyTorch's bits for a given seed.

    Examples:
        >>> import backprop as bp
        >>> _ = bp.manual_seed(0)
        >>> bp.randn(2, 3)
        tensor([[ 1.5410, -0.2934, -2.1788],
                [ 0.5684, -1.0845, -1.3986]])
        >>> x = 5 * bp.randn(100, 1)  # the lecture's inputs for y = x²
        >>> x.shape
        backprop.Size([100, 1])
    """
    shape, kind = _size(size), _float(dtype)
    engine = engine_of(generator)
    if engine is None:
        arr = rng(generator).standard_normal(shape, dtype=kind)
    else:
        arr = _draws.normal(engine, math.prod(shape), kind, 0.0, 1.0).reshape(shape)
    return _finish(arr, device, requires_grad)


def randint(low, high=None, size=(), generator=None, dtype=None, device=None,
            requires_grad=False) -> Tensor:  # fmt: skip
    """Integers uniform on [low, high); ``randint(high, size)`` draws from [0, high).

    Examples:
        >>> import backprop as bp
        >>> _ = bp.manual_seed(0)
        >>> bp.randint(0, 10, (5,))
        tensor([4, 9, 3, 0, 3])
        >>> bp.randint(3, (2, 2))
        tensor([[0, 1],
                [1, 1]])
    """
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
    """A random permutation of ``0 … n−1`` (how a DataLoader shuffles).

    Examples:
        >>> import backprop as bp
        >>> _ = bp.manual_seed(0)
        >>> bp.randperm(5)
        tensor([4, 0, 1, 3, 2])
    """
    n = _count(n, "n", "randperm")
    engine = engine_of(generator)
    if engine is None:
        arr = rng(generator).permutation(n).astype(np.int64)
    else:
        arr = _draws.randperm(engine, n)
    return _finish(arr if dtype is None else arr.astype(_dt.to_dtype(dtype).np), device, False)


def rand_like(x, dtype=None, device=None, requires_grad=False, generator=None) -> Tensor:
    """Uniform samples on [0, 1) in ``x``'s shape and dtype.

    Examples:
        >>> import backprop as bp
        >>> _ = bp.manual_seed(0)
        >>> bp.rand_like(bp.zeros(2, 2))
        tensor([[0.4963, 0.7682],
                [0.0885, 0.1320]])
    """
    kind = dtype or x.dtype
    return rand(*x.shape, generator=generator, dtype=kind, device=device,
                requires_grad=requires_grad)  # fmt: skip


def randn_like(x, dtype=None, device=None, requires_grad=False, generator=None) -> Tensor:
    """Standard normal samples in ``x``'s shape and dtype.

    Examples:
        >>> import backprop as bp
        >>> _ = bp.manual_seed(0)
        >>> bp.randn_like(bp.zeros(2, 2))
        tensor([[ 1.5410, -0.2934],
                [-2.1788,  0.5684]])
    """
    kind = dtype or x.dtype
    return randn(*x.shape, generator=generator, dtype=kind, device=device,
                 requires_grad=requires_grad)  # fmt: skip
