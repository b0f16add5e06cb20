"""backprop.save / backprop.load as torch.save / torch.load: the same nests come back, no pickle.

References: PyTorch 2.13's own torch.save/torch.load round trip of the same objects (the
structure and values torch returns), and torch-written files (which backprop must refuse).
"""

import io
from collections import OrderedDict

import numpy as np
import pytest

import backprop
from backprop import nn
from backprop.errors import ConfigError, DeviceError, ModelFileError

torch = pytest.importorskip("torch")


def _same_structure(ours, theirs):
    """Walk both nests: same container types, keys, scalars; tensors equal in value and dtype."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, backprop.Tensor)
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
        assert tuple(ours.shape) == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        return
    assert type(ours) is type(theirs), (type(ours), type(theirs))
    if isinstance(theirs, dict):
        assert list(ours) == list(theirs)
        for k in theirs:
            _same_structure(ours[k], theirs[k])
    elif isinstance(theirs, (list, tuple)):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _same_structure(a, b)
    elif isinstance(theirs, float) and theirs != theirs:
        assert ours != ours
    else:
        assert ours == theirs


def _torch_roundtrip(obj, tmp_path):
    path = tmp_path / "torch.pt"
    torch.save(obj, path)
    return torch.load(path, weights_only=True)


def _to_torch(obj):
    if isinstance(obj, backprop.Tensor):
        return torch.from_numpy(obj.numpy().copy())
    if isinstance(obj, OrderedDict):
        return OrderedDict((k, _to_torch(v)) for k, v in obj.items())
    if isinstance(obj, dict):
        return {k: _to_torch(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_to_torch(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_to_torch(v) for v in obj)
    return obj


def test_a_state_dict_comes_back_as_torch_gives_it_back(tmp_path):
    backprop.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
    state = model.state_dict()
    backprop.save(state, tmp_path / "model.ckpt")
    ours = backprop.load(tmp_path / "model.ckpt")
    theirs = _torch_roundtrip(_to_torch(state), tmp_path)
    _same_structure(ours, theirs)
    fresh = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
    fresh.load_state_dict(ours)
    x = backprop.randn(4, 3)
    np.testing.assert_array_equal(fresh(x).detach().numpy(), model(x).detach().numpy())


def test_a_checkpoint_nest_keeps_its_shape_and_scalars(tmp_path):
    nest = {
        "epoch": 7,
        "loss": 0.125,
        "nan": float("nan"),
        "name": "run-1",
        "done": False,
        "nothing": None,
        "history": [1.5, 2.5],
        "pair": (backprop.arange(6).reshape(2, 3), backprop.tensor([True, False])),
        "inner": OrderedDict(w=backprop.ones(2, dtype=backprop.float64)),
        3: "int key",
    }
    buffer = io.BytesIO()
    backprop.save(nest, buffer)
    buffer.seek(0)
    ours = backprop.load(buffer)
    theirs = _torch_roundtrip(_to_torch(nest), tmp_path)
    _same_structure(ours, theirs)


def test_a_tensor_alone_round_trips_with_its_dtype(tmp_path):
    for t in (backprop.randn(3, 2), backprop.arange(5), backprop.tensor(2.5)):
        backprop.save(t, tmp_path / "t.bin")
        _same_structure(backprop.load(tmp_path / "t.bin"), _torch_roundtrip(_to_torch(t), tmp_path))


def test_a_dense_model_saves_whole_and_loads_ready(tmp_path):
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))
    backprop.save(model, tmp_path / "net.pkl")
    again = backprop.load(tmp_path / "net.pkl")
    x = backprop.randn(3, 2)
    np.testing.assert_array_equal(again(x).detach().numpy(), model(x).detach().numpy())


def test_a_custom_module_is_refused_with_the_state_dict_way(tmp_path):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)

        def forward(self, x):
            return self.fc(x)

    with pytest.raises(ConfigError, match=r"state_dict\(\)"):
        backprop.save(Net(), tmp_path / "net.pkl")
    with pytest.raises(ConfigError, match="cannot store without pickle"):
        backprop.save({"f": len}, tmp_path / "x.pkl")


def test_a_torch_written_file_is_refused_without_unpickling(tmp_path):
    path = tmp_path / "torch.pt"
    torch.save({"w": torch.ones(2)}, path)
    with pytest.raises(ModelFileError, match="never unpickles") as info:
        backprop.load(path)
    assert "safetensors" in str(info.value)
    legacy = tmp_path / "legacy.pt"
    torch.save({"w": torch.ones(2)}, legacy, _use_new_zipfile_serialization=False)
    with pytest.raises(ModelFileError, match="pickle"):
        backprop.load(legacy)


def test_map_location_other_than_the_cpu_is_a_device_error(tmp_path):
    backprop.save(backprop.ones(2), tmp_path / "t.bin")
    assert backprop.load(tmp_path / "t.bin", map_location="cpu").shape == (2,)
    assert backprop.load(
        tmp_path / "t.bin", map_location=backprop.device("cpu"), weights_only=True
    ).shape == (2,)
    with pytest.raises(DeviceError, match="CPU only"):
        backprop.load(tmp_path / "t.bin", map_location="cuda:0")
