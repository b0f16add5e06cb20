"""The old PyTorch spellings that torch 2.13 still accepts and older tutorials still use:
``autograd.Variable``, the typed constructors ``FloatTensor``/``DoubleTensor``/
``LongTensor``/``IntTensor``/``BoolTensor``, and ``set_default_device``.

``Variable(t, requires_grad=False)`` is a tensor: a leaf sharing ``t``'s storage (as
``t.detach().requires_grad_(requires_grad)``); ``volatile=`` only warns. Every tensor is an
instance of ``Variable``. ``FloatTensor(2, 3)`` is an uninitialised 2×3 float32 tensor,
``FloatTensor([1, 2])`` one built from data, and ``isinstance(x, FloatTensor)`` asks whether
``x`` is a float32 tensor. backprop has no int32, so ``IntTensor`` makes int64 tensors (it
then names the same type as ``LongTensor``). This module adds no maths.
"""

from __future__ import annotations

import warnings

from .autograd import dtypes as _dt
from .autograd.tensor import Size, Tensor
from .errors import ConfigError, DeviceError, DTypeError

__all__ = [
    "BoolTensor",
    "DoubleTensor",
    "FloatTensor",
    "IntTensor",
    "LongTensor",
    "Variable",
    "get_default_device",
    "set_default_device",
]


class _VariableMeta(type):
    def __instancecheck__(cls, other) -> bool:
        return isinstance(other, Tensor)


class Variable(metaclass=_VariableMeta):
    """``Variable(data, requires_grad=False, volatile=False)`` → a tensor (see the module)."""

    def __new__(cls, data=None, requires_grad: bool = False, volatile: bool = False):
        if volatile:
            warnings.warn(
                "Variable: volatile was removed and now has no effect; use `with "
                "backprop.no_grad():` instead.",
                UserWarning,
                stacklevel=2,
            )
        if data is None:
            data = Tensor(())
        if not isinstance(data, Tensor):
            raise DTypeError(
                f"Variable data has to be a tensor, but got {type(data).__name__}; wrap it "
                "with backprop.tensor(...) (and in new code drop Variable altogether)."
            )
        out = data.detach()
        if requires_grad:
            out.requires_grad_(True)
        return out


class _TypedMeta(type):
    """The metaclass of the typed constructors: calling builds a tensor, isinstance checks
    the dtype."""

    dtype: _dt.dtype

    def __instancecheck__(cls, other) -> bool:
        return isinstance(other, Tensor) and other.dtype is cls.dtype

    def __call__(cls, *args, device=None):
        from .autograd.factories import empty, tensor

        _dt.check_device(device)
        name = cls.__name__
        if not args:
            return empty(0, dtype=cls.dtype)
        if all(isinstance(a, int) and not isinstance(a, bool) for a in args):
            return empty(*args, dtype=cls.dtype)
        if len(args) == 1:
            (data,) = args
            if isinstance(data, Tensor):
                if data.dtype is not cls.dtype:
                    raise DTypeError(
                        f"{name}(tensor): expected a {cls.dtype!r} tensor, got {data.dtype!r}; "
                        f"convert it with tensor.to({cls.dtype!r})."
                    )
                return data
            if isinstance(data, Size) or type(data).__name__ == "Size":  # sizes, not data
                return empty(*data, dtype=cls.dtype)
            if isinstance(data, int | float | bool):
                raise DTypeError(
                    f"{name}: data must be a sequence (got {type(data).__name__}); write "
                    f"{name}([{data!r}]) for one value, or backprop.tensor({data!r})."
                )
            return tensor(data, dtype=cls.dtype)
        raise DTypeError(
            f"{name}: expects sizes ({name}(2, 3)) or one sequence of data ({name}([1, 2])), "
            f"got {len(args)} arguments of types {[type(a).__name__ for a in args]}."
        )

    def __repr__(cls) -> str:
        return f"<class 'backprop.{cls.__name__}'>"


def _typed(name: str, dtype: _dt.dtype, example: str) -> type:
    doc = (
        f"``{name}(data)`` or ``{name}(*sizes)``: a {dtype!r} tensor (old style; prefer "
        f"``backprop.tensor(data, dtype={dtype!r})``). ``isinstance(x, {name})`` asks whether "
        f"``x`` is one.\n\nExamples:\n    >>> import backprop as bp\n"
        + "".join(f"    {line}\n" for line in example.strip().split("\n"))
    )
    return _TypedMeta(name, (), {"dtype": dtype, "__module__": __name__, "__doc__": doc})


FloatTensor = _typed(
    "FloatTensor",
    _dt.float32,
    """
>>> x = bp.FloatTensor([1, 2])
>>> x
tensor([1., 2.])
>>> isinstance(x, bp.FloatTensor)
True
>>> bp.FloatTensor(2, 3).shape
backprop.Size([2, 3])
""",
)
DoubleTensor = _typed(
    "DoubleTensor",
    _dt.float64,
    """
>>> bp.DoubleTensor([1, 2])
tensor([1., 2.], dtype=backprop.float64)
""",
)
LongTensor = _typed(
    "LongTensor",
    _dt.int64,
    """
>>> bp.LongTensor([1, 2])
tensor([1, 2])
>>> isinstance(bp.tensor([3]), bp.LongTensor)
True
""",
)
# no int32 in backprop: IntTensor makes int64 tensors (PyTorch's print int32)
IntTensor = _typed(
    "IntTensor",
    _dt.int64,
    """
>>> bp.IntTensor([1, 2]).tolist()
[1, 2]
""",
)
BoolTensor = _typed(
    "BoolTensor",
    _dt.bool_,
    """
>>> bp.BoolTensor([1, 0])
tensor([ True, False])
""",
)


def set_default_device(device) -> None:
    """Accepts the CPU (``"cpu"``, ``backprop.device("cpu")``, None); any other device is a
    DeviceError, since backprop computes on the CPU only.

    Examples:
        >>> import backprop as bp
        >>> bp.set_default_device('cpu')
        >>> bp.get_default_device()
        device(type='cpu')
    """
    if device is None:
        return
    try:
        _dt.check_device(device)
    except DeviceError:
        raise
    except Exception:
        raise ConfigError(f"set_default_device: {device!r} is not a device; pass 'cpu'.") from None


def get_default_device():
    """Always the CPU.

    Examples:
        >>> import backprop as bp
        >>> bp.get_default_device()
        device(type='cpu')
    """
    return _dt.device("cpu")
