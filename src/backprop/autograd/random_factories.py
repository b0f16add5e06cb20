"""``torch.normal``, ``bernoulli``, ``multinomial``, ``randint_like`` and the random in-place
fills, with PyTorch's bits for a given seed (floor 1).

The factories ``rand``/``randn``/``randint``/``randperm`` live in ``factories``; the
distributions themselves in ``random_draws``. Here are the forms that take tensors: how
PyTorch composes a draw with the tensor arithmetic around it (``normal(mean, std)`` draws
standard normals, then multiplies by ``std`` and adds ``mean``, two separate roundings),
and the argument checks, in PyTorch's words where a script might look for them.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ConfigError, DTypeError, ShapeError
from . import dtypes as _dt
from . import random_draws as _draws
from .random import engine_of, rng
from .random_engine import Engine
from .tensor import Tensor


def _data(x) -> np.ndarray:
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def _float_kind(*arrays) -> np.dtype:
    kinds = [a.dtype for a in arrays if a.dtype.kind == "f"]
    if not kinds:
        return _dt.get_default_dtype().np
    return np.result_type(*kinds)


def in_memory_order(arr: np.ndarray, flat: np.ndarray) -> np.ndarray:
    """``flat`` (values in draw order) laid out as ``arr``: PyTorch fills a tensor in the
    order of its memory (a transposed view column by column), not in index order."""
    if arr.flags.c_contiguous or arr.ndim < 2:
        return flat.reshape(arr.shape)
    outer_first = sorted(range(arr.ndim), key=lambda d: -abs(arr.strides[d]))
    laid = flat.reshape([arr.shape[d] for d in outer_first])
    return laid.transpose(np.argsort(outer_first))


def fill_normal(arr: np.ndarray, mean: float, std: float, generator, who: str) -> np.ndarray:
    """Normal samples shaped and typed like ``arr`` (the ``normal_`` kernel)."""
    if arr.dtype.kind != "f":
        raise DTypeError(f"{who}: needs a floating-point tensor, got {arr.dtype}.")
    if not std >= 0:
        raise ConfigError(f"{who}: std must be >= 0, got {std!r}.")
    engine = engine_of(generator)
    if engine is None:
        return rng(generator).normal(mean, std, arr.shape).astype(arr.dtype)
    flat = _draws.normal(engine, arr.size, arr.dtype, mean, std, arr.flags.c_contiguous)
    return in_memory_order(arr, flat)


def fill_uniform(arr: np.ndarray, low: float, high: float, generator, who: str) -> np.ndarray:
    if arr.dtype.kind != "f":
        raise DTypeError(f"{who}: needs a floating-point tensor, got {arr.dtype}.")
    if not low <= high:
        raise ConfigError(f"{who}: expects from <= to, got from={low!r}, to={high!r}.")
    engine = engine_of(generator)
    if engine is None:
        return rng(generator).uniform(low, high, arr.shape).astype(arr.dtype)
    return in_memory_order(arr, _draws.uniform(engine, arr.size, arr.dtype, low, high))


def fill_random(arr: np.ndarray, low, high, generator, who: str) -> np.ndarray:
    """``random_()``, ``random_(to)``, ``random_(from, to)``."""
    engine = engine_of(generator)
    if engine is None:
        engine = _NumpyAsEngine(rng(generator))
    if low is None and high is None:
        return in_memory_order(arr, _draws.random_bits(engine, arr.size, arr.dtype))
    if high is None:
        low, high = 0, low
    if not int(low) < int(high):
        raise ConfigError(f"{who}: expects from < to, got from={low}, to={high}.")
    values = _draws.randint(engine, arr.size, int(low), int(high))
    return in_memory_order(arr, values.astype(arr.dtype))


class _NumpyAsEngine:
    """Raw draws from a numpy Generator, for ``random_`` with ``generator=np.random...``."""

    def __init__(self, gen: np.random.Generator) -> None:
        self.gen = gen

    def u32(self, n: int) -> np.ndarray:
        return self.gen.integers(0, 2**32, n, dtype=np.uint64)

    def u64(self, n: int) -> np.ndarray:
        return self.gen.integers(0, 2**64, n, dtype=np.uint64)


def _prob(p, who: str) -> float:
    if isinstance(p, bool) or not isinstance(p, int | float | np.number) or not 0 <= p <= 1:
        raise ConfigError(f"{who}: p must be a probability in [0, 1], got {p!r}.")
    return float(p)


def fill_bernoulli(arr: np.ndarray, p, generator, who: str) -> np.ndarray:
    engine = engine_of(generator)
    if isinstance(p, Tensor | np.ndarray):
        probs = np.broadcast_to(_data(p), arr.shape)
        if probs.dtype.kind != "f":
            raise DTypeError(f"{who}: p must be a floating-point tensor, got {probs.dtype}.")
        if probs.size and not ((probs >= 0) & (probs <= 1)).all():
            raise ConfigError(f"{who}: every p must lie in [0, 1] (PyTorch checks 0 <= p <= 1).")
        if engine is None:
            return (rng(generator).random(arr.shape) < probs).astype(arr.dtype)
        if arr.flags.c_contiguous or arr.ndim < 2:
            return _draws.bernoulli_tensor(engine, np.ascontiguousarray(probs)).astype(arr.dtype)
        outer_first = sorted(range(arr.ndim), key=lambda d: -abs(arr.strides[d]))
        laid = np.ascontiguousarray(probs.transpose(outer_first))  # p in arr's memory order
        drawn = _draws.bernoulli_tensor(engine, laid).transpose(np.argsort(outer_first))
        return drawn.astype(arr.dtype)
    p = _prob(p, who)
    if engine is None:
        return (rng(generator).random(arr.shape) < p).astype(arr.dtype)
    return in_memory_order(arr, _draws.bernoulli_scalar(engine, arr.size, p).astype(arr.dtype))


def fill_exponential(arr: np.ndarray, lambd: float, generator, who: str) -> np.ndarray:
    if arr.dtype.kind != "f":
        raise DTypeError(f"{who}: needs a floating-point tensor, got {arr.dtype}.")
    if not (lambd > 0 and math.isfinite(lambd)):
        raise ConfigError(f"{who}: lambd must be positive and finite, got {lambd!r}.")
    engine = engine_of(generator)
    if engine is None:
        return rng(generator).exponential(1.0 / lambd, arr.shape).astype(arr.dtype)
    return in_memory_order(arr, _draws.exponential(engine, arr.size, arr.dtype, lambd))


def fill_other(arr: np.ndarray, kind: str, params: tuple, generator, who: str) -> np.ndarray:
    """``cauchy_(median, sigma)``, ``log_normal_(mean, std)``, ``geometric_(p)``."""
    if kind != "geometric" and arr.dtype.kind != "f":
        raise DTypeError(f"{who}: needs a floating-point tensor, got {arr.dtype}.")
    if kind == "geometric" and not 0 < params[0] < 1:
        raise ConfigError(f"{who}: p must lie strictly between 0 and 1, got {params[0]!r}.")
    if kind == "log_normal" and not params[1] > 0:
        raise ConfigError(f"{who}: std must be > 0, got {params[1]!r}.")
    engine = engine_of(generator)
    if engine is None:
        engine = Engine()
        engine.reseed(int(rng(generator).integers(0, 2**63)))
    draw = {"cauchy": _draws.cauchy, "log_normal": _draws.log_normal,
            "geometric": _draws.geometric}[kind]  # fmt: skip
    return in_memory_order(arr, draw(engine, arr.size, arr.dtype, *params))


# -- public functions --------------------------------------------------------------------------
def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, requires_grad=False):
    """``torch.normal``: tensor or float ``mean``/``std``; ``size`` when both are floats.

    Examples:
        >>> import backprop as bp
        >>> _ = bp.manual_seed(0)
        >>> bp.normal(2.0, 0.5, size=(3,))
        tensor([2.7705, 1.8533, 0.9106])
        >>> bp.normal(bp.tensor([0.0, 10.0]), bp.tensor([1.0, 0.1]))
        tensor([0.5684, 9.8915])
    """
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        m, s = _data(mean), _data(std)
        kind = _float_kind(*(_data(t) for t in (mean, std) if isinstance(t, Tensor)))
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
        if isinstance(std, Tensor) and s.size and not (s >= 0).all():
            raise ConfigError("normal: std must be >= 0 everywhere.")
        if isinstance(std, Tensor):  # standard normals, then * std, then + mean
            out = fill_normal(np.empty(shape, kind), 0.0, 1.0, generator, "normal")
            out = (out * s.astype(kind, copy=False)).astype(kind, copy=False)
        else:
            out = fill_normal(np.empty(shape, kind), 0.0, float(std), generator, "normal")
        out = out + (m.astype(kind, copy=False) if isinstance(mean, Tensor) else kind.type(mean))
        t = Tensor._wrap(out.astype(kind, copy=False))
    else:
        if size is None:
            raise ConfigError(
                "normal: with a float mean and std, pass size=, e.g. normal(0.0, 1.0, (3, 4))."
            )
        from .factories import _float, _size

        shape = _size((size,)) if isinstance(size, int) else _size(tuple(size))
        kind = np.dtype(_float(dtype))
        t = Tensor._wrap(fill_normal(np.empty(shape, kind), mean, std, generator, "normal"))
    if requires_grad:
        t.requires_grad_(True)
    return t


def bernoulli(input, p=None, *, generator=None) -> Tensor:
    """``torch.bernoulli``: 0/1 draws with probabilities ``input`` (or the scalar ``p``).

    Examples:
        >>> import backprop as bp
        >>> _ = bp.manual_seed(0)
        >>> bp.bernoulli(bp.tensor([0.0, 0.5, 0.5, 1.0]))
        tensor([0., 0., 1., 1.])
    """
    x = _data(input)
    if p is None:
        return Tensor._wrap(fill_bernoulli(np.empty_like(x), input, generator, "bernoulli"))
    return Tensor._wrap(fill_bernoulli(np.empty_like(x), p, generator, "bernoulli"))


def multinomial(input, num_samples, replacement=False, *, generator=None) -> Tensor:
    """``torch.multinomial``: category indices drawn by the weights in each row of ``input``.

    Examples:
        >>> import backprop as bp
        >>> _ = bp.manual_seed(0)
        >>> weights = bp.tensor([0.0, 1.0, 3.0])
        >>> bp.multinomial(weights, 4, replacement=True)
        tensor([2, 2, 2, 2])
    """
    w = _data(input)
    if w.ndim not in (1, 2):
        raise ShapeError(f"multinomial: prob_dist must be 1 or 2 dim, got shape {w.shape}.")
    if w.dtype.kind != "f":
        raise DTypeError(f"multinomial: only floating-point dtypes are supported, got {w.dtype}.")
    if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples <= 0:
        raise ConfigError(
            f"multinomial: num_samples must be a positive whole number, got {num_samples!r}."
        )
    if w.shape[-1] == 0:
        raise ShapeError("multinomial: the number of categories cannot be zero.")
    rows = w.reshape(-1, w.shape[-1])
    if not np.isfinite(rows).all() or (rows < 0).any():
        raise ConfigError(
            "multinomial: invalid distribution: every weight must be finite and >= 0."
        )
    if (rows.sum(axis=1) <= 0).any():
        raise ConfigError("multinomial: invalid distribution: a row's weights sum to 0.")
    if not replacement:
        if num_samples > w.shape[-1]:
            raise ConfigError(
                f"multinomial: cannot sample n_sample={num_samples} > prob_dist.size(-1)="
                f"{w.shape[-1]} samples without replacement; pass replacement=True."
            )
        if ((rows > 0).sum(axis=1) < num_samples).any():
            raise ConfigError(
                "multinomial: invalid distribution (with replacement=False, not enough "
                "categories with a weight above zero to sample)."
            )
    engine = engine_of(generator)
    if engine is None:
        gen = rng(generator)
        out = np.stack([gen.choice(len(r), num_samples, replace=replacement, p=r / r.sum())
                        for r in rows]).reshape((*w.shape[:-1], num_samples))  # fmt: skip
        return Tensor._wrap(out.astype(np.int64))
    return Tensor._wrap(_draws.multinomial(engine, np.ascontiguousarray(w), num_samples,
                                           replacement))  # fmt: skip


def randint_like(input, low=0, high=None, *, dtype=None, generator=None, requires_grad=False):
    """``torch.randint_like(x, high)`` or ``(x, low, high)``: integers shaped like ``x``.

    Examples:
        >>> import backprop as bp
        >>> _ = bp.manual_seed(0)
        >>> bp.randint_like(bp.zeros(2, 3), 10)
        tensor([[4., 9., 3.],
                [0., 3., 9.]])
    """
    from .factories import randint

    if high is None:
        low, high = 0, low
    x = _data(input)
    kind = x.dtype if dtype is None else _dt.to_dtype(dtype).np
    t = randint(low, high, tuple(x.shape), generator=generator)
    return Tensor._wrap(t._data.astype(kind, copy=False))
