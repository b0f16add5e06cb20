"""Graph nodes and the backward walk (floor 1).

Every operation that records history creates a ``Node`` (a tensor's ``grad_fn``). A node
holds edges to the nodes of its inputs (``next_functions``, PyTorch's name), the arrays its
backward rule needs, and the version of every tensor it saved, so that an in-place change
made after the forward pass is caught instead of silently giving a wrong gradient. Leaves
that require grad get one ``AccumulateGrad`` node each, which adds into ``.grad``.

``run_backward`` walks the graph iteratively (no recursion limit), in dependency order,
summing the gradients that reach each node before calling its rule once, and checks every
gradient's shape against the tensor it belongs to. This module knows tensors only by the
attributes it reads; it does no printing.
"""

from __future__ import annotations

import heapq
import itertools

import numpy as np

from ..errors import AutogradError

_sequence = itertools.count()


class VersionCounter:
    """Counts in-place changes of one storage; views share their base's counter."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0


class Node:
    """One recorded operation: the backward rule of a tensor's ``grad_fn``.

    Subclasses set ``forward(*arrays, **kw) -> array`` and ``backward(grad) -> tuple`` (one
    gradient array, or None, per input). ``saved_inputs`` lists the inputs whose values the
    backward rule reads; ``saves_output`` says it reads the output. The engine checks their
    versions before calling ``backward``.
    """

    __slots__ = (
        "__weakref__",
        "_freed",
        "_hooks",
        "_inputs_meta",
        "_retained",
        "_seq",
        "_versions",
        "needs_input_grad",
        "next_functions",
        "saved",
    )
    saved_inputs: tuple[int, ...] = ()
    saves_output = False
    n_outputs = 1

    def __init__(self) -> None:
        self.saved = None
        self._freed = False
        self._versions = ()
        self._retained = None
        self._hooks = None
        self._seq = next(_sequence)

    def name(self) -> str:
        """PyTorch-style name of the backward rule, e.g. ``'MulBackward0'``."""
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"

    def register_hook(self, hook) -> None:
        """Call ``hook(grad_inputs, grad_outputs)`` after this node's backward (not used by ops)."""
        raise AutogradError(
            "Node.register_hook is not supported; use Tensor.register_hook on the tensor instead."
        )

    # -- engine interface ------------------------------------------------------------
    def _check_saved(self) -> None:
        if self._freed:
            raise AutogradError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Saved intermediate values of the "
                f"graph are freed when you call .backward(); {self.name()} needed them. Specify "
                "retain_graph=True if you need to backward through the graph a second time."
            )
        for counter, seen, _ in self._versions:
            if counter.value != seen:
                self._raise_modified()

    def _raise_modified(self) -> None:
        for index, (counter, seen, info) in enumerate(self._versions):
            if counter.value != seen:
                shape, dtype, producer = info
                label = f"a {np.dtype(dtype).name} tensor of shape {list(shape)}"
                if producer is not None:
                    label += f", which is the output of {producer.name()},"
                raise AutogradError(
                    "one of the variables needed for gradient computation has been modified by "
                    f"an inplace operation: {label} saved by {self.name()} (saved tensor "
                    f"#{index}) is at version {counter.value}; expected version {seen} instead. "
                    "Fix: use the out-of-place form (x = x * 2 instead of x *= 2), or .clone() "
                    "the tensor before changing it."
                )

    def _release(self) -> None:
        if self.saved is not None or self._versions:
            self.saved = None
            self._freed = True


class AccumulateGrad(Node):
    """The node of a leaf tensor that requires grad: adds incoming gradients into ``.grad``."""

    __slots__ = ("variable",)

    def __init__(self, variable) -> None:
        super().__init__()
        self.variable = variable
        self.next_functions = ()
        self.needs_input_grad = ()

    def _release(self) -> None:
        pass


def _check_shape(node: Node, index: int, grad: np.ndarray, shape: tuple, dtype) -> np.ndarray:
    if grad.shape != shape:
        if grad.size == int(np.prod(shape)) and grad.ndim == 0:
            grad = grad.reshape(shape)
        else:
            raise AutogradError(
                f"Function {node.name()} returned an invalid gradient at index {index}: got "
                f"shape {list(grad.shape)} but expected shape {list(shape)} (the shape of that "
                "input). A custom Function's backward must return one gradient per input, "
                "shaped like the input."
            )
    if grad.dtype != dtype:
        grad = grad.astype(dtype)
    return grad


def _accumulate_leaf(node: AccumulateGrad, grad: np.ndarray) -> None:
    var = node.variable
    hooks = var._hooks
    hooked = grad
    if hooks:
        hooked = _run_hooks(hooks, grad)
    current = var._grad
    if current is None:
        # keep the engine's own fresh array; copy a view, a read-only array, or anything a
        # hook saw (it may have kept it, and later accumulations add into .grad in place)
        if hooks or grad.base is not None or not grad.flags.writeable:
            hooked = np.array(hooked, copy=True)
        var._grad = _wrap(hooked)
    else:
        current._data += hooked


_TENSOR: list = []  # the Tensor class, looked up once (tensor.py imports this module)


def _wrap(array: np.ndarray):
    if not _TENSOR:
        from .tensor import Tensor

        _TENSOR.append(Tensor)
    return _TENSOR[0]._wrap(array)


def _run_hooks(hooks, grad: np.ndarray) -> np.ndarray:
    for hook in hooks:
        out = hook(_wrap(grad))
        if out is not None:
            grad = np.asarray(out._data if hasattr(out, "_data") else out, dtype=grad.dtype)
    return grad


