"""Random state: PyTorch's CPU generator, bit for bit, behind every random factory (floor 1).

``manual_seed(s)`` seeds the same 32-bit Mersenne twister PyTorch 2.13 seeds, and the random
factories (``rand``, ``randn``, ``randint``, ``randperm``, ``normal``, ``bernoulli``,
``multinomial``, the in-place ``uniform_``/``normal_``/``random_``/``bernoulli_``/
``exponential_``, dropout masks, ``nn.init``) draw from it with PyTorch's transforms
(``random_draws``), so a seeded script prints the numbers its author saw with PyTorch.

The decision for internal users. Code of ours that wants a NumPy generator (``rng()``) gets
``numpy.random.Generator`` over *the same* twister (``Generator.np``): one stream, as in a
PyTorch script, so a draw anywhere moves it and ``get_state``/``set_state`` capture it all
(backups save it for a bit-identical resume). NumPy's methods on it (``permutation``,
``normal``) are NumPy's algorithms, not PyTorch's: only the factories listed above promise
PyTorch's numbers. The training loop's shuffles, data sets and estimators keep their own
``np.random.default_rng(seed)`` streams, untouched by this module, so their numbers did not
change. ``get_state()`` is PyTorch's 5056-byte layout (the byte values in an int64 tensor,
since backprop has no uint8): states move between the two libraries. A
``numpy.random.Generator`` passed as ``generator=`` still works and draws with NumPy's
algorithms.
"""

from __future__ import annotations

import os

import numpy as np

from ..errors import ConfigError
from .random_engine import Engine, as_state_bytes, state_problem

__all__ = [
    "Generator", "default_generator", "dropout_mask", "engine_of", "get_rng_state",
    "initial_seed", "manual_seed", "rng", "seed", "set_rng_state", "state_problem",
]  # fmt: skip


class Generator:
    """A seedable random stream, like ``torch.Generator`` (CPU only).

    Examples:
        >>> import backprop as bp
        >>> g = bp.Generator().manual_seed(42)
        >>> bp.rand(3, generator=g)
        tensor([0.8823, 0.9150, 0.3829])
        >>> g.initial_seed()
        42
    """

    def __init__(self, device="cpu") -> None:
        if str(device) != "cpu":
            raise ConfigError(
                f"Generator: device must be 'cpu', got {device!r}; backprop runs on the CPU."
            )
        self.device = "cpu"
        self._engine = Engine()
        self._np = None

    def manual_seed(self, seed) -> Generator:
        self._engine.reseed(_check_seed(seed))
        return self

    def seed(self) -> int:
        """Seed from fresh entropy; returns the seed (as ``torch.Generator.seed``)."""
        value = int.from_bytes(os.urandom(8), "little")
        self._engine.reseed(value)
        return value

    def initial_seed(self) -> int:
        return self._engine.seed

    def get_state(self):
        """PyTorch's state layout: 5056 bytes (as int64 values; PyTorch's tensor is uint8)."""
        from .tensor import Tensor

        return Tensor._wrap(self._engine.state_bytes().astype(np.int64))

    def set_state(self, new_state) -> Generator:
        self._engine.load_bytes(as_state_bytes(new_state, "Generator.set_state"))
        return self

    def clone_state(self) -> Generator:
        return Generator().set_state(self.get_state())

    @property
    def np(self) -> np.random.Generator:
        """A NumPy generator drawing from this same twister (NumPy's algorithms)."""
        if self._np is None:
            self._np = np.random.Generator(self._engine.bits)
        self._engine.fresh = False  # any NumPy draw moves the twister
        return self._np

    def __repr__(self) -> str:
        return "<backprop.Generator(device='cpu')>"


def _check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        try:
            value = int(seed)
        except (TypeError, ValueError):
            raise ConfigError(
                f"seed: must be a whole number, got {seed!r}; pass e.g. manual_seed(0)."
            ) from None
        if value != seed:
            raise ConfigError(f"seed: must be a whole number, got {seed!r}.")
    value = int(seed)
    if not -(2**63) <= value < 2**64:
        raise ConfigError(
            f"seed: must lie in [-2**63, 2**64), got {value}; PyTorch's range for seeds."
        )
    return value % 2**64  # PyTorch maps negative seeds into the unsigned range too


