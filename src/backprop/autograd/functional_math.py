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
globals().update({name: _method(name, f"{name}(input, ...): see Tensor.{name}.") for name in
                  METHOD_NAMES})  # fmt: skip
