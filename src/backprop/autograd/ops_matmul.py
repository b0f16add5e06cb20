"""Matrix products of the op table: ``matmul`` and the affine map of ``nn.Linear`` (floor 1).

``MmBackward0`` follows NumPy's ``matmul`` rules (1-D operands, batch dimensions) and names
itself after PyTorch's node for each case (dot, mv, mm, bmm); ``AddmmBackward0`` is
``x @ weight.T + bias`` in one node. The elementwise ops and ``OP_TABLE`` are in ``ops.py``,
which re-exports these nodes.
"""

from __future__ import annotations

import numpy as np

from .node import Node
from .ops_shape import unbroadcast


class MmBackward0(Node):
    """Matrix product with NumPy's ``matmul`` rules (1-D operands, batches); the subclasses
    carry PyTorch's names for the other cases (``node_for`` picks one)."""

    __slots__ = ()
    saved_inputs = (0, 1)

    def forward(self, a, b):
        self.saved = (a, b)
        return a @ b

    def backward(self, g):
        a, b = self.saved
        if a.ndim == 2 and b.ndim == 2:  # the common case: two matrices, nothing to undo
            need = self.needs_input_grad
            return (g @ b.T if need[0] else None, a.T @ g if need[1] else None)
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = g
        if b.ndim == 1:  # restore the column first: a dot product's g is 0-d
            g2 = np.expand_dims(g2, -1)
        if a.ndim == 1:
            g2 = np.expand_dims(g2, -2)
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = unbroadcast(g2 @ np.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape)
        if self.needs_input_grad[1]:
            gb = unbroadcast(np.swapaxes(a2, -1, -2) @ g2, b2.shape).reshape(b.shape)
        return ga, gb


class DotBackward0(MmBackward0):
    __slots__ = ()


class MvBackward0(MmBackward0):
    __slots__ = ()


class BmmBackward0(MmBackward0):
    __slots__ = ()


def node_for(a_ndim: int, b_ndim: int) -> type:
    """The node PyTorch names for ``a @ b`` of these ranks."""
    if a_ndim == 2:
        return MmBackward0 if b_ndim == 2 else MvBackward0 if b_ndim == 1 else BmmBackward0
    return DotBackward0 if a_ndim == 1 and b_ndim == 1 else BmmBackward0


class AddmmBackward0(Node):
    """``x @ weight.T + bias``: the affine map of ``nn.Linear``, one node for three ops."""

    __slots__ = ()
    saved_inputs = (0, 1)

    def forward(self, x, w, b=None):
        self.saved = (x, w)
        out = x @ w.T
        if b is not None:
            out += b
        return out

    def backward(self, g):
        x, w = self.saved
        need = self.needs_input_grad
        gx = g @ w if need[0] else None
        gw = gb = None
        if need[1]:
            gw = g.reshape(-1, g.shape[-1]).T @ x.reshape(-1, x.shape[-1])
        if len(need) > 2 and need[2]:
            gb = g.reshape(-1, g.shape[-1]).sum(axis=0)
        return (gx, gw, gb) if len(need) > 2 else (gx, gw)


class LinearNoBiasBackward(AddmmBackward0):
    """``x @ weight.T`` without a bias: PyTorch's node is ``MmBackward0``."""

    __slots__ = ()


LinearNoBiasBackward.__name__ = LinearNoBiasBackward.__qualname__ = "MmBackward0"
