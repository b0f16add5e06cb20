"""Two templates for ops that move values without arithmetic on them (floor 1).

- ``PickBackward``: the output is input elements picked by a full index (``x[index]`` with
  one index array per dimension); the backward rule adds each output's gradient back into
  the element it came from (``np.add.at``, so an element picked twice gets both). sort,
  topk, kthvalue, median, cummax/cummin, gather, index_select, take, masked_select and
  take_along_dim are this one rule with different indices.
- ``LinearBackward``: the output is a linear map of the input given by a pair of functions,
  ``forward(x)`` and its adjoint ``adjoint(g)`` (flip ↔ flip, roll ↔ roll back, tril ↔
  tril, narrow ↔ pad with zeros, repeat ↔ sum the copies …).

Each PyTorch node name is a subclass of one template (``SortBackward0``,
``FlipBackward0`` …), made once by ``_name_all`` and kept in this module's namespace so the
node census of the test-suite sees them.
"""

from __future__ import annotations

import numpy as np

from .node import Node


class PickBackward(Node):
    """``out = x[index]`` for a tuple of integer arrays; gradient added back at ``index``."""

    __slots__ = ("index", "shape")

    def forward(self, x, index):
        self.shape, self.index = x.shape, index
        return x[index]

    def backward(self, g):
        grad = np.zeros(self.shape, dtype=g.dtype)
        np.add.at(grad, self.index, g)
        return (grad,)


class LinearBackward(Node):
    """``out = forward(x)``, a linear map; the gradient is ``adjoint(g)``."""

    __slots__ = ("adjoint",)

    def forward(self, x, forward, adjoint):
        self.adjoint = adjoint
        return forward(x)

    def backward(self, g):
        return (self.adjoint(g),)


PICK_NODES = (
    "SortBackward0 SortBackward1 TopkBackward0 KthvalueBackward0 MedianBackward0 MedianBackward1 "
    "NanmedianBackward0 NanmedianBackward1 CummaxBackward0 CumminBackward0 GatherBackward0 "
    "IndexSelectBackward0 TakeBackward0 MaskedSelectBackward0 ModeBackward0"
)
LINEAR_NODES = (
    "FlipBackward0 RollBackward0 TrilBackward0 TriuBackward0 DiagonalBackward0 "
    "DiagEmbedBackward0 RepeatBackward0 SplitBackward0 "
    "SplitWithSizesBackward0 UnbindBackward0 UnfoldBackward0 CumsumBackward0 TraceBackward0 "
    "MaskedFillBackward0 "
    "ScatterBackward1"
)


def _name_all(names: str, template: type, namespace: dict) -> dict[str, type]:
    made = {}
    for name in names.split():
        made[name] = namespace[name] = type(
            name, (template,), {"__slots__": (), "__module__": namespace["__name__"]}
        )
    return made


PICK = _name_all(PICK_NODES, PickBackward, globals())
LINEAR = _name_all(LINEAR_NODES, LinearBackward, globals())


def full_index(indices: np.ndarray, axis: int, shape: tuple | None = None) -> tuple:
    """The full index that picks ``indices`` along ``axis`` (the other dimensions walk in
    step): what ``np.take_along_axis`` does, as a tuple usable for picking and adding."""
    grids = list(np.indices(indices.shape if shape is None else shape, sparse=True))
    grids[axis] = indices
    return tuple(grids)
