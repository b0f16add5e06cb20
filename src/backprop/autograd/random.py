"""Random state: one seeded NumPy generator behind every random factory (floor 1).

``manual_seed(s)`` makes every later ``randn``, ``rand``, ``randint``, initialiser and
shuffle reproducible. The stream is NumPy's PCG64, not PyTorch's Mersenne twister, so the
same seed gives different numbers from PyTorch; it gives the same numbers in backprop every
time. Functions that take a ``generator=`` accept a ``backprop.Generator`` or a
``numpy.random.Generator`` for randomness independent of the global state.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError


class Generator:
    """A seedable random stream, like ``torch.Generator``."""

    def __init__(self, device="cpu") -> None:
        self._seed = int(np.random.SeedSequence().entropy % (2**63))
        self.np = np.random.default_rng(self._seed)

    def manual_seed(self, seed: int) -> Generator:
        self._seed = _check_seed(seed)
        self.np = np.random.default_rng(self._seed)
        return self

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict:
        return self.np.bit_generator.state

    def set_state(self, state: dict) -> None:
        self.np.bit_generator.state = state


_default = Generator()


def _check_seed(seed) -> int:
    try:
        value = int(seed)
    except (TypeError, ValueError):
        raise ConfigError(
            f"seed: must be a whole number, got {seed!r}; pass e.g. manual_seed(0)."
        ) from None
    if value < 0:
        value %= 2**64  # PyTorch maps negative seeds into the unsigned range too
    return value


def manual_seed(seed: int) -> Generator:
    """Seed the global generator; every later random call becomes reproducible."""
    return _default.manual_seed(seed)


def seed() -> int:
    """Seed the global generator from fresh entropy; returns the seed."""
    s = int(np.random.SeedSequence().entropy % (2**63))
    _default.manual_seed(s)
    return s


def initial_seed() -> int:
    return _default.initial_seed()


def default_generator() -> Generator:
    return _default


def rng(generator=None) -> np.random.Generator:
    """The NumPy generator to draw from: ``generator``'s, or the global one."""
    if generator is None:
        return _default.np
    if isinstance(generator, Generator):
        return generator.np
    if isinstance(generator, np.random.Generator):
        return generator
    raise ConfigError(
        f"generator: expected a backprop.Generator or numpy.random.Generator, got "
        f"{type(generator).__name__}."
    )