def run_backward(roots, root_grads, retain_graph: bool, capture=None) -> list | None:
    """Propagate ``root_grads`` from ``roots`` (tensors) back to the leaves.

    With ``capture`` (a list of tensors), nothing is accumulated into ``.grad``; the gradients
    reaching those tensors are returned instead (``autograd.grad``).
    """
    # 1. Count, for every node reachable from the roots, how many edges lead into it.
    deps: dict[Node, int] = {}
    stack = []
    for t in roots:
        node = t.grad_fn if t.grad_fn is not None else t._accumulator()
        if node not in deps:
            deps[node] = 0
            stack.append(node)
    count = deps.get
    while stack:
        for child, _ in stack.pop().next_functions:
            if child is not None:
                n = count(child)
                if n is None:
                    deps[child] = 1
                    stack.append(child)
                else:
                    deps[child] = n + 1

    captured = None
    capture_at: dict[tuple[int, int], list[int]] = {}
    if capture is not None:
        captured = [None] * len(capture)
        for i, t in enumerate(capture):
            node = t.grad_fn if t.grad_fn is not None else t._accumulator()
            nr = t._output_nr if t.grad_fn is not None else 0
            capture_at.setdefault((id(node), nr), []).append(i)

    # 2. Seed the buffers with the root gradients.
    buffers: dict[Node, list] = {}
    for t, g in zip(roots, root_grads):
        node = t.grad_fn if t.grad_fn is not None else t._accumulator()
        nr = t._output_nr if t.grad_fn is not None else 0
        buf = buffers.setdefault(node, [None] * node.n_outputs)
        buf[nr] = g if buf[nr] is None else buf[nr] + g

    # 3. Process nodes whose inputs are complete, newest first (as PyTorch does). A node
    # with no hooks, no retained outputs and nothing captured goes the short way.
    ready = [(-n._seq, n) for n, d in deps.items() if not d]
    heapq.heapify(ready)
    heappop, heappush = heapq.heappop, heapq.heappush
    pop = buffers.pop
    while ready:
        node = heappop(ready)[1]
        grads = pop(node, None)
        if grads is not None:
            if capture_at or node._hooks is not None or node._retained is not None:
                grads = _visit(node, grads, capture_at, captured, retain_graph)
            elif type(node) is AccumulateGrad:
                if grads[0] is not None:
                    _accumulate_leaf(node, grads[0])
                grads = None
            else:
                grads = _apply(node, grads, retain_graph)
        i = -1
        for child, nr in node.next_functions:
            i += 1
            if child is None:
                continue
            if grads is not None:
                g = grads[i]
                if g is not None:
                    buf = buffers.get(child)
                    if buf is None:
                        buf = buffers[child] = [None] * child.n_outputs
                        buf[nr] = g
                    else:
                        buf[nr] = g if buf[nr] is None else buf[nr] + g
            left = deps[child] - 1
            deps[child] = left
            if not left:
                heappush(ready, (-child._seq, child))
    return captured


def _visit(node: Node, grads: list, capture_at, captured, retain_graph: bool):
    """Run one node: hooks, retained grads, captures, then its backward rule."""
    if node._hooks is not None:
        for nr, hooks in node._hooks.items():
            if grads[nr] is not None:
                grads[nr] = _run_hooks(hooks, grads[nr])
    if node._retained is not None:
        for nr, ref in node._retained.items():
            t = ref()
            if t is not None and grads[nr] is not None:
                if t._grad is None:
                    t._grad = _wrap(np.array(grads[nr], copy=True))
                else:
                    t._grad._data += grads[nr]
    if capture_at:
        for nr in range(node.n_outputs):
            for i in capture_at.get((id(node), nr), ()):
                if grads[nr] is not None:
                    captured[i] = grads[nr] if captured[i] is None else captured[i] + grads[nr]
    if isinstance(node, AccumulateGrad):
        if captured is None and grads[0] is not None:
            _accumulate_leaf(node, grads[0])
        return None
    return _apply(node, grads, retain_graph)


def _apply(node: Node, grads: list, retain_graph: bool) -> list:
    """Call the node's backward rule; check one gradient per input, shaped like it."""
    node._check_saved()
    out = node.backward(grads[0]) if node.n_outputs == 1 else node.backward(*grads)
    if not isinstance(out, tuple):
        out = (out,)
    needs = node.needs_input_grad
    if len(out) != len(node.next_functions):
        raise AutogradError(
            f"Function {node.name()} returned {len(out)} gradients but it has "
            f"{len(node.next_functions)} inputs; backward must return one per input of forward "
            "(None for inputs that need no gradient)."
        )
    metas = node._inputs_meta
    checked = [None] * len(out)
    for i, g in enumerate(out):
        if g is not None and needs[i]:
            shape, dtype = metas[i]
            if type(g) is not np.ndarray or g.shape != shape or g.dtype != dtype:
                g = _check_shape(node, i, np.asarray(g), shape, dtype)
            checked[i] = g
    if len(checked) == 2:  # the usual binary op: one identity test
        if checked[1] is not None and checked[1] is checked[0]:
            checked[1] = checked[1].copy()
    elif len(checked) > 2:
        _unalias(checked)
    if not retain_graph:
        node._release()
    return checked


def _unalias(grads: list) -> None:
    """Copy a gradient array that a rule returned for two inputs (``a + b`` passes ``g`` to
    both): each edge must get an array of its own, or two leaves would share one ``.grad``
    and adding into one would change the other."""
    for i in range(1, len(grads)):
        g = grads[i]
        if g is not None and any(g is h for h in grads[:i]):
            grads[i] = g.copy()
