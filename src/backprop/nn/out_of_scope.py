"""PyTorch layers and functions outside backprop's scope, present by name so that code which
only mentions them (imports, ``isinstance`` checks, type hints) still loads, and code that
builds or calls them gets one clear message instead of an AttributeError.

backprop covers CPU dense MLPs: fully connected layers and what MLP code around them needs.
Convolutions, pooling, recurrent layers, attention and transformers are PyTorch's job:
constructing one of these modules, or calling one of these functions, raises
``OutOfScopeError`` (a ``NotImplementedError``) that says so and points to
``backprop.interop.to_torch``, which turns a backprop model into a ``torch.nn`` one.
``backprop.compile`` and ``backprop.jit`` do the same for the compilers.
"""

from __future__ import annotations

import types

from ..errors import OutOfScopeError
from .module import Module

SCOPE = (
    "backprop covers CPU dense MLPs (fully connected layers and the data loading, embeddings, "
    "normalisation and dropout around them); {what} is outside that scope. Run this part with "
    "PyTorch itself: backprop.interop.to_torch(model) converts a backprop model to torch.nn."
)

LAYERS = [
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "ConvTranspose3d",
    "MaxPool1d",
    "MaxPool2d",
    "MaxPool3d",
    "AvgPool1d",
    "AvgPool2d",
    "AvgPool3d",
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AdaptiveAvgPool3d",
    "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d",
    "AdaptiveMaxPool3d",
    "RNN",
    "LSTM",
    "GRU",
    "RNNCell",
    "LSTMCell",
    "GRUCell",
    "Transformer",
    "TransformerEncoder",
    "TransformerDecoder",
    "TransformerEncoderLayer",
    "TransformerDecoderLayer",
    "MultiheadAttention",
]

FUNCTIONS = [
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_avg_pool3d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "adaptive_max_pool3d",
    "scaled_dot_product_attention",
    "multi_head_attention_forward",
]


def refuse(what: str):
    raise OutOfScopeError(SCOPE.format(what=what))


class OutOfScopeModule(Module):
    """Base of the placeholder layers: constructing one raises ``OutOfScopeError``."""

    def __init__(self, *args, **kwargs) -> None:
        refuse(f"nn.{type(self).__name__}")


def _layer(name: str) -> type:
    doc = f"PyTorch's ``nn.{name}``: outside backprop's scope (constructing it raises)."
    return type(name, (OutOfScopeModule,), {"__doc__": doc, "__module__": __name__})


def _function(name: str):
    def function(*args, **kwargs):
        refuse(f"F.{name}")

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"PyTorch's ``F.{name}``: outside backprop's scope (calling it raises)."
    return function


for _name in LAYERS:
    globals()[_name] = _layer(_name)
for _name in FUNCTIONS:
    globals()[_name] = _function(_name)


def compile(model=None, **kwargs):  # noqa: A001 - PyTorch's name
    """``torch.compile``: outside backprop's scope (backprop's fast path is its own fused
    kernel, chosen by ``backprop.fit``).

    Examples:
        Unlike ``torch.compile``, this refuses, and says what to do instead:

        >>> import backprop as bp
        >>> bp.compile(bp.nn.Linear(1, 1))
        Traceback (most recent call last):
        ...
        backprop.errors.OutOfScopeError: backprop covers CPU dense MLPs ... torch.compile is ...
    """
    refuse("torch.compile")


def _jit_function(name: str):
    def function(*args, **kwargs):
        refuse(f"torch.jit.{name}")

    function.__name__ = name
    return function


jit = types.SimpleNamespace(
    **{name: _jit_function(name) for name in ("script", "trace", "load", "save", "freeze")}
)

__all__ = [*LAYERS, *FUNCTIONS, "OutOfScopeModule", "compile", "jit", "refuse"]