_default = Generator()
_default.seed()  # like PyTorch: the global stream starts from fresh entropy; Generator() does not


def manual_seed(seed) -> Generator:
    """Seed the global generator; every later random call becomes reproducible.

    Examples:
        >>> import backprop as bp
        >>> _ = bp.manual_seed(0)
        >>> a = bp.randn(3)
        >>> _ = bp.manual_seed(0)
        >>> bp.equal(a, bp.randn(3))  # same seed, same numbers
        True
        >>> a
        tensor([ 1.5410, -0.2934, -2.1788])
    """
    return _default.manual_seed(seed)


def seed() -> int:
    """Seed the global generator from fresh entropy; returns the seed.

    Examples:
        >>> import backprop as bp
        >>> s = bp.seed()
        >>> s == bp.initial_seed()
        True
    """
    return _default.seed()


def initial_seed() -> int:
    """The seed the global generator was last seeded with.

    Examples:
        >>> import backprop as bp
        >>> _ = bp.manual_seed(7)
        >>> bp.initial_seed()
        7
    """
    return _default.initial_seed()


def default_generator() -> Generator:
    """The global generator (``backprop.default_generator`` is the object itself)."""
    return _default


def get_rng_state():
    """The global generator's state, to give back to ``set_rng_state`` later.

    Examples:
        >>> import backprop as bp
        >>> state = bp.get_rng_state()
        >>> a = bp.rand(2)
        >>> bp.set_rng_state(state)
        >>> bp.equal(bp.rand(2), a)
        True
    """
    return _default.get_state()


def set_rng_state(new_state) -> None:
    """Restore the global generator to a state ``get_rng_state`` returned.

    Examples:
        >>> import backprop as bp
        >>> state = bp.get_rng_state()
        >>> a = bp.rand(2)
        >>> bp.set_rng_state(state)  # replay the same draws
        >>> bp.equal(bp.rand(2), a)
        True
    """
    _default.set_state(new_state)


def engine_of(generator=None):
    """The twister to draw from, or None for a ``numpy.random.Generator`` (NumPy draws)."""
    if generator is None:
        return _default._engine
    if isinstance(generator, Generator):
        return generator._engine
    if isinstance(generator, np.random.Generator):
        return None
    raise ConfigError(
        f"generator: expected a backprop.Generator or numpy.random.Generator, got "
        f"{type(generator).__name__}."
    )


def rng(generator=None) -> np.random.Generator:
    """The NumPy generator to draw from: ``generator``'s, or the global one."""
    if isinstance(generator, np.random.Generator):
        return generator
    if generator is None:
        return _default.np
    if isinstance(generator, Generator):
        return generator.np
    return engine_of(generator)  # raises the error for anything else


def dropout_mask(shape, p: float, dtype, generator=None) -> np.ndarray:
    """PyTorch's CPU dropout noise for an input of ``shape`` and ``dtype``.

    ``noise = empty_like(x).bernoulli_(1 - p); noise.div_(1 - p)``: an array of zeros and
    ``1 / (1 - p)`` (in ``dtype``), so ``x * noise`` is ``F.dropout(x, p)``. Call it only
    for ``0 < p < 1`` in training mode (PyTorch draws nothing otherwise).
    """
    from .random_draws import dropout_keep

    if isinstance(p, bool) or not 0.0 < float(p) < 1.0:
        raise ConfigError(f"dropout_mask: p must lie strictly between 0 and 1, got {p!r}.")
    shape = tuple(int(d) for d in shape)
    n = int(np.prod(shape, dtype=np.int64))
    dtype = np.dtype(dtype)
    engine = engine_of(generator)
    if engine is None:
        keep = rng(generator).random(n) < 1.0 - p
    else:
        keep = dropout_keep(engine, n, float(p))
    return (keep.astype(dtype) / dtype.type(1.0 - p)).reshape(shape)
