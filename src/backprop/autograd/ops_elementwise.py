"""The elementwise op table's template: one row per op, one node class per row (floor 1).

A row (``Elementwise``) names the op as PyTorch does, its backward node's name
(``SinBackward0``), the forward ``fn(*arrays, **options)`` on NumPy arrays, the backward
``grads(g, inputs, out, needs, **options)`` giving one gradient per input (None where not
needed; broadcasting is undone here, by ``unbroadcast``, not in the rows), what the backward
reads (inputs, output), and the dtype rule:

- ``"float"``: integer and bool inputs are computed in the default float dtype (``sin``);
- ``"same"``: the result keeps the promoted input dtype (``floor``, ``fmod``);
- ``"float64"``: always float64 (``float_power``).

``node_class(row)`` makes the row's ``Node`` subclass once and names it after PyTorch's node;
the row modules (``ops_unary.py``, ``ops_binary.py``) put the classes in their module
namespace, so the node census of the test-suite sees every one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .node import Node
from .ops_shape import unbroadcast


@dataclass(frozen=True)
class Elementwise:
    """One row of the elementwise op table."""

    name: str
    node: str
    fn: Callable
    grads: Callable | None  # None: the derivative is zero wherever it exists (floor, sign)
    uses: tuple = ("input",)  # what grads reads: "input" and/or "output"
    dtype_rule: str = "float"
    doc: str = ""
    arity: int = 1
    scalar_node: str = ""  # node name when the second operand is a Python number
    int_ok: bool = True  # False: integer tensors are refused (frac, as PyTorch's)
    defaults: dict = field(default_factory=dict)


class ElementwiseBackward(Node):
    """Backward of one row: ``row.grads`` on the saved inputs/output, unbroadcast."""

    __slots__ = ("options", "shapes")
    row: Elementwise

    def forward(self, *arrays, **options):
        self.options = options
        self.shapes = tuple(a.shape for a in arrays)
        with np.errstate(all="ignore"):  # log(-1) is NaN, 1/0 is inf: as PyTorch gives
            out = self.row.fn(*arrays, **options)
        dtype = np.result_type(*arrays) if arrays[0].dtype.kind == "f" else None
        if dtype is not None and out.dtype != dtype and out.dtype.kind == "f":
            out = out.astype(dtype)
        uses = self.row.uses
        self.saved = (
            arrays if "input" in uses else None,
            out if "output" in uses else None,
        )
        return out

    def backward(self, g):
        needs = self.needs_input_grad
        row = self.row
        if row.grads is None:
            return tuple(
                np.zeros(s, dtype=g.dtype) if n else None for s, n in zip(self.shapes, needs)
            )
        inputs, out = self.saved
        with np.errstate(all="ignore"):
            grads = row.grads(g, inputs, out, needs, **self.options)
        result = []
        for gi, shape, need in zip(grads, self.shapes, needs):
            if gi is None or not need:
                result.append(None)
                continue
            gi = np.asarray(gi)
            if gi.dtype != g.dtype:
                gi = gi.astype(g.dtype)
            result.append(
                unbroadcast(np.broadcast_to(gi, np.broadcast_shapes(gi.shape, shape)), shape)
            )
        return tuple(result)


def node_class(row: Elementwise, name: str | None = None, module: str = __name__) -> type:
    """The Node subclass of ``row`` (named ``name`` or ``row.node``, defined in ``module``)."""
    attrs = {
        "__slots__": (),
        "row": row,
        "__doc__": f"Backward of {row.name}: {row.doc}",
        "__module__": module,
    }
    if row.grads is not None:
        if "input" in row.uses:
            attrs["saved_inputs"] = tuple(range(row.arity))
        if "output" in row.uses:
            attrs["saves_output"] = True
    return type(name or row.node, (ElementwiseBackward,), attrs)


def build_nodes(rows, namespace: dict) -> dict[str, type]:
    """Make every row's node class(es), put them in ``namespace``; return name → class."""
    by_op: dict[str, type] = {}
    for row in rows:
        cls = namespace.get(row.node)
        if cls is None or cls.row is not row:
            cls = namespace[row.node] = node_class(row, module=namespace["__name__"])
        by_op[row.name] = cls
        if row.scalar_node:
            namespace[row.scalar_node] = by_op[row.name + "/scalar"] = node_class(
                row, row.scalar_node, namespace["__name__"]
            )
    return by_op
