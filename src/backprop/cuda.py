"""``backprop.cuda``: what ``torch.cuda`` answers on a machine without a GPU, so scripts that
ask (``device = "cuda" if torch.cuda.is_available() else "cpu"``) take their CPU branch.

``is_available()`` is False and ``device_count()`` 0; the seeding functions do nothing (they
seed no CPU stream either, as in torch); ``empty_cache`` does nothing. Anything that needs a
GPU (``current_device``, ``get_device_name``, ``synchronize``, ``set_device``) raises a
``DeviceError``, an out-of-scope error pointing to ``backprop.interop.to_torch``.
"""

from __future__ import annotations

from .errors import DeviceError

__all__ = [
    "current_device",
    "device_count",
    "empty_cache",
    "get_device_name",
    "is_available",
    "is_initialized",
    "manual_seed",
    "manual_seed_all",
    "seed",
    "seed_all",
    "set_device",
    "synchronize",
]


def is_available() -> bool:
    """False: backprop computes on the CPU."""
    return False


def device_count() -> int:
    return 0


def is_initialized() -> bool:
    return False


def manual_seed(seed) -> None:
    """Nothing to seed (no GPU); the CPU stream is seeded by ``backprop.manual_seed``."""


def manual_seed_all(seed) -> None:
    """Nothing to seed (no GPU)."""


def seed() -> None:
    """Nothing to seed (no GPU)."""


def seed_all() -> None:
    """Nothing to seed (no GPU)."""


def empty_cache() -> None:
    """Nothing cached (no GPU)."""


def _no_gpu(what: str):
    raise DeviceError(
        f"backprop.cuda.{what}: backprop covers CPU dense MLPs and has no GPU device; check "
        "backprop.cuda.is_available() first, or run the GPU part with PyTorch "
        "(backprop.interop.to_torch(model) converts the model)."
    )


def current_device() -> int:
    _no_gpu("current_device()")


def get_device_name(device=None) -> str:
    _no_gpu("get_device_name()")


def synchronize(device=None) -> None:
    _no_gpu("synchronize()")


def set_device(device) -> None:
    _no_gpu("set_device()")
