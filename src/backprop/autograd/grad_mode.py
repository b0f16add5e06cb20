"""Grad mode: whether operations record history (floor 1).

``no_grad()`` and ``enable_grad()`` work as context managers and as decorators, like
PyTorch's. The flag is process-wide, which is all a single-threaded NumPy engine needs.
"""

from __future__ import annotations

import functools

_enabled = True


def is_grad_enabled() -> bool:
    """True when operations on tensors that require grad record a graph."""
    return _enabled


def set_grad_enabled_flag(mode: bool) -> None:
    global _enabled
    _enabled = bool(mode)


class _GradModeContext:
    _mode: bool

    def __new__(cls, *args):
        # ``@no_grad`` without parentheses (torch allows it): decorate the function at once
        if cls is not set_grad_enabled and args:
            if len(args) == 1 and callable(args[0]):
                return cls()(args[0])
            raise TypeError(f"{cls.__name__}() takes no arguments (or one function to decorate)")
        return super().__new__(cls)

    def __enter__(self) -> None:
        self._prev = _enabled
        set_grad_enabled_flag(self._mode)

    def __exit__(self, *exc) -> None:
        set_grad_enabled_flag(self._prev)

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return func(*args, **kwargs)

        return wrapper


class no_grad(_GradModeContext):  # noqa: N801 - PyTorch's name
    """Operations inside record no history; use for evaluation and manual updates."""

    _mode = False


class enable_grad(_GradModeContext):  # noqa: N801 - PyTorch's name
    """Turn history recording back on inside a ``no_grad`` block."""

    _mode = True


class set_grad_enabled(_GradModeContext):  # noqa: N801 - PyTorch's name
    """``with set_grad_enabled(flag):`` records history when ``flag`` is true."""

    def __init__(self, mode: bool = True) -> None:
        self._mode = bool(mode)
        self._prev = _enabled
        set_grad_enabled_flag(mode)  # PyTorch also applies it when used as a plain call

    def __enter__(self) -> None:
        pass

    def __call__(self, func):
        mode = self._mode
        set_grad_enabled_flag(self._prev)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            prev = _enabled
            set_grad_enabled_flag(mode)
            try:
                return func(*args, **kwargs)
            finally:
                set_grad_enabled_flag(prev)

        return wrapper
