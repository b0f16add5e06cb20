"""Ops that write a second tensor into the first: scatter, scatter_add, index_add, and
einsum's general product (floor 1).

``ScatterBackward0``: out = x with ``out[index] = src`` (each position written once, as
PyTorch requires for a defined gradient): x's gradient is g with the written positions zeroed,
src's is g read at them. ``ScatterAddBackward0`` and ``IndexAddBackward0`` add instead of
writing, so x's gradient is g itself. ``index`` is always a full index (one integer array
per dimension, as ``ops_select.full_index`` makes), shaped like src.
"""

from __future__ import annotations

import numpy as np

from .node import Node


class ScatterBackward0(Node):
    __slots__ = ("index",)

    def forward(self, x, src, index):
        self.index = index
        out = x.copy()
        out[index] = src
        return out

    def backward(self, g):
        need = self.needs_input_grad
        gx = None
        if need[0]:
            gx = g.copy()
            gx[self.index] = 0
        return gx, (g[self.index] if need[1] else None)


class ScatterAddBackward0(Node):
    __slots__ = ("index",)

    def forward(self, x, src, index):
        self.index = index
        out = x.copy()
        np.add.at(out, index, src)
        return out

    def backward(self, g):
        need = self.needs_input_grad
        return (g if need[0] else None), (g[self.index] if need[1] else None)


class IndexAddBackward0(ScatterAddBackward0):
    """``x.index_add(dim, index, src, alpha)``: src's rows added at ``index`` along dim."""

    __slots__ = ("alpha",)

    def forward(self, x, src, index, alpha=1):
        self.alpha = alpha
        return super().forward(x, src * alpha if alpha != 1 else src, index)

    def backward(self, g):
        gx, gs = super().backward(g)
        return gx, (gs * self.alpha if gs is not None and self.alpha != 1 else gs)


class EinsumBackward0(Node):
    """``einsum(equation, *operands)`` with distinct letters per operand: the gradient of
    operand k is the einsum of g with the other operands, onto k's letters (letters summed
    only inside operand k are broadcast back)."""

    __slots__ = ("inputs_letters", "output_letters", "shapes")
    saved_inputs = ()  # any number of operands: their versions are not checked

    def forward(self, *arrays, inputs_letters, output_letters):
        self.inputs_letters, self.output_letters = inputs_letters, output_letters
        self.shapes = tuple(a.shape for a in arrays)
        self.saved = arrays
        spec = ",".join(inputs_letters) + "->" + output_letters
        return np.asarray(np.einsum(spec, *arrays, optimize=len(arrays) > 2))

    def backward(self, g):
        arrays = self.saved
        out = []
        for k, letters in enumerate(self.inputs_letters):
            if not self.needs_input_grad[k]:
                out.append(None)
                continue
            others = [(a, s) for i, (a, s) in enumerate(zip(arrays, self.inputs_letters)) if i != k]
            known = set(self.output_letters).union(*(set(s) for _, s in others))
            reached = "".join(c for c in letters if c in known)
            spec = ",".join([self.output_letters, *(s for _, s in others)]) + "->" + reached
            part = np.einsum(spec, g, *(a for a, _ in others))
            shape = tuple(n if c in known else 1 for c, n in zip(letters, self.shapes[k]))
            out.append(np.broadcast_to(part.reshape(shape), self.shapes[k]).copy())
        return tuple(out)
