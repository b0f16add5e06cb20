"""``backprop.nn`` (floor 2): PyTorch-shaped modules, activations, losses and initialisers.

``import backprop.nn as nn`` runs the lecture's model code: ``nn.Module``, ``nn.Linear``,
``nn.ReLU``, ``nn.MSELoss`` and friends, with PyTorch's names, state-dict keys, reprs and
formulas. Activations come from the activation registry, losses from the loss registry
(``backprop.nn.losses``, which also gives the δ engine its output delta), so every front end
shares one definition of each. This package builds models; it does not train them (see
``backprop.optim``) and holds no gradient rules beyond the loss registry.
"""

from . import functional, init, losses
from .activation import (
    ELU,
    GELU,
    LeakyReLU,
    LogSoftmax,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Step,
    Tanh,
)
from .containers import (
    ModuleDict,
    ModuleIndexError,
    ModuleList,
    ParameterDict,
    ParameterList,
    Sequential,
)
from .layers import MLP, Flatten, Identity, Linear
from .loss_modules import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HalfMSELoss,
    HuberLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from .module import Module, ModuleAttributeError
from .parameter import Parameter
from .state import StateDictError

# Layers an MLP program may use but the lecture's models do not, imported on first use so
# that `import backprop.nn` (every CLI command, the demo) does not pay for them.
_LATER = {
    "Dropout": ".dropout",
    "Embedding": ".embedding",
    "BatchNorm1d": ".normalization",
    "BatchNorm2d": ".normalization",
    "LayerNorm": ".normalization",
    "utils": (".utils", None),
    "out_of_scope": (".out_of_scope", None),
}


def __getattr__(name: str):
    """``_LATER``'s names on first use; PyTorch's convolution, pooling, recurrent and
    attention layers are present by name, and constructing one raises OutOfScopeError (see
    out_of_scope.py; not in ``__all__``)."""
    import importlib

    target = _LATER.get(name)
    if target is not None:
        module_name, attribute = target if isinstance(target, tuple) else (target, name)
        module = importlib.import_module(module_name, __name__)
        value = module if attribute is None else getattr(module, attribute)
    else:
        out_of_scope = importlib.import_module(".out_of_scope", __name__)
        if name not in out_of_scope.LAYERS:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(out_of_scope, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LATER))


__all__ = [
    "ELU",
    "GELU",
    "MLP",
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "BatchNorm2d",
    "CrossEntropyLoss",
    "Dropout",
    "Embedding",
    "Flatten",
    "HalfMSELoss",
    "HuberLoss",
    "Identity",
    "L1Loss",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "MSELoss",
    "Module",
    "ModuleAttributeError",
    "ModuleDict",
    "ModuleIndexError",
    "ModuleList",
    "NLLLoss",
    "Parameter",
    "ParameterDict",
    "ParameterList",
    "ReLU",
    "Sequential",
    "SiLU",
    "Sigmoid",
    "SmoothL1Loss",
    "Softmax",
    "Softplus",
    "StateDictError",
    "Step",
    "Tanh",
    "functional",
    "init",
    "losses",
    "utils",
]
