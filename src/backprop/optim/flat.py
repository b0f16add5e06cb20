"""One array operation for a whole parameter group, when its tensors share flat buffers.

Small MLPs spend their optimizer time on Python overhead per parameter, not on arithmetic.
When every parameter of a group is a consecutive view into one buffer (see
``backprop.delta.flatten_parameters``) and so is every gradient, the update rule can run
once on the two buffers instead of once per tensor. This module finds such groups and keeps
the group's optimizer state flat too, while each parameter's entry in ``Optimizer.state``
holds views of it — so ``state_dict``/``load_state_dict`` see exactly what they would see
without the fusion, and the numbers are the same (the rules are elementwise).

Parameters that do not share a buffer (a plain ``nn.Sequential`` trained by autograd) are
*gathered* instead: their values and gradients are copied into two scratch buffers, the
rule runs once on them, and the new values are copied back into each parameter's own
storage. Two copies per tensor cost far less than the rule's dozen array operations per
tensor; the parameters keep their storage (views a user holds stay live).
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
        entry = self._cache.get(index)
        if entry is None or not _same(entry, params):
            shared = entry is not None and entry["states"] is not None
            entry = self._build(index, params) or self._build_gathered(index, params)
            if entry is None:
                if shared:
                    _unshare_state(params, state)
                return None
        if entry["views"] is not None and not _gather(entry, params):
            self._drop(index, params, state)
            return None
        states = entry["states"]
        if states is None or any(state.get(p) is not s for p, s in zip(params, states)):
            flat_state = _join_state(params, [state.get(p) for p in params])
            if flat_state is None:
                self._cache.pop(index, None)
                return None
            entry["state"] = flat_state
            self._share(entry, params, state)
        return entry["param"], entry["grad"], entry["state"]

    def after_update(self, index: int, group: dict, state: dict) -> None:
        """Copy gathered values back; re-point per-parameter state at the flat state if the
        rule created new entries."""
        entry = self._cache.get(index)
        if entry is None:
            return
        views = entry["views"]
        if views is not None:
            for p, (pv, _) in zip(group["params"], views):
                if pv is not None:
                    np.copyto(p._data, pv)
        flat_state, seen = entry["state"], entry["arrays"]
        if len(flat_state) != len(seen) or any(flat_state.get(k) is not v for k, v in seen):
            self._share(entry, group["params"], state)

    def _build(self, index: int, params: list) -> dict | None:
        self._cache.pop(index, None)
        if len(params) < 2 or any(p._grad is None for p in params):
            return None
        pbase, gbase = params[0]._data.base, params[0]._grad._data.base
        if pbase is None or gbase is None:
            return None
        if not (
            _covers([p._data for p in params], pbase)
            and _covers([p._grad._data for p in params], gbase)
        ):
            return None
        entry = {
            "members": [(p._data, p._grad) for p in params],
            "param": _FlatParam(pbase),
            "grad": gbase,
            "state": None,
            "states": None,
            "arrays": (),
            "views": None,
        }
        self._cache[index] = entry
        return entry

    def _build_gathered(self, index: int, params: list) -> dict | None:
        """Scratch buffers for the gradients, and for parameters with storage of their own
        (one float dtype). Parameters that already fill one flat buffer (``delta.
        flatten_parameters``) are updated there: only their gradients are gathered."""
        if len(params) < 2 or len({id(p._data) for p in params}) != len(params):
            return None  # one tensor twice, or two sharing an array: per-tensor updates
        dtype = params[0]._data.dtype
        for p in params:
            if p._grad is None or p._data.dtype != dtype or dtype.kind != "f":
                return None
        pbase = params[0]._data.base
        flat = pbase is not None and _covers([p._data for p in params], pbase)
        for p in params:
            if not flat and (not p._data.flags.writeable or p._data.base is not None):
                return None  # a view may overlap another parameter: per-tensor updates
        sizes = [p._data.size for p in params]
        total = sum(sizes)
        pbuf = pbase if flat else np.empty(total, dtype)
        gbuf = np.empty(total, dtype)
        views, position = [], 0
        for p, n in zip(params, sizes):
            part = slice(position, position + n)
            pv = None if flat else pbuf[part].reshape(p._data.shape)
            views.append((pv, gbuf[part].reshape(p._data.shape)))
            position += n
        entry = {
            "members": [(p._data, None) for p in params],
            "param": _FlatParam(pbuf),
            "grad": gbuf,
            "state": None,
            "states": None,
            "arrays": (),
            "views": views,
        }
        self._cache[index] = entry
        return entry

    def _drop(self, index: int, params: list, state: dict) -> None:
        """Leave the gathered path: each parameter gets state tensors of its own again."""
        self._cache.pop(index, None)
        _unshare_state(params, state)

    @staticmethod
    def _share(entry: dict, params: list, state: dict) -> None:
        _share_state(params, entry["state"], state)
        entry["states"] = [state[p] for p in params]
        entry["arrays"] = tuple(entry["state"].items())


def _same(entry: dict, params: list) -> bool:
    members = entry["members"]
    if len(members) != len(params):
        return False
    if entry["views"] is not None:  # gathered: gradients are new arrays every step
        return all(p._data is data for p, (data, _) in zip(params, members))
    for p, (data, grad) in zip(params, members):
        if p._data is not data or p._grad is not grad:
            return False
    return True


def _gather(entry: dict, params: list) -> bool:
    """Copy the parameters and their gradients into the scratch buffers (False: a gradient
    is missing or of another shape or dtype, so this step goes per tensor)."""
    grads = []
    for p, (_, gv) in zip(params, entry["views"]):
        grad = p._grad
        if grad is None or grad._data.shape != gv.shape or grad._data.dtype != gv.dtype:
            return False
        grads.append(grad._data.reshape(-1))
    np.concatenate(grads, out=entry["grad"])  # one call fills the buffer, in order
    if entry["views"][0][0] is not None:
        np.concatenate([p._data.reshape(-1) for p in params], out=entry["param"]._data)
    return True


def _unshare_state(params: list, state: dict) -> None:
    """Give every parameter its own copies of the state entries it shares with others (the
    step counters of a flat state), so that per-tensor updates count per tensor again."""
    seen: set[int] = set()
    for p in params:
        own = state.get(p)
        if not own:
            continue
        for k, v in list(own.items()):
            if isinstance(v, backprop.Tensor):
                if id(v) in seen:
                    own[k] = backprop.Tensor._wrap(v._data.copy())
                seen.add(id(v))
        state[p] = dict(own)


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
