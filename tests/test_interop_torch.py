"""backprop.interop.to_torch / from_torch against PyTorch 2.13: outputs, gradients, state dicts,
model files, refusals, and the ``backprop export --to torch`` command."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import backprop  # noqa: E402
import backprop.nn as nn  # noqa: E402
from backprop.errors import ConfigError, DTypeError  # noqa: E402
from backprop.interop import from_torch, to_torch  # noqa: E402
from backprop.interop.torch_bridge import TorchStep  # noqa: E402

TOL = {backprop.float32: 1e-6, backprop.float64: 1e-12}
TORCH_DTYPE = {backprop.float32: torch.float32, backprop.float64: torch.float64}

# every registry activation, with non-default options where it has some
ACTIVATIONS = {
    "identity": nn.Identity,
    "step": nn.Step,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "elu": lambda: nn.ELU(0.7),
    "gelu": nn.GELU,
    "gelu_tanh": lambda: nn.GELU(approximate="tanh"),
    "softplus": lambda: nn.Softplus(beta=2.0, threshold=3.0),
    "silu": nn.SiLU,
}


def _ours_and_torch(model, dtype, seed=0):
    """Our model, its torch copy, an input and a fixed cotangent."""
    rng = np.random.default_rng(seed)
    x = rng.normal(scale=2.0, size=(9, model[0].in_features)).astype(dtype.np)
    return model, to_torch(model), x


def _forward_backward_ours(model, x, r):
    xt = backprop.tensor(x, requires_grad=True)
    out = model(xt)
    (out * backprop.tensor(r)).sum().backward()
    grads = {name: p.grad.numpy() for name, p in model.named_parameters()}
    return out.detach().numpy(), xt.grad.numpy(), grads


def _forward_backward_torch(module, x, r):
    xt = torch.from_numpy(x.copy()).requires_grad_(True)
    out = module(xt)
    (out * torch.from_numpy(r)).sum().backward()
    grads = {name: p.grad.numpy() for name, p in module.named_parameters()}
    return out.detach().numpy(), xt.grad.numpy(), grads


def _assert_same(ours, theirs, tol):
    out_a, gx_a, g_a = ours
    out_b, gx_b, g_b = theirs
    np.testing.assert_allclose(out_a, out_b, rtol=tol, atol=tol)
    np.testing.assert_allclose(gx_a, gx_b, rtol=tol, atol=tol)
    assert g_a.keys() == g_b.keys()
    for key in g_a:
        assert g_a[key].dtype == g_b[key].dtype
        np.testing.assert_allclose(g_a[key], g_b[key], rtol=tol, atol=tol, err_msg=key)


@pytest.mark.parametrize("dtype", [backprop.float32, backprop.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_to_torch_outputs_and_gradients_match(name, dtype):
    make = ACTIVATIONS[name]
    model = nn.Sequential(
        nn.Linear(3, 6, dtype=dtype), make(), nn.Linear(6, 5, dtype=dtype), make(),
        nn.Linear(5, 2, dtype=dtype),
    )  # fmt: skip
    model, module, x = _ours_and_torch(model, dtype)
    r = np.random.default_rng(1).normal(size=(9, 2)).astype(dtype.np)
    assert [type(m).__name__ for m in module] == [
        "Linear",
        type(module[1]).__name__,
        "Linear",
        type(module[3]).__name__,
        "Linear",
    ]
    assert all(p.dtype == TORCH_DTYPE[dtype] for p in module.parameters())
    _assert_same(
        _forward_backward_ours(model, x, r), _forward_backward_torch(module, x, r), TOL[dtype]
    )


@pytest.mark.parametrize("dtype", [backprop.float32, backprop.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("last", ["softmax", "log_softmax"])
def test_final_softmax_matches(last, dtype):
    end = nn.Softmax(dim=1) if last == "softmax" else nn.LogSoftmax(dim=-1)
    model = nn.MLP([4, 8, 3], "tanh", output_activation=end, dtype=dtype)
    model, module, x = _ours_and_torch(model, dtype)
    r = np.random.default_rng(2).normal(size=(9, 3)).astype(dtype.np)
    _assert_same(
        _forward_backward_ours(model, x, r), _forward_backward_torch(module, x, r), TOL[dtype]
    )


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
def test_from_torch_matches_a_model_built_in_torch(dtype):
    torch.manual_seed(0)
    module = torch.nn.Sequential(
        torch.nn.Linear(3, 8, dtype=dtype),
        torch.nn.GELU(),
        torch.nn.Linear(8, 8, dtype=dtype),
        torch.nn.LeakyReLU(0.3),
        torch.nn.Linear(8, 6, dtype=dtype),
        torch.nn.Softplus(beta=0.5, threshold=10.0),
        torch.nn.Linear(6, 6, dtype=dtype),
        torch.nn.ELU(alpha=0.5),
        torch.nn.Linear(6, 4, dtype=dtype, bias=False),
        torch.nn.SiLU(),
        torch.nn.Linear(4, 2, dtype=dtype),
        torch.nn.LogSoftmax(dim=1),
    )
    model = from_torch(module)
    ours_dtype = backprop.float32 if dtype == torch.float32 else backprop.float64
    assert isinstance(model, nn.Sequential)
    assert model[3].negative_slope == 0.3 and model[7].alpha == 0.5
    assert (model[5].beta, model[5].threshold) == (0.5, 10.0)
    assert model[8].bias is None
    x = np.random.default_rng(3).normal(size=(7, 3)).astype(ours_dtype.np)
    r = np.random.default_rng(4).normal(size=(7, 2)).astype(ours_dtype.np)
    _assert_same(
        _forward_backward_ours(model, x, r), _forward_backward_torch(module, x, r), TOL[ours_dtype]
    )


def test_weights_are_copied_not_shared():
    model = nn.MLP([2, 3, 1], "relu")
    module = to_torch(model)
    with torch.no_grad():
        module[0].weight.zero_()
    assert np.abs(model[0].weight.detach().numpy()).sum() > 0
    back = from_torch(module)
    back[0].weight.data.numpy()[...] = 7.0
    assert module[0].weight.abs().sum().item() == 0


def test_state_dicts_load_into_each_other():
    ours = nn.MLP([3, 5, 4, 2], ["tanh", "relu"], dtype=backprop.float64)
    torch.manual_seed(1)
    theirs = torch.nn.Sequential(
        torch.nn.Linear(3, 5, dtype=torch.float64),
        torch.nn.Tanh(),
        torch.nn.Linear(5, 4, dtype=torch.float64),
        torch.nn.ReLU(),
        torch.nn.Linear(4, 2, dtype=torch.float64),
    )
    assert list(ours.state_dict()) == list(theirs.state_dict())
    # torch -> ours: our load_state_dict takes torch tensors
    ours.load_state_dict(theirs.state_dict())
    x = np.random.default_rng(0).normal(size=(5, 3))
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours(backprop.tensor(x)).detach().numpy(), expected, rtol=1e-12)
    # ours -> torch: as tensors
    other = nn.MLP([3, 5, 4, 2], ["tanh", "relu"], dtype=backprop.float64)
    theirs.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in other.state_dict().items()})
    with torch.no_grad():
        got = theirs(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, other(backprop.tensor(x)).detach().numpy(), rtol=1e-12)


def test_round_trip_keeps_names_flags_and_mode():
    inner = nn.Sequential(nn.Linear(2, 3), nn.Sigmoid())
    model = nn.Sequential(inner, nn.Linear(3, 1))
    model[1].bias.requires_grad_(False)
    model.eval()
    module = to_torch(model)
    assert list(module.state_dict()) == ["0.0.weight", "0.0.bias", "1.weight", "1.bias"]
    assert not module[1].bias.requires_grad and module[1].weight.requires_grad
    assert not module.training and not module[0].training
    back = from_torch(module)
    assert list(back.state_dict()) == list(model.state_dict())
    assert not back.training and not back[1].bias.requires_grad
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(back.state_dict()[key].numpy(), value.numpy())


def test_model_file_loads_with_safetensors_torch(tmp_path):
    from safetensors.torch import load_file

    from backprop import io

    model = nn.MLP([2, 6, 3], "gelu", dtype=backprop.float64)
    path = io.save(model, tmp_path / "model.safetensors")
    module = to_torch(nn.MLP([2, 6, 3], "gelu", dtype=backprop.float64))  # other weights
    module.load_state_dict(load_file(str(path)))
    x = np.random.default_rng(5).normal(size=(4, 2))
    with torch.no_grad():
        got = module(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, model(backprop.tensor(x)).detach().numpy(), rtol=1e-12)


def test_step_unit_has_sign_semantics_and_zero_gradient():
    x = torch.tensor([-2.0, -0.0, 0.0, 1e-30, 3.0], dtype=torch.float64, requires_grad=True)
    y = TorchStep()(x)
    assert y.tolist() == [-1.0, -1.0, -1.0, 1.0, 1.0]  # torch.sign would give 0 at 0
    y.sum().backward()
    assert x.grad.tolist() == [0.0] * 5
    ours = nn.Step()(backprop.tensor(x.detach().numpy()))
    assert ours.tolist() == y.tolist()


def test_from_torch_leaves_the_global_stream_alone():
    backprop.manual_seed(3)
    expected = backprop.randn(3).numpy()
    backprop.manual_seed(3)
    from_torch(torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.ReLU()))
    np.testing.assert_array_equal(backprop.randn(3).numpy(), expected)


class _Custom(torch.nn.Module):
    def forward(self, x):
        return x


@pytest.mark.parametrize(
    ("part", "where"),
    [
        (torch.nn.Dropout(0.5), "'1'"),
        (torch.nn.BatchNorm1d(4), "'1'"),
        (torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Hardtanh()), "'1.1'"),
        (_Custom(), "'1'"),
    ],
    ids=["dropout", "batchnorm", "nested", "custom"],
)
def test_from_torch_refuses_unsupported_parts_by_name(part, where):
    module = torch.nn.Sequential(torch.nn.Linear(3, 4), part, torch.nn.Linear(4, 1))
    with pytest.raises(ConfigError, match=f"part {where} .*no backprop counterpart"):
        from_torch(module)


def test_from_torch_refuses_subclasses_half_precision_and_non_modules():
    class MyLinear(torch.nn.Linear):
        pass

    with pytest.raises(ConfigError, match=r"part '0'.*MyLinear"):
        from_torch(torch.nn.Sequential(MyLinear(2, 2)))
    with pytest.raises(DTypeError, match=r"part '0'\.weight has dtype torch.float16"):
        from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2).half()))
    with pytest.raises(ConfigError, match=r"expected a torch\.nn\.Module"):
        from_torch({"0.weight": torch.zeros(2, 2)})


def test_to_torch_refuses_unsupported_parts_by_name():
    class Doubler(nn.Module):
        def forward(self, x):
            return x * 2

    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU(), Doubler()))
    with pytest.raises(ConfigError, match=r"part '1\.1' \(Doubler\(\)\) has no PyTorch"):
        to_torch(model)


def test_cli_export_torch_writes_a_state_dict_torch_loads(tmp_path, capsys):
    from safetensors.torch import load_file

    from backprop import io
    from backprop.cli import main

    model = nn.MLP([2, 4, 1], "step", dtype=backprop.float64)
    io.save(model, tmp_path / "m.safetensors")
    assert main(["export", str(tmp_path / "m.safetensors"), "--to", "torch"]) == 0
    out = tmp_path / "m.torch.safetensors"
    printed = capsys.readouterr().out
    assert f"wrote {out}" in printed
    code = printed.split("Rebuild and load it with:", 1)[1]
    scope: dict = {}
    exec(code, scope)  # the printed snippet runs as printed
    module = scope["model"]
    assert sorted(load_file(str(out))) == sorted(model.state_dict())
    x = np.array([[0.3, -1.0], [0.0, 0.0], [2.0, 1.0]])
    with torch.no_grad():
        got = module(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, model(backprop.tensor(x)).detach().numpy(), rtol=1e-12)
