"""The autograd surface of ``Tensor``: ``requires_grad``, ``grad``, hooks, ``backward`` (floor 1).

A mixin of ``Tensor`` (``tensor.py``): the flags and the gradient a user sees —
``requires_grad``, ``is_leaf``, ``grad``, ``retain_grad``, ``register_hook`` — plus
``backward``, which hands the output gradient to the graph walk (``node.run_backward``),
and the two ways out of the graph, ``detach`` and ``.data``. Recording ops is not here:
``apply_op`` in ``tensor.py`` does that.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

import numpy as np

from ..errors import AutogradError, DTypeError, ShapeError
from . import tensor as _t
from .node import run_backward

if TYPE_CHECKING:
    from .tensor import Tensor


class _HookHandle:
    __slots__ = ("_hook", "_hooks")

    def __init__(self, hooks: list, hook) -> None:
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


class TensorAutograd:
    __slots__ = ()

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
            if not isinstance(value, _t.Tensor):
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
            g = gradient._data if isinstance(gradient, _t.Tensor) else np.asarray(gradient)
            if g.shape != self._data.shape:
                raise ShapeError(
                    f"backward: gradient has shape {list(g.shape)} but the tensor has shape "
                    f"{list(self.shape)}; they must match."
                )
            # a copy: a leaf's .grad must never be the caller's array (it is added into later)
            g = np.array(g, dtype=self._data.dtype, copy=True)
        run_backward([self], [g], bool(retain_graph))

    def detach(self) -> Tensor:
        """The same storage without history (changes to either show in both)."""
        return _t.Tensor._wrap(self._data)._view_of(self)

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
        return _t.Tensor._wrap(self._data)

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, _t.Tensor):
            raise DTypeError(
                f"data: assigned value must be a Tensor, got {type(value).__name__}; "
                "wrap it with backprop.tensor(...)."
            )
        self._data = value._data
