"""The nn.Module bookkeeping API against PyTorch 2.13: registration and traversal,
Parameter, assignment rules, state dicts, train/eval, dtype moves, deepcopy, hooks and
buffers, with their errors."""

import copy

import numpy as np
import pytest

import backprop as bp
import backprop.nn as nn
from backprop.errors import ConfigError, DTypeError

torch = pytest.importorskip("torch")


# -- Module bookkeeping ------------------------------------------------------------------------
class Scaled(nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = nn.Linear(2, 2)
        self.scale = nn.Parameter(bp.ones(1))
        self.register_buffer("running", bp.zeros(2))
        self.register_buffer("scratch", bp.zeros(3), persistent=False)

    def forward(self, x):
        return self.inner(x) * self.scale + self.running


class TorchScaled(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = torch.nn.Linear(2, 2)
        self.scale = torch.nn.Parameter(torch.ones(1))
        self.register_buffer("running", torch.zeros(2))
        self.register_buffer("scratch", torch.zeros(3), persistent=False)


def test_registration_order_and_traversal_match_torch():
    ours, theirs = Scaled(), TorchScaled()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [k for k, _ in ours.named_parameters()] == [k for k, _ in theirs.named_parameters()]
    assert [k for k, _ in ours.named_buffers()] == [k for k, _ in theirs.named_buffers()]
    assert [k for k, _ in ours.named_modules()] == [k for k, _ in theirs.named_modules()]
    assert [k for k, _ in ours.named_children()] == ["inner"]
    assert len(list(ours.parameters(recurse=False))) == 1
    assert ours.get_submodule("inner") is ours.inner


def test_shared_parameters_are_listed_once():
    layer = nn.Linear(2, 2)
    model = nn.Sequential(layer, nn.ReLU(), layer)
    assert len(list(model.parameters())) == 2
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_parameter_repr_and_storage_sharing():
    data = bp.tensor([1.0, 2.0])
    p = nn.Parameter(data)
    assert repr(p) == repr(torch.nn.Parameter(torch.tensor([1.0, 2.0])))
    frozen = nn.Parameter(bp.tensor([1.0]), requires_grad=False)
    assert repr(frozen) == repr(torch.nn.Parameter(torch.tensor([1.0]), requires_grad=False))
    assert repr(nn.Parameter()) == repr(torch.nn.Parameter())
    data.add_(1.0)
    assert p.tolist() == [2.0, 3.0] and p.is_leaf
    assert isinstance(p, bp.Tensor)
    with pytest.raises(DTypeError, match="Tensor"):
        nn.Parameter([1.0, 2.0])


def test_assignment_errors_match_torchs_rules():
    class ParamTooEarly(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(bp.ones(1))
            super().__init__()

    class ModuleTooEarly(nn.Module):
        def __init__(self):
            self.layer = nn.Linear(1, 1)
            super().__init__()

    with pytest.raises(AttributeError, match=r"cannot assign parameters before Module.__init__"):
        ParamTooEarly()
    with pytest.raises(AttributeError, match=r"cannot assign module before Module.__init__"):
        ModuleTooEarly()
    layer = nn.Linear(2, 3)
    with pytest.raises(TypeError, match=r"parameter 'weight'.*nn\.Parameter or None"):
        layer.weight = bp.ones(3, 2)
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'nothing'"):
        layer.nothing  # noqa: B018
    assert not hasattr(layer, "nothing")
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(1)
    with pytest.raises(ConfigError, match="boolean"):
        layer.train("yes")
    layer.bias = None
    assert [k for k, _ in layer.named_parameters()] == ["weight"]


def test_load_state_dict_reports_every_problem_and_strict_false():
    layer = nn.Linear(2, 3)
    with pytest.raises(nn.StateDictError) as info:
        layer.load_state_dict({"weight": bp.ones(3, 3), "bias2": bp.ones(3)})
    message = str(info.value)
    assert 'Missing key(s) in state_dict: "bias"' in message
    assert 'Unexpected key(s) in state_dict: "bias2"' in message
    assert "size mismatch for weight" in message and "[3, 3]" in message and "[3, 2]" in message
    assert isinstance(info.value, RuntimeError)
    before = layer.weight
    result = layer.load_state_dict({"weight": np.ones((3, 2)), "bias2": bp.ones(3)}, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["bias2"]
    assert layer.weight is before and layer.weight.tolist() == [[1.0, 1.0]] * 3


def test_state_dict_shares_storage_and_load_copies():
    model = Scaled()
    state = model.state_dict()
    assert not state["inner.weight"].requires_grad
    assert np.shares_memory(state["inner.weight"].numpy(), model.inner.weight.detach().numpy())
    other = Scaled()
    other.load_state_dict(state)
    assert np.array_equal(other.inner.weight.detach().numpy(), model.inner.weight.detach().numpy())
    assert not np.shares_memory(other.inner.weight.detach().numpy(), state["inner.weight"].numpy())


def test_train_eval_zero_grad_apply_requires_grad():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU()))
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    model(bp.ones(1, 2)).sum().backward()
    model.zero_grad(set_to_none=False)
    assert model[0].weight.grad.tolist() == [[0.0, 0.0], [0.0, 0.0]]
    model.zero_grad()
    assert model[0].weight.grad is None
    seen = []
    model.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "ReLU", "Sequential", "Sequential"]
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())


