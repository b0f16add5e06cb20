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

    Examples:
        sgn(f) by hand: −1, −1, +1; its gradient is zero everywhere, so nothing below a step unit
        learns (PyTorch has no step module):

        >>> import backprop as bp
        >>> from backprop import nn
        >>> f = bp.tensor([-2.0, 0.0, 2.0], requires_grad=True)
        >>> a = nn.Step()(f)
        >>> a
        tensor([-1., -1.,  1.], grad_fn=<SignBackward0>)
        >>> a.sum().backward()
        >>> f.grad  # g'(f)
        tensor([0., 0., 0.])
    """

    activation = "step"


class Sigmoid(_Elementwise):
    """σ(f) = 1 / (1 + e^−f); σ'(f) = σ(f)(1 − σ(f)) ≤ 1/4 (the vanishing gradient).

    Examples:
        >>> import backprop as bp
        >>> from backprop import nn
        >>> f = bp.tensor([-2.0, 0.0, 2.0], requires_grad=True)
        >>> a = nn.Sigmoid()(f)
        >>> a
        tensor([0.1192, 0.5000, 0.8808], grad_fn=<SigmoidBackward0>)
        >>> a.sum().backward()
        >>> f.grad  # g'(f)
        tensor([0.1050, 0.2500, 0.1050])
    """

    activation = "sigmoid"


class Tanh(_Elementwise):
    """tanh(f); tanh'(f) = 1 − tanh²(f) ≤ 1.

    Examples:
        >>> import backprop as bp
        >>> from backprop import nn
        >>> f = bp.tensor([-2.0, 0.0, 2.0], requires_grad=True)
        >>> a = nn.Tanh()(f)
        >>> a
        tensor([-0.9640,  0.0000,  0.9640], grad_fn=<TanhBackward0>)
        >>> a.sum().backward()
        >>> f.grad  # g'(f)
        tensor([0.0707, 1.0000, 0.0707])
    """

    activation = "tanh"


class ReLU(_InplaceFlag):
    """max(0, f); g'(f) = 1 where f > 0, else 0.

    Examples:
        >>> import backprop as bp
        >>> from backprop import nn
        >>> f = bp.tensor([-2.0, 0.0, 2.0], requires_grad=True)
        >>> a = nn.ReLU()(f)
        >>> a
        tensor([0., 0., 2.], grad_fn=<ReluBackward0>)
        >>> a.sum().backward()
        >>> f.grad  # g'(f)
        tensor([0., 0., 1.])
    """

    activation = "relu"


class SiLU(_InplaceFlag):
    """f · σ(f) (swish).

    Examples:
        >>> import backprop as bp
        >>> from backprop import nn
        >>> f = bp.tensor([-2.0, 0.0, 2.0], requires_grad=True)
        >>> a = nn.SiLU()(f)
        >>> a
        tensor([-0.2384,  0.0000,  1.7616], grad_fn=<SiluBackward0>)
        >>> a.sum().backward()
        >>> f.grad  # g'(f)
        tensor([-0.0908,  0.5000,  1.0908])
    """

    activation = "silu"


class LeakyReLU(_Elementwise):
    """f where f > 0, ``negative_slope`` · f elsewhere.

    Examples:
        >>> import backprop as bp
        >>> from backprop import nn
        >>> f = bp.tensor([-2.0, 0.0, 2.0], requires_grad=True)
        >>> a = nn.LeakyReLU(0.1)(f)
        >>> a
        tensor([-0.2000,  0.0000,  2.0000], grad_fn=<LeakyReluBackward0>)
        >>> a.sum().backward()
        >>> f.grad  # g'(f)
        tensor([0.1000, 0.1000, 1.0000])
    """

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
    """f where f > 0, α(e^f − 1) elsewhere.

    Examples:
        >>> import backprop as bp
        >>> from backprop import nn
        >>> f = bp.tensor([-2.0, 0.0, 2.0], requires_grad=True)
        >>> a = nn.ELU()(f)
        >>> a
        tensor([-0.8647,  0.0000,  2.0000], grad_fn=<EluBackward0>)
        >>> a.sum().backward()
        >>> f.grad  # g'(f)
        tensor([0.1353, 1.0000, 1.0000])
    """

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
    """f · Φ(f), Φ the standard normal CDF; ``approximate='tanh'`` uses the tanh formula.

    Examples:
        >>> import backprop as bp
        >>> from backprop import nn
        >>> f = bp.tensor([-2.0, 0.0, 2.0], requires_grad=True)
        >>> a = nn.GELU()(f)
        >>> a
        tensor([-0.0455,  0.0000,  1.9545], grad_fn=<GeluBackward0>)
        >>> a.sum().backward()
        >>> f.grad  # g'(f)
        tensor([-0.0852,  0.5000,  1.0852])
    """

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
    """log(1 + e^(βf)) / β, and f itself where βf > ``threshold`` (for stability).

    Examples:
        >>> import backprop as bp
        >>> from backprop import nn
        >>> f = bp.tensor([-2.0, 0.0, 2.0], requires_grad=True)
        >>> a = nn.Softplus()(f)
        >>> a
        tensor([0.1269, 0.6931, 2.1269], grad_fn=<SoftplusBackward0>)
        >>> a.sum().backward()
        >>> f.grad  # g'(f)
        tensor([0.1192, 0.5000, 0.8808])
    """

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

    Examples:
        >>> import backprop as bp
        >>> from backprop import nn
        >>> f = bp.tensor([[1.0, 2.0, 3.0]])
        >>> p = nn.Softmax(dim=1)(f)
        >>> p
        tensor([[0.0900, 0.2447, 0.6652]])
        >>> p.sum()
        tensor(1.)
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
    """log softmax(f) along ``dim`` (stable); pair it with ``NLLLoss``.

    Examples:
        >>> import backprop as bp
        >>> from backprop import nn
        >>> f = bp.tensor([[1.0, 2.0, 3.0]])
        >>> nn.LogSoftmax(dim=1)(f)
        tensor([[-2.4076, -1.4076, -0.4076]])
    """

    activation = "log_softmax"

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.log_softmax(input, self.dim)


ACTIVATION_MODULES: dict[str, type] = {
    cls.activation: cls for cls in (Step, Sigmoid, Tanh, ReLU, SiLU, LeakyReLU, ELU, GELU, Softplus)
}
