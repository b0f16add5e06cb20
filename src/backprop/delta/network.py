"""Reading an MLP as the lecture's layers l = 1 … L (floor 3).

The δ engine works on a model that is a stack of affine maps, each followed by an
elementwise activation: ``nn.Sequential``/``nn.MLP`` of ``Linear`` and activation modules.
``layers(model)`` turns such a model into ``Layer`` records — the ``Linear`` that holds
W[l] and b[l], the registry entry of g[l] and its options — and refuses anything else with
an error that names the offending module and points to autograd, which handles any model.

Row-softmax and log-softmax are accepted as the *last* activation only (their Jacobian is
not diagonal, so the output delta is computed from the full Jacobian-vector product).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..autograd.activations import Activation, get_activation
from ..errors import ConfigError


class DeltaEngineError(ConfigError):
    """A model or loss the δ engine cannot handle (use autograd's ``loss.backward()``).

    Examples:
        >>> from backprop import delta, nn
        >>> model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5), nn.Linear(2, 1))
        >>> try:
        ...     delta.layers(model)
        ... except delta.DeltaEngineError as error:
        ...     print(type(error).__name__)
        DeltaEngineError
    """


@dataclass
class Layer:
    """Layer l of the lecture's MLP: f[l] = W[l]ᵀ a[l−1] + b[l], a[l] = g[l](f[l]).

    Examples:
        >>> from backprop import delta, nn
        >>> first = delta.layers(nn.MLP([2, 4, 1], activation='relu'))[0]
        >>> first.index, first.n_in, first.n_out, first.g_name
        (1, 2, 4, 'relu')
        >>> tuple(first.weight.shape)  # PyTorch's (out, in): W[l] is its transpose
        (4, 2)
    """

    index: int
    linear: object
    activation: Activation
    options: dict = field(default_factory=dict)
    module: object = None
    rowwise: str | None = None  # "softmax" / "log_softmax" for a final row-wise output
    weight: object = None  # the Linear's Parameters, read once (module attribute access is slow)
    bias: object = None

    def __post_init__(self) -> None:
        self.weight = self.linear.weight
        self.bias = self.linear.bias

    @property
    def n_in(self) -> int:
        return self.weight.shape[1]

    @property
    def n_out(self) -> int:
        return self.weight.shape[0]

    @property
    def g_name(self) -> str:
        return self.rowwise or self.activation.name


def _flatten(model) -> list:
    from ..nn import Sequential

    if isinstance(model, Sequential):
        out = []
        for child in model.children():
            out.extend(_flatten(child))
        return out
    return [model]


def _activation_of(module):
    """(registry entry, options) of an elementwise activation module, or None."""
    from ..nn import Identity

    if isinstance(module, Identity):
        return get_activation("identity"), {}
    name = getattr(type(module), "activation", None)
    if not isinstance(name, str):
        return None
    return get_activation(name), dict(getattr(module, "options", {}))


def _rowwise_of(module) -> str | None:
    from ..nn import LogSoftmax, Softmax

    if isinstance(module, Softmax | LogSoftmax):
        dim = getattr(module, "dim", -1)
        if dim not in (-1, 1, None):
            raise DeltaEngineError(
                f"delta engine: {module!r} normalises over dim={dim}; the engine needs the "
                "class dimension last (dim=-1 or 1). Use autograd (loss.backward()) instead."
            )
        # LogSoftmax subclasses Softmax, so ask for the subclass first
        return "log_softmax" if isinstance(module, LogSoftmax) else "softmax"
    return None


def layers(model) -> list[Layer]:
    """The model's layers in the lecture's numbering (1 … L), or a DeltaEngineError.

    Examples:
        >>> from backprop import delta, nn
        >>> net = delta.layers(nn.MLP([2, 4, 1], activation='sigmoid'))
        >>> [(layer.index, layer.n_in, layer.n_out, layer.g_name) for layer in net]
        [(1, 2, 4, 'sigmoid'), (2, 4, 1, 'identity')]
    """
    from ..nn import Linear

    modules = _flatten(model)
    if not modules or not isinstance(modules[0], Linear):
        first = modules[0] if modules else model
        raise DeltaEngineError(
            f"delta engine: the model must start with nn.Linear; its first part is {first!r}. "
            "The engine handles stacks of Linear layers and elementwise activations "
            "(nn.Sequential / nn.MLP); for any other model use autograd: loss.backward()."
        )
    out: list[Layer] = []
    identity = get_activation("identity")
    for position, module in enumerate(modules):
        if isinstance(module, Linear):
            out.append(Layer(len(out) + 1, module, identity))
            continue
        current = out[-1]
        if current.module is not None:
            raise DeltaEngineError(
                f"delta engine: part {position} ({module!r}) follows another activation "
                f"({current.module!r}) in layer {current.index}; the engine takes one "
                "activation per layer. Merge them or use autograd: loss.backward()."
            )
        rowwise = _rowwise_of(module)
        if rowwise is not None:
            if position != len(modules) - 1:
                raise DeltaEngineError(
                    f"delta engine: {module!r} at part {position} is not elementwise; the "
                    "engine accepts softmax/log-softmax only as the last module. Use autograd: "
                    "loss.backward()."
                )
            current.rowwise, current.module = rowwise, module
            continue
        found = _activation_of(module)
        if found is None:
            raise DeltaEngineError(
                f"delta engine: part {position} of the model, {module!r}, is neither nn.Linear "
                "nor an elementwise activation, so the δ recursion does not apply to it. Use "
                "autograd instead: loss = loss_fn(model(x), y); loss.backward()."
            )
        current.activation, current.options = found
        current.module = module
    return out
