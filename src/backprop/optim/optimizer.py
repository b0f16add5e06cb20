"""The ``Optimizer`` base class: parameter groups, per-parameter state, checkpoints (floor 2).

It is PyTorch's ``torch.optim.Optimizer`` shape: ``param_groups`` (a list of dicts holding
``params`` and the hyper-parameters), ``defaults``, a lazily filled ``state`` dict keyed by
the parameter tensor, ``zero_grad``, ``step(closure)``, ``add_param_group`` and
``state_dict``/``load_state_dict`` in PyTorch's format, so checkpoints map one to one. It
holds no update rule: a subclass validates its hyper-parameters (``_check_group``) and
updates one group (``_update_group``) by calling a plain NumPy function from
``_functional``. It is not a training loop and never decides when to stop.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

import backprop
from backprop.errors import ConfigError
from backprop.optim.flat import FlatGroups

__all__ = ["Optimizer"]


def _is_tensor(obj: Any) -> bool:
    return isinstance(obj, backprop.Tensor)


def _state_tensor(array: np.ndarray) -> backprop.Tensor:
    """A history-free tensor around ``array`` (no copy)."""
    return backprop.Tensor._wrap(array)


def _step_tensor(value: float = 0.0) -> backprop.Tensor:
    """The step counter, a float32 scalar tensor as in PyTorch's checkpoints."""
    return _state_tensor(np.array(value, dtype=np.float32))


