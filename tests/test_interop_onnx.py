"""backprop.interop.to_onnx checked in ONNX Runtime against our own forward pass: every
activation, float32 and float64, dynamic batch, edge inputs, refusals, ``backprop export``."""

from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

import backprop  # noqa: E402
import backprop.nn as nn  # noqa: E402
from backprop.errors import ConfigError, DTypeError  # noqa: E402
from backprop.interop import to_onnx  # noqa: E402
from backprop.interop.onnx_export import DEFAULT_OPSET, MIN_OPSET, onnx_model  # noqa: E402

DTYPES = [backprop.float32, backprop.float64]
IDS = ["f32", "f64"]
# float32: ORT's kernels and ours round differently (and Erf/Exp are not correctly rounded)
TOL = {backprop.float32: dict(rtol=2e-5, atol=2e-6), backprop.float64: dict(rtol=1e-12, atol=1e-13)}

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
    "softplus": nn.Softplus,
    "softplus_options": lambda: nn.Softplus(beta=2.0, threshold=3.0),
    "silu": nn.SiLU,
}

# where the compositions have branches, cancellations and overflows
EDGES = [-1000.0, -50.0, -30.0, -20.5, -10.0, -3.0, -1.0, -1e-5, -1e-12, 0.0]
EDGES = sorted({*EDGES, *(-v for v in EDGES), 1.5, -1.5, 2.9, 3.1, 19.9, 20.1})


def _session(model, **kwargs):
    proto = onnx_model(model, **kwargs)
    return ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])


def _ours(model, x):
    with backprop.no_grad():
        return model(backprop.tensor(x)).numpy()


@pytest.mark.parametrize("dtype", DTYPES, ids=IDS)
@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_every_activation_matches_onnx_runtime(name, dtype):
    make = ACTIVATIONS[name]
    model = nn.MLP([3, 16, 16, 4], [make(), make()], output_activation=make(), dtype=dtype)
    session = _session(model)
    x = np.random.default_rng(0).normal(scale=4.0, size=(64, 3)).astype(dtype.np)
    got = session.run(None, {"input": x})[0]
    assert got.dtype == dtype.np and got.shape == (64, 4)
    np.testing.assert_allclose(got, _ours(model, x), **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES, ids=IDS)
@pytest.mark.parametrize("name", [n for n in ACTIVATIONS if n != "identity"])
def test_every_activation_on_edge_inputs(name, dtype):
    """Linear(1, 1) = identity, then g: g itself, elementwise, on hard inputs."""
    model = nn.Sequential(nn.Linear(1, 1, dtype=dtype), ACTIVATIONS[name]())
    model[0].weight.data.numpy()[...] = 1.0
    model[0].bias.data.numpy()[...] = 0.0
    x = np.array(EDGES, dtype=dtype.np).reshape(-1, 1)
    got = _session(model).run(None, {"input": x})[0]
    expected = _ours(model, x)
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, expected, **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES, ids=IDS)
def test_float64_gelu_and_softplus_keep_double_precision(dtype):
    """ONNX Runtime has no double Erf/Softplus/Elu kernels; the compositions stay exact."""
    x = np.linspace(-9.0, 9.0, 2001).reshape(-1, 1).astype(dtype.np)
    for act in (nn.GELU(), nn.Softplus(), nn.ELU()):
        model = nn.Sequential(nn.Linear(1, 1, dtype=dtype), act)
        model[0].weight.data.numpy()[...] = 1.0
        model[0].bias.data.numpy()[...] = 0.0
        got = _session(model).run(None, {"input": x})[0]
        np.testing.assert_allclose(got, _ours(model, x), **TOL[dtype])
    if dtype is backprop.float64:
        ops = {n.op_type for n in onnx_model(model).graph.node}
        assert "Elu" not in ops  # composed, since ORT has no double kernel


@pytest.mark.parametrize("dtype", DTYPES, ids=IDS)
@pytest.mark.parametrize("last", [nn.Softmax(dim=1), nn.LogSoftmax(dim=-1)], ids=["sm", "lsm"])
def test_final_softmax(last, dtype):
    model = nn.MLP([5, 8, 3], "relu", output_activation=last, dtype=dtype)
    x = np.random.default_rng(1).normal(size=(10, 5)).astype(dtype.np)
    got = _session(model).run(None, {"input": x})[0]
    np.testing.assert_allclose(got, _ours(model, x), **TOL[dtype])


def test_batch_dimension_is_dynamic_and_graph_is_gemm_based():
    model = nn.MLP([2, 4, 1], "tanh", bias=False)
    proto = onnx_model(model)
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch" and dims[1].dim_value == 2
    assert [n.op_type for n in proto.graph.node] == ["Gemm", "Tanh", "Gemm"]
    assert sorted(i.name for i in proto.graph.initializer) == ["0.weight", "2.weight"]
    session = _session(model)
    for n in (1, 7, 300):
        x = np.random.default_rng(n).normal(size=(n, 2)).astype(np.float32)
        got = session.run(None, {"input": x})[0]
        np.testing.assert_allclose(got, _ours(model, x), **TOL[backprop.float32])


