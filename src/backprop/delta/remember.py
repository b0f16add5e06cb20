"""What the δ engine remembers between calls: a model's layers, a loss's resolution (floor 3).

The hand-written loop ``zero_grad(); delta.backward(model, x, y, loss); step()`` passes the
same model and loss on every call, and reading them (``network.layers``, ``losses.resolve``)
costs more than the arithmetic of a small net. Both are kept per object — weakly: a dropped
model or loss frees its entry — and reused while the model still holds the same parts,
Parameters and activation options and the loss the same reduction and options; any change
is read again. Keeping the resolved loss also lets ``losses._prepare`` reuse its target check.
"""

from __future__ import annotations

import weakref

from .network import Layer, layers

_NETS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_LOSSES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_NAMED: dict = {}
_SEQUENTIAL: list = []


def _modules_of(model, out: list) -> list:
    """The model's parts in ``network._flatten``'s order, read straight from ``_modules``."""
    if not _SEQUENTIAL:
        from ..nn import Sequential

        _SEQUENTIAL.append(Sequential)
    if isinstance(model, _SEQUENTIAL[0]):
        seen = set()
        for child in model._modules.values():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                _modules_of(child, out)
    else:
        out.append(model)
    return out


def layers_of(model) -> list[Layer]:
    """``layers(model)``, reused while the model still has the same parts and options."""
    try:
        cached = _NETS.get(model)
    except TypeError:  # not weakly referable: read it every time
        return layers(model)
    parts = _modules_of(model, [])
    if cached is not None:
        known, net = cached
        if (
            len(parts) == len(known)
            and all(a is b for a, b in zip(parts, known))
            and all(layer_current(layer) for layer in net)
        ):
            return net
    net = layers(model)
    _NETS[model] = (parts, net)
    return net


def layer_current(layer: Layer) -> bool:
    linear, module = layer.linear, layer.module
    params = linear._parameters
    if params.get("weight") is not layer.weight or params.get("bias") is not layer.bias:
        return False
    return module is None or layer.rowwise is not None or module.options == layer.options


def _same(a, b) -> bool:
    """Identity, or equality of plain values (options rebuilt on every read compare equal)."""
    return a is b or (type(a) is type(b) and type(a) in (int, float, str, bool) and a == b)


def resolved_loss(loss):
    """``losses.resolve(loss)``, reused while the loss keeps its reduction and options."""
    from .losses import resolve

    if isinstance(loss, str):
        found = _NAMED.get(loss)
        if found is None:
            found = _NAMED[loss] = resolve(loss)
        return found
    try:
        cached = _LOSSES.get(loss)
    except TypeError:
        return resolve(loss)
    if cached is not None:
        _, reduction, options = cached
        now = getattr(loss, "options", None)
        if (
            getattr(loss, "reduction", "mean") == reduction
            and (now or {}).keys() == options.keys()
            and all(_same(now[k], v) for k, v in options.items())
        ):
            return cached
    found = resolve(loss)
    _LOSSES[loss] = found
    return found