def test_to_double_keeps_the_same_parameter_objects(rng):
    model = Scaled()
    params = list(model.parameters())
    model(bp.ones(1, 2)).sum().backward()
    assert model.double() is model
    assert all(a is b for a, b in zip(params, model.parameters()))
    assert all(p.dtype == bp.float64 and p.grad.dtype == bp.float64 for p in params)
    assert model.running.dtype == bp.float64
    assert model(bp.tensor(rng.normal(size=(3, 2)))).dtype == bp.float64
    model.to(bp.float32)
    assert model.inner.weight.dtype == bp.float32
    assert model.to("cpu") is model and model.cpu() is model
    with pytest.raises(DTypeError, match="floating point"):
        model.to(bp.int64)
    with pytest.raises(RuntimeError, match="CPU only"):
        model.to("cuda")


def test_deepcopy_copies_parameters_and_grads():
    model = nn.MLP([2, 3, 1])
    model(bp.ones(1, 2)).sum().backward()
    clone = copy.deepcopy(model)
    assert isinstance(clone[0].weight, nn.Parameter)
    assert clone[0].weight is not model[0].weight
    assert clone[0].weight.tolist() == model[0].weight.tolist()
    assert clone[0].weight.grad.tolist() == model[0].weight.grad.tolist()
    with bp.no_grad():
        clone[0].weight.add_(1.0)
    assert clone[0].weight.tolist() != model[0].weight.tolist()


def test_forward_hooks_run_and_can_be_removed():
    layer = nn.Linear(2, 2)
    calls = []
    handle = layer.register_forward_hook(lambda m, args, out: calls.append(out.shape))
    pre = layer.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    out = layer(bp.ones(3, 2))
    assert calls == [bp.Size([3, 2])]
    assert np.allclose(out.detach().numpy(), layer.bias.detach().numpy())
    handle.remove()
    pre.remove()
    layer(bp.ones(3, 2))
    assert len(calls) == 1


def test_register_buffer_and_delattr():
    model = Scaled()
    assert "scratch" not in model.state_dict()
    assert "scratch" in dict(model.named_buffers())
    model.running = bp.ones(2)
    assert model.state_dict()["running"].tolist() == [1.0, 1.0]
    with pytest.raises(TypeError, match="buffer 'running'"):
        model.running = 3
    with pytest.raises(ConfigError, match="already exists"):
        model.register_buffer("inner", bp.zeros(1))
    with pytest.raises(ConfigError, match=r"'\.'"):
        model.register_parameter("a.b", None)
    del model.running
    assert "running" not in model.state_dict()
