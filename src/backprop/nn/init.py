"""Weight initialisers (``nn.init``) with PyTorch's formulas and names.

Each ``*_`` function fills a tensor in place under ``no_grad`` and returns it; the random
ones take ``generator=`` (a ``backprop.Generator`` or ``numpy.random.Generator``) and
otherwise draw from the global stream that ``backprop.manual_seed`` seeds. The formulas are
PyTorch's documented ones (Glorot & Bengio 2010, He et al. 2015), computed in the same order
in Python floats, and the draws are PyTorch's (``autograd.random``): after the same seed the
filled tensors equal PyTorch's bit for bit (``manual_seed(0); nn.Linear(3, 4).weight``).
With a ``numpy.random.Generator`` the distributions match but the numbers are NumPy's. This
module does not choose an initialiser for a layer: ``Linear.reset_parameters`` does.
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor
from ..errors import ConfigError, DTypeError, ShapeError

__all__ = [
    "calculate_gain",
    "constant_",
    "eye_",
    "kaiming_normal_",
    "kaiming_uniform_",
    "normal_",
    "ones_",
    "orthogonal_",
    "sparse_",
    "trunc_normal_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]

_LINEAR_FNS = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
)


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The recommended gain for an activation, by which init scales its standard deviation.

    ======================  ==========================
    nonlinearity            gain
    ======================  ==========================
    linear / conv / sigmoid 1
    tanh                    5/3
    relu                    √2
    leaky_relu              √(2 / (1 + slope²))  (slope = ``param``, default 0.01)
    selu                    3/4
    ======================  ==========================
    """
    if nonlinearity in _LINEAR_FNS or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, numbers.Number) and not isinstance(param, bool):
            slope = param
        else:
            raise ConfigError(
                f"calculate_gain: negative_slope {param!r} is not a valid number; pass e.g. 0.01."
            )
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ConfigError(
        f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; choose one of linear, "
        "sigmoid, tanh, relu, leaky_relu, selu (or a conv name)."
    )


def _check_tensor(tensor, who: str) -> Tensor:
    if not isinstance(tensor, Tensor):
        raise DTypeError(f"{who}: expected a Tensor to fill, got {type(tensor).__name__}.")
    return tensor


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight of shape ``(out, in, *kernel)``.

    fan_in = in · ∏kernel, fan_out = out · ∏kernel. A Linear weight ``(out, in)`` gives
    ``(in, out)``.
    """
    shape = tuple(_check_tensor(tensor, "fan computation").shape)
    if len(shape) < 2:
        raise ShapeError(
            f"Fan in and fan out can not be computed for a tensor with fewer than 2 dimensions "
            f"(got shape {list(shape)}); use uniform_/normal_ with explicit bounds for biases."
        )
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ConfigError(f"mode {mode!r} not supported; use one of 'fan_in', 'fan_out'.")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """Fill with draws from U(a, b)."""
    with no_grad():
        return _check_tensor(tensor, "uniform_").uniform_(a, b, generator=generator)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """Fill with draws from N(mean, std²)."""
    with no_grad():
        return _check_tensor(tensor, "normal_").normal_(mean, std, generator=generator)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with the value ``val``."""
    with no_grad():
        return _check_tensor(tensor, "constant_").fill_(val)


def zeros_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot uniform: U(−a, a) with a = gain · √(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot normal: N(0, std²) with std = gain · √(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def _kaiming_std(tensor, a, mode, nonlinearity, who) -> float | None:
    if 0 in tuple(_check_tensor(tensor, who).shape):
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return None
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator=None,
) -> Tensor:
    """He uniform: U(−b, b) with b = gain · √(3 / fan), gain = ``calculate_gain(nonlinearity, a)``.

    ``a`` is the negative slope of a following leaky ReLU; ``mode`` picks fan_in (keeps the
    forward variance) or fan_out (keeps the backward variance). ``Linear`` uses a = √5,
    which gives b = 1/√fan_in.
    """
    std = _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_uniform_")
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator=None,
) -> Tensor:
    """He normal: N(0, std²) with std = gain / √fan."""
    std = _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_normal_")
    if std is None:
        return tensor
    return normal_(tensor, 0.0, std, generator)


def _norm_cdf(x: float) -> float:
    return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0


