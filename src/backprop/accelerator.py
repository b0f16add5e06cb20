"""``backprop.accelerator``: what ``torch.accelerator`` answers on a machine without one, so
the tutorials' device line (``device = torch.accelerator.current_accelerator().type if
torch.accelerator.is_available() else "cpu"``) takes its CPU branch.

``is_available()`` is False, ``current_accelerator()`` None and ``device_count()`` 0, as
torch 2.13 answers on a CPU-only machine; asking for the current device raises a
``DeviceError`` that points to ``backprop.interop.to_torch``. Floor 1 (no maths here).
"""

from __future__ import annotations

from .errors import DeviceError

__all__ = [
    "current_accelerator",
    "current_device_index",
    "device_count",
    "empty_cache",
    "is_available",
    "synchronize",
]


def is_available() -> bool:
    """False: backprop computes on the CPU only."""
    return False


def current_accelerator(check_available: bool = False):
    """None: there is no accelerator (the CPU is not one, as in torch)."""
    return None


def device_count() -> int:
    return 0


def empty_cache() -> None:
    """Nothing to free."""


def synchronize(device=None) -> None:
    """Nothing runs asynchronously."""


def current_device_index() -> int:
    raise DeviceError(
        "accelerator.current_device_index: no accelerator is available; backprop computes on "
        "the CPU (check torch.accelerator.is_available() first, or use "
        "backprop.interop.to_torch to run the model in PyTorch)."
    )
