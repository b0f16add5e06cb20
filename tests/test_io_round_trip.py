"""backprop.io: model files round-trip bit-identically and load in PyTorch, and the model
spec (model_spec, build_model) describes exactly the models it can rebuild."""

import json

import numpy as np
import pytest
import safetensors.numpy

import backprop
from backprop import io, nn
from backprop.errors import ModelFileError, SpecError
from io_helpers import ARCHITECTURES, _model, _predict, save_small_model

TORCH_ACTIVATIONS = {
    "identity": "Identity",
    "relu": "ReLU",
    "tanh": "Tanh",
    "sigmoid": "Sigmoid",
    "leaky_relu": "LeakyReLU",
    "elu": "ELU",
    "gelu": "GELU",
    "softplus": "Softplus",
    "silu": "SiLU",
    "softmax": "Softmax",
    "log_softmax": "LogSoftmax",
}


def _inputs(model, dtype, n=16):
    width = io.model_spec(model)["sizes"][0]
    return backprop.tensor(np.random.default_rng(3).normal(size=(n, width)) * 3, dtype=dtype)


@pytest.fixture
def saved(tmp_path):
    """A small valid file and the model it holds."""
    return save_small_model(tmp_path)


# -- round trips ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [backprop.float32, backprop.float64], ids=str)
@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_round_trip_predicts_bit_identically(tmp_path, name, dtype):
    model = _model(name, dtype)
    x = _inputs(model, dtype)
    path = io.save(model, tmp_path / "deep" / "er" / "m.safetensors")
    loaded = io.load(path)
    expected, got = _predict(model, x), _predict(loaded, x)
    assert got.dtype == expected.dtype == dtype.np
    assert got.tobytes() == expected.tobytes()
    assert not loaded.training
    assert isinstance(loaded, nn.MLP)
    assert io.model_spec(loaded) == io.model_spec(model)
    assert loaded.sizes == io.read(path).spec["sizes"]


def test_file_holds_pytorch_state_dict_keys_and_metadata(saved):
    path, model = saved
    tensors = safetensors.numpy.load_file(path)
    assert list(tensors) == sorted(model.state_dict())  # 0.weight, 0.bias, 2.weight, ...
    for key, value in model.state_dict().items():
        assert tensors[key].tobytes() == value.numpy().tobytes()
    file = io.read(path)
    assert file.metadata["format"] == "backprop"
    assert file.metadata["backprop_version"] == backprop.__version__
    assert file.metadata["model"] == file.spec == io.model_spec(model)
    assert file.metadata["epochs"] == 5
    assert file.full_spec is None and file.scaler is None
    assert file.path == path


def _torch_step(torch):
    class Step(torch.nn.Module):
        def forward(self, x):
            return torch.where(x > 0, 1.0, -1.0).to(x.dtype)

    return Step()


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_torch_sequential_loads_the_file_and_agrees(tmp_path, name):
    torch = pytest.importorskip("torch")
    import safetensors.torch

    model = _model(name)
    path = io.save(model, tmp_path / "m.safetensors")
    spec = io.read(path).spec
    layers = []
    for i, (n_in, n_out) in enumerate(zip(spec["sizes"][:-1], spec["sizes"][1:])):
        layers.append(torch.nn.Linear(n_in, n_out, bias=spec["bias"]))
        last = i == len(spec["sizes"]) - 2
        name_, options = (
            (spec["output_activation"], spec["output_activation_options"])
            if last
            else (spec["activation"][i], spec["activation_options"][i])
        )
        if name_ == "step":  # the lecture's sgn: +1 where f > 0, else -1 (torch has no module)
            layers.append(_torch_step(torch))
        elif name_ is not None:
            layers.append(getattr(torch.nn, TORCH_ACTIVATIONS[name_])(**options))
    reference = torch.nn.Sequential(*layers)
    reference.load_state_dict(safetensors.torch.load_file(path))  # strict: same keys, shapes
    x = _inputs(model, backprop.float32)
    with torch.no_grad():
        expected = reference(torch.from_numpy(x.numpy())).numpy()
    np.testing.assert_allclose(_predict(io.load(path), x), expected, rtol=1e-6, atol=1e-6)


def test_spec_and_scaler_round_trip_exactly(tmp_path):
    model = _model("lecture 1-8-8-1 relu")
    mean = np.array([0.1234567], dtype=np.float32)
    std = np.array([2.7182817], dtype=np.float32)
    spec = {"model": io.model_spec(model), "data": {"scaler": {"mean": mean, "std": std}}}
    path = io.save(model, tmp_path / "m.safetensors", spec=spec, metadata={"loss": [0.5, 0.25]})
    file = io.read(path)
    assert file.full_spec["model"] == io.model_spec(model)
    assert np.array(file.scaler["mean"], dtype=np.float32).tobytes() == mean.tobytes()
    assert np.array(file.scaler["std"], dtype=np.float32).tobytes() == std.tobytes()
    assert file.metadata["loss"] == [0.5, 0.25]


