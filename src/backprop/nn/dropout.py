"""``nn.Dropout`` and ``F.dropout``: zero each element with probability p while training.

In training, ``out = x · m`` with ``m = b / (1 − p)`` and b ~ Bernoulli(1 − p) per element,
so the expected output equals the input; in evaluation (``model.eval()``, or
``training=False``) the input passes unchanged. The mask comes from the random floor's
``dropout_mask``, which draws torch's bits from the same generator (``manual_seed`` makes
masks reproducible and equal to torch's). Like torch: p = 0 returns the input itself, p = 1
multiplies by zeros (no draw), and the gradient is the same mask (a ``MulBackward0`` node).
"""

from __future__ import annotations

import numpy as np

from ..autograd.tensor import Tensor
from ..errors import ConfigError, DTypeError
from .module import Module

__all__ = ["Dropout", "dropout"]


def _check_p(p, who: str) -> float:
    if isinstance(p, bool) or not isinstance(p, int | float) or not 0.0 <= p <= 1.0:
        raise ConfigError(
            f"{who}: dropout probability has to be between 0 and 1, but got {p!r}; p is the "
            "chance of zeroing each element (0.5 is the usual choice)."
        )
    return float(p)


def _mask(shape: tuple, p: float, dtype: np.dtype, generator=None) -> np.ndarray:
    from ..autograd import random as _random

    draw = getattr(_random, "dropout_mask", None)
    if draw is not None:
        return draw(shape, p, dtype, generator=generator)
    # until the random floor offers torch's mask: Bernoulli(1 − p) from the same generator
    keep = _random.rng(generator).random(shape) < 1.0 - p
    return keep.astype(dtype) / dtype.type(1.0 - p)


def dropout(input, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: A002
    """``input · mask`` in training (mask 0 with probability p, else 1/(1 − p)); ``input``
    unchanged otherwise. ``inplace=True`` writes the result into ``input``."""
    p = _check_p(p, "dropout")
    if not isinstance(input, Tensor):
        raise DTypeError(
            f"dropout(): argument 'input' must be a Tensor, got {type(input).__name__}."
        )
    if not training or p == 0.0:
        return input
    x = input._data
    if x.dtype.kind != "f":
        raise DTypeError(
            f"dropout: input must be a floating point tensor, got dtype {x.dtype}; convert it "
            "with .float()."
        )
    mask = np.zeros(x.shape, dtype=x.dtype) if p == 1.0 else _mask(x.shape, p, x.dtype)
    m = Tensor._wrap(mask)
    return input.mul_(m) if inplace else input * m


class Dropout(Module):
    """Zeroes each element with probability ``p`` in training mode, scaling the rest by
    1/(1 − p); the identity in eval mode. Input and output shapes are equal (any shape).

    Examples:
        >>> import backprop as bp
        >>> from backprop import nn
        >>> _ = bp.manual_seed(0)
        >>> drop = nn.Dropout(p=0.5)
        >>> drop(bp.ones(6))  # kept units scaled by 1/(1 − p)
        tensor([0., 0., 2., 0., 0., 0.])
        >>> drop.eval()
        Dropout(p=0.5, inplace=False)
        >>> drop(bp.ones(6))  # evaluation: nothing dropped
        tensor([1., 1., 1., 1., 1., 1.])
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        _check_p(p, "Dropout")
        self.p = p
        self.inplace = inplace

    def forward(self, input):  # noqa: A002
        return dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