def trunc_normal_(
    tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
    generator=None,
) -> Tensor:  # fmt: skip
    """N(mean, std²) restricted to [a, b], by PyTorch 2.13's rejection sampling.

    When the interval holds more than 30 % of the mass: draw the whole tensor from the
    normal, then redraw the whole tensor again and keep the new values where the old ones
    fell outside, until none does (the same draws as PyTorch, so the same bits). Otherwise:
    uniform candidates on [a, b], accepted where ``log u <= -(x - mean)²/(2 std²) - peak``
    (the comparison uses float32 ``log``, which may differ from PyTorch's by an ulp).
    """
    from ..autograd.random_factories import fill_normal, fill_uniform

    arr = _check_tensor(tensor, "trunc_normal_")._data
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn(
            "mean is more than 2 std from [a, b] in nn.init.trunc_normal_; the values' "
            "distribution may be off.",
            stacklevel=2,
        )
    kind = arr.dtype.type
    with no_grad():
        if _norm_cdf((b - mean) / std) - _norm_cdf((a - mean) / std) > 0.3:
            lo, hi = float(kind(a)), float(kind(b))
            result = fill_normal(arr, mean, std, generator, "trunc_normal_")
            while ((result < lo) | (result > hi)).any():
                outside = (result < lo) | (result > hi)
                fresh = fill_normal(arr, mean, std, generator, "trunc_normal_")
                result = np.where(outside, fresh, result)
        else:
            peak = -0.5 * ((max(a, min(mean, b)) - mean) / std) ** 2

            def log_pdf(x):
                z = (x - kind(mean)) / kind(std)
                return (z * z) * kind(-0.5) - kind(peak)

            result = fill_uniform(arr, a, b, generator, "trunc_normal_")
            with np.errstate(divide="ignore"):
                u = np.log(fill_uniform(arr, 0.0, 1.0, generator, "trunc_normal_"))
            pending = u > log_pdf(result)
            while pending.any():
                candidates = fill_uniform(arr, a, b, generator, "trunc_normal_")
                result = np.where(pending, candidates, result)
                with np.errstate(divide="ignore"):
                    u = np.log(fill_uniform(arr, 0.0, 1.0, generator, "trunc_normal_"))
                pending = np.where(pending, u > log_pdf(candidates), pending)
        tensor._fill_random(result.astype(arr.dtype, copy=False), "trunc_normal_")
    return tensor


def orthogonal_(tensor: Tensor, gain: float = 1, generator=None) -> Tensor:
    """A (semi-)orthogonal matrix from the QR factorisation of a normal one (Saxe et al.).

    The normal draws are PyTorch's; the factorisation is LAPACK's through NumPy, so the
    values equal PyTorch's to rounding, not to the bit.
    """
    from ..autograd.random_factories import fill_normal

    shape = tuple(_check_tensor(tensor, "orthogonal_").shape)
    if len(shape) < 2:
        raise ShapeError(
            f"orthogonal_: only tensors with 2 or more dimensions are supported, got shape "
            f"{list(shape)}."
        )
    if 0 in shape:
        return tensor
    rows = shape[0]
    cols = math.prod(shape) // rows
    flat = fill_normal(np.empty((rows, cols), tensor._data.dtype), 0.0, 1.0, generator,
                       "orthogonal_")  # fmt: skip
    wide = rows < cols
    q, r = np.linalg.qr(flat.T if wide else flat)
    q = q * np.sign(np.diag(r))
    q = q.T if wide else q
    with no_grad():
        tensor._fill_random((q * gain).reshape(shape).astype(tensor._data.dtype), "orthogonal_")
    return tensor


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator=None) -> Tensor:
    """N(0, std²) with ``ceil(sparsity · rows)`` zeros in every column (Martens 2010).

    As in PyTorch, the zeros' rows come from ``randperm`` on the *global* stream, whatever
    ``generator`` the normal values were drawn from.
    """
    from ..autograd.factories import randperm

    shape = tuple(_check_tensor(tensor, "sparse_").shape)
    if len(shape) != 2:
        raise ShapeError(f"sparse_: only 2-dimensional tensors are supported, got {list(shape)}.")
    rows, cols = shape
    zeros = math.ceil(sparsity * rows)
    normal_(tensor, 0.0, std, generator)
    with no_grad():
        values = tensor._data.copy()
        for col in range(cols):
            values[randperm(rows)._data[:zeros], col] = 0
        tensor._fill_random(values, "sparse_")
    return tensor


def eye_(tensor: Tensor) -> Tensor:
    """The identity matrix (ones on the diagonal of a 2-D tensor), keeping the tensor's dtype."""
    shape = tuple(_check_tensor(tensor, "eye_").shape)
    if len(shape) != 2:
        raise ShapeError(f"eye_: only 2-dimensional tensors are supported, got {list(shape)}.")
    with no_grad():
        tensor._fill_random(np.eye(*shape, dtype=tensor._data.dtype), "eye_")
    return tensor