class Optimizer:
    """Base class of the optimizers.

    Args:
        params: an iterable of tensors, or of dicts each holding ``"params"`` (tensors)
            and per-group options that override ``defaults``.
        defaults: the hyper-parameters every group gets unless it sets its own.

    Subclasses implement ``_check_group(group)`` (raise ``ConfigError`` on a bad value)
    and ``_update_group(group)`` (called under ``no_grad``).

    Examples:
        Every optimizer is one: parameter groups with their own options, ``zero_grad``, ``step`` and
        a ``state_dict`` in PyTorch's layout.

        >>> import backprop as bp
        >>> from backprop import optim
        >>> w = bp.tensor([1.0, 2.0], requires_grad=True)
        >>> b = bp.tensor([0.5], requires_grad=True)
        >>> opt = optim.SGD([{'params': [w]}, {'params': [b], 'lr': 0.5}], lr=0.1)
        >>> [group['lr'] for group in opt.param_groups]
        [0.1, 0.5]
        >>> (w.sum() + b.sum()).backward()
        >>> opt.step()
        >>> w, b
        (tensor([0.9000, 1.9000], requires_grad=True), tensor([0.], requires_grad=True))
        >>> sorted(opt.state_dict())
        ['param_groups', 'state']
    """

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self._check_group(self.defaults)
        self.state: dict[Any, dict[str, Any]] = {}
        self._flat = FlatGroups()
        self.param_groups: list[dict[str, Any]] = []
        if _is_tensor(params):
            raise ConfigError(
                f"{self._name}: params must be an iterable of tensors or of dicts, got a single "
                "Tensor; pass it in a list: [param]."
            )
        if isinstance(params, dict):
            raise ConfigError(
                f"{self._name}: params must be an iterable of tensors or of dicts, got a dict; "
                "pass a list of groups: [{'params': ...}]."
            )
        if isinstance(params, set):
            raise ConfigError(
                f"{self._name}: params must be an ordered iterable, got a set; its order varies "
                "between runs, which breaks checkpoints. Pass a list."
            )
        param_groups = list(params)
        if not param_groups:
            raise ConfigError(
                f"{self._name}: params is an empty list; the optimizer needs at least one "
                "parameter (did the model define any? pass model.parameters())."
            )
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    @property
    def _name(self) -> str:
        return type(self).__name__

    # ----------------------------------------------------------------- groups

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (e.g. a layer with another lr)."""
        if not isinstance(param_group, dict):
            raise ConfigError(
                f"{self._name}: a parameter group must be a dict with a 'params' key, got "
                f"{type(param_group).__name__}; pass {{'params': [...], 'lr': ...}}."
            )
        if "params" not in param_group:
            raise ConfigError(
                f"{self._name}: a parameter group must have a 'params' key; got keys "
                f"{sorted(param_group)}; add 'params': [tensors]."
            )
        params = param_group["params"]
        if _is_tensor(params):
            params = [params]
        elif isinstance(params, set):
            raise ConfigError(
                f"{self._name}: params must be an ordered iterable, got a set; its order varies "
                "between runs, which breaks checkpoints. Pass a list."
            )
        else:
            params = list(params)
        if not params:
            raise ConfigError(
                f"{self._name}: parameter group {len(self.param_groups)} has an empty 'params' "
                "list; give it at least one tensor."
            )
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        for i, p in enumerate(params):
            if not _is_tensor(p):
                raise ConfigError(
                    f"{self._name}: params[{i}] must be a backprop Tensor, got "
                    f"{type(p).__name__}; pass the model's parameters (model.parameters())."
                )
            if not p.is_leaf:
                raise ConfigError(
                    f"{self._name}: params[{i}] is not a leaf tensor (it was computed from "
                    "other tensors), so it cannot be optimized; optimize the leaf it came "
                    "from, or pass p.detach().requires_grad_()."
                )
            if id(p) in seen:
                raise ConfigError(
                    f"{self._name}: params[{i}] (shape {tuple(p.shape)}) is given twice "
                    "(in this group or another one); each parameter may appear only once."
                )
            seen.add(id(p))
        group = {k: v for k, v in param_group.items() if k != "params"}
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self._check_group(group)
        group["params"] = params
        self.param_groups.append(group)

    def _check_group(self, group: dict[str, Any]) -> None:
        """Raise ``ConfigError`` when a hyper-parameter of ``group`` is out of range."""

    def _check_lr(self, lr: Any) -> None:
        if not isinstance(lr, numbers.Real) or isinstance(lr, bool) or not 0 <= lr < math.inf:
            raise ConfigError(
                f"{self._name}: lr must be a finite number >= 0, got {lr!r}; pass a small "
                "positive learning rate such as lr=1e-3."
            )

    def _check_nonneg(self, name: str, value: Any, hint: str) -> None:
        if not isinstance(value, numbers.Real) or isinstance(value, bool) or not value >= 0:
            raise ConfigError(f"{self._name}: {name} must be >= 0, got {value!r}; {hint}")

    def _check_unit(self, name: str, value: Any, hint: str) -> None:
        if not isinstance(value, numbers.Real) or isinstance(value, bool) or not 0 <= value < 1:
            raise ConfigError(f"{self._name}: {name} must be in [0, 1), got {value!r}; {hint}")

    # ------------------------------------------------------------ grad/step

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of every parameter.

        ``set_to_none=True`` (the default, as in PyTorch) sets ``p.grad = None``, which saves
        memory and lets ``step`` skip parameters that received no gradient; ``False`` fills
        the existing gradient arrays with zeros in place.
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad._data.fill(0)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; return ``closure()``'s loss.

        ``closure``, if given, recomputes the loss (zeroing and back-propagating inside) and
        runs with grad mode on; the update itself runs under ``no_grad``. Parameters whose
        ``.grad`` is None are skipped.
        """
        loss = None
        if closure is not None:
            with backprop.enable_grad():
                loss = closure()
        with backprop.no_grad():
            for group in self.param_groups:
                self._update_group(group)
        return loss

    def _update_group(self, group: dict[str, Any]) -> None:
        raise NotImplementedError(f"{self._name} does not implement an update rule")

    def _params_with_grad(self, group: dict[str, Any]):
        """(param, grad array, state dict) for each parameter of ``group`` with a gradient.

        When the group's parameters and gradients fill two flat buffers, this yields one
        triple for the whole group instead (``flat.py``): same numbers, one array operation
        per formula term.
        """
        index = next(i for i, g in enumerate(self.param_groups) if g is group)
        flat = self._flat.triple(index, group, self.state)
        if flat is not None:
            for p in group["params"]:
                p._bump_version()
            yield flat
            self._flat.after_update(index, group, self.state)
            return
        for p in group["params"]:
            if p.grad is None:
                continue
            p._bump_version()  # a graph saved before this step must not backward
            yield p, p.grad._data, self.state.setdefault(p, {})

    # ----------------------------------------------------------- checkpoints

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state in PyTorch's layout.

        ``{'state': {index: {name: Tensor}}, 'param_groups': [{options..., 'params': [index]}]}``
        where indices number the parameters across groups in order. State tensors are copies
        (a checkpoint does not change when training continues); ``step`` is a float32 scalar.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            packed["params"] = ids
            groups.append(packed)
        state = {}
        for p, pstate in self.state.items():
            if id(p) in index and pstate:
                state[index[id(p)]] = {k: _copy_state_value(v) for k, v in pstate.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore options and state saved by ``state_dict`` (ours or the same layout).

        The saved groups must match this optimizer's groups in number and size. State
        arrays are copied and cast to their parameter's dtype; ``step`` stays float32.
        """
        saved_groups = state_dict.get("param_groups")
        if saved_groups is None or "state" not in state_dict:
            raise ConfigError(
                f"{self._name}.load_state_dict: state_dict must have 'state' and "
                f"'param_groups' keys, got {sorted(state_dict)}; pass what state_dict() returned."
            )
        if len(saved_groups) != len(self.param_groups):
            raise ConfigError(
                f"{self._name}.load_state_dict: the state dict has {len(saved_groups)} "
                f"parameter groups but this optimizer has {len(self.param_groups)}; build the "
                "optimizer with the same groups as the one that was saved."
            )
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ConfigError(
                    f"{self._name}.load_state_dict: parameter group {i} has "
                    f"{len(saved['params'])} parameters in the state dict but "
                    f"{len(group['params'])} here; build the optimizer with the same "
                    "parameters as the one that was saved."
                )
        by_index = {}
        for saved, group in zip(saved_groups, self.param_groups):
            for idx, p in zip(saved["params"], group["params"]):
                by_index[idx] = p
        new_state: dict[Any, dict[str, Any]] = {}
        for idx, pstate in state_dict["state"].items():
            p = by_index.get(int(idx))
            if p is None:
                continue
            new_state[p] = {k: _load_state_value(k, v, p) for k, v in pstate.items()}
        new_groups = []
        for saved, group in zip(saved_groups, self.param_groups):
            new_group = {k: v for k, v in saved.items() if k != "params"}
            new_group["params"] = group["params"]
            new_groups.append(new_group)
        self.state = new_state
        self.param_groups = new_groups

    def __repr__(self) -> str:
        lines = [f"{self._name} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


def _copy_state_value(value: Any) -> Any:
    if _is_tensor(value):
        return _state_tensor(value._data.copy())
    return value


def _load_state_value(key: str, value: Any, param: Any) -> Any:
    if value is None or isinstance(value, (int, float, bool)):
        return value
    array = value._data if _is_tensor(value) else np.asarray(value)
    if key == "step":
        return _step_tensor(float(array))
    array = np.array(array, dtype=param._data.dtype, copy=True)
    if array.shape != param._data.shape:
        raise ConfigError(
            f"load_state_dict: state '{key}' has shape {array.shape} but its parameter has "
            f"shape {param._data.shape}; the state dict belongs to a different model."
        )
    return _state_tensor(array)
