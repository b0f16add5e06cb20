"""Custom differentiable operations: ``backprop.autograd.Function`` (floor 1).

The lecture's caution — a custom function or layer must be differentiable for backprop to
train it — made concrete, with PyTorch's API::

    class Cube(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * 3 * x ** 2

    y = Cube.apply(x)

``forward`` runs without recording; ``backward`` gets one gradient per output and returns
one per input of ``forward`` (None for inputs that need none). ``backprop.gradcheck``
verifies such a pair against central differences.
"""

from __future__ import annotations

import numpy as np

from ..errors import AutogradError
from . import grad_mode as _gm
from .node import Node
from .tensor import Tensor


class FunctionCtx:
    """The ``ctx`` handed to ``forward`` and ``backward``: saves tensors between them."""

    def __init__(self) -> None:
        self._saved: tuple | None = ()
        self._versions: tuple = ()
        self._node: _FunctionNode | None = None
        self.needs_input_grad: tuple = ()
        self.materialize_grads = True

    def save_for_backward(self, *tensors) -> None:
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise AutogradError(
                    f"save_for_backward: can only save tensors (or None), got "
                    f"{type(t).__name__}; store other values as ctx attributes (ctx.k = k)."
                )
        self._saved = tensors
        self._versions = tuple(
            (t._vc, t._vc.value, (t.shape, t.dtype, t.grad_fn)) for t in tensors if t is not None
        )

    @property
    def saved_tensors(self) -> tuple:
        node = self._node
        if node is not None:
            node._versions = self._versions
            node._check_saved()
        return self._saved

    def mark_non_differentiable(self, *tensors) -> None:
        pass

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = bool(value)


class _FunctionNode(Node):
    """The graph node of one ``Function.apply`` call."""

    __slots__ = ("ctx", "fn", "n_outputs", "out_meta")

    def name(self) -> str:
        return f"{self.fn.__name__}Backward"

    def backward(self, *grads):
        ctx = self.ctx
        wrapped = []
        for g, (shape, dtype) in zip(grads, self.out_meta):
            if g is None and ctx.materialize_grads:
                g = np.zeros(shape, dtype=dtype)
            wrapped.append(None if g is None else Tensor._wrap(g))
        with _gm.no_grad():
            out = self.fn.backward(ctx, *wrapped)
        if not isinstance(out, tuple):
            out = (out,)
        result = []
        for g in out:
            if isinstance(g, Tensor):
                result.append(g._data)
            elif g is None:
                result.append(None)
            else:
                result.append(np.asarray(g))
        return tuple(result)

    def _release(self) -> None:
        if self.ctx._saved:
            self.ctx._saved = None
            self._freed = True


class Function:
    """Base class of custom operations; subclass it and call ``YourFunction.apply(...)``.

    Examples:
        >>> import backprop as bp
        >>> class Square(bp.autograd.Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         ctx.save_for_backward(x)
        ...         return x * x
        ...
        ...     @staticmethod
        ...     def backward(ctx, grad_output):
        ...         (x,) = ctx.saved_tensors
        ...         return 2 * x * grad_output
        >>> x = bp.tensor([1.0, 3.0], requires_grad=True)
        >>> y = Square.apply(x)
        >>> y
        tensor([1., 9.], grad_fn=<SquareBackward>)
        >>> y.sum().backward()
        >>> x.grad
        tensor([2., 6.])
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("Function subclasses must implement forward(ctx, ...)")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("Function subclasses must implement backward(ctx, ...)")

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = FunctionCtx()
        tensors = [a if isinstance(a, Tensor) else None for a in args]
        ctx.needs_input_grad = tuple(t is not None and t._requires_grad for t in tensors)
        with _gm.no_grad():
            out = cls.forward(ctx, *args, **kwargs)
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        for o in outs:
            if not isinstance(o, Tensor):
                raise AutogradError(
                    f"{cls.__name__}.forward must return a Tensor or a tuple of Tensors, got "
                    f"{type(o).__name__}."
                )
        record = _gm.is_grad_enabled() and any(ctx.needs_input_grad)
        if not record:
            results = tuple(Tensor._wrap(o._data) if any(o is a for a in args) else o for o in outs)
            return results[0] if single else results
        if ctx._saved is None:
            ctx._saved = ()
        node = _FunctionNode()
        node.fn, node.ctx, node.n_outputs = cls, ctx, len(outs)
        ctx._node = node
        node.needs_input_grad = ctx.needs_input_grad
        node.next_functions = tuple(
            (None, 0)
            if t is None or not t._requires_grad
            else ((t.grad_fn, t._output_nr) if t.grad_fn is not None else (t._accumulator(), 0))
            for t in tensors
        )
        node._inputs_meta = tuple(
            (t._data.shape, t._data.dtype) if t is not None else ((), None) for t in tensors
        )
        node.out_meta = tuple((o._data.shape, o._data.dtype) for o in outs)
        node.saved = ctx._saved if ctx._saved else None
        results = []
        for i, o in enumerate(outs):
            r = Tensor._make(o._data, node, o.dtype.is_floating_point)
            r._output_nr = i
            results.append(r)
        return results[0] if single else tuple(results)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):  # fmt: skip
    """The gradients of ``outputs`` with respect to ``inputs``, without touching ``.grad``."""
    from .node import run_backward

    if create_graph:
        raise AutogradError("autograd.grad: create_graph=True is not supported by backprop.")
    outputs = (outputs,) if isinstance(outputs, Tensor) else tuple(outputs)
    single = isinstance(inputs, Tensor)
    inputs = (inputs,) if single else tuple(inputs)
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = (grad_outputs,)
    seeds = []
    for o, g in zip(outputs, grad_outputs):
        if not o._requires_grad:
            raise AutogradError(
                "autograd.grad: element 0 of tensors does not require grad and does not have a "
                "grad_fn."
            )
        if g is None:
            if o._data.size != 1:
                raise AutogradError(
                    "autograd.grad: grad can be implicitly created only for scalar outputs; "
                    "pass grad_outputs."
                )
            seeds.append(np.ones_like(o._data))
        else:
            seeds.append(np.asarray(g._data if isinstance(g, Tensor) else g, o._data.dtype))
    for t in inputs:
        if not t._requires_grad:
            raise AutogradError(
                "autograd.grad: One of the differentiated Tensors does not require grad"
            )
    got = run_backward(list(outputs), seeds, bool(retain_graph), capture=list(inputs))
    result = []
    for t, g in zip(inputs, got):
        if g is None:
            if not allow_unused:
                raise AutogradError(
                    "autograd.grad: One of the differentiated Tensors appears to not have been "
                    "used in the graph. Set allow_unused=True if this is the desired behavior."
                )
            result.append(None)
        else:
            result.append(Tensor._wrap(np.array(g, dtype=t._data.dtype)))
    return tuple(result)
