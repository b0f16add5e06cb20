"""nn.utils (gradient clipping, parameters as a vector, pad_sequence), F.one_hot and the
containers ModuleList/ModuleDict/ParameterList/ParameterDict against torch 2.13."""

from __future__ import annotations

import math

import numpy as np
import pytest

import backprop as bp
import backprop.nn as nn
import backprop.nn.functional as F

torch = pytest.importorskip("torch")


def models(seed=0):
    """The same small MLP with the same gradients in both libraries."""
    rng = np.random.default_rng(seed)
    ours = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
        values = rng.normal(size=tuple(q.shape)).astype(np.float32)
        p._data[...] = values
        q.data[...] = torch.tensor(values)
    for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
        g = (rng.normal(size=tuple(q.shape)) * 3).astype(np.float32)
        p.grad, q.grad = bp.tensor(g), torch.tensor(g)
    return ours, theirs


def grads(model):
    return [p.grad.numpy().copy() for p in model.parameters()]


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, math.inf, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    ours, theirs = models()
    tb = nn.utils.clip_grad_norm_(ours.parameters(), max_norm, norm_type=norm_type)
    tt = torch.nn.utils.clip_grad_norm_(theirs.parameters(), max_norm, norm_type=norm_type)
    assert tb.dtype == bp.float32 and tb.shape == ()
    np.testing.assert_allclose(tb.item(), tt.item(), rtol=1e-6)
    for a, b in zip(grads(ours), grads(theirs), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5)


def test_clip_grad_norm_single_tensor_no_grads_and_nonfinite():
    w = bp.tensor([3.0, 4.0], requires_grad=True)
    (w * w).sum().backward()  # grad (6, 8), norm 10
    assert nn.utils.clip_grad_norm_(w, 1.0).item() == pytest.approx(10.0)
    np.testing.assert_allclose(w.grad.numpy(), [0.6, 0.8], rtol=1e-5)
    no_grads = [bp.zeros(2, requires_grad=True)]
    assert (
        nn.utils.clip_grad_norm_(no_grads, 1.0).item()
        == torch.nn.utils.clip_grad_norm_([torch.zeros(2, requires_grad=True)], 1.0).item()
    )
    w.grad._data[0] = np.inf
    wt = torch.tensor([3.0, 4.0], requires_grad=True)
    wt.grad = torch.tensor([math.inf, 1.0])
    with pytest.raises(RuntimeError):
        torch.nn.utils.clip_grad_norm_(wt, 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError, match=r"non-finite.*error_if_nonfinite=False"):
        nn.utils.clip_grad_norm_(w, 1.0, error_if_nonfinite=True)
    nb = nn.utils.clip_grad_norm_(w, 1.0)
    nt = torch.nn.utils.clip_grad_norm_(wt, 1.0)
    assert math.isinf(nb.item()) and math.isinf(nt.item())
    np.testing.assert_array_equal(w.grad.numpy(), wt.grad.numpy())  # both scaled by 1/inf


def test_clip_grad_value_matches_torch():
    ours, theirs = models(1)
    assert nn.utils.clip_grad_value_(ours.parameters(), 0.75) is None
    torch.nn.utils.clip_grad_value_(theirs.parameters(), 0.75)
    for a, b in zip(grads(ours), grads(theirs), strict=True):
        np.testing.assert_array_equal(a, b)


