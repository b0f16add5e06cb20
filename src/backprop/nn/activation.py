"""Activation modules: ``nn.ReLU()``, ``nn.Sigmoid()``, … and the lecture's ``nn.Step()``.

Each module is a thin, parameter-free wrapper over one entry of the activation registry
(``backprop.autograd.activations``): its class attribute ``activation`` names the entry
and its ``options`` property gives the entry's keyword options, so the δ engine can map a
module to the same g and g' that autograd uses. Shapes: any input shape; the output has
the same shape. ``inplace=True`` is accepted (and shown in the repr, as PyTorch does) but
the output is always a new tensor.
"""

from __future__ import annotations

from ..autograd.tensor import Tensor
from ..errors import ConfigError
from . import functional as F
from .module import Module

__all__ = [
    "ELU",
    "GELU",
    "LeakyReLU",
    "LogSoftmax",
    "ReLU",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Step",
    "Tanh",
]


class _Elementwise(Module):
    """An elementwise activation a = g(f) taken from the registry entry ``activation``."""

    activation = "identity"

    @property
    def options(self) -> dict:
        """The registry options of this module (``{}`` unless the activation has some)."""
        return {}

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return F._tensor(input, type(self).__name__)._activation(self.activation, **self.options)


class _InplaceFlag(_Elementwise):
    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Step(_Elementwise):
    """The lecture's step unit sgn(f): +1 where f > 0, −1 where f ≤ 0.

    Its derivative is zero wherever it exists (and undefined at 0), so every gradient that
    flows back through it is zero: backpropagation cannot train the layers below a step
    unit. It is here to show exactly that (the lecture's "Caution"), not for training;
    use Sigmoid, Tanh or ReLU instead.
    """

    activation = "step"


class Sigmoid(_Elementwise):
    """σ(f) = 1 / (1 + e^−f); σ'(f) = σ(f)(1 − σ(f)) ≤ 1/4 (the vanishing gradient)."""

    activation = "sigmoid"


class Tanh(_Elementwise):
    """tanh(f); tanh'(f) = 1 − tanh²(f) ≤ 1."""

    activation = "tanh"


class ReLU(_InplaceFlag):
    """max(0, f); g'(f) = 1 where f > 0, else 0."""

    activation = "relu"


class SiLU(_InplaceFlag):
    """f · σ(f) (swish)."""

    activation = "silu"


class LeakyReLU(_Elementwise):
    """f where f > 0, ``negative_slope`` · f elsewhere."""

    activation = "leaky_relu"

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    @property
    def options(self) -> dict:
        return {"negative_slope": float(self.negative_slope)}

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class ELU(_Elementwise):
    """f where f > 0, α(e^f − 1) elsewhere."""

    activation = "elu"

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    @property
    def options(self) -> dict:
        return {"alpha": float(self.alpha)}

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class GELU(_Elementwise):
    """f · Φ(f), Φ the standard normal CDF; ``approximate='tanh'`` uses the tanh formula."""

    activation = "gelu"

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ConfigError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}.")
        self.approximate = approximate

    @property
    def options(self) -> dict:
        return {"approximate": self.approximate}

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Softplus(_Elementwise):
    """log(1 + e^(βf)) / β, and f itself where βf > ``threshold`` (for stability)."""

    activation = "softplus"

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    @property
    def options(self) -> dict:
        return {"beta": float(self.beta), "threshold": float(self.threshold)}

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softmax(Module):
    """softmax(f)ᵢ = e^fᵢ / Σⱼ e^fⱼ along ``dim``.

    Not elementwise, so it has no entry in the elementwise activation registry:
    ``activation = "softmax"`` names it for the δ engine, which must treat it as a whole
    (best fused with the loss: give the logits to ``CrossEntropyLoss`` instead).
    """

    activation = "softmax"

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """log softmax(f) along ``dim`` (stable); pair it with ``NLLLoss``."""

    activation = "log_softmax"

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.log_softmax(input, self.dim)


ACTIVATION_MODULES: dict[str, type] = {
    cls.activation: cls for cls in (Step, Sigmoid, Tanh, ReLU, SiLU, LeakyReLU, ELU, GELU, Softplus)
}