@pytest.mark.parametrize("opset", [MIN_OPSET, DEFAULT_OPSET, 21])
def test_opsets(opset):
    model = nn.MLP([2, 8, 2], "gelu", dtype=backprop.float64)
    proto = onnx_model(model, opset=opset)
    assert proto.opset_import[0].version == opset
    x = np.random.default_rng(2).normal(size=(5, 2))
    got = _session(model, opset=opset).run(None, {"input": x})[0]
    np.testing.assert_allclose(got, _ours(model, x), rtol=1e-12, atol=1e-13)


def test_nested_sequential_and_scaler():
    model = nn.Sequential(nn.Sequential(nn.Linear(2, 3), nn.ELU()), nn.Linear(3, 1))
    scaler = {"mean": [1.0, -2.0], "std": [0.5, 4.0]}
    x = np.random.default_rng(3).normal(size=(6, 2)).astype(np.float32)
    got = _session(model, scaler=scaler).run(None, {"input": x})[0]
    standardised = (x - np.float32([1.0, -2.0])) / np.float32([0.5, 4.0])
    np.testing.assert_allclose(got, _ours(model, standardised), rtol=1e-5, atol=1e-6)
    names = {i.name for i in onnx_model(model).graph.initializer}
    assert {"0.0.weight", "0.0.bias", "1.weight", "1.bias"} <= names


def test_file_is_written_atomically_and_loads(tmp_path):
    model = nn.MLP([3, 4, 2], "silu")
    path = to_onnx(model, tmp_path / "sub" / "m.onnx")
    assert path == tmp_path / "sub" / "m.onnx"
    assert [p.name for p in path.parent.iterdir()] == ["m.onnx"]  # no temp file left
    loaded = onnx.load(str(path))
    onnx.checker.check_model(loaded, full_check=True)
    assert loaded.producer_name == "backprop"
    x = np.ones((2, 3), np.float32)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {"input": x})[0]
    np.testing.assert_allclose(got, _ours(model, x), **TOL[backprop.float32])


def test_refusals_name_the_part():
    class Doubler(nn.Module):
        def forward(self, x):
            return x * 2

    with pytest.raises(ConfigError, match=r"part '1' \(Doubler\(\)\) cannot be exported"):
        onnx_model(nn.Sequential(nn.Linear(2, 2), Doubler()))
    with pytest.raises(ConfigError, match=r"part '1' \(Softmax\(dim=1\)\).*only as the last"):
        onnx_model(nn.Sequential(nn.Linear(2, 2), nn.Softmax(dim=1), nn.Linear(2, 1)))
    with pytest.raises(ConfigError, match=r"part '1'.*dim=-1 or 1"):
        onnx_model(nn.Sequential(nn.Linear(2, 2), nn.Softmax(dim=0)))
    with pytest.raises(ConfigError, match="no Linear layer"):
        onnx_model(nn.Sequential(nn.ReLU()))
    with pytest.raises(ConfigError, match="opset must be a whole number from 13"):
        onnx_model(nn.MLP([1, 1]), opset=12)
    with pytest.raises(ConfigError, match="scaler has 1 means"):
        onnx_model(nn.MLP([2, 1]), scaler={"mean": [0.0], "std": [1.0]})
    mixed = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1, dtype=backprop.float64))
    with pytest.raises(DTypeError, match="mix dtypes"):
        onnx_model(mixed)


def test_cli_export_onnx_includes_the_scaler(tmp_path, capsys):
    from backprop import io
    from backprop.cli import main

    model = nn.MLP([2, 5, 1], "tanh", dtype=backprop.float64)
    scaler = {"mean": [0.5, 1.0], "std": [2.0, 0.25]}
    io.save(model, tmp_path / "m.safetensors", spec={"data": {"scaler": scaler}})
    assert main(["export", str(tmp_path / "m.safetensors"), "--to", "onnx"]) == 0
    printed = capsys.readouterr().out
    assert "input 'input' [batch, 2] float64" in printed and "raw inputs" in printed
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(4).normal(size=(3, 2))
    expected = _ours(model, (x - [0.5, 1.0]) / [2.0, 0.25])
    np.testing.assert_allclose(session.run(None, {"input": x})[0], expected, rtol=1e-12)


def test_cli_export_user_errors_exit_2(tmp_path, capsys):
    from backprop.cli import main

    assert main(["export", str(tmp_path / "missing.safetensors"), "--to", "onnx"]) == 2
    assert "error" in capsys.readouterr().err
    spec = tmp_path / "spec.json"
    spec.write_text('{"data": {"name": "square"}, "epochs": 5}')
    assert main(["export", str(spec), "--to", "onnx"]) == 2  # decided by content, not suffix
    assert "this is a spec file (JSON), not a model file" in capsys.readouterr().err
