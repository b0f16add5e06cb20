"""Conversions, copies and the Python protocols of ``Tensor`` (floor 1).

A mixin of ``Tensor`` (``tensor.py``): dtype and device conversion (``to``, ``float``,
``double``, ``long``, ``bool``, ``cpu``), the way out to NumPy and Python (``numpy``,
``item``, ``tolist``, ``__array__``), the protocols that make a tensor behave as a Python
value (``len``, iteration, truth, ``float``/``int``/``index``, ``repr``, ``format``), and
copies and new tensors of the same dtype (``clone``, ``new_zeros`` …). Pickling
(``__reduce_ex__``) stays in ``tensor.py`` with the class.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..errors import AutogradError, DTypeError, ShapeError
from . import dtypes as _dt
from . import ops_shape
from . import tensor as _t
from .tensor_shape import _shape_arg

if TYPE_CHECKING:
    from .tensor import Tensor


class TensorConversion:
    __slots__ = ()

    # -- conversion -----------------------------------------------------------------------
    def to(self, *args, **kwargs) -> Tensor:
        """Convert to a dtype (``to(float64)``, ``to(other)``); devices other than the CPU fail."""
        target = None
        for a in (*args, kwargs.get("device"), kwargs.get("dtype")):
            if a is None:
                continue
            if isinstance(a, _t.Tensor):
                target = a.dtype
            elif isinstance(a, _dt.dtype | _dt.unsupported_dtype) or (
                not isinstance(a, str) and _is_dtype_like(a)
            ):
                target = _dt.to_dtype(a)
            else:
                _dt.check_device(a)
        if target is None or target.np == self._data.dtype:
            return self.clone() if kwargs.get("copy") else self
        return self._cast(target)

    def _cast(self, target: _dt.dtype) -> Tensor:
        from .ops_shape import ToCopyBackward0

        if self._requires_grad and not target.is_floating_point:
            return _t.Tensor._wrap(self._data.astype(target.np))
        return _t.apply_op(ToCopyBackward0, (self,), dtype=target.np)

    def float(self) -> Tensor:
        return self.to(_dt.float32)

    def double(self) -> Tensor:
        return self.to(_dt.float64)

    def long(self) -> Tensor:
        return self.to(_dt.int64)

    def bool(self) -> Tensor:
        return self.to(_dt.bool_)

    def int(self) -> Tensor:
        """Integer conversion; backprop's only integer dtype is int64 (PyTorch: int32)."""
        return self.to(_dt.int64)

    def half(self):
        raise DTypeError(
            "half: float16 tensors are not supported (backprop computes in float32 and "
            "float64 on the CPU); use .float(), or backprop.interop.to_torch for float16."
        )

    bfloat16 = half

    def type(self, dtype=None, non_blocking=False, **kwargs):
        """With no argument, PyTorch's type string ('torch.FloatTensor'); with a dtype, such
        a string or a legacy type (``backprop.LongTensor``), a conversion to it."""
        if dtype is None:
            return _TYPE_NAMES[self._data.dtype]
        if isinstance(dtype, str):
            by_name = {v: k for k, v in _TYPE_NAMES.items()}
            key = dtype if dtype.startswith("torch.") else "torch." + dtype
            if key not in by_name:
                raise DTypeError(
                    f"type: unknown type string {dtype!r}; use one of "
                    f"{', '.join(sorted(by_name))} or a dtype."
                )
            return self.to(_dt.from_numpy_dtype(by_name[key]))
        if isinstance(getattr(dtype, "dtype", None), _dt.dtype):  # t.type(torch.FloatTensor)
            return self.to(dtype.dtype)
        return self.to(dtype)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

    # -- metadata -----------------------------------------------------------------------
    def nelement(self) -> int:
        return int(self._data.size)

    def ndimension(self) -> int:
        return self._data.ndim

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return int(self._data.nbytes)

    def is_contiguous(self, memory_format=None) -> bool:
        return bool(self._data.flags.c_contiguous)

    def is_complex(self) -> bool:
        return False

    def is_signed(self) -> bool:
        return self._data.dtype.kind != "b"

    def stride(self, dim=None):
        """Steps in elements between neighbours along each dimension (or along ``dim``)."""
        steps = tuple(s // self._data.itemsize for s in self._data.strides)
        return steps if dim is None else steps[self._dim(dim)]

    def data_ptr(self) -> int:
        return int(self._data.__array_interface__["data"][0])

    def storage_offset(self) -> int:
        """Elements between the start of the base tensor's storage and this view's first."""
        if self._base is None:
            return 0
        start = self._base._data.__array_interface__["data"][0]
        return (self.data_ptr() - start) // self._data.itemsize

    def cpu(self) -> Tensor:
        return self

    def cuda(self, *args, **kwargs):
        _dt.check_device("cuda")

    def contiguous(self) -> Tensor:
        return self

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The storage as a NumPy array (shared, not copied)."""
        if self._requires_grad and not force:
            raise AutogradError(
                "numpy: Can't call numpy() on Tensor that requires grad. Use "
                "tensor.detach().numpy() instead."
            )
        return self._data

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise ShapeError(
                f"item: a Tensor with {self._data.size} elements cannot be converted to Scalar; "
                "index one element first (t[0].item()) or reduce (t.sum().item())."
            )
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def __array__(self, dtype=None, copy=None):
        arr = self.numpy()
        return arr if dtype is None else arr.astype(dtype)

    # -- Python protocols ---------------------------------------------------------------
    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise ShapeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise ShapeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise ShapeError(
                f"Boolean value of Tensor with {self._data.size} values is ambiguous; use "
                ".any() or .all()."
            )
        return bool(self._data.reshape(()))

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise DTypeError(
                "only integer tensors of a single element can be converted to an index"
            )
        return int(self.item())

    def __repr__(self) -> str:
        from .printing import tensor_repr

        d = self._data.dtype
        shown = d not in (_dt.get_default_dtype().np, np.dtype(np.int64), np.dtype(np.bool_))
        return tensor_repr(
            self._data,
            dtype_name=repr(self.dtype) if shown else None,
            requires_grad=self._requires_grad,
            grad_fn_name=self.grad_fn.name() if self.grad_fn is not None else None,
            parameter=getattr(self, "_is_param", False),
        )

    def _repr_html_(self) -> str:
        """In a notebook: shape, dtype, grad_fn / grad and the values, clipped."""
        from ..display import tensor_html  # a floor above, imported when a front end asks

        return tensor_html(self)

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0 and type(self) is _t.Tensor:
            return format(self._data.item(), spec)
        if spec:
            raise TypeError("unsupported format string passed to Tensor.__format__")
        return repr(self)

    # -- copies and new tensors ------------------------------------------------------------
    def clone(self, *, memory_format=None):
        return _t.apply_op(ops_shape.CloneBackward0, (self,))

    def new_tensor(self, data):
        from .factories import tensor

        return tensor(data, dtype=self.dtype)

    def new_zeros(self, *size):
        return _t.Tensor._wrap(np.zeros(_shape_arg(size), dtype=self._data.dtype))

    def new_ones(self, *size):
        return _t.Tensor._wrap(np.ones(_shape_arg(size), dtype=self._data.dtype))

    def new_empty(self, *size):
        return self.new_zeros(*size)

    def new_full(self, size, fill_value):
        return _t.Tensor._wrap(np.full(_shape_arg((size,)), fill_value, dtype=self._data.dtype))


_TYPE_NAMES = {
    np.dtype(np.float32): "torch.FloatTensor",
    np.dtype(np.float64): "torch.DoubleTensor",
    np.dtype(np.int64): "torch.LongTensor",
    np.dtype(np.bool_): "torch.BoolTensor",
}


def _is_dtype_like(a) -> bool:
    try:
        _dt.to_dtype(a)
        return True
    except Exception:
        return False
