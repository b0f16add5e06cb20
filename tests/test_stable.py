"""backprop.stable: benign underflow is ignored, every other floating-point signal is kept."""

import numpy as np
import pytest

from backprop import stable

torch = pytest.importorskip("torch")


def test_saturated_functions_raise_nothing_and_equal_torch():
    x = np.array([-1e4, -745.0, -710.0, -100.0, -1e-30, 0.0, 1e-30, 100.0, 710.0, 1e4])
    for dtype in (np.float32, np.float64):
        xs = x.astype(dtype)
        t = torch.tensor(xs)
        with np.errstate(all="raise"):
            got = {
                "sigmoid": stable.sigmoid(xs),
                "softplus": stable.softplus(xs),
                "softmax": stable.softmax(np.stack([xs, -xs]), axis=0),
                "log_softmax": stable.log_softmax(np.stack([xs, -xs]), axis=0),
            }
        want = {
            "sigmoid": torch.sigmoid(t),
            "softplus": torch.nn.functional.softplus(t),
            "softmax": torch.softmax(torch.stack([t, -t]), 0),
            "log_softmax": torch.log_softmax(torch.stack([t, -t]), 0),
        }
        for name, value in got.items():
            assert value.dtype == dtype, name
            # PyTorch's vectorised float32 σ flushes subnormals (σ(-100) = 3.8e-44) to 0
            tiny = np.finfo(dtype).tiny
            np.testing.assert_allclose(
                value, want[name].numpy(), rtol=1e-6, atol=tiny, err_msg=name
            )


def test_only_underflow_is_ignored():
    @stable.benign_underflow
    def kernel(a, b):
        return a / b

    one, zero = np.array([1.0]), np.array([0.0])
    with np.errstate(all="raise"):
        assert kernel(np.array([1e-300]), np.array([1e300]))[0] == 0.0  # underflow: ignored
        with pytest.raises(FloatingPointError, match="divide"):
            kernel(one, zero)
        with pytest.raises(FloatingPointError, match="overflow"):
            kernel(np.array([1e300]), np.array([1e-300]))
        with pytest.raises(FloatingPointError, match="invalid"):
            kernel(zero, zero)
    # and the caller's setting is back afterwards
    with np.errstate(under="raise"), pytest.raises(FloatingPointError, match="underflow"):
        np.array([1e-300]) / np.array([1e300])


def test_a_global_seterr_is_honoured_too():
    old = np.seterr(all="raise")
    try:
        assert stable.sigmoid(np.array([-1e4]))[0] == 0.0
        with pytest.raises(FloatingPointError):
            np.exp(np.array([-1e4]))
    finally:
        np.seterr(**old)


def test_gelu_gives_the_same_numbers_with_and_without_scipy(monkeypatch):
    import math
    import sys

    from backprop.autograd import activations

    x = np.random.default_rng(0).normal(scale=3, size=1000)
    fast = activations._gelu(x)
    monkeypatch.setattr(activations, "_ERF", [])
    monkeypatch.setitem(sys.modules, "scipy.special", None)  # SciPy "not installed"
    slow = activations._gelu(x)
    assert activations._ERF[0].pyfunc is math.erf  # the fallback was taken
    np.testing.assert_allclose(fast, slow, rtol=4e-16, atol=4e-16)  # 2 ulp
    np.testing.assert_allclose(slow, torch.nn.functional.gelu(torch.tensor(x)).numpy(), atol=1e-15)
