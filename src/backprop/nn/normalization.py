"""Normalisation layers: ``BatchNorm1d`` (and ``BatchNorm2d``), ``LayerNorm``, and their
function forms ``F.batch_norm`` and ``F.layer_norm``.

Both standardise ``x`` over some axes S and apply a learned affine map:
``x̂ = (x − μ_S) / √(σ²_S + ε)``, ``y = γ·x̂ + β``. Batch norm takes S = every axis but the
channel axis 1 (statistics of the batch, per feature); layer norm takes S = the last
``len(normalized_shape)`` axes (statistics of each sample). σ² is the biased variance.
Backward is one node with the closed form
``∂E/∂x = (1/σ)·(ĝ − mean_S ĝ − x̂·mean_S(ĝ·x̂))``, ĝ = γ·∂E/∂y,
and ``∂E/∂γ = Σ ∂E/∂y·x̂``, ``∂E/∂β = Σ ∂E/∂y``; statistics are formed in float64.

Batch norm keeps running estimates for evaluation, as PyTorch does: in training
``running = (1 − m)·running + m·batch`` with the *unbiased* batch variance (m = momentum; a
cumulative average 1/num_batches_tracked when momentum is None); ``eval()`` normalises with
them. The buffers ``running_mean``, ``running_var`` and ``num_batches_tracked`` are in the
state dict under torch's keys.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..autograd import dtypes as _dt
from ..autograd.factories import ones, tensor, zeros
from ..autograd.node import Node
from ..autograd.tensor import Tensor, apply_op
from ..errors import ConfigError, DTypeError, ShapeError
from .module import Module, Parameter

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm", "batch_norm", "layer_norm"]


class _NormBackward(Node):
    """y = x̂·γ + β with x̂ = (x − μ)·s; μ, s given (batch or running statistics)."""

    __slots__ = ("axes", "batch_stats", "bshape", "kind", "wshape")
    saved_inputs = (1,)

    def name(self) -> str:
        return self.kind

    def forward(self, x, w, b, *, mean, invstd, axes, wshape, batch_stats, kind):
        self.axes, self.wshape, self.batch_stats, self.kind = axes, wshape, batch_stats, kind
        xhat = ((x - mean) * invstd).astype(x.dtype, copy=False)
        out = xhat if w is None else xhat * w.reshape(wshape)
        if b is not None:
            out = out + b.reshape(wshape)
        self.saved = (xhat, invstd.astype(x.dtype), w)
        self.bshape = None if b is None else b.shape
        return out if out is not xhat else xhat.copy()

    def backward(self, g):
        xhat, invstd, w = self.saved
        need = self.needs_input_grad
        gx = gw = gb = None
        param_axes = tuple(i for i, d in enumerate(self.wshape) if d == 1)
        if need[0]:
            gh = g if w is None else g * w.reshape(self.wshape)
            if self.batch_stats:
                m1 = gh.mean(axis=self.axes, keepdims=True)
                m2 = (gh * xhat).mean(axis=self.axes, keepdims=True)
                gx = invstd * (gh - m1 - xhat * m2)
            else:
                gx = gh * invstd
        if len(need) > 1 and need[1]:
            gw = (g * xhat).sum(axis=param_axes).reshape(w.shape)
        if len(need) > 2 and need[2]:
            gb = g.sum(axis=param_axes).reshape(self.bshape)
        return gx, gw, gb


def _stats(x: np.ndarray, axes: tuple, eps: float):
    x64 = x.astype(np.float64, copy=False)
    mean = x64.mean(axis=axes, keepdims=True)
    var = ((x64 - mean) ** 2).mean(axis=axes, keepdims=True)
    return mean, var, 1.0 / np.sqrt(var + eps)


def _apply(x, w, b, mean, invstd, axes, wshape, batch_stats, kind):
    params = [x, w, b]
    arrays = [None if t is None else t._data for t in params]
    return apply_op(
        _NormBackward,
        tuple(params),
        arrays=arrays,
        mean=mean,
        invstd=invstd,
        axes=axes,
        wshape=wshape,
        batch_stats=batch_stats,
        kind=kind,
    )


def _floating(x, who: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise DTypeError(f"{who}: input must be a Tensor, got {type(x).__name__}.")
    if not x.is_floating_point():
        raise DTypeError(
            f"{who}: input must be a floating point tensor, got {x.dtype!r}; use .float()."
        )
    return x


def batch_norm(
    input,  # noqa: A002 - PyTorch's name
    running_mean,
    running_var,
    weight=None,
    bias=None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel (axis 1) over the batch (and any axes after the channel).

    ``training=True`` uses the batch's statistics and, when given, updates ``running_mean``
    and ``running_var`` in place (unbiased variance); otherwise the running ones are used.
    """
    x = _floating(input, "batch_norm")
    if x.ndim < 2:
        raise ShapeError(
            f"batch_norm: input must have a batch and a channel axis (N, C, ...), got shape "
            f"{list(x.shape)}."
        )
    channels = x.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and t.numel() != channels:
            raise ShapeError(
                f"batch_norm: {name} should contain {channels} elements not {t.numel()} (one "
                "per channel, the input's axis 1)."
            )
    axes = (0, *range(2, x.ndim))
    wshape = (1, channels) + (1,) * (x.ndim - 2)
    data = x._data
    if training:
        count = data.size // max(channels, 1)
        if count <= 1:
            raise ConfigError(
                f"batch_norm: Expected more than 1 value per channel when training, got input "
                f"size {list(x.shape)}; use a batch of 2 or more, or call model.eval()."
            )
        mean, var, invstd = _stats(data, axes, eps)
        if running_mean is not None or running_var is not None:
            _update(running_mean, running_var, mean, var, count, momentum)
    else:
        if running_mean is None or running_var is None:
            raise ConfigError(
                "batch_norm: running_mean and running_var are needed when training=False; "
                "pass them, or training=True to use the batch's statistics."
            )
        mean = running_mean._data.astype(np.float64).reshape(wshape)
        invstd = 1.0 / np.sqrt(running_var._data.astype(np.float64).reshape(wshape) + eps)
    return _apply(x, weight, bias, mean, invstd, axes, wshape, training, "NativeBatchNormBackward0")


