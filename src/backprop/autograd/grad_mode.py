"""Grad mode: whether operations record history (floor 1).

``no_grad()`` and ``enable_grad()`` work as context managers and as decorators, like
PyTorch's. The flag is process-wide, which is all a single-threaded NumPy engine needs.
"""

from __future__ import annotations

import functools

_enabled = True


def is_grad_enabled() -> bool:
    """True when operations on tensors that require grad record a graph.

    Examples:
        >>> import backprop as bp
        >>> bp.is_grad_enabled()
        True
        >>> with bp.no_grad():
        ...     print(bp.is_grad_enabled())
        False
    """
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
    """Operations inside record no history; use for evaluation and manual updates.

    Examples:
        >>> import backprop as bp
        >>> w = bp.tensor([1.0, -1.0], requires_grad=True)
        >>> w.sum().backward()
        >>> with bp.no_grad():  # a gradient step is not part of the graph
        ...     w -= 0.1 * w.grad
        >>> w
        tensor([ 0.9000, -1.1000], requires_grad=True)
    """

    _mode = False


class enable_grad(_GradModeContext):  # noqa: N801 - PyTorch's name
    """Turn history recording back on inside a ``no_grad`` block.

    Examples:
        >>> import backprop as bp
        >>> x = bp.tensor([1.0], requires_grad=True)
        >>> with bp.no_grad():
        ...     with bp.enable_grad():
        ...         y = x * 2
        >>> y.requires_grad
        True
    """

    _mode = True


class set_grad_enabled(_GradModeContext):  # noqa: N801 - PyTorch's name
    """``with set_grad_enabled(flag):`` records history when ``flag`` is true.

    Examples:
        >>> import backprop as bp
        >>> x = bp.tensor([1.0], requires_grad=True)
        >>> with bp.set_grad_enabled(False):
        ...     y = x * 2
        >>> y.requires_grad
        False
        >>> with bp.set_grad_enabled(True):
        ...     y = x * 2
        >>> y.requires_grad
        True
    """

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
