"""``Tensor``: a NumPy array with PyTorch's autograd semantics (floor 1).

A tensor holds its values in ``_data`` (a NumPy array) and, when it takes part in a graph,
the ``grad_fn`` node that made it. Leaves that require grad receive ``.grad`` from
``backward()``. This file holds the tensor's life cycle — construction, ``requires_grad``,
``grad``, ``backward``, ``detach``/``data``, dtype and device conversion, printing and the
Python protocols — plus ``apply_op``, the one place where an op from the op table is run and
recorded. The arithmetic methods live in ``tensor_math.py``.
"""

from __future__ import annotations

import weakref

import numpy as np

from ..errors import AutogradError, DTypeError, ShapeError
from . import dtypes as _dt
from . import grad_mode as _gm
from .node import AccumulateGrad, Node, VersionCounter, run_backward
from .tensor_math import TensorMath


class Size(tuple):
    """A tensor's shape: a tuple that prints like ``backprop.Size([2, 3])``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"backprop.Size({list(self)})"

    def numel(self) -> int:
        return int(np.prod(self, dtype=np.int64))


class _HookHandle:
    __slots__ = ("_hook", "_hooks")

    def __init__(self, hooks: list, hook) -> None:
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


class Tensor(TensorMath):
    """An n-dimensional array that can record the operations applied to it.

    ``Tensor(data)`` builds a float tensor of the default dtype, like ``torch.Tensor``; prefer
    ``backprop.tensor(data, dtype=..., requires_grad=...)``.
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

    def __init__(self, data=(), *, dtype=None, requires_grad: bool = False) -> None:
        from .factories import as_array

        arr = as_array(data, dtype or _dt.get_default_dtype(), "Tensor")
        self._init(np.array(arr, copy=True), None, False)
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

    @classmethod
    def _wrap(cls, array: np.ndarray) -> Tensor:
        """A plain tensor around ``array`` (no copy, no history)."""
        t = Tensor.__new__(Tensor)
        t._init(array, None, False)
        return t

    @classmethod
    def _make(cls, array: np.ndarray, grad_fn: Node | None, requires_grad: bool) -> Tensor:
        t = Tensor.__new__(Tensor)
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

    # -- autograd attributes ----------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place (leaves only); returns self."""
        flag = bool(requires_grad)
        if self.grad_fn is not None:
            if not flag:
                raise AutogradError(
                    "requires_grad: you can only change requires_grad flags of leaf tensors; "
                    "this one was made by "
                    f"{self.grad_fn.name()}. Use .detach() to get a tensor without history."
                )
            return self
        if flag and not self.dtype.is_floating_point:
            raise DTypeError(
                f"requires_grad: only tensors of floating point dtype can require gradients, "
                f"this one is {self.dtype!r}. Convert it first: t = t.float()."
            )
        self._requires_grad = flag
        return self

    @property
    def is_leaf(self) -> bool:
        """True for tensors not made by a recorded operation (inputs and parameters)."""
        return self.grad_fn is None

    @property
    def grad(self) -> Tensor | None:
        """The accumulated gradient of a leaf (None until a backward pass reaches it)."""
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise DTypeError(
                    f"grad: assigned grad must be a Tensor or None, got {type(value).__name__}."
                )
            if value.shape != self.shape:
                raise ShapeError(
                    f"grad: assigned grad has shape {list(value.shape)} but the tensor has "
                    f"shape {list(self.shape)}; they must match."
                )
        self._grad = value

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward (a no-op on leaves)."""
        if not self._requires_grad:
            raise AutogradError(
                "retain_grad: can't retain_grad on a tensor that has requires_grad=False."
            )
        if self.grad_fn is None or self._retains_grad:
            return
        node = self.grad_fn
        if node._retained is None:
            node._retained = {}
        node._retained[self._output_nr] = weakref.ref(self)
        self._retains_grad = True

    def register_hook(self, hook) -> _HookHandle:
        """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a new one."""
        if not self._requires_grad:
            raise AutogradError(
                "register_hook: cannot register a hook on a tensor that doesn't require gradient."
            )
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        else:
            node = self.grad_fn
            if node._hooks is None:
                node._hooks = {}
            hooks = node._hooks.setdefault(self._output_nr, [])
        hooks.append(hook)
        return _HookHandle(hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into the ``.grad`` of every leaf that requires grad.

        ``gradient`` is needed when self is not a scalar (it is the vector of the
        vector-Jacobian product). The graph's saved values are freed afterwards unless
        ``retain_graph=True``.
        """
        if create_graph:
            raise AutogradError(
                "backward: create_graph=True (gradients of gradients) is not supported by "
                "backprop; compute second derivatives with gradcheck's finite differences."
            )
        if inputs is not None:
            raise AutogradError("backward: the inputs= argument is not supported; omit it.")
        if not self._requires_grad:
            raise AutogradError(
                "backward: element 0 of tensors does not require grad and does not have a "
                "grad_fn. Create the leaves with requires_grad=True (or call "
                "w.requires_grad_()), and don't compute the loss under no_grad()."
            )
        if gradient is None:
            if self._data.size != 1:
                raise AutogradError(
                    "backward: grad can be implicitly created only for scalar outputs; this "
                    f"tensor has shape {list(self.shape)}. Reduce it first (loss.sum() or "
                    "loss.mean()) or pass gradient=backprop.ones_like(y)."
                )
            g = np.ones_like(self._data)
        else:
            g = gradient._data if isinstance(gradient, Tensor) else np.asarray(gradient)
            if g.shape != self._data.shape:
                raise ShapeError(
                    f"backward: gradient has shape {list(g.shape)} but the tensor has shape "
                    f"{list(self.shape)}; they must match."
                )
            g = g.astype(self._data.dtype, copy=False)
        run_backward([self], [g], bool(retain_graph))

    def detach(self) -> Tensor:
        """The same storage without history (changes to either show in both)."""
        return Tensor._wrap(self._data)._view_of(self)

    def detach_(self) -> Tensor:
        """Make this tensor a leaf without history, in place."""
        self.grad_fn = None
        self._requires_grad = False
        return self

    @property
    def data(self) -> Tensor:
        """The same storage as a tensor without history; assignable (``p.data = t``).

        Changes through ``.data`` are invisible to autograd, as in PyTorch: this is the
        "I know what I am doing" door used by hand-written parameter updates.
        """
        return Tensor._wrap(self._data)

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise DTypeError(
                f"data: assigned value must be a Tensor, got {type(value).__name__}; "
                "wrap it with backprop.tensor(...)."
            )
        self._data = value._data

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

    # -- conversion -----------------------------------------------------------------------
    def to(self, *args, **kwargs) -> Tensor:
        """Convert to a dtype (``to(float64)``, ``to(other)``); devices other than the CPU fail."""
        target = None
        for a in (*args, kwargs.get("device"), kwargs.get("dtype")):
            if a is None:
                continue
            if isinstance(a, Tensor):
                target = a.dtype
            elif isinstance(a, _dt.dtype) or (not isinstance(a, str) and _is_dtype_like(a)):
                target = _dt.to_dtype(a)
            else:
                _dt.check_device(a)
        if target is None or target.np == self._data.dtype:
            return self.clone() if kwargs.get("copy") else self
        return self._cast(target)

    def _cast(self, target: _dt.dtype) -> Tensor:
        from .ops_shape import ToCopyBackward0

        if self._requires_grad and not target.is_floating_point:
            return Tensor._wrap(self._data.astype(target.np))
        return apply_op(ToCopyBackward0, (self,), dtype=target.np)

    def float(self) -> Tensor:
        return self.to(_dt.float32)

    def double(self) -> Tensor:
        return self.to(_dt.float64)

    def long(self) -> Tensor:
        return self.to(_dt.int64)

    def bool(self) -> Tensor:
        return self.to(_dt.bool_)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

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

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0 and type(self) is Tensor:
            return format(self._data.item(), spec)
        if spec:
            raise TypeError("unsupported format string passed to Tensor.__format__")
        return repr(self)

    def __reduce_ex__(self, protocol):
        return (_rebuild, (self._data, self._requires_grad))