def _update(running_mean, running_var, mean, var, count, momentum) -> None:
    m = float(momentum)
    if running_mean is not None:
        rm = running_mean._data
        rm[...] = (1 - m) * rm + m * mean.reshape(rm.shape)
        running_mean._bump_version()
    if running_var is not None:
        rv = running_var._data
        unbiased = var.reshape(rv.shape) * (count / (count - 1))
        rv[...] = (1 - m) * rv + m * unbiased
        running_var._bump_version()


def layer_norm(input, normalized_shape, weight=None, bias=None, eps: float = 1e-5) -> Tensor:  # noqa: A002
    """Normalise each sample over its last ``len(normalized_shape)`` axes."""
    x = _floating(input, "layer_norm")
    shape = _shape(normalized_shape, "layer_norm")
    k = len(shape)
    if x.ndim < k or tuple(x.shape[x.ndim - k :]) != shape:
        raise ShapeError(
            f"layer_norm: Given normalized_shape={list(shape)}, expected input with shape "
            f"[*, {', '.join(map(str, shape))}], but got input of size{list(x.shape)}."
        )
    axes = tuple(range(x.ndim - k, x.ndim))
    wshape = (1,) * (x.ndim - k) + shape
    mean, _, invstd = _stats(x._data, axes, eps)
    return _apply(x, weight, bias, mean, invstd, axes, wshape, True, "NativeLayerNormBackward0")


def _shape(normalized_shape, who: str) -> tuple:
    if isinstance(normalized_shape, numbers.Integral):
        normalized_shape = (normalized_shape,)
    try:
        shape = tuple(int(d) for d in normalized_shape)
    except TypeError:
        raise ConfigError(
            f"{who}: normalized_shape must be an int or a sequence of ints, got "
            f"{normalized_shape!r}."
        ) from None
    if not shape:
        raise ConfigError(f"{who}: normalized_shape must not be empty.")
    return shape


def _float_dtype(dtype, who: str) -> _dt.dtype:
    dtype = _dt.get_default_dtype() if dtype is None else _dt.to_dtype(dtype)
    if not dtype.is_floating_point:
        raise DTypeError(f"{who}: dtype must be floating point, got {dtype!r}.")
    return dtype


