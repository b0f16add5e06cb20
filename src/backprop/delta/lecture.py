"""The lecture's own small networks, built exactly as the slides draw them (floor 3).

- ``scalar_network``: "Back Propagation: Scalar Example" — three layers of one unit each,
  no biases, f[l] = W[l] a[l−1], g[1] = g[2] = sigmoid, g[3] = identity.
- ``vector_network``: "Back Propagation: Vector Example" — two units in each hidden layer
  (W[1], W[2] are 2 × 2 and W[3] is 2 × 1), no biases, sigmoid hidden units.
- ``abs_network``: "Neural Network for ŷ = |x − 1|" — g[1] = ReLU, g[2] = identity, weights set
  so that ŷ = max(0, x − 1) + max(0, 1 − x) exactly.

The examples, the CLI's ``explain`` and the tests build them from here. Weights are set in
the lecture's orientation and stored in PyTorch's (``Linear.weight`` = W[l]ᵀ).
"""

from __future__ import annotations

import numpy as np

SCALAR_WEIGHTS = (0.8, -1.3, 0.7)  # W[1], W[2], W[3]


def _set(linear, W, b=None) -> None:
    """Set a Linear from the lecture's W[l] (n[l−1] × n[l]) and b[l]."""
    linear.weight._data[...] = np.asarray(W, dtype=linear.weight._data.dtype).T
    if b is not None:
        linear.bias._data[...] = b


def scalar_network(weights=SCALAR_WEIGHTS):
    """The scalar example: 1 → 1 → 1 → 1, sigmoid, sigmoid, identity, no biases (float64)."""
    from .. import nn

    layers = []
    for w, g in zip(weights, (nn.Sigmoid(), nn.Sigmoid(), nn.Identity())):
        linear = nn.Linear(1, 1, bias=False).double()
        _set(linear, [[w]])
        layers += [linear, g]
    return nn.Sequential(*layers)


def vector_network(seed: int = 0):
    """The vector example: 2 → 2 → 2 → 1, sigmoid hidden units, no biases (float64).

    Weights are drawn from the seed (the slides leave them symbolic).
    """
    import backprop as bp

    from .. import nn

    bp.manual_seed(seed)
    return nn.Sequential(
        nn.Linear(2, 2, bias=False),
        nn.Sigmoid(),
        nn.Linear(2, 2, bias=False),
        nn.Sigmoid(),
        nn.Linear(2, 1, bias=False),
    ).double()


def abs_network():
    """ŷ = max(0, x − 1) + max(0, 1 − x) = |x − 1|, from two ReLUs (float64).

    W[1] = [1, −1] (1 × 2), b[1] = [−1, 1]; W[2] = [1, 1]ᵀ (2 × 1), b[2] = 0.
    """
    from .. import nn

    model = nn.Sequential(nn.Linear(1, 2), nn.ReLU(), nn.Linear(2, 1)).double()
    _set(model[0], [[1.0, -1.0]], [-1.0, 1.0])
    _set(model[2], [[1.0], [1.0]], [0.0])
    return model
