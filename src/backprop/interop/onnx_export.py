"""ONNX export: ``to_onnx(model, path)`` writes an MLP as an ONNX graph (floor 6).

The graph is built with ``onnx.helper``: each ``Linear`` becomes one ``Gemm`` (y = x Wᵀ + b,
``transB=1``, so the weight keeps PyTorch's (out, in) layout and its state-dict name), each
activation the nodes ``onnx_ops`` gives for it, and a final ``Softmax``/``LogSoftmax`` the
native operator. The input is ``input`` of shape (batch, n_in) and the output ``output`` of
shape (batch, n_out), with the batch dimension symbolic, in the model's dtype (float32 or
float64). Every activation of the registry is exported and checked in ONNX Runtime against
the model's own forward pass (tests/test_interop_onnx.py). The file is checked with
``onnx.checker`` and written atomically.

Needs the optional extra ``onnx`` (``pip install ".[onnx]"``); it runs no model and
does not need ONNX Runtime. It exports; it does not import ONNX files back.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .._extras import install_hint
from ..errors import ConfigError, DTypeError
from ..files import atomic_write_bytes

__all__ = ["DEFAULT_OPSET", "MIN_OPSET", "onnx_model", "to_onnx"]

DEFAULT_OPSET = 17
"""Opset 17: understood by every ONNX Runtime release since 1.11 (2022)."""
MIN_OPSET = 13
"""Opset 13 is the first whose Softmax/LogSoftmax normalise over one axis, as ours do."""

_SUPPORTED = (
    "Linear, Sequential, Identity, the registry activations (identity, step, sigmoid, tanh, "
    "relu, leaky_relu, elu, gelu, softplus, silu) and a final Softmax/LogSoftmax"
)


def _onnx():
    try:
        import onnx
    except ImportError as exc:
        raise ConfigError(
            f"to_onnx needs the onnx package: install it {install_hint('onnx')} (or pip "
            "install onnx onnxruntime)."
        ) from exc
    return onnx


def _parts(module, path: str = "") -> list[tuple[str, object]]:
    """(path, leaf module) pairs in forward order, Sequentials opened."""
    from .. import nn

    if isinstance(module, nn.Sequential):
        out = []
        for name, child in module.named_children():
            out.extend(_parts(child, f"{path}.{name}" if path else name))
        return out
    return [(path, module)]


def _label(path: str) -> str:
    return f"part {path!r}" if path else "the model"


def onnx_model(
    model, *, opset: int | None = None, scaler=None, input_name="input", output_name="output"
):
    """The ``onnx.ModelProto`` for ``model`` (what ``to_onnx`` writes), checked by onnx.

    Raises:
        ConfigError: a part with no ONNX export here (named by its path), a model without a
            ``Linear``, an opset out of range.
        DTypeError: weights that are not float32/float64, or that mix the two.
    """
    onnx = _onnx()
    from onnx import TensorProto, helper

    from .onnx_ops import EMITTERS, GraphBuilder

    opset = DEFAULT_OPSET if opset is None else opset
    newest = onnx.defs.onnx_opset_version()
    if isinstance(opset, bool) or not isinstance(opset, int) or not MIN_OPSET <= opset <= newest:
        raise ConfigError(
            f"to_onnx: opset must be a whole number from {MIN_OPSET} to {newest} (the newest "
            f"this onnx package knows), got {opset!r}. The default is {DEFAULT_OPSET}."
        )
    parts = _parts(model)
    linears = [(p, m) for p, m in parts if _is_linear(m)]
    if not linears:
        raise ConfigError(
            f"to_onnx: the model has no Linear layer ({model!r}); export an MLP: {_SUPPORTED}."
        )
    np_dtype = _dtype_of(linears)
    b = GraphBuilder(np_dtype)
    n_in = linears[0][1].in_features
    current = input_name
    if scaler is not None:
        mean, std = _scaler(scaler, n_in)
        centred = b.op("Sub", current, b.tensor("scaler.mean", mean))
        current = b.op("Div", centred, b.tensor("scaler.std", std))
    for position, (path, module) in enumerate(parts):
        current = _emit(b, module, path, current, EMITTERS, last=position == len(parts) - 1)
    if current == input_name or b.nodes[-1].output[0] != current:
        b.op("Identity", current, out=output_name)
    else:
        b.nodes[-1].output[0] = output_name
    elem = TensorProto.DOUBLE if np_dtype == np.float64 else TensorProto.FLOAT
    n_out = linears[-1][1].out_features
    graph = helper.make_graph(
        b.nodes,
        "backprop_mlp",
        [helper.make_tensor_value_info(input_name, elem, ["batch", n_in])],
        [helper.make_tensor_value_info(output_name, elem, ["batch", n_out])],
        initializer=b.initializers,
    )
    opsets = [helper.make_opsetid("", opset)]
    proto = helper.make_model(
        graph,
        opset_imports=opsets,
        producer_name="backprop",
        producer_version=_version(),
        ir_version=helper.find_min_ir_version_for(opsets),
        doc_string=repr(model),
    )
    onnx.checker.check_model(proto, full_check=True)
    return proto


def to_onnx(
    model,
    path,
    *,
    opset: int | None = None,
    scaler=None,
    input_name="input",
    output_name="output",
) -> Path:
    """Write ``model`` as an ONNX file at ``path``; returns the path.

    The write follows ``backprop.files``: a regular file is replaced atomically, a FIFO or
    character device is streamed to, anything else is a ``PathError``.

    Args:
        model: a backprop ``nn.MLP``/``nn.Sequential`` of ``Linear`` and activation modules.
        path: where to write (``.onnx``).
        opset: ONNX opset (default ``DEFAULT_OPSET`` = 17; at least 13).
        scaler: ``{"mean": [...], "std": [...]}`` (one value per input, as a model file's
            ``scaler``) to standardise the inputs in the graph, (x − mean)/std, so the
            ONNX model takes raw inputs; None (default) for none.
        input_name, output_name: the graph's input (batch, n_in) and output (batch, n_out).

    Example (ONNX Runtime)::

        to_onnx(model, "model.onnx")
        session = onnxruntime.InferenceSession("model.onnx")
        y = session.run(None, {"input": x.astype(np.float32)})[0]
    """
    proto = onnx_model(
        model, opset=opset, scaler=scaler, input_name=input_name, output_name=output_name
    )
    return atomic_write_bytes(path, proto.SerializeToString(), who="to_onnx(model, path)")


def _scaler(scaler, n_in: int) -> tuple[np.ndarray, np.ndarray]:
    try:
        mean = np.asarray(scaler["mean"], dtype=np.float64).reshape(-1)
        std = np.asarray(scaler["std"], dtype=np.float64).reshape(-1)
    except (KeyError, TypeError, ValueError):
        raise ConfigError(
            f"to_onnx: scaler must be {{'mean': [...], 'std': [...]}}, got {scaler!r}."
        ) from None
    if mean.shape != (n_in,) or std.shape != (n_in,):
        raise ConfigError(
            f"to_onnx: scaler has {mean.size} means and {std.size} stds, but the model takes "
            f"{n_in} inputs; give one of each per input."
        )
    if not (np.isfinite(mean).all() and np.isfinite(std).all() and (std > 0).all()):
        raise ConfigError(f"to_onnx: scaler needs finite means and stds > 0, got {scaler!r}.")
    return mean, std


def _is_linear(module) -> bool:
    from .. import nn

    return type(module) is nn.Linear


def _dtype_of(linears) -> np.dtype:
    found = {}
    for path, module in linears:
        for name in ("weight", "bias"):
            param = getattr(module, name)
            if param is not None:
                found.setdefault(np.dtype(param._data.dtype), f"{path}.{name}")
    unknown = [d for d in found if d not in (np.float32, np.float64)]
    if unknown:
        raise DTypeError(
            f"to_onnx: {found[unknown[0]]} has dtype {unknown[0]}; only float32 and float64 "
            "export. Convert with model.float() or model.double()."
        )
    if len(found) > 1:
        raise DTypeError(
            f"to_onnx: the weights mix dtypes ({', '.join(f'{v}: {k}' for k, v in found.items())})"
            "; an ONNX graph has one. Convert with model.float() or model.double()."
        )
    return next(iter(found))


def _emit(b, module, path: str, x: str, emitters: dict, last: bool) -> str:
    from .. import nn
    from ..nn.activation import ACTIVATION_MODULES

    kind = type(module)
    if kind is nn.Linear:
        weight = b.tensor(f"{path}.weight" if path else "weight", module.weight._data)
        inputs = [x, weight]
        if module.bias is not None:
            inputs.append(b.tensor(f"{path}.bias" if path else "bias", module.bias._data))
        return b.op("Gemm", *inputs, transB=1)
    if kind is nn.Identity:
        return x
    if kind in (nn.Softmax, nn.LogSoftmax):
        dim = 1 if module.dim is None else module.dim
        if dim not in (-1, 1) or not last:
            raise ConfigError(
                f"to_onnx: {_label(path)} ({module!r}) is exported only as the last part and "
                "over the class dimension (dim=-1 or 1); the graph's data are (batch, width)."
            )
        return b.op("LogSoftmax" if kind is nn.LogSoftmax else "Softmax", x, axis=-1)
    name = getattr(kind, "activation", None)
    if ACTIVATION_MODULES.get(name) is kind and name in emitters:
        return emitters[name](b, x, **module.options)
    raise ConfigError(
        f"to_onnx: {_label(path)} ({module!r}) cannot be exported to ONNX. Supported parts: "
        f"{_SUPPORTED}."
    )


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("backprop-mlp")
    except Exception:
        return "0"
