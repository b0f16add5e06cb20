"""PyTorch bridge: ``to_torch(model)`` and ``from_torch(module)`` (floor 6).

Both directions walk the module tree child by child and keep every child's name, so the
state-dict keys are the same on both sides (``0.weight``, ``0.bias``, ``2.weight``, …) and
``model.state_dict()`` of one loads into the other. Weights are copied (never shared) in
their own dtype, float32 or float64. Parts: ``Linear``, ``Sequential`` (nested too),
``Identity``, ``Flatten``, the elementwise activations of the registry with their options,
and ``Softmax``/``LogSoftmax``. The lecture's step unit has no PyTorch module, so
``to_torch`` gives a ``TorchStep`` (below), and ``from_torch`` reads it back.

This module is not a general model converter: anything else (dropout, normalisation,
convolutions, user modules) is refused with an error naming the part, the reason and
what is supported.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import torch

from ..errors import ConfigError, DTypeError

__all__ = ["SUPPORTED", "TorchStep", "from_torch", "to_torch"]

SUPPORTED = (
    "Linear, Sequential, Identity, Flatten, Sigmoid, Tanh, ReLU, LeakyReLU, ELU, GELU, "
    "Softplus, SiLU, Softmax, LogSoftmax and the step unit"
)


class TorchStep(torch.nn.Module):
    """The lecture's step unit sgn(f) as a torch module: +1 where f > 0, −1 where f ≤ 0.

    Unlike ``torch.sign`` it gives −1 (not 0) at f = 0. Its gradient is zero everywhere,
    as for backprop's ``nn.Step``: the output is ``torch.sign(f)`` where f > 0 (whose
    backward is zero) and the constant −1 elsewhere, so the graph stays connected.
    """

    def forward(self, input):  # noqa: A002 - PyTorch's name
        s = torch.sign(input)
        return torch.where(input > 0, s, torch.full_like(s, -1.0))


def _where(path: str) -> str:
    return f"part {path!r}" if path else "the model"


# -- backprop -> torch ------------------------------------------------------------------
def to_torch(model, *, scaler=None):
    """A ``torch.nn.Module`` computing what ``model`` computes, with copies of its weights.

    Args:
        model: a backprop ``nn.Sequential``/``nn.MLP`` of ``Linear`` and activation modules
            (or one such module).
        scaler: the input standardisation the model was trained behind (a model file's
            ``scaler``, ``{"mean": [...], "std": [...]}``, or a ``Standardizer``): folded
            into the first ``Linear`` (W' = W / std, b' = b − W' · mean, computed in
            float64), so the torch module takes raw inputs, as ``backprop predict`` and the
            ONNX export do. None: the module takes what the model takes.

    Returns:
        ``torch.nn.Sequential`` (for a Sequential) whose children have the same names,
        weights (same dtype), ``requires_grad`` flags and train/eval mode; the step unit
        becomes ``TorchStep``.

    Raises:
        ConfigError: a part with no PyTorch counterpart here; the message names it.

    Example::

        >>> import backprop.nn as nn
        >>> from backprop.interop import to_torch
        >>> to_torch(nn.MLP([2, 3, 1], "tanh"))
        Sequential(
          (0): Linear(in_features=2, out_features=3, bias=True)
          (1): Tanh()
          (2): Linear(in_features=3, out_features=1, bias=True)
        )
    """
    out = _to_torch(model, "")
    if scaler is not None:
        fold_scaler(out, scaler)
    out.train(bool(model.training))
    return out


def fold_scaler(module, scaler) -> None:
    """Fold (x − mean) / std into ``module``'s first ``Linear`` in place (see ``to_torch``).

    Only parts that pass each input through unchanged (``Identity``, ``Flatten``) may come
    before that ``Linear``; it needs a bias unless every mean is 0.
    """
    mean, std = _mean_std(scaler)
    first = None
    for name, part in module.named_modules():
        if isinstance(part, torch.nn.Linear):
            first = (name, part)
            break
        if part is not module and not isinstance(
            part, torch.nn.Sequential | torch.nn.Identity | torch.nn.Flatten
        ):
            raise ConfigError(
                f"to_torch: the input standardisation goes into the first Linear, but part "
                f"{name!r} ({_short(part)}) comes before it; give scaler=None and standardise "
                "the inputs yourself, (x - mean) / std."
            )
    if first is None:
        raise ConfigError("to_torch: the model has no Linear layer to fold the scaler into.")
    name, layer = first
    if layer.in_features != mean.size:
        raise ConfigError(
            f"to_torch: the scaler has {mean.size} means for layer {name!r}'s "
            f"{layer.in_features} inputs; they must match."
        )
    weight = layer.weight.detach().cpu().numpy().astype(np.float64) / std
    bias = -weight @ mean
    if layer.bias is None and np.any(bias != 0):
        raise ConfigError(
            f"to_torch: layer {name!r} has no bias, so (x - mean) / std with mean ≠ 0 cannot "
            "be folded into it; standardise the inputs yourself."
        )
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(weight))
        if layer.bias is not None:
            current = layer.bias.detach().cpu().numpy().astype(np.float64)
            layer.bias.copy_(torch.from_numpy(current + bias))


def _mean_std(scaler) -> tuple[np.ndarray, np.ndarray]:
    """(mean, std) float64 from a model file's scaler dict or a ``Standardizer``."""
    if isinstance(scaler, dict):
        mean, std = scaler.get("mean"), scaler.get("std")
    else:
        mean, std = getattr(scaler, "mean", None), getattr(scaler, "std", None)
    try:
        mean = np.asarray(mean, dtype=np.float64).reshape(-1)
        std = np.asarray(std, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        mean = std = np.empty(0)
    ok = mean.size > 0 and mean.shape == std.shape
    if not (ok and np.isfinite(mean).all() and np.isfinite(std).all() and (std > 0).all()):
        raise ConfigError(
            "to_torch: scaler must be {'mean': [...], 'std': [...]} (one finite mean and one "
            f"positive std per input, as a model file's scaler) or a Standardizer; got {scaler!r}."
        )
    return mean, std


def _pairs():
    """(backprop class, torch class, constructor keywords both share), one row per module."""
    from .. import nn

    tnn = torch.nn
    return (
        (nn.Identity, tnn.Identity, ()),
        (nn.Sigmoid, tnn.Sigmoid, ()),
        (nn.Tanh, tnn.Tanh, ()),
        (nn.Step, TorchStep, ()),
        (nn.ReLU, tnn.ReLU, ("inplace",)),
        (nn.SiLU, tnn.SiLU, ("inplace",)),
        (nn.LeakyReLU, tnn.LeakyReLU, ("negative_slope", "inplace")),
        (nn.ELU, tnn.ELU, ("alpha", "inplace")),
        (nn.GELU, tnn.GELU, ("approximate",)),
        (nn.Softplus, tnn.Softplus, ("beta", "threshold")),
        (nn.LogSoftmax, tnn.LogSoftmax, ("dim",)),
        (nn.Softmax, tnn.Softmax, ("dim",)),
        (nn.Flatten, tnn.Flatten, ("start_dim", "end_dim")),
    )


def _convert(module, to_torch: bool):
    """The counterpart of a parameter-free module (exact type match), or None."""
    kind = type(module)
    for ours, theirs, keys in _pairs():
        source, target = (ours, theirs) if to_torch else (theirs, ours)
        if kind is source:
            return target(**{key: getattr(module, key) for key in keys})
    return None


def _to_torch(module, path: str):
    from .. import nn

    tnn = torch.nn
    if isinstance(module, nn.Sequential):
        children = OrderedDict(
            (name, _to_torch(child, f"{path}.{name}" if path else name))
            for name, child in module.named_children()
        )
        return tnn.Sequential(children)
    if isinstance(module, nn.Linear):
        return _linear_to_torch(module, path)
    made = _convert(module, to_torch=True)
    if made is not None:
        return made
    raise ConfigError(
        f"to_torch: {_where(path)} ({module!r}) has no PyTorch counterpart in this bridge. "
        f"Supported parts: {SUPPORTED}. For other modules, build the torch model yourself "
        "and load model.state_dict() into it."
    )


def _linear_to_torch(module, path: str):
    dtype = _torch_dtype(module.weight._data.dtype, path)
    layer = torch.nn.Linear(
        module.in_features, module.out_features, bias=module.bias is not None, dtype=dtype
    )
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(np.array(module.weight._data, copy=True)))
        layer.weight.requires_grad_(module.weight.requires_grad)
        if module.bias is not None:
            layer.bias.copy_(torch.from_numpy(np.array(module.bias._data, copy=True)))
            layer.bias.requires_grad_(module.bias.requires_grad)
    return layer


