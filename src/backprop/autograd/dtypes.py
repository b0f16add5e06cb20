"""Dtypes, devices and type promotion (floor 1).

backprop tensors hold NumPy arrays of four dtypes: float32 (the default, as in PyTorch),
float64, int64 and bool. This module names them, keeps the default floating dtype, decides
the result dtype of an operation the way PyTorch does, and accepts the CPU as the only
device. It does no arithmetic.
"""

from __future__ import annotations

import numpy as np

from ..errors import DeviceError, DTypeError


class dtype:  # noqa: N801 - named like torch.dtype
    """A tensor element type; ``backprop.float32`` and friends are its only instances.

    Examples:
        >>> import backprop as bp
        >>> x = bp.tensor([1.0, 2.0])
        >>> x.dtype
        backprop.float32
        >>> bp.tensor([1, 2]).dtype
        backprop.int64
        >>> x.to(bp.float64).dtype
        backprop.float64
        >>> bp.float32.is_floating_point
        True
    """

    __slots__ = ("is_floating_point", "itemsize", "name", "np")

    def __init__(self, name: str, np_dtype: type, is_floating_point: bool) -> None:
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = is_floating_point
        self.itemsize = self.np.itemsize

    def __repr__(self) -> str:
        return f"backprop.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))


float32 = dtype("float32", np.float32, True)
float64 = dtype("float64", np.float64, True)
int64 = dtype("int64", np.int64, False)
bool_ = dtype("bool", np.bool_, False)

float = float32  # noqa: A001 - PyTorch aliases
double = float64
long = int64

_ALL = (float32, float64, int64, bool_)
_FROM_NP = {d.np: d for d in _ALL}
_RANK = {bool_: 0, int64: 1, float32: 2, float64: 3}

_default = float32


def _by_name(name: str) -> dtype:
    return {d.name: d for d in _ALL}[name]


def get_default_dtype() -> dtype:
    """The dtype of new floating tensors (float32 unless changed).

    Examples:
        >>> import backprop as bp
        >>> bp.get_default_dtype()
        backprop.float32
        >>> bp.tensor([1.5]).dtype
        backprop.float32
    """
    return _default


def set_default_dtype(d: dtype) -> None:
    """Set the dtype of new floating tensors: ``backprop.float32`` or ``backprop.float64``.

    Examples:
        >>> import backprop as bp
        >>> bp.set_default_dtype(bp.float64)
        >>> bp.tensor([1.5]).dtype
        backprop.float64
        >>> bp.set_default_dtype(bp.float32)  # back to the default
    """
    global _default
    d = to_dtype(d)
    if not d.is_floating_point:
        raise DTypeError(
            f"set_default_dtype: the default dtype must be a floating dtype "
            f"(backprop.float32 or backprop.float64), got {d!r}."
        )
    _default = d


class unsupported_dtype:  # noqa: N801 - stands where torch has a dtype
    """A torch dtype backprop does not compute in (``backprop.float16``, ``uint8``, …): it
    exists so code that names it imports, and any use of it is refused in words — where an
    alias (uint8 → int64) or None (float16) would change the numbers silently."""

    __slots__ = ("name", "why")

    def __init__(self, name: str, why: str) -> None:
        self.name, self.why = name, why

    def __repr__(self) -> str:
        return f"backprop.{self.name}"

    def refuse(self):
        raise DTypeError(
            f"dtype: backprop.{self.name} is not supported: {self.why}. backprop computes in "
            "float32, float64, int64 and bool; use one of those."
        )


float16 = unsupported_dtype("float16", "half precision is a GPU format NumPy only emulates")
bfloat16 = unsupported_dtype("bfloat16", "NumPy has no bfloat16")
uint8 = unsupported_dtype("uint8", "its values wrap at 0 and 256; int64 would not")
int8 = unsupported_dtype("int8", "its values wrap at −128 and 128; int64 would not")
half = float16


def to_dtype(d) -> dtype:
    """Turn backprop, NumPy, string or torch dtypes (``np.float64``, ``"float64"``) into a dtype."""
    if isinstance(d, dtype):
        return d
    if isinstance(d, unsupported_dtype):
        d.refuse()
    if isinstance(d, str):
        name = d.removeprefix("torch.").removeprefix("backprop.")
        aliases = {"float": "float32", "double": "float64", "long": "int64", "bool_": "bool"}
        name = aliases.get(name, name)
        for cand in _ALL:
            if cand.name == name:
                return cand
    elif isinstance(d, type) and isinstance(getattr(d, "dtype", None), dtype):
        return d.dtype  # a legacy type such as backprop.LongTensor (x.type(LongTensor))
    elif d is bool:
        return bool_
    elif d is int:
        return int64
    else:
        text = str(d)
        if text.startswith("torch."):
            return to_dtype(text)
        try:
            npd = np.dtype(d)
        except TypeError:
            npd = None
        if npd is not None and npd in _FROM_NP:
            return _FROM_NP[npd]
    raise DTypeError(
        f"dtype: {d!r} is not supported; use backprop.float32, backprop.float64, "
        f"backprop.int64 or backprop.bool."
    )


