"""Exception types for backprop (floor 0).

Every error the library raises for a user mistake is one of these. Each subclasses the
builtin exception PyTorch raises in the same situation, so ``except RuntimeError`` written
for PyTorch still catches it. Messages name the operand or parameter, the rule, the value
and a fix.
"""

from __future__ import annotations


class BackpropError(Exception):
    """Base class of every backprop error.

    Examples:
        >>> import backprop as bp
        >>> try:
        ...     bp.zeros(2, 3) @ bp.zeros(2, 3)
        ... except bp.BackpropError as error:
        ...     print(type(error).__name__)
        ShapeError
    """

    def _render_traceback_(self) -> list[str]:
        """IPython's hook: the traceback in a notebook without backprop's own frames (a user
        mistake's message says the fix; ``%xmode verbose`` shows them; ``_tracebacks``)."""
        from ._tracebacks import render

        return render(self)


class ShapeError(BackpropError, ValueError, RuntimeError):
    """Operand shapes that do not fit the operation (matmul, broadcasting, loss targets).

    Also a ``RuntimeError``, the type torch raises for these, so PyTorch code that catches
    ``RuntimeError`` catches it on backprop too."""


class DTypeError(BackpropError, TypeError, RuntimeError):
    """A dtype the operation cannot take, or a pair of dtypes it cannot mix (also a
    ``RuntimeError``, as torch raises for these)."""


class IndexingError(BackpropError, IndexError):
    """An index out of range or of a kind a tensor (or a list of layers) cannot take."""


class OutOfScopeError(BackpropError, NotImplementedError):
    """A PyTorch feature outside backprop's scope (convolutions, recurrent layers, attention,
    GPUs, compilers). Messages name the scope and point to ``backprop.interop.to_torch``."""


class DeviceError(OutOfScopeError):
    """A device other than the CPU (also a RuntimeError, as NotImplementedError is one)."""


class AutogradError(BackpropError, RuntimeError):
    """Misuse of the autograd graph: backward twice, in-place change of a saved tensor, ..."""


class GradcheckError(BackpropError, RuntimeError):
    """An analytical gradient that disagrees with central differences."""


class ConfigError(BackpropError, ValueError):
    """A bad argument value (learning rate, reduction, size, ...)."""


class DataError(BackpropError, ValueError):
    """Training data that cannot be used: NaN/inf, wrong dimensions, empty, non-numeric.

    Messages name the row and column (or the array and index) of the first bad value.
    """


class SpecError(BackpropError, ValueError):
    """An experiment spec field that is missing, unknown, of the wrong type or out of range.

    Messages name the field by its path (``optimizer.lr``), the rule and the value.
    """


class ModelFileError(BackpropError, ValueError):
    """A model file that is missing, truncated, corrupted, foreign or holds NaN weights."""


class PathError(BackpropError, OSError):
    """A path that cannot be used as asked: a folder or device where a file belongs, a file
    that is too large, a read-only or full file system, a name that would leave its folder.

    Messages name the parameter (``--output``, ``io.save(path)``), the path, the cause and a
    fix. It is also an ``OSError``, so code written for the standard library still catches it.
    """


class SweepError(BackpropError, ValueError):
    """A sweep's results database that cannot be used as asked: it holds another sweep, is
    not a sweep database, or is of a newer format. Messages name the file and the fix."""


class ClusterError(BackpropError, RuntimeError):
    """A sweep's cluster that cannot be used: no answer at the address, not a Dask scheduler,
    no workers, workers without backprop (or another version), or the connection lost.
    Messages name the address, the reason and the fix."""


class IntegerDivisionError(BackpropError, ZeroDivisionError):
    """An integer tensor divided by zero (``//``, ``%``, ``fmod``, ``div(rounding_mode=)``):
    torch raises too; NumPy would quietly give 0."""


class BackpropWarning(UserWarning):
    """A run that works but will not do what its user likely wants (the command line shows
    it as one ``warning:`` line)."""


class StepUnitWarning(BackpropWarning):
    """Step units in a model being trained by gradient descent: the lecture's Caution —
    their derivative is zero, so no gradient reaches the weights below them."""


class PoorFitWarning(BackpropWarning):
    """A finished run that does worse than a trivial model (r² < 0: worse than predicting
    the mean; accuracy at chance)."""


def did_you_mean(value, choices) -> str:
    """`` Did you mean 'square'?`` (a sentence to append) for a near miss among ``choices``
    (case-insensitive), else ''. Shared by every "unknown name" message: spec fields,
    registries, CLI flags."""
    import difflib

    if not isinstance(value, str):
        return ""
    names = {str(c).lower(): str(c) for c in choices}
    close = difflib.get_close_matches(value.lower(), list(names), n=1, cutoff=0.6)
    return f" Did you mean {names[close[0]]!r}?" if close else ""
