"""What the fused loop can run (floor 3): the check behind ``fused.supported``.

The kernel (``fused_kernels``) knows a fixed set of activations, losses and optimizers, each
by a small integer code. ``_setup`` reads a model, a loss and an optimizer into the arrays
the kernel takes (layer table, slopes, codes), or returns the one-line reason the setup is
not fused, which ``fit`` reports when it falls back to the NumPy path.
"""

from __future__ import annotations

import contextlib
import importlib.util
from dataclasses import dataclass

import numpy as np

from .._extras import install_hint
from ..autograd.tensor import Tensor
from .network import DeltaEngineError, layers

ACTIVATIONS = {"identity": 0, "relu": 1, "tanh": 2, "sigmoid": 3, "leaky_relu": 4}
LOSSES = {"mse": 0, "half_mse": 1, "cross_entropy": 2, "bce_with_logits": 3}
OPTIMIZERS = {"SGD": 0, "Adam": 1, "AdamW": 2}


@contextlib.contextmanager
def vectorising():
    """LLVM's SLP vectoriser on while a kernel is compiled (or loaded from numba's disk
    cache, which keeps the code so made): numba leaves it off by default
    (``numba.core.config.SLP_VECTORIZE``, read when a function is compiled), and it is what
    turns the kernels' eight-wide tuples (``fma._grads_small``, ``fused_many_lanes``) into
    vector operations. No reassociation; the one-run kernel's sums over the batch are
    explicit ``fma`` calls (``fused_kernels._weight_grads``): left to contraction
    (``s += x * y``) some came out unfused under the switch and changed in the last bit
    (the lanes' did not). Its forward and backward loops stay ``+=``: as ``fma`` calls they
    were slower (lecture job 4.3 → 6.0 µs/step) and they sum the same with the switch."""
    from numba.core import config

    old = getattr(config, "SLP_VECTORIZE", None)
    config.SLP_VECTORIZE = 1
    try:
        yield
    finally:
        config.SLP_VECTORIZE = old


def available() -> bool:
    """True when numba is installed (checked without importing it)."""
    return importlib.util.find_spec("numba") is not None


@dataclass
class _Setup:
    net: list
    params: list  # in the flat layout's order: W1, b1, W2, b2, …
    dtype: np.dtype
    meta: np.ndarray
    slopes: np.ndarray
    entry: object
    reduction: str
    options: dict
    opt_code: int


def _setup(model, loss, optimizer) -> _Setup | str:
    """Everything the kernel needs, or the reason the setup is not fused."""
    try:
        net = layers(model)
    except DeltaEngineError as error:
        return str(error)
    codes, slopes = [], []
    for layer in net:
        if layer.rowwise is not None:
            return f"layer {layer.index} ends in {layer.rowwise}, which the fused loop lacks"
        name = layer.activation.name
        if name not in ACTIVATIONS:
            return f"layer {layer.index}: activation {name!r} is not fused ({_names(ACTIVATIONS)})"
        codes.append(ACTIVATIONS[name])
        slopes.append(float(layer.options.get("negative_slope", 0.01)))
    params = [p for layer in net for p in (layer.weight, layer.bias) if p is not None]
    dtype = params[0]._data.dtype
    if dtype not in (np.float32, np.float64) or any(p._data.dtype != dtype for p in params):
        return "parameters must all be float32 or all float64"
    if not all(p._requires_grad for p in params):
        return "a parameter has requires_grad=False (frozen layers are not fused)"
    reason = _check_loss(loss, net)
    if isinstance(reason, str):
        return reason
    entry, reduction, options = reason
    opt_code = _check_optimizer(optimizer, params)
    if isinstance(opt_code, str):
        return opt_code
    meta = np.zeros((len(net), 6), dtype=np.int64)
    offset = 0
    for i, layer in enumerate(net):
        meta[i, 0] = offset
        offset += layer.weight._data.size
        if layer.bias is not None:
            meta[i, 1] = offset
            offset += layer.bias._data.size
        else:
            meta[i, 1] = -1
        meta[i, 2], meta[i, 3], meta[i, 4] = layer.n_in, layer.n_out, codes[i]
    return _Setup(net, params, dtype, meta, np.array(slopes), entry, reduction, options, opt_code)


def _names(table: dict) -> str:
    return ", ".join(table)


def _check_loss(loss, net):
    from .losses import resolve

    if loss is None:
        return "no loss: the fused loop trains on a loss"
    try:
        entry, reduction, options = resolve(loss)
    except DeltaEngineError as error:
        return str(error)
    if entry.name not in LOSSES:
        return f"loss {entry.name!r} is not fused ({_names(LOSSES)})"
    if reduction not in ("mean", "sum"):
        return f"reduction={reduction!r}: the fused loop needs 'mean' or 'sum'"
    for key, default in entry.defaults.items():
        if key == "ignore_index":
            continue  # only matters if a target equals it: checked with the data
        value = options.get(key, default)
        if value is None or value is default:
            continue
        if not isinstance(value, int | float | str | bool) or value != default:  # a tensor
            # option (a class weight) is not fused either: never compare it with ==
            shown = (
                f"a {type(value).__name__}"
                if not isinstance(value, int | float | str)
                else repr(value)
            )
            return f"loss option {key}={shown} is not fused (only the default {default!r})"
    top = net[-1].activation.name
    if entry.takes == "logits" and top != "identity":
        return f"{entry.name} takes logits, but the output layer applies {top}"
    return entry, reduction, options


def _check_optimizer(optimizer, params):
    name = type(optimizer).__name__
    module = type(optimizer).__module__
    if name not in OPTIMIZERS or not module.startswith("backprop.optim"):
        return f"optimizer {name} is not fused (SGD, Adam, AdamW)"
    if len(optimizer.param_groups) != 1:
        return "the optimizer has several parameter groups"
    group = optimizer.param_groups[0]
    members = group["params"]
    if len(members) != len(params) or {id(p) for p in members} != {id(p) for p in params}:
        return "the optimizer's parameters are not exactly the model's"
    if group.get("amsgrad"):
        return "amsgrad=True is not fused"
    states = [optimizer.state.get(p) or {} for p in params]
    keys = {frozenset(s) for s in states}
    if len(keys) != 1:
        return "the optimizer state covers some parameters but not others"
    if name != "SGD" and states[0]:
        steps = {float(s["step"]._data) for s in states}
        if len(steps) != 1:
            return "the parameters' Adam step counts differ"
    return OPTIMIZERS[name]


def supported(model, loss, optimizer, y=None) -> bool | str:
    """True if ``train`` can run this setup, else a one-line reason (a str).

    Give the targets ``y`` to check them too (class-probability targets and targets equal
    to ``ignore_index`` are not fused). numba must be installed.
    """
    if not available():
        return f"numba is not installed ({install_hint('fast')})"
    setup = _setup(model, loss, optimizer)
    if isinstance(setup, str):
        return setup
    if y is not None and setup.entry.name == "cross_entropy":
        arr = y._data if isinstance(y, Tensor) else np.asarray(y)
        if arr.dtype.kind == "f":
            return "class-probability targets are not fused (class indices are)"
        ignore = setup.options.get("ignore_index", -100)
        if arr.size and np.any(arr == ignore):
            return f"some targets equal ignore_index={ignore}"
    return True
