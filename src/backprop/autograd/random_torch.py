"""``torch.random`` as scripts reach it: ``backprop.random.manual_seed``, ``fork_rng``, ...

The face of ``autograd.random`` under PyTorch's module name. ``default_generator`` here is the
global generator object itself (as ``torch.random.default_generator`` is), where
``autograd.random.default_generator()`` is the function the library's own code calls.
"""

from __future__ import annotations

import contextlib

from .random import (
    Generator,
    _default,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)

default_generator = _default

__all__ = [
    "Generator", "default_generator", "fork_rng", "get_rng_state", "initial_seed",
    "manual_seed", "seed", "set_rng_state",
]  # fmt: skip


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices",
             device_type="cpu"):  # fmt: skip
    """Run a block with the global stream forked: its state is put back afterwards."""
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)
