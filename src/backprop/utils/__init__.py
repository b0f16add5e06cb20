"""``backprop.utils``: PyTorch's ``torch.utils`` layout, so ``torch.utils.data`` code finds
its names under ``import backprop as torch``.

Only ``data`` lives here (datasets, samplers, ``DataLoader``, ``default_collate``); it is
imported on first use, so ``import backprop.utils`` costs nothing.
"""

from __future__ import annotations

from .._lazy import lazy

__getattr__, __dir__ = lazy(__name__, {"data": (".data", None)}, globals())
