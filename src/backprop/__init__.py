"""backprop: multi-layer perceptrons and backpropagation, in the lecture's notation and
PyTorch's API.

``import backprop as torch`` runs the lecture's PyTorch code. ``import backprop`` loads the
tensor floor only; ``backprop.nn``, ``backprop.optim`` and the rest load when first used.
"""

from __future__ import annotations

import importlib

from .autograd import (
    Function,
    Size,
    Tensor,
    device,
    double,
    dtype,
    enable_grad,
    float32,
    float64,
    get_default_dtype,
    int64,
    is_grad_enabled,
    long,
    no_grad,
    set_default_dtype,
    set_grad_enabled,
)
from .autograd.dtypes import bool_
from .autograd.factories import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from .autograd.functional import *  # noqa: F403 - the function forms, as torch.* has them
from .autograd.functional import cat, is_tensor, stack, where
from .autograd.printing import get_printoptions, set_printoptions
from .autograd.random import Generator, initial_seed, manual_seed, seed
from .errors import BackpropError

__version__ = "0.1.0"

bool = bool_  # noqa: A001 - torch.bool
float = float32  # noqa: A001 - torch.float
float16 = None  # not supported; present so feature checks fail clearly rather than oddly

# name -> module, or (module, attribute) for a function that lives in a lazily loaded module.
# ``backprop.gradcheck`` is the function (as ``torch.autograd.gradcheck`` is); its module is
# ``backprop.checks``.
_LAZY = {
    "nn": ".nn",
    "optim": ".optim",
    "checks": ".checks",
    "gradcheck": (".checks", "gradcheck"),
    "check_gradients": (".checks", "check_gradients"),
    "errors": ".errors",
    "delta": ".delta",
    "diagnostics": ".diagnostics",
    "data": ".data",
    "train": ".train",
    "io": ".io",
    "spec": ".spec",
    "plots": ".plots",
    "files": ".files",
    "run": (".spec", "run"),
    "fit": (".train", "fit"),
    "save": (".io", "save"),
    "load": (".io", "load"),
}


def __getattr__(name: str):
    if name in _LAZY:
        target = _LAZY[name]
        module_name, attribute = target if isinstance(target, tuple) else (target, None)
        module = importlib.import_module(module_name, __name__)
        value = module if attribute is None else getattr(module, attribute)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'backprop' has no attribute {name!r}")


__all__ = [
    "BackpropError",
    "Function",
    "Generator",
    "Size",
    "Tensor",
    "arange",
    "as_tensor",
    "bool_",
    "cat",
    "device",
    "double",
    "dtype",
    "empty",
    "empty_like",
    "enable_grad",
    "eye",
    "float32",
    "float64",
    "from_numpy",
    "full",
    "full_like",
    "get_default_dtype",
    "get_printoptions",
    "initial_seed",
    "int64",
    "is_grad_enabled",
    "is_tensor",
    "linspace",
    "long",
    "manual_seed",
    "no_grad",
    "ones",
    "ones_like",
    "rand",
    "rand_like",
    "randint",
    "randn",
    "randn_like",
    "randperm",
    "seed",
    "set_default_dtype",
    "set_grad_enabled",
    "set_printoptions",
    "stack",
    "tensor",
    "where",
    "zeros",
    "zeros_like",
]
