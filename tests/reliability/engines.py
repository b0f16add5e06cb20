"""The three training engines as test parameters, the compiled one skipped without numba."""

import pytest


def fused_available() -> bool:
    try:
        from backprop.delta import fused
    except ImportError:
        return False
    return bool(fused.available())


def engines():
    no_numba = pytest.mark.skipif(not fused_available(), reason="numba is not installed")
    return ["delta", "autograd", pytest.param("fused", marks=no_numba)]