def _rebuild(data, requires_grad):
    t = Tensor._wrap(np.array(data, copy=True))
    t._requires_grad = requires_grad
    return t


def _is_dtype_like(a) -> bool:
    try:
        _dt.to_dtype(a)
        return True
    except Exception:
        return False


def apply_op(cls, inputs: tuple, arrays=None, into: Tensor | None = None, **options) -> Tensor:
    """Run op ``cls`` on ``inputs`` (tensors) and record it when grad is needed.

    ``arrays`` overrides the input arrays (already cast to the result dtype); ``into`` writes
    the result into an existing tensor in place (the in-place ops), keeping its storage.
    """
    if arrays is None:
        arrays = [t._data for t in inputs]
    node = cls()
    out = node.forward(*arrays, **options)
    record = False
    if _gm._enabled:
        for t in inputs:
            if t._requires_grad:
                record = True
                break
    if into is not None:
        into._write(out)
    if not record:
        if into is not None:
            return into
        return Tensor._wrap(out)
    # one pass over the inputs: which need a gradient, where it goes, what shape it must have
    needs, edges, meta = [], [], []
    for t in inputs:
        flag = t._requires_grad
        needs.append(flag)
        fn = t.grad_fn
        if fn is not None:
            edges.append((fn, t._output_nr))
        elif flag:
            edges.append((t._accum or t._accumulator(), 0))
        else:
            edges.append((None, 0))
        data = t._data
        meta.append((data.shape, data.dtype))
    node.needs_input_grad = needs
    node.next_functions = tuple(edges)  # a tuple, as PyTorch exposes it
    node._inputs_meta = meta
    versions = [
        (inputs[i]._vc, inputs[i]._vc.value, (arrays[i].shape, arrays[i].dtype, inputs[i].grad_fn))
        for i in cls.saved_inputs
    ]
    if into is None:
        result = Tensor._make(out, node, True)
    else:
        result = into
        into.grad_fn, into._output_nr, into._requires_grad = node, 0, True
    if cls.saves_output:
        versions.append((result._vc, result._vc.value, (out.shape, out.dtype, node)))
    node._versions = versions
    return result


def as_tensor_operand(x, dtype=None) -> Tensor:
    """A Python number, NumPy array or Tensor as a Tensor operand."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray):
        return Tensor._wrap(_dt.storage_dtype_of(x))
    if isinstance(x, bool | int | float | np.number | np.bool_):
        return Tensor._wrap(np.asarray(x, dtype=(dtype or _dt.result_dtype([x])).np))
    raise DTypeError(
        f"operand: expected a Tensor, a NumPy array or a number, got {type(x).__name__}."
    )
