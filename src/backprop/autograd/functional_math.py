"""Function forms of the maths families: ``backprop.sin(x)``, ``backprop.cumsum(x, 1)`` … (floor 1).

``torch.sin`` was the name real scripts missed most. Every function here forwards to the
``Tensor`` method of the same name (``input`` first, the rest passed on), as ``functional.py``
does for the older names; the functions that take several tensors or build new ones
(``meshgrid``, ``einsum``, ``hstack`` …) live in ``functional_shape.py``. The names are listed
once, in ``METHOD_NAMES``; ``backprop/__init__.py`` registers them.
"""

from __future__ import annotations

from .functional import _method
from .functional_shape import (
    column_stack,
    dstack,
    einsum,
    hstack,
    meshgrid,
    row_stack,
    vstack,
)
from .tensor_elementwise import _ROWS
from .tensor_stats import std_mean, var_mean

_EXTRA = (
    # elementwise, aliases and forms not in the op table's rows
    "arcsin arccos arctan arcsinh arccosh arctanh arctan2 fix negative positive absolute "
    "round logit nan_to_num lerp addcmul addcdiv float_power floor_divide true_divide divide "
    "multiply subtract add sub mul div clamp_min clamp_max "
    "eq ne lt le gt ge greater greater_equal less less_equal not_equal isclose "
    "logical_and logical_or logical_xor logical_not isneginf isposinf signbit "
    "bitwise_and bitwise_or bitwise_xor bitwise_not "
    # reductions
    "nansum nanmean prod cumsum cumprod cummax cummin logsumexp median nanmedian mode sort "
    "argsort msort topk kthvalue amin aminmax any all count_nonzero "
    "unique bincount histc histogram "
    # indexing and shape
    "gather scatter scatter_add index_select index_add masked_fill "
    "masked_select nonzero argwhere take take_along_dim chunk split tensor_split narrow "
    "unbind roll flip fliplr flipud tril triu diag diagonal diag_embed "
    "repeat_interleave tile broadcast_to movedim moveaxis swapaxes swapdims "
    "outer ger dot vdot mv bmm addmm baddbmm cross trace "
    "nelement ndimension is_floating_point"
)
_INTERNAL = ("_tensor", "_rounding")  # rows reached through another name (lerp, clamp, div)
METHOD_NAMES = tuple(
    dict.fromkeys([*(n for n in _ROWS if not n.endswith(_INTERNAL)), *_EXTRA.split()])
)

FUNCTIONS = {
    "column_stack": column_stack, "dstack": dstack, "einsum": einsum, "hstack": hstack,
    "meshgrid": meshgrid, "row_stack": row_stack, "vstack": vstack,
    "std_mean": std_mean, "var_mean": var_mean,
}  # fmt: skip
__all__ = [*METHOD_NAMES, *FUNCTIONS]

# what each function does, for the names whose Tensor method has no docstring to borrow
_SUMMARIES = {
    "negative": "−x", "positive": "x itself", "absolute": "|x| (alias of abs)",
    "multiply": "a · b elementwise (alias of mul)", "mul": "a · b elementwise",
    "subtract": "a − alpha · b elementwise (alias of sub)", "sub": "a − alpha · b elementwise",
    "add": "a + alpha · b elementwise", "clamp_min": "max(x, min)", "clamp_max": "min(x, max)",
    "eq": "a == b elementwise", "ne": "a != b elementwise", "not_equal": "a != b elementwise",
    "lt": "a < b elementwise", "less": "a < b elementwise", "le": "a <= b elementwise",
    "less_equal": "a <= b elementwise", "gt": "a > b elementwise", "greater": "a > b elementwise",
    "ge": "a >= b elementwise", "greater_equal": "a >= b elementwise",
    "logical_and": "a and b elementwise (nonzero is true)", "logical_or": "a or b elementwise",
    "logical_xor": "a xor b elementwise", "logical_not": "not x elementwise",
    "isneginf": "where x is −inf", "isposinf": "where x is +inf",
    "signbit": "where the sign bit is set (x < 0, and −0.0)",
    "bitwise_and": "a & b of integers or bools", "bitwise_or": "a | b of integers or bools",
    "bitwise_xor": "a ^ b of integers or bools", "bitwise_not": "~x of integers or bools",
    "cummax": "(values, indices) of the running maximum along dim",
    "cummin": "(values, indices) of the running minimum along dim",
    "nanmedian": "the median, ignoring NaN", "argsort": "the indices that sort x along dim",
    "msort": "x sorted along dimension 0", "amin": "minimum values (no indices)",
    "any": "whether any element (along dim) is true", "all": "whether every element is true",
    "count_nonzero": "how many elements (along dim) are not zero",
    "argwhere": "the indices of the nonzero elements, one row each",
    "take_along_dim": "values picked along dim by indices (as argsort gives them)",
    "narrow": "length elements of dim starting at start (a view)",
    "flip": "x reversed along dims", "fliplr": "columns reversed", "flipud": "rows reversed",
    "triu": "the upper triangle (the rest zero)", "tile": "x repeated by reps along each dim",
    "broadcast_to": "x broadcast to a shape (a view)",
    "movedim": "dimension source moved to destination", "moveaxis": "alias of movedim",
    "swapaxes": "alias of transpose", "swapdims": "alias of transpose",
    "outer": "the outer product a bᵀ of two vectors", "ger": "alias of outer",
    "dot": "the dot product of two vectors", "vdot": "the dot product of two vectors",
    "mv": "matrix × vector", "bmm": "a batch of matrix products",
    "baddbmm": "beta · input + alpha · (a batch of matrix products)",
    "nelement": "the number of elements (alias of numel)", "ndimension": "the number of dims",
    "is_floating_point": "whether the dtype is a floating type",
}  # fmt: skip


def _summary(name: str) -> str:
    """The method's first docstring line, as the function's (``sin x``, ``Running sum …``)."""
    from .tensor import Tensor

    line = _SUMMARIES.get(name) or (getattr(Tensor, name).__doc__ or "").strip().split("\n")[0]
    return f"{line.rstrip('.')} (``input.{name}(...)``)."


globals().update({name: _method(name, _summary(name)) for name in METHOD_NAMES})
