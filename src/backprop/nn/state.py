"""Loading a state dict into a module: key matching, shape checks, in-place copies.

``Module.load_state_dict`` delegates here. Every problem (missing keys, unexpected keys,
shape mismatches) is collected and reported in one ``StateDictError`` that lists them all,
as PyTorch does, plus the fix. Values may be backprop Tensors, NumPy arrays, or anything
with ``.detach().cpu().numpy()`` (a torch tensor). Saving is ``Module.state_dict``.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor
from ..errors import BackpropError, DTypeError
from .parameter import Parameter

__all__ = ["StateDictError", "load_state_dict"]


class StateDictError(BackpropError, RuntimeError):
    """A state dict that does not fit the module: missing/unexpected keys, wrong shapes.

    Examples:
        >>> import backprop as bp
        >>> from backprop import nn
        >>> model = nn.Linear(2, 1)
        >>> try:
        ...     model.load_state_dict({'weight': bp.zeros(1, 2)})
        ... except nn.StateDictError as error:
        ...     print(error)
        Error(s) in loading state_dict for Linear:
            Missing key(s) in state_dict: "bias".
        Fix: build the model with the sizes the checkpoint was saved from, or pass ...
    """


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def load_state_dict(module, state_dict, strict: bool = True, assign: bool = False):
    """Copy values from ``state_dict`` (Tensors or NumPy arrays) into this module, in place.

    Shapes must match; with ``strict`` the key sets must match too. Returns
    ``(missing_keys, unexpected_keys)``. ``assign=True`` adopts the given tensors instead
    of copying into the existing ones.
    """
    if not hasattr(state_dict, "items"):
        raise DTypeError(
            f"load_state_dict: expected a mapping of names to tensors, got "
            f"{type(state_dict).__name__}."
        )
    entries = list(module._state_entries())
    expected = {key for key, *_ in entries}
    missing = [key for key, *_ in entries if key not in state_dict]
    unexpected = [key for key in state_dict if key not in expected]
    problems = []
    if strict:
        if missing:
            problems.append("Missing key(s) in state_dict: " + _quoted(missing) + ".")
        if unexpected:
            problems.append("Unexpected key(s) in state_dict: " + _quoted(unexpected) + ".")
    updates = []
    for key, module, name, kind in entries:
        if key not in state_dict:
            continue
        value = _as_array(state_dict[key], key)
        current = module.__dict__[kind][name]
        if value.shape != current._data.shape:
            problems.append(
                f"size mismatch for {key}: copying a param with shape {list(value.shape)} "
                f"from checkpoint, the shape in current model is {list(current.shape)}."
            )
            continue
        updates.append((module, name, kind, current, value))
    if problems:
        raise StateDictError(
            f"Error(s) in loading state_dict for {type(module).__name__}:\n\t"
            + "\n\t".join(problems)
            + "\nFix: build the model with the sizes the checkpoint was saved from, or "
            "pass strict=False to skip missing/unexpected keys."
        )
    with no_grad():
        for module, name, kind, current, value in updates:
            if assign:
                new = Tensor._wrap(np.array(value, copy=True))
                if kind == "_parameters":
                    new = Parameter(new, current.requires_grad)
                module.__dict__[kind][name] = new
            else:
                current._data[...] = value.astype(current._data.dtype, copy=False)
                current._vc.value += 1
    return _IncompatibleKeys(missing, unexpected)


# -- modes and gradients ----------------------------------------------------------------
def _quoted(keys) -> str:
    return ", ".join(f'"{k}"' for k in keys)


def _as_array(value, key: str) -> np.ndarray:
    if isinstance(value, Tensor):
        return value._data
    if isinstance(value, np.ndarray):
        return value
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # a torch tensor
        return np.asarray(value.detach().cpu().numpy())
    raise DTypeError(
        f"load_state_dict: the value for {key!r} is a {type(value).__name__}; expected a "
        "Tensor or NumPy array."
    )