def from_numpy_dtype(npd: np.dtype) -> dtype:
    """The backprop dtype that stores NumPy dtype ``npd``, or a DTypeError naming it."""
    got = _FROM_NP.get(np.dtype(npd))
    if got is None:
        raise DTypeError(
            f"tensor: NumPy dtype {np.dtype(npd)} is not supported; convert the data to "
            f"float32, float64, int64 or bool first (e.g. array.astype(np.float32))."
        )
    return got


def storage_dtype_of(array: np.ndarray) -> np.ndarray:
    """Return ``array`` in a supported storage dtype (other ints to int64, float16 to float32)."""
    kind = array.dtype.kind
    if array.dtype in _FROM_NP:
        return array
    if kind in "iu":
        if kind == "u" and array.dtype.itemsize == 8 and array.size and array.max() > 2**63 - 1:
            raise DTypeError(
                f"tensor: the integer {int(array.max())} does not fit in int64 (at most "
                f"2**63 - 1); torch refuses it too. Use a float tensor for such numbers."
            )
        return array.astype(np.int64)
    if kind == "f":
        return array.astype(np.float32 if array.dtype.itemsize < 4 else np.float64)
    if kind == "b":
        return array.astype(np.bool_)
    raise DTypeError(
        f"tensor: cannot make a tensor from data of NumPy dtype {array.dtype} "
        f"(kind {kind!r}); tensors hold numbers: float32, float64, int64 or bool. "
        f"Convert non-numeric columns before building a tensor."
    )


def result_dtype(operands) -> dtype:
    """PyTorch's promotion for ``operands``: Tensors and Python scalars.

    Tensors with dimensions win over 0-d tensors of the same category, which win over
    Python scalars; a Python float joined to integer tensors gives the default dtype.
    """
    Tensor = _tensor_class()
    dim_best = zero_best = None
    scalar_rank = -1
    for x in operands:
        if isinstance(x, Tensor):
            d = x.dtype
            if x._data.ndim:
                if dim_best is None or _RANK[d] > _RANK[dim_best]:
                    dim_best = d
            elif zero_best is None or _RANK[d] > _RANK[zero_best]:
                zero_best = d
        else:
            rank = (
                0 if isinstance(x, bool | np.bool_) else 1 if isinstance(x, int | np.integer) else 2
            )
            scalar_rank = max(scalar_rank, rank)
    best = dim_best
    if zero_best is not None and (best is None or _category(zero_best) > _category(best)):
        best = zero_best
    if best is None:
        return _default if scalar_rank == 2 else (int64 if scalar_rank == 1 else bool_)
    if scalar_rank > _category(best):
        return _default if scalar_rank == 2 else int64
    return best


_TENSOR = []


def _tensor_class():
    if not _TENSOR:
        from .tensor import Tensor

        _TENSOR.append(Tensor)
    return _TENSOR[0]


def _category(d: dtype) -> int:
    return 2 if d.is_floating_point else (1 if d is int64 else 0)


class device:  # noqa: N801 - named like torch.device
    """A compute device, as ``torch.device``: ``device('cpu')``, ``device('cuda:1')``,
    ``device('cuda', 0)``. Any device can be named (scripts write
    ``torch.device('cuda').index`` or keep one for later); backprop computes on the CPU only,
    so putting a tensor or model on another device is refused (``check_device``).

    Examples:
        >>> import backprop as bp
        >>> bp.device('cpu')
        device(type='cpu')
        >>> bp.tensor([1.0]).device
        device(type='cpu')
        >>> bp.device('cuda', 0).index  # named, but backprop computes on the CPU
        0
    """

    __slots__ = ("index", "type")

    def __init__(self, type="cpu", index=None) -> None:  # noqa: A002 - PyTorch's name
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        text = str(type)
        if ":" in text:
            text, _, number = text.partition(":")
            if index is not None or not (number.isascii() and number.isdecimal()):
                raise DeviceError(
                    f"device: expected a device string such as 'cpu', 'cuda' or 'cuda:0', got "
                    f"{type!r}" + (" together with an index" if index is not None else "") + "."
                )
            index = int(number)
        if not text.isidentifier():
            raise DeviceError(f"device: expected a device type such as 'cpu', got {type!r}.")
        if index is not None and (isinstance(index, bool) or not isinstance(index, int)):
            raise DeviceError(f"device: the index must be a whole number, got {index!r}.")
        self.type = text
        self.index = index

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type={self.type!r})"
        return f"device(type={self.type!r}, index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            try:
                other = device(other)
            except DeviceError:
                return False
        if isinstance(other, device):
            return (self.type, self.index) == (other.type, other.index)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.type, self.index))


def check_device(d) -> None:
    """Accept None, 'cpu', 'cpu:0', a backprop or torch CPU device; reject anything else."""
    if d is None:
        return
    text = str(getattr(d, "type", d))
    if text in ("cpu", "cpu:0"):
        return
    raise DeviceError(
        f"device: backprop covers CPU dense MLPs and runs on the CPU only, got device={d!r}. "
        f"Drop the device argument or use device='cpu'; to train on a GPU, export the model "
        f"to PyTorch with backprop.interop.to_torch(model)."
    )
