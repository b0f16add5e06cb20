"""One array operation for a whole parameter group, when its tensors share flat buffers.

Small MLPs spend their optimizer time on Python overhead per parameter, not on arithmetic.
When every parameter of a group is a consecutive view into one buffer (see
``backprop.delta.flatten_parameters``) and so is every gradient, the update rule can run
once on the two buffers instead of once per tensor. This module finds such groups and keeps
the group's optimizer state flat too, while each parameter's entry in ``Optimizer.state``
holds views of it — so ``state_dict``/``load_state_dict`` see exactly what they would see
without the fusion, and the numbers are the same (the rules are elementwise).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import backprop


class _FlatParam:
    """Stands in for the group's parameters: ``_data`` is the whole flat buffer."""

    __slots__ = ("_data",)

    def __init__(self, data: np.ndarray) -> None:
        self._data = data


def _offset(view: np.ndarray, base: np.ndarray) -> int:
    delta = view.__array_interface__["data"][0] - base.__array_interface__["data"][0]
    return delta // base.itemsize


def _covers(arrays: list[np.ndarray], base: np.ndarray) -> bool:
    """True when ``arrays`` are C-contiguous consecutive views filling ``base`` in order."""
    if base.ndim != 1 or not base.flags.c_contiguous:
        return False
    position = 0
    for a in arrays:
        if a.base is not base or not a.flags.c_contiguous or _offset(a, base) != position:
            return False
        position += a.size
    return position == base.size


class FlatGroups:
    """Per-group cache of the flat buffers and the flat optimizer state."""

    def __init__(self) -> None:
        self._cache: dict[int, dict[str, Any]] = {}

    def triple(self, index: int, group: dict, state: dict) -> tuple | None:
        """(flat param, flat grad array, flat state dict) for group ``index``, or None."""
        params = group["params"]
        if len(params) < 2:
            return None
        first = params[0]
        if first._grad is None:
            return None
        pbase, gbase = first._data.base, first._grad._data.base
        if pbase is None or gbase is None:
            return None
        key = tuple((id(p._data), id(p._grad._data) if p._grad is not None else 0) for p in params)
        entry = self._cache.get(index)
        if entry is None or entry["key"] != key:
            if not (
                all(p._grad is not None for p in params)
                and _covers([p._data for p in params], pbase)
                and _covers([p._grad._data for p in params], gbase)
            ):
                self._cache.pop(index, None)
                return None
            entry = {"key": key, "param": _FlatParam(pbase), "grad": gbase, "state": None}
            self._cache[index] = entry
        per_param = [state.get(p) for p in params]
        if entry["state"] is None or entry["views"] != [id(s) for s in per_param]:
            flat_state = _join_state(params, per_param)
            if flat_state is None:
                self._cache.pop(index, None)
                return None
            entry["state"] = flat_state
            _share_state(params, flat_state, state)
            entry["views"] = [id(state[p]) for p in params]
            entry["arrays"] = _identities(flat_state)
        return entry["param"], entry["grad"], entry["state"]

    def after_update(self, index: int, group: dict, state: dict) -> None:
        """Re-point per-parameter state at the flat state if the rule created new entries."""
        entry = self._cache.get(index)
        if entry is None:
            return
        if _identities(entry["state"]) != entry["arrays"]:
            _share_state(group["params"], entry["state"], state)
            entry["views"] = [id(state[p]) for p in group["params"]]
            entry["arrays"] = _identities(entry["state"])


def _identities(flat_state: dict) -> dict:
    return {k: id(v) for k, v in flat_state.items()}


def _join_state(params: list, per_param: list) -> dict | None:
    """One flat state dict from the parameters' own states (None if they disagree)."""
    if all(not s for s in per_param):
        return {}
    if any(not s for s in per_param):
        return None
    keys = set(per_param[0])
    if any(set(s) != keys for s in per_param):
        return None
    flat: dict[str, Any] = {}
    for k in keys:
        values = [s[k] for s in per_param]
        first = values[0]
        if isinstance(first, backprop.Tensor) and first._data.shape == params[0]._data.shape:
            flat[k] = backprop.Tensor._wrap(np.concatenate([v._data.reshape(-1) for v in values]))
        elif isinstance(first, backprop.Tensor):
            if any(not np.array_equal(v._data, first._data) for v in values):
                return None
            flat[k] = backprop.Tensor._wrap(first._data.copy())
        else:
            if any(v != first for v in values):
                return None
            flat[k] = first
    return flat


def _share_state(params: list, flat_state: dict, state: dict) -> None:
    """Give each parameter a state dict of views into the flat state (scalars shared)."""
    total = sum(p._data.size for p in params)
    position = 0
    for p in params:
        n = p._data.size
        own = {}
        for k, v in flat_state.items():
            if isinstance(v, backprop.Tensor) and v._data.ndim == 1 and v._data.size == total:
                own[k] = backprop.Tensor._wrap(
                    v._data[position : position + n].reshape(p._data.shape)
                )
            else:
                own[k] = v
        state[p] = own
        position += n
