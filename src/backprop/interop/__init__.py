"""Bridges to the ecosystem (floor 6): PyTorch, ONNX (scikit-learn lives in ``backprop.sklearn``).

``to_torch(model)`` / ``from_torch(module)`` convert an MLP to and from a
``torch.nn.Sequential`` with the same state-dict keys and copies of the weights;
``to_onnx(model, path)`` writes an ONNX graph built with ``onnx.helper`` that ONNX Runtime
runs with a dynamic batch dimension. The third-party packages (``torch``, ``onnx``) are
imported only when a bridge is used, so ``import backprop.interop`` needs neither. These
bridges convert models; they do not train them (see ``docs/scaling.md`` for continuing
training in PyTorch, on one machine or many).
"""

from __future__ import annotations

__all__ = ["from_torch", "to_onnx", "to_torch"]


def _bridge():
    try:
        from . import torch_bridge
    except ImportError as exc:
        from ..errors import ConfigError

        raise ConfigError(
            "to_torch/from_torch need PyTorch, which is not installed: pip install torch "
            "(the CPU build is enough)."
        ) from exc
    return torch_bridge


def to_torch(model, *, scaler=None):
    """A ``torch.nn.Sequential`` with copies of ``model``'s weights (see ``torch_bridge``);
    ``scaler`` (a model file's input standardisation) is folded in: raw inputs in."""
    return _bridge().to_torch(model, scaler=scaler)


def from_torch(module):
    """A backprop ``nn.Sequential`` with copies of ``module``'s weights (see ``torch_bridge``)."""
    return _bridge().from_torch(module)


def to_onnx(model, path, *, opset: int | None = None, **kwargs):
    """Write ``model`` as an ONNX file at ``path`` (see ``onnx_export.to_onnx``)."""
    from .onnx_export import to_onnx as _to_onnx

    return _to_onnx(model, path, opset=opset, **kwargs)
