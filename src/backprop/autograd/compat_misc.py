"""Small torch names that real scripts use around the maths (floor 1): no arithmetic here.

- ``inference_mode(mode=True)``: as ``no_grad`` (context manager and decorator, with or
  without parentheses); ``is_inference_mode_enabled()``. backprop has no separate
  inference tensors: inside the block no graph is recorded, which is what scripts rely on.
- ``set_num_threads`` / ``get_num_threads`` and the inter-op pair: validated and remembered;
  backprop computes with NumPy, whose BLAS keeps its own thread pool (set
  ``OMP_NUM_THREADS`` before starting Python to change that).
- ``use_deterministic_algorithms`` / ``are_deterministic_algorithms_enabled``: backprop's CPU
  ops are deterministic either way; the flag is remembered.
- ``finfo(dtype)`` for the floating dtypes (bits, eps, max, min, tiny, smallest_normal,
  resolution, dtype), from NumPy's description of the same IEEE formats.
- Integer dtype aliases ``int32``/``int``/``int16``/``short``/``int8``/``uint8``: backprop
  stores every integer tensor as int64 (see ``dtypes.storage_dtype_of``), so these name
  ``int64``. A deliberate difference: ``zeros(2, dtype=int32).dtype`` is ``int64`` here.
"""

from __future__ import annotations

import functools
import os

from ..errors import ConfigError, DTypeError
from . import dtypes as _dt
from .grad_mode import is_grad_enabled, set_grad_enabled_flag

__all__ = [
    "are_deterministic_algorithms_enabled",
    "finfo",
    "get_num_interop_threads",
    "get_num_threads",
    "inference_mode",
    "int8",
    "int16",
    "int32",
    "is_inference_mode_enabled",
    "set_num_interop_threads",
    "set_num_threads",
    "short",
    "uint8",
    "use_deterministic_algorithms",
]

# int32 and int16 compute as int64 (the same values while they are in range; makemore counts
# with torch.int32); uint8 and int8 would wrap where int64 does not, so they are refused on use
int32 = int16 = short = _dt.int64
uint8, int8 = _dt.uint8, _dt.int8

_state = {"inference": False, "threads": os.cpu_count() or 1, "interop": os.cpu_count() or 1}
_state["deterministic"] = False


class inference_mode:  # noqa: N801 - PyTorch's name
    """No graph is recorded inside (as ``no_grad``); usable as ``@inference_mode`` too.

    Examples:
        >>> import backprop as bp
        >>> x = bp.tensor([1.0, 2.0], requires_grad=True)
        >>> with bp.inference_mode():
        ...     y = x * 2
        >>> y.requires_grad
        False
    """

    def __new__(cls, mode=True):
        if callable(mode) and not isinstance(mode, bool):  # bare @inference_mode
            return cls(True)(mode)
        return super().__new__(cls)

    def __init__(self, mode: bool = True) -> None:
        if not isinstance(mode, bool):
            raise ConfigError(f"inference_mode: mode must be True or False, got {mode!r}.")
        self.mode = mode

    def __enter__(self) -> None:
        self._saved = (is_grad_enabled(), _state["inference"])
        if self.mode:
            set_grad_enabled_flag(False)
        _state["inference"] = self.mode

    def __exit__(self, *exc) -> None:
        grad, inference = self._saved
        set_grad_enabled_flag(grad)
        _state["inference"] = inference

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with inference_mode(self.mode):
                return func(*args, **kwargs)

        return wrapper


def is_inference_mode_enabled() -> bool:
    """True inside ``inference_mode()``.

    Examples:
        >>> import backprop as bp
        >>> bp.is_inference_mode_enabled()
        False
        >>> with bp.inference_mode():
        ...     print(bp.is_inference_mode_enabled())
        True
    """
    return _state["inference"]


def _threads(who: str, n) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ConfigError(f"{who}: the number of threads must be a positive int, got {n!r}.")
    return n


def set_num_threads(n: int) -> None:
    """Remember ``n`` (NumPy's BLAS keeps its own pool: set OMP_NUM_THREADS to change it).

    Examples:
        >>> import backprop as bp
        >>> bp.set_num_threads(2)
        >>> bp.get_num_threads()
        2
    """
    _state["threads"] = _threads("set_num_threads", n)


def get_num_threads() -> int:
    """The number last set with ``set_num_threads`` (the CPU count until then).

    Examples:
        >>> import backprop as bp
        >>> bp.set_num_threads(2)
        >>> bp.get_num_threads()
        2
    """
    return _state["threads"]


def set_num_interop_threads(n: int) -> None:
    """Remember ``n``; backprop runs no inter-op thread pool.

    Examples:
        >>> import backprop as bp
        >>> bp.set_num_interop_threads(1)
        >>> bp.get_num_interop_threads()
        1
    """
    _state["interop"] = _threads("set_num_interop_threads", n)


def get_num_interop_threads() -> int:
    """The number of threads for work between operations (as set, or the default).

    Examples:
        >>> import backprop as bp
        >>> bp.get_num_interop_threads() >= 1
        True
    """
    return _state["interop"]


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Remember the flag; backprop's CPU ops give the same bits run after run anyway.

    Examples:
        >>> import backprop as bp
        >>> bp.use_deterministic_algorithms(True)
        >>> bp.are_deterministic_algorithms_enabled()
        True
        >>> bp.use_deterministic_algorithms(False)
    """
    if not isinstance(mode, bool):
        raise ConfigError(
            f"use_deterministic_algorithms: mode must be True or False, got {mode!r}."
        )
    _state["deterministic"] = mode


def are_deterministic_algorithms_enabled() -> bool:
    """Whether use_deterministic_algorithms(True) was called last.

    Examples:
        >>> import backprop as bp
        >>> bp.are_deterministic_algorithms_enabled()
        False
        >>> bp.use_deterministic_algorithms(True)
        >>> bp.are_deterministic_algorithms_enabled()
        True
        >>> bp.use_deterministic_algorithms(False)
    """
    return _state["deterministic"]


class finfo:  # noqa: N801 - PyTorch's name
    """Machine limits of a floating dtype: ``finfo(float32).eps`` and friends, as torch's.

    Examples:
        >>> import backprop as bp
        >>> bp.finfo(bp.float32).eps
        1.1920928955078125e-07
        >>> bp.finfo(bp.float64).max
        1.7976931348623157e+308
        >>> bp.finfo(bp.float32).tiny
        1.1754943508222875e-38
    """

    def __init__(self, type=None) -> None:  # noqa: A002 - PyTorch's name
        import numpy as np

        d = _dt.get_default_dtype() if type is None else _dt.to_dtype(type)
        if not d.is_floating_point:
            raise DTypeError(
                f"finfo: {d!r} is not a floating dtype; finfo takes backprop.float32 or "
                f"backprop.float64."
            )
        info = np.finfo(d.np)
        self.bits = int(info.bits)
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.tiny)
        self.resolution = 10.0 ** -int(info.precision)
        self.dtype = d.name

    def __repr__(self) -> str:
        return (
            f"finfo(resolution={self.resolution}, min={self.min:g}, max={self.max:g}, "
            f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, "
            f"dtype={self.dtype})"
        )
