"""``Tensor``: a NumPy array with PyTorch's autograd semantics (floor 1).

A tensor holds its values in ``_data`` (a NumPy array) and, when it takes part in a graph,
the ``grad_fn`` node that made it. Leaves that require grad receive ``.grad`` from
``backward()``. This file holds the class itself — its slots, construction, metadata
(dtype, shape, version counter) and pickling — plus ``apply_op``, the one place where an
op from the op table is run and recorded, and ``as_tensor_operand``. The methods come from
mixins, one file each: the autograd surface (``requires_grad``, ``grad``, hooks,
``backward``, ``detach``) from ``tensor_autograd.py``, conversions, copies and the Python
protocols from ``tensor_convert.py``, the operators and elementwise functions from
``tensor_math.py``, reductions from ``tensor_reduce.py``, shape and indexing from
``tensor_shape.py``, in-place changes from ``tensor_inplace.py``.
"""

from __future__ import annotations

import numpy as np

from ..errors import DTypeError, ShapeError
from . import dtypes as _dt
from . import grad_mode as _gm
from .node import AccumulateGrad, Node, VersionCounter
from .tensor_autograd import TensorAutograd
from .tensor_compare import TensorCompare
from .tensor_convert import TensorConversion
from .tensor_elementwise import TensorElementwise
from .tensor_index import TensorIndexing
from .tensor_inplace import TensorInPlace
from .tensor_layout import TensorLayout
from .tensor_math import TensorMath
from .tensor_reduce import TensorReductions
from .tensor_shape import TensorShape
from .tensor_stats import TensorStats


