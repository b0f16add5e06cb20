"""Floor 1: tensors with automatic differentiation, PyTorch's semantics, NumPy underneath.

Public names are re-exported by the ``backprop`` package; import from there.
"""

from .dtypes import (
    bool_,
    device,
    double,
    dtype,
    float32,
    float64,
    get_default_dtype,
    int64,
    long,
    set_default_dtype,
)
from .function import Function, FunctionCtx, grad
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .tensor import Size, Tensor

__all__ = [
    "Function",
    "FunctionCtx",
    "Size",
    "Tensor",
    "bool_",
    "device",
    "double",
    "dtype",
    "enable_grad",
    "float32",
    "float64",
    "get_default_dtype",
    "grad",
    "int64",
    "is_grad_enabled",
    "long",
    "no_grad",
    "set_default_dtype",
    "set_grad_enabled",
]


def __getattr__(name: str):
    """``torch.autograd`` names that live on higher floors, imported on first use: the legacy
    ``Variable`` (``backprop.legacy``) and ``gradcheck`` (``backprop.checks``, floor 4) — a
    deliberate exception to "imports point down" (docs/architecture.md, Decisions)."""
    if name == "Variable":
        from ..legacy import Variable

        return Variable
    if name == "gradcheck":
        from ..checks import gradcheck

        return gradcheck
    raise AttributeError(f"module 'backprop.autograd' has no attribute {name!r}")
