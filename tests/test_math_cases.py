"""The rows of the maths families' tables in one dict, for the op-coverage census
(``tests/reliability/test_op_coverage.py``): every backward node must be reached by a
gradchecked row. The rows themselves live and run in ``tests/test_math_*.py``."""

from __future__ import annotations

from backprop.autograd.ops_elementwise import ElementwiseBackward
from backprop.autograd.ops_select import LinearBackward, PickBackward
from backprop.autograd.ops_shape import _BasicIndexBackward
from backprop.autograd.ops_stats import _Reduction
from test_math_elementwise import ELEMENTWISE
from test_math_indexing import INDEXING
from test_math_reduce import REDUCE

MATH_CASES = {
    **{f"elementwise:{k}": v for k, v in ELEMENTWISE.items()},
    **{f"reduce:{k}": v for k, v in REDUCE.items()},
    **{f"indexing:{k}": v for k, v in INDEXING.items()},
}
# node templates: each PyTorch node name is a subclass of one of these
MATH_TEMPLATES = (
    ElementwiseBackward,
    PickBackward,
    LinearBackward,
    _Reduction,
    _BasicIndexBackward,
)
