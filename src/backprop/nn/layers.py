"""Layers: ``Linear`` (the affine map of one MLP layer), ``Identity``, ``Flatten`` and ``MLP``.

``Linear`` holds the lecture's weights in PyTorch's layout, ``weight`` of shape
(out, in), so state dicts map one to one; the lecture's W[l] of shape (n[l−1], n[l]) is
``weight.T``. ``MLP(sizes, activation)`` is a ``Sequential`` of Linear + activation modules
built from the activation registry (the δ engine reads such a chain as the lecture's
layers: ``backprop.delta.layers``). No gradient code lives here.
"""

from __future__ import annotations

import copy
import math

import numpy as np

from ..autograd import dtypes as _dt
from ..autograd.activations import get_activation
from ..autograd.factories import empty
from ..autograd.functional import linear
from ..autograd.tensor import Tensor
from ..errors import ConfigError, DTypeError, ShapeError
from . import init
from .activation import ACTIVATION_MODULES
from .containers import Sequential
from .module import Module, Parameter

__all__ = ["MLP", "Flatten", "Identity", "Linear"]


def _size(value, name: str, who: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{who}: {name} must be a non-negative whole number, got {value!r}.")
    return value


class Identity(Module):
    """Returns its input unchanged (arguments to the constructor are ignored, as in PyTorch).

    Examples:
        >>> import backprop as bp
        >>> from backprop import nn
        >>> x = bp.tensor([1.0, -1.0])
        >>> nn.Identity()(x)
        tensor([ 1., -1.])
    """

    activation = "identity"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    @property
    def options(self) -> dict:
        return {}

    def forward(self, input):  # noqa: A002 - PyTorch's name
        return input


class Linear(Module):
    """y = x Wᵀ + b: ``x`` (*, in_features) → ``y`` (*, out_features).

    ``weight`` has shape (out_features, in_features) and ``bias`` (out_features,).
    Both start as U(−1/√in_features, 1/√in_features), PyTorch's default (kaiming_uniform_
    with a = √5 for the weight). The forward pass is one ``AddmmBackward0`` node.

    Examples:
        The lecture's W[l] (n[l−1] × n[l]) is ``weight.T``:

        >>> import backprop as bp
        >>> from backprop import nn
        >>> layer = nn.Linear(2, 3)
        >>> tuple(layer.weight.shape), tuple(layer.weight.T.shape)  # (out, in), W[l]
        ((3, 2), (2, 3))
        >>> layer(bp.ones(5, 2)).shape  # a batch of 5 samples as rows
        backprop.Size([5, 3])
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__()
        self.in_features = _size(in_features, "in_features", "Linear")
        self.out_features = _size(out_features, "out_features", "Linear")
        _dt.check_device(device)
        dtype = _dt.get_default_dtype() if dtype is None else _dt.to_dtype(dtype)
        if not dtype.is_floating_point:
            raise DTypeError(f"Linear: dtype must be floating point, got {dtype!r}.")
        self.weight = Parameter(empty(out_features, in_features, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw fresh weights: U(−1/√in, 1/√in) for both weight and bias."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        if not isinstance(input, Tensor | np.ndarray):
            raise DTypeError(
                f"{self._name()}: input must be a Tensor, got {type(input).__name__}; wrap the "
                f"data with backprop.tensor(x) (shape (N, {self.in_features}))."
            )
        if input.ndim == 0:
            raise ShapeError(
                f"{self._name()}: input is a 0-d tensor (one number); the layer takes rows of "
                f"{self.in_features} features, shape (N, {self.in_features}): reshape it, e.g. "
                f"x.reshape(1, {self.in_features})."
            )
        if input.shape[-1] != self.in_features:
            from .shapes import wrong_width

            raise ShapeError(wrong_width(self._name(), input.shape, self.in_features, layer=True))
        return linear(input, self.weight, self.bias)

    def _name(self) -> str:
        return f"Linear(in_features={self.in_features}, out_features={self.out_features})"

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Flatten(Module):
    """Flattens dims ``start_dim``..``end_dim`` into one: (N, d1, d2) → (N, d1·d2) by default.

    Examples:
        >>> import backprop as bp
        >>> from backprop import nn
        >>> x = bp.zeros(4, 1, 8, 8)  # 4 images of 8 × 8
        >>> nn.Flatten()(x).shape
        backprop.Size([4, 64])
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


_MODULES_BY_NAME = {**ACTIVATION_MODULES, "identity": Identity}


def _activation_module(spec, where: str) -> Module:
    """A fresh activation module from a registry name, a module class or a module."""
    if isinstance(spec, str):
        return _MODULES_BY_NAME[get_activation(spec).name]()
    if isinstance(spec, type) and issubclass(spec, Module):
        return spec()
    if isinstance(spec, Module):
        return copy.deepcopy(spec)
    raise ConfigError(
        f"MLP: {where} must be an activation name ('relu', 'tanh', ...), a module class "
        f"(nn.ReLU) or a module (nn.LeakyReLU(0.2)), got {spec!r}."
    )


class MLP(Sequential):
    """A multi-layer perceptron: Linear(n0, n1), g1, Linear(n1, n2), g2, …, Linear(n_{L−1}, n_L).

    Args:
        sizes: layer widths ``[n0, n1, ..., nL]`` (input width first, at least two).
        activation: g for the hidden layers: one name/class/module for all, or a list with
            one per hidden layer (``len(sizes) - 2`` of them).
        output_activation: g for the output layer, or None for none (the usual choice before
            ``MSELoss``/``CrossEntropyLoss``).
        bias: whether the Linear layers have biases.

    Children are numbered like ``nn.Sequential``'s, so the state dict equals that of the
    same ``nn.Sequential`` in PyTorch (``0.weight``, ``0.bias``, ``2.weight``, …).

    Examples:
        The lecture's y = x² network, 1-8-8-1 with ReLU hidden units:

        >>> from backprop import nn
        >>> model = nn.MLP([1, 8, 8, 1], activation="relu")
        >>> [tuple(p.shape) for p in model.parameters()]
        [(8, 1), (8,), (8, 8), (8,), (1, 8), (1,)]
        >>> sum(p.numel() for p in model.parameters())
        97
    """

    def __init__(
        self,
        sizes,
        activation="relu",
        output_activation=None,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        sizes = list(sizes) if isinstance(sizes, list | tuple) else sizes
        if not isinstance(sizes, list) or len(sizes) < 2:
            raise ConfigError(
                f"MLP: sizes must be a list of at least two layer widths [n_in, ..., n_out], "
                f"got {sizes!r}."
            )
        for i, n in enumerate(sizes):
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise ConfigError(f"MLP: sizes[{i}] must be a positive whole number, got {n!r}.")
        hidden = len(sizes) - 2
        acts = activation if isinstance(activation, list | tuple) else [activation] * hidden
        if len(acts) != hidden:
            raise ConfigError(
                f"MLP: got {len(acts)} activations for {hidden} hidden layers (sizes {sizes}); "
                "give one per hidden layer, or a single one for all."
            )
        modules = []
        for i in range(len(sizes) - 1):
            modules.append(Linear(sizes[i], sizes[i + 1], bias, device=device, dtype=dtype))
            if i < hidden:
                modules.append(_activation_module(acts[i], f"activation[{i}]"))
        if output_activation is not None:
            modules.append(_activation_module(output_activation, "output_activation"))
        super().__init__(*modules)
        self.sizes = sizes