def _torch_dtype(np_dtype, path: str):
    table = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}
    try:
        return table[np.dtype(np_dtype)]
    except KeyError:
        raise DTypeError(
            f"to_torch: {_where(path)} has weights of dtype {np_dtype}; only float32 and "
            "float64 are supported. Convert with model.float() or model.double()."
        ) from None


# -- torch -> backprop ------------------------------------------------------------------
def from_torch(module):
    """A backprop model computing what the torch ``module`` computes, with copies of its weights.

    Args:
        module: a ``torch.nn.Sequential`` (nested ones too) of ``Linear`` and supported
            activations, or one such module. Weights may live on any device; they are
            copied to NumPy in their dtype (float32 or float64).

    Returns:
        ``backprop.nn.Sequential`` with the same child names (so the same state-dict keys),
        weights, ``requires_grad`` flags and train/eval mode.

    Raises:
        ConfigError: a part with no backprop counterpart (``Dropout``, ``BatchNorm1d``,
            ``Conv2d``, a user module, …); the message names it by its path.
        DTypeError: weights that are not float32/float64.
    """
    if not isinstance(module, torch.nn.Module):
        raise ConfigError(
            f"from_torch: expected a torch.nn.Module, got {type(module).__name__}. "
            "To load a state dict, build the model (backprop.nn.MLP) and call "
            "model.load_state_dict(state_dict)."
        )
    out = _from_torch(module, "")
    out.train(bool(module.training))
    return out


