"""``backprop.backends``: the flags of ``torch.backends`` that scripts set or ask about.

``backends.mps.is_available()`` and ``backends.cudnn.is_available()`` are False;
``backends.cudnn.deterministic``, ``.benchmark`` and ``.enabled`` and
``backends.cuda.matmul.allow_tf32`` are plain settable flags that change nothing (backprop's
CPU arithmetic is deterministic already). ``import torch.backends.cudnn as cudnn`` works: the
sub-namespaces are registered as modules.
"""

from __future__ import annotations

import importlib.machinery
import sys
import types

__all__ = ["cuda", "cudnn", "mkldnn", "mps", "openmp"]


def _false() -> bool:
    return False


def _module(name: str, doc: str, **attributes) -> types.ModuleType:
    module = types.ModuleType(f"{__name__}.{name}", doc)
    module.__dict__.update(attributes)
    module.__spec__ = importlib.machinery.ModuleSpec(module.__name__, None)
    sys.modules[module.__name__] = module
    return module


mps = _module("mps", "Apple GPUs: not available.", is_available=_false, is_built=_false)
cudnn = _module(
    "cudnn",
    "cuDNN: not available; its flags are accepted and change nothing.",
    is_available=_false,
    enabled=True,
    deterministic=False,
    benchmark=False,
    allow_tf32=True,
    version=lambda: None,
)
cuda = _module(
    "cuda",
    "CUDA: not built; the matmul precision flag is accepted.",
    is_built=_false,
    matmul=types.SimpleNamespace(allow_tf32=False, allow_fp16_reduced_precision_reduction=True),
)
mkldnn = _module("mkldnn", "oneDNN: not used by backprop.", is_available=_false, enabled=False)
openmp = _module("openmp", "OpenMP: not used by backprop.", is_available=_false)