class Size(tuple):
    """A tensor's shape: a tuple that prints like ``backprop.Size([2, 3])``.

    Examples:
        >>> import backprop as bp
        >>> x = bp.zeros(2, 3)
        >>> x.shape
        backprop.Size([2, 3])
        >>> x.shape[1]
        3
        >>> x.shape == (2, 3)
        True
        >>> x.shape.numel()
        6
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"backprop.Size({list(self)})"

    def numel(self) -> int:
        return int(np.prod(self, dtype=np.int64))


class Tensor(
    TensorAutograd,
    TensorConversion,
    TensorMath,
    TensorCompare,
    TensorReductions,
    TensorShape,
    TensorInPlace,
    TensorElementwise,
    TensorStats,
    TensorIndexing,
    TensorLayout,
):
    """An n-dimensional array that can record the operations applied to it.

    ``Tensor(data)`` builds a float tensor of the default dtype, like ``torch.Tensor``; prefer
    ``backprop.tensor(data, dtype=..., requires_grad=...)``.

    Examples:
        >>> import backprop as bp
        >>> x = bp.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        >>> x.shape, x.dtype
        (backprop.Size([2, 2]), backprop.float32)
        >>> y = (x ** 2).sum()  # E = Σ x²
        >>> y.backward()
        >>> x.grad  # ∂E/∂x = 2x
        tensor([[2., 4.],
                [6., 8.]])
        >>> bp.Tensor([1, 2])  # the class itself builds float tensors
        tensor([1., 2.])
    """

    __slots__ = (
        "__weakref__",
        "_accum",
        "_base",
        "_data",
        "_grad",
        "_hooks",
        "_output_nr",
        "_requires_grad",
        "_retains_grad",
        "_vc",
        "grad_fn",
    )
    __array_priority__ = 1000
    __array_ufunc__ = None  # NumPy defers to our reflected operators: a + t is a Tensor
    __hash__ = object.__hash__

    def __init__(self, *args, dtype=None, requires_grad: bool = False) -> None:
        """``Tensor(data)`` copies data; ``Tensor(2, 3)`` or ``Tensor(Size([2, 3]))`` is a
        new tensor of that shape, as torch's legacy constructor (torch leaves it
        uninitialised; here it holds zeros)."""
        from .factories import as_array

        dtype = dtype or _dt.get_default_dtype()
        sized = len(args) > 1 or (
            len(args) == 1 and (isinstance(args[0], Size) or type(args[0]) is int)
        )
        if sized:
            shape = tuple(args[0]) if isinstance(args[0], Size) else args
            if not all(type(n) is int and n >= 0 for n in shape):
                raise DTypeError(
                    f"Tensor{args!r}: sizes must be whole numbers ≥ 0 (Tensor(2, 3)), or give "
                    "the data as one list (Tensor([2.0, 3.0]))."
                )
            arr = np.zeros(shape, dtype=_dt.to_dtype(dtype).np)
        else:
            arr = np.array(as_array(args[0] if args else (), dtype, "Tensor"), copy=True)
        self._init(arr, None, False)
        if requires_grad:
            self.requires_grad_(True)

    # -- construction helpers -----------------------------------------------------------
    def _init(self, array: np.ndarray, grad_fn: Node | None, requires_grad: bool) -> None:
        self._data = array
        self.grad_fn = grad_fn
        self._requires_grad = requires_grad
        self._grad = None
        self._output_nr = 0
        self._vc = VersionCounter()
        self._base = None
        self._accum = None
        self._hooks = None
        self._retains_grad = False

    @staticmethod
    def _wrap(array: np.ndarray) -> Tensor:
        """A plain tensor around ``array`` (no copy, no history)."""
        t = _new(Tensor)
        t._data = array
        t.grad_fn = t._grad = t._base = t._accum = t._hooks = None
        t._requires_grad = t._retains_grad = False
        t._output_nr = 0
        t._vc = VersionCounter()
        return t

    @staticmethod
    def _make(array: np.ndarray, grad_fn: Node | None, requires_grad: bool) -> Tensor:
        t = _new(Tensor)
        t._init(array, grad_fn, requires_grad)
        return t

    def _view_of(self, base: Tensor) -> Tensor:
        """Mark self as a view sharing ``base``'s storage (and so its version counter)."""
        root = base._base if base._base is not None else base
        self._base = root
        self._vc = base._vc
        return self

    def _accumulator(self) -> AccumulateGrad:
        if self._accum is None:
            self._accum = AccumulateGrad(self)
        return self._accum

    # -- metadata -----------------------------------------------------------------------
    @property
    def dtype(self) -> _dt.dtype:
        return _dt.from_numpy_dtype(self._data.dtype)

    @property
    def device(self) -> _dt.device:
        return _dt.device("cpu")

    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        """The shape, or the length of dimension ``dim``."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[self._dim(dim)]

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return int(self._data.size)

    def element_size(self) -> int:
        return self._data.itemsize

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    @property
    def _version(self) -> int:
        return self._vc.value

    def _bump_version(self) -> None:
        """Record an in-place change made directly to ``_data`` (optimizers, the δ engine)."""
        self._vc.value += 1

    @property
    def is_cuda(self) -> bool:
        return False

    def _dim(self, dim: int) -> int:
        nd = self._data.ndim
        lo, hi = (-nd, nd - 1) if nd else (-1, 0)
        if not isinstance(dim, int | np.integer) or not lo <= dim <= hi:
            raise ShapeError(
                f"dim: Dimension out of range (expected to be in range of [{lo}, {hi}], but "
                f"got {dim}) for a tensor of shape {list(self.shape)}."
            )
        return int(dim) % max(nd, 1)

    # -- pickling -----------------------------------------------------------------------
    def __reduce_ex__(self, protocol):
        return (_rebuild, (self._data, self._requires_grad))


def _rebuild(data, requires_grad):
    t = Tensor._wrap(np.array(data, copy=True))
    t._requires_grad = requires_grad
    return t


def apply_op(cls, inputs: tuple, arrays=None, into: Tensor | None = None, **options) -> Tensor:
    """Run op ``cls`` on ``inputs`` (tensors) and record it when grad is needed.

    ``arrays`` overrides the input arrays (already cast to the result dtype); ``into`` writes
    the result into an existing tensor in place (the in-place ops), keeping its storage. An
    input may be None when its array is given in ``arrays``: a constant such as the Python
    number of ``t * 2.0``, with no edge (``(None, 0)``, as PyTorch shows it) and no version.
    """
    if arrays is None:
        arrays = [t._data for t in inputs]
    node = cls()
    out = node.forward(*arrays, **options)
    if type(out) is not np.ndarray:  # NumPy gives scalars for 0-d results; tensors hold arrays
        out = np.asarray(out)
    if out.dtype not in _dt._FROM_NP:  # NumPy's promotion left a dtype tensors do not hold
        out = _dt.storage_dtype_of(out)  # (bool ** bool is int8): int64 / float32 / bool
    record = False
    if _gm._enabled:
        for t in inputs:
            if t is not None and t._requires_grad:
                record = True
                break
    if into is not None:
        into._write(out)
    if not record:
        if into is not None:
            return into
        result = _new(Tensor)
        result._init(out, None, False)
        return result
    # one pass over the inputs: which need a gradient, where it goes, what shape it must have
    needs, edges, meta = [], [], []
    for t in inputs:
        if t is None:
            needs.append(False)
            edges.append(_NO_EDGE)
            meta.append(None)  # read only for inputs that need a gradient
            continue
        data = t._data
        meta.append((data.shape, data.dtype))
        flag = t._requires_grad
        needs.append(flag)
        fn = t.grad_fn
        if fn is not None:
            edges.append((fn, t._output_nr))
        elif flag:
            edges.append((t._accum or t._accumulator(), 0))
        else:
            edges.append(_NO_EDGE)
    node.needs_input_grad = needs
    node.next_functions = tuple(edges)  # a tuple, as PyTorch exposes it
    node._inputs_meta = meta
    versions = [] if cls.saved_inputs or cls.saves_output else ()
    for i in cls.saved_inputs:
        t = inputs[i]
        if t is None:  # a constant nobody else holds: it cannot change
            versions.append(_CONSTANT_VERSION)
        else:
            vc, data = t._vc, arrays[i]
            versions.append((vc, vc.value, (data.shape, data.dtype, t.grad_fn)))
    if into is None:
        result = _new(Tensor)
        result._init(out, node, True)
    else:
        result = into
        into.grad_fn, into._output_nr, into._requires_grad = node, 0, True
    if cls.saves_output:
        vc = result._vc
        versions.append((vc, vc.value, (out.shape, out.dtype, node)))
    node._versions = versions
    return result


_new = object.__new__
_NO_EDGE = (None, 0)
_CONSTANT_VERSION = (VersionCounter(), 0, ((), np.dtype(np.float64), None))


def as_tensor_operand(x, dtype=None) -> Tensor:
    """A Python number, NumPy array or Tensor as a Tensor operand."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray):
        return Tensor._wrap(_dt.storage_dtype_of(x))
    if isinstance(x, bool | int | float | np.number | np.bool_):
        want = dtype or _dt.result_dtype([x])
        if type(x) is int and not -(2**63) <= x < 2**63 and want.np.kind != "f":
            raise DTypeError(
                f"operand: the integer {x} does not fit in int64 (|x| < 2**63); torch refuses "
                "it too. Use a float for such numbers."
            )
        return Tensor._wrap(np.asarray(x, dtype=want.np))
    raise DTypeError(
        f"operand: expected a Tensor, a NumPy array or a number, got {type(x).__name__}."
    )
