"""``backprop.nn`` (floor 2): PyTorch-shaped modules, activations, losses and initialisers.

``import backprop.nn as nn`` runs the lecture's model code: ``nn.Module``, ``nn.Linear``,
``nn.ReLU``, ``nn.MSELoss`` and friends, with PyTorch's names, state-dict keys, reprs and
formulas. Activations come from the activation registry, losses from the loss registry
(``backprop.nn.losses``, which also gives the δ engine its output delta), so every front end
shares one definition of each. This package builds models; it does not train them (see
``backprop.optim``) and holds no gradient rules beyond the loss registry.
"""

from . import functional, init, losses, out_of_scope, utils
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
from .dropout import Dropout
from .embedding import Embedding
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
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from .out_of_scope import LAYERS as _OUT_OF_SCOPE
from .parameter import Parameter
from .state import StateDictError

# PyTorch's convolution, pooling, recurrent and attention layers: present by name, and
# constructing one raises OutOfScopeError (see out_of_scope.py); not in __all__.
globals().update({_n: getattr(out_of_scope, _n) for _n in _OUT_OF_SCOPE})

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