def test_parameters_to_vector_and_back():
    ours, theirs = models(2)
    vb = nn.utils.parameters_to_vector(ours.parameters())
    vt = torch.nn.utils.parameters_to_vector(theirs.parameters())
    np.testing.assert_array_equal(vb.detach().numpy(), vt.detach().numpy())
    (vb * bp.arange(vb.numel())).sum().backward()  # gradients flow to the parameters
    new = np.arange(vt.numel(), dtype=np.float32)
    nn.utils.vector_to_parameters(bp.tensor(new), ours.parameters())
    torch.nn.utils.vector_to_parameters(torch.tensor(new), theirs.parameters())
    for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
    with pytest.raises(TypeError):
        torch.nn.utils.vector_to_parameters(new, theirs.parameters())
    with pytest.raises(TypeError, match="expected a Tensor"):
        nn.utils.vector_to_parameters(new, ours.parameters())


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence_matches_torch(batch_first, padding_side):
    rng = np.random.default_rng(0)
    seqs = [rng.normal(size=(n, 2)).astype(np.float32) for n in (3, 1, 4)]
    sb = [bp.tensor(s, requires_grad=True) for s in seqs]
    st = [torch.tensor(s, requires_grad=True) for s in seqs]
    kw = dict(batch_first=batch_first, padding_value=-1.0, padding_side=padding_side)
    ob = nn.utils.rnn.pad_sequence(sb, **kw)
    ot = torch.nn.utils.rnn.pad_sequence(st, **kw)
    np.testing.assert_array_equal(ob.detach().numpy(), ot.detach().numpy())
    g = rng.normal(size=tuple(ot.shape)).astype(np.float32)
    (ob * bp.tensor(g)).sum().backward()
    (ot * torch.tensor(g)).sum().backward()
    for a, b in zip(sb, st, strict=True):
        np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())
    ints = [bp.tensor([1, 2]), bp.tensor([3])]
    assert nn.utils.rnn.pad_sequence(ints, batch_first=True).tolist() == [[1, 2], [3, 0]]


@pytest.mark.parametrize("num_classes", [-1, 6])
def test_one_hot_matches_torch(num_classes):
    labels = np.array([[0, 3], [2, 2]])
    ours = F.one_hot(bp.tensor(labels), num_classes)
    theirs = torch.nn.functional.one_hot(torch.tensor(labels), num_classes)
    assert ours.dtype == bp.int64
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    with pytest.raises(RuntimeError):
        torch.nn.functional.one_hot(torch.tensor([3]), 2)
    with pytest.raises(ValueError, match="smaller than num_classes"):
        F.one_hot(bp.tensor([3]), 2)


def test_module_list_matches_torch():
    ours = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU()])
    theirs = torch.nn.ModuleList([torch.nn.Linear(2, 2) for _ in range(3)] + [torch.nn.ReLU()])
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.insert(1, nn.Tanh())
    theirs.insert(1, torch.nn.Tanh())
    assert repr(ours) == repr(theirs)
    del ours[0]
    del theirs[0]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours[1:]) == repr(theirs[1:]) and type(ours[1:]) is nn.ModuleList
    assert repr(ours + nn.ModuleList([nn.Tanh()])) == repr(
        theirs + torch.nn.ModuleList([torch.nn.Tanh()])
    )
    assert not isinstance(ours, nn.Sequential)
    with pytest.raises(IndexError):
        ours[9]


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleDict({"a": nn.Linear(2, 3), "b": nn.Linear(3, 1)})
        self.scales = nn.ParameterList([bp.ones(3), nn.Parameter(bp.zeros(1))])
        self.extra = nn.ParameterDict({"t": bp.tensor([2.0])})

    def forward(self, x):
        h = self.blocks["a"](x) * self.scales[0]
        return self.blocks["b"](h) + self.scales[1] + self.extra["t"]


class TorchNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = torch.nn.ModuleDict({"a": torch.nn.Linear(2, 3), "b": torch.nn.Linear(3, 1)})
        self.scales = torch.nn.ParameterList([torch.ones(3), torch.nn.Parameter(torch.zeros(1))])
        self.extra = torch.nn.ParameterDict({"t": torch.tensor([2.0])})


def test_dicts_and_parameter_list_register_like_torch():
    ours, theirs = Net(), TorchNet()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert all(isinstance(p, nn.Parameter) for p in ours.scales)
    assert list(ours.blocks) == list(theirs.blocks) == ["a", "b"]
    assert "a" in ours.blocks and len(ours.extra) == len(theirs.extra) == 1
    ours(bp.ones(4, 2)).sum().backward()
    assert ours.scales[1].grad.item() == 4.0 and ours.extra["t"].grad.item() == 4.0
    assert len(ours.scales) == len(theirs.scales) == 2
    popped = ours.blocks.pop("b")
    assert isinstance(popped, nn.Linear) and list(ours.blocks.keys()) == ["a"]


def test_parameter_list_repr_matches_torch():
    ours = nn.ParameterList([bp.ones(2), bp.zeros(2, 3)])
    theirs = torch.nn.ParameterList([torch.ones(2), torch.zeros(2, 3)])
    assert repr(ours).replace("backprop.", "torch.") == repr(theirs)
    assert repr(nn.ParameterList()) == repr(torch.nn.ParameterList())