def test_load_converts_dtype_and_leaves_global_random_stream_alone(saved):
    path, model = saved
    backprop.manual_seed(11)
    expected = backprop.rand(3).numpy()
    backprop.manual_seed(11)
    loaded = io.load(path, dtype=backprop.float64)
    assert backprop.rand(3).numpy().tobytes() == expected.tobytes()
    assert loaded[0].weight.dtype == backprop.float64
    np.testing.assert_array_equal(
        loaded[0].weight.detach().numpy(), model[0].weight.detach().numpy()
    )


def test_read_returns_independent_copies(saved):
    path, _ = saved
    file = io.read(path)
    file.tensors["0.weight"][...] = 0
    assert np.any(file.model[0].weight.detach().numpy() != 0)


# -- model specs ---------------------------------------------------------------------------
def test_build_model_is_the_inverse_of_model_spec_and_takes_shorthand():
    for name in ARCHITECTURES:
        spec = io.model_spec(_model(name))
        assert io.model_spec(io.build_model(spec)) == spec
        assert json.loads(json.dumps(spec)) == spec
    built = io.build_model({"sizes": [1, 8, 8, 1], "activation": "linear"})
    assert io.model_spec(built) == {
        "sizes": [1, 8, 8, 1],
        "activation": ["identity", "identity"],
        "activation_options": [{}, {}],
        "output_activation": None,
        "output_activation_options": {},
        "bias": True,
        "dtype": "float32",
    }
    spec = {"sizes": [2, 3, 1], "activation": "leaky_relu", "activation_options": {}}
    assert io.build_model(spec)[1].negative_slope == 0.01


@pytest.mark.parametrize(
    ("spec", "phrase"),
    [
        ({"sizes": [3]}, "model.sizes"),
        ({"sizes": [3, 0, 1]}, "model.sizes[1]"),
        ({"sizes": [3, 4, 1], "activation": "nope"}, "model.activation[0]: unknown activation"),
        ({"sizes": [3, 4, 1], "activation": ["relu", "relu"]}, "2 entries"),
        ({"sizes": [3, 4, 1], "activation": "softmax"}, "only as output_activation"),
        ({"sizes": [3, 4, 1], "activation_options": {"alpha": 1}}, "relu has no option"),
        ({"sizes": [3, 4, 1], "activations": "relu"}, "unknown field(s) ['activations']"),
        ({"sizes": [3, 1], "dtype": "float16"}, "model.dtype"),
        ({"sizes": [3, 1], "bias": 1}, "model.bias"),
        ({"sizes": [3, 4, 1], "activation": "elu", "activation_options": {"alpha": "x"}}, "alpha"),
        (
            {
                "sizes": [3, 1],
                "output_activation": "gelu",
                "output_activation_options": {"approximate": "cubic"},
            },
            "approximate",
        ),
    ],
)
def test_build_model_names_the_bad_field(spec, phrase):
    with pytest.raises(SpecError) as caught:
        io.build_model(spec)
    assert phrase in str(caught.value)


class Doubler(nn.Module):
    def forward(self, x):
        return 2 * x


class Custom(nn.Sequential):
    def forward(self, x):
        return super().forward(x) + 1


@pytest.mark.parametrize(
    ("make", "phrase"),
    [
        (lambda: Doubler(), "Doubler"),
        (lambda: nn.Sequential(nn.Linear(2, 3), Doubler(), nn.Linear(3, 1)), "Doubler"),
        (lambda: Custom(nn.Linear(2, 3)), "own forward()"),
        (lambda: nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Tanh()), "follows another"),
        (lambda: nn.Sequential(nn.Linear(2, 3, bias=False), nn.Linear(3, 1)), "bias"),
        (lambda: nn.Sequential(nn.Linear(2, 3), nn.Linear(4, 1)), "takes 4 inputs"),
        (lambda: nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1).double()), "dtypes"),
    ],
)
def test_models_a_spec_cannot_describe_are_refused(tmp_path, make, phrase):
    model = make()
    with pytest.raises(ModelFileError) as caught:
        io.save(model, tmp_path / "m.safetensors")
    assert phrase in str(caught.value)
    assert "state_dict()" in str(caught.value)
    assert not (tmp_path / "m.safetensors").exists()


def test_extra_parameters_are_refused(tmp_path):
    model = nn.MLP([2, 3, 1])
    model[1].register_parameter("scale", nn.Parameter(backprop.ones(1)))
    with pytest.raises(ModelFileError, match=r"not Linear weights: \['1.scale'\]"):
        io.model_spec(model)