def _from_torch(module, path: str):
    from .. import nn

    tnn = torch.nn
    kind = type(module)
    if kind is tnn.Sequential:
        children = OrderedDict(
            (name, _from_torch(child, f"{path}.{name}" if path else name))
            for name, child in module.named_children()
        )
        return nn.Sequential(children)
    if kind is tnn.Linear:
        return _linear_from_torch(module, path)
    made = _convert(module, to_torch=False)
    if made is not None:
        return made
    raise ConfigError(
        f"from_torch: {_where(path)} ({_short(module)}) has no backprop counterpart. "
        f"Supported parts: {SUPPORTED} (exact types, not subclasses). Remove it or replace it "
        "before converting."
    )


def _short(module) -> str:
    text = repr(module)
    return text if "\n" not in text else f"{type(module).__name__}(...)"


def _linear_from_torch(module, path: str):
    from .. import nn
    from ..autograd.random import default_generator
    from ..autograd.tensor import Tensor

    arrays = {}
    for name in ("weight", "bias"):
        value = getattr(module, name)
        if value is None:
            continue
        if value.dtype not in (torch.float32, torch.float64):
            raise DTypeError(
                f"from_torch: {_where(path)}.{name} has dtype {value.dtype}; only "
                "torch.float32 and torch.float64 are supported. Convert with "
                "module.float() or module.double() first."
            )
        arrays[name] = np.array(value.detach().cpu().numpy(), copy=True)
    dtype = "float32" if arrays["weight"].dtype == np.float32 else "float64"
    # Linear draws initial weights from the global stream; converting must not move it.
    generator = default_generator()
    state = generator.get_state()
    try:
        layer = nn.Linear(
            module.in_features, module.out_features, bias="bias" in arrays, dtype=_bp_dtype(dtype)
        )
    finally:
        generator.set_state(state)
    for name, array in arrays.items():
        requires_grad = getattr(module, name).requires_grad
        setattr(layer, name, nn.Parameter(Tensor._wrap(array), requires_grad))
    return layer


def _bp_dtype(name: str):
    import backprop

    return getattr(backprop, name)