class _BatchNorm(Module):
    """Batch normalisation over the channel axis 1; subclasses say which ranks they take."""

    ranks: tuple = ()

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device=None,
        dtype=None,
        bias: bool = True,
    ) -> None:
        super().__init__()
        who = type(self).__name__
        if isinstance(num_features, bool) or not isinstance(num_features, int) or num_features < 1:
            raise ConfigError(
                f"{who}: num_features must be a positive whole number, got {num_features!r}."
            )
        _dt.check_device(device)
        dtype = _float_dtype(dtype, who)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.has_bias = bool(affine and bias)
        if affine:
            self.weight = Parameter(ones(num_features, dtype=dtype))
        else:
            self.register_parameter("weight", None)
        if self.has_bias:
            self.bias = Parameter(zeros(num_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", tensor(0, dtype=_dt.int64))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean._data[...] = 0
            self.running_var._data[...] = 1
            self.num_batches_tracked._data[...] = 0

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            self.weight._data[...] = 1
            if self.bias is not None:
                self.bias._data[...] = 0

    def forward(self, input):  # noqa: A002
        x = _floating(input, type(self).__name__)
        if x.ndim not in self.ranks:
            wanted = " or ".join(f"{r}D" for r in self.ranks)
            raise ShapeError(
                f"{type(self).__name__}: expected {wanted} input (got {x.ndim}D input) of shape "
                f"(N, {self.num_features}{', L' if 3 in self.ranks else ', H, W'})."
            )
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked._data[...] += 1
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked._data)
        use_batch = self.training or not self.track_running_stats
        tracking = self.training and self.track_running_stats
        return batch_norm(
            x,
            self.running_mean if tracking or not use_batch else None,
            self.running_var if tracking or not use_batch else None,
            self.weight,
            self.bias,
            use_batch,
            factor,
            self.eps,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.has_bias}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch norm for (N, C) rows of features or (N, C, L) sequences; C = num_features.

    Examples:
        >>> import backprop as bp
        >>> from backprop import nn
        >>> bn = nn.BatchNorm1d(2)
        >>> x = bp.tensor([[1.0, 10.0], [3.0, 30.0]])
        >>> bn(x)  # each column to mean 0, variance 1
        tensor([[-1.0000, -1.0000],
                [ 1.0000,  1.0000]], grad_fn=<NativeBatchNormBackward0>)
        >>> bn.running_mean  # 0.9·0 + 0.1·batch mean
        tensor([0.2000, 2.0000])
    """

    ranks = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch norm for (N, C, H, W) inputs, per channel C.

    Examples:
        >>> import backprop as bp
        >>> from backprop import nn
        >>> bn = nn.BatchNorm2d(3)
        >>> x = bp.arange(24.0).reshape(2, 3, 2, 2)
        >>> y = bn(x)
        >>> y.mean(dim=(0, 2, 3)).abs().max() < 1e-6
        tensor(True)
        >>> bn.running_mean
        tensor([0.7500, 1.1500, 1.5500])
    """

    ranks = (4,)


class LayerNorm(Module):
    """Normalise each sample over its last dims ``normalized_shape``, then γ·x̂ + β
    (γ, β of shape ``normalized_shape`` when ``elementwise_affine``).

    Examples:
        >>> import backprop as bp
        >>> from backprop import nn
        >>> ln = nn.LayerNorm(3)
        >>> x = bp.tensor([[1.0, 2.0, 3.0], [10.0, 20.0, 30.0]])
        >>> ln(x)  # each row to mean 0, variance 1
        tensor([[-1.2247,  0.0000,  1.2247],
                [-1.2247,  0.0000,  1.2247]], grad_fn=<NativeLayerNormBackward0>)
    """

    def __init__(
        self,
        normalized_shape,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        _dt.check_device(device)
        dtype = _float_dtype(dtype, "LayerNorm")
        self.normalized_shape = _shape(normalized_shape, "LayerNorm")
        self.eps, self.elementwise_affine = eps, elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(ones(*self.normalized_shape, dtype=dtype))
        else:
            self.register_parameter("weight", None)
        if elementwise_affine and bias:
            self.bias = Parameter(zeros(*self.normalized_shape, dtype=dtype))
        else:
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        if self.weight is not None:
            self.weight._data[...] = 1
        if self.bias is not None:
            self.bias._data[...] = 0

    def forward(self, input):  # noqa: A002
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}"
        )
