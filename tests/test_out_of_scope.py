"""Out-of-scope PyTorch names: present, and building or calling them raises OutOfScopeError
(a NotImplementedError) that names the scope and points to backprop.interop.to_torch."""

from __future__ import annotations

import pytest

import backprop as bp
import backprop.nn as nn
import backprop.nn.functional as F
from backprop.errors import DeviceError, OutOfScopeError
from backprop.nn import out_of_scope

torch = pytest.importorskip("torch")

SCOPE = r"backprop covers CPU dense MLPs.*backprop\.interop\.to_torch"


@pytest.mark.parametrize("name", out_of_scope.LAYERS)
def test_layers_exist_in_torch_and_refuse_to_build(name):
    assert hasattr(torch.nn, name)
    layer = getattr(nn, name)
    assert issubclass(layer, nn.Module) and name not in nn.__all__
    with pytest.raises(NotImplementedError, match=SCOPE) as info:
        layer(3, 4, 2)
    assert isinstance(info.value, OutOfScopeError) and f"nn.{name}" in str(info.value)


@pytest.mark.parametrize("name", out_of_scope.FUNCTIONS)
def test_functions_exist_in_torch_and_refuse_to_run(name):
    assert hasattr(torch.nn.functional, name)
    with pytest.raises(OutOfScopeError, match=SCOPE):
        getattr(F, name)(bp.ones(1, 1, 4), bp.ones(1, 1, 2))


def test_compile_jit_and_gpu_devices_refuse():
    model = nn.Linear(2, 2)
    with pytest.raises(NotImplementedError, match=SCOPE):
        bp.compile(model)
    with pytest.raises(NotImplementedError, match=SCOPE):
        bp.jit.script(model)
    for call in (lambda: bp.ones(2).cuda(), lambda: bp.ones(2).to("cuda"), model.cuda):
        with pytest.raises(DeviceError, match=SCOPE) as info:
            call()
        assert isinstance(info.value, NotImplementedError | RuntimeError)


def test_isinstance_checks_still_work():
    assert not isinstance(nn.Linear(2, 2), nn.Conv2d | nn.LSTM)
