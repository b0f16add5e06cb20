"""backprop.io refuses what it cannot write or read: unwritable weights, spec and
metadata on save, and every corrupted, truncated, foreign or non-finite file on load.

Each bad file must give a one-line ModelFileError with a reason; the fuzz test mutates a
valid file at random and accepts only that error or a load that agrees with an
independent reader (safetensors' own).
"""

import json
import struct
from collections import OrderedDict

import numpy as np
import pytest
import safetensors.numpy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import backprop
from backprop import io, nn
from backprop.errors import ModelFileError
from io_helpers import _predict, save_small_model


@pytest.fixture
def saved(tmp_path):
    """A small valid file and the model it holds."""
    return save_small_model(tmp_path)


def _split(data: bytes):
    n = struct.unpack("<Q", data[:8])[0]
    return json.loads(data[8 : 8 + n]), data[8 + n :]


def _join(header: dict, body: bytes) -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + body


def _refused(path, *phrases, **kwargs) -> str:
    with pytest.raises(ModelFileError) as caught:
        io.read(path, **kwargs)
    message = str(caught.value)
    assert "\n" not in message, message
    for phrase in phrases:
        assert phrase in message, message
    return message


# -- saving --------------------------------------------------------------------------------
def test_save_refuses_nan_weights_unless_allowed_and_load_likewise(tmp_path):
    model = nn.Sequential(OrderedDict(hidden=nn.Linear(2, 3), act=nn.ReLU(), out=nn.Linear(3, 1)))
    model.out.weight._data[0, 1] = np.nan
    model.hidden.bias._data[2] = np.inf
    path = tmp_path / "m.safetensors"
    with pytest.raises(ModelFileError) as caught:
        io.save(model, path)
    message = str(caught.value)
    assert "2.weight (model's out.weight) has 1 NaN and 0 inf of 3 values" in message
    assert "0.bias (model's hidden.bias) has 0 NaN and 1 inf" in message
    assert "allow_nan=True" in message and not path.exists()
    io.save(model, path, allow_nan=True)
    _refused(path, "2.weight has 1 NaN", "0.bias has 0 NaN and 1 inf", "allow_nan=True")
    loaded = io.load(path, allow_nan=True)
    assert np.isnan(loaded[2].weight.detach().numpy()[0, 1])


@pytest.mark.parametrize(
    ("kwargs", "phrase"),
    [
        ({"metadata": {"model": 1}}, "reserved"),
        ({"metadata": {1: 1}}, "metadata key 1"),
        ({"metadata": {"f": object()}}, "metadata['f'] cannot be stored as JSON"),
        ({"metadata": {"loss": float("nan")}}, "NaN and infinity are not JSON"),
        ({"spec": [1]}, "spec must be a dict"),
        ({"metadata": "x"}, "metadata must be a dict"),
    ],
)
def test_save_refuses_bad_spec_and_metadata(tmp_path, kwargs, phrase):
    with pytest.raises(ModelFileError) as caught:
        io.save(nn.MLP([1, 2, 1]), tmp_path / "m.safetensors", **kwargs)
    assert phrase in str(caught.value)


def test_save_to_a_folder_is_refused_and_overwrite_is_clean(tmp_path):
    with pytest.raises(ModelFileError, match="is a folder"):
        io.save(nn.MLP([1, 2, 1]), tmp_path)
    path = tmp_path / "m.safetensors"
    io.save(nn.MLP([1, 2, 1]), path)
    io.save(nn.MLP([1, 3, 1]), path)
    assert io.read(path).spec["sizes"] == [1, 3, 1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.safetensors"]  # no temp files


# -- refusing bad files --------------------------------------------------------------------
def test_missing_file_folder_and_empty_file(tmp_path, saved):
    path, _ = saved
    _refused(tmp_path / "nope.safetensors", "model file not found", "nope.safetensors")
    _refused(path.with_suffix(""), "Did you mean", "model.safetensors")
    _refused(tmp_path, "is a folder", "model.safetensors")
    (tmp_path / "empty.safetensors").write_bytes(b"")
    _refused(tmp_path / "empty.safetensors", "empty (0 bytes)")


def test_every_truncation_is_refused_as_truncated(saved):
    path, _ = saved
    data = path.read_bytes()
    header_end = 8 + struct.unpack("<Q", data[:8])[0]
    for size in range(1, len(data)):
        path.write_bytes(data[:size])
        message = _refused(path, "truncated")
        if size > header_end:  # the header is whole: the message gives both sizes
            assert f"should have {len(data)} bytes, but it has {size}" in message


@pytest.mark.parametrize(
    ("edit", "phrases"),
    [
        (lambda d: struct.pack("<Q", len(d)) + d[8:], ["truncated", "at least"]),
        (lambda d: b"\xff" * 8 + d[8:], ["not a safetensors file", "header length"]),
        (lambda d: d[:8] + b"[" + d[9:], ["starting with '{'"]),
        (lambda d: d[:8] + b"{\xff" + d[10:], ["not valid UTF-8"]),
        (lambda d: d[:20] + b"\x00" + d[21:], ["not valid JSON"]),
        (lambda d: d.replace(b'"dtype":', b'"dtype" ', 1), ["not valid JSON"]),
        (lambda d: d + b"\x00\x00\x00\x00", ["4 unexpected bytes after the last tensor"]),
    ],
)
def test_corrupted_bytes_are_refused(saved, edit, phrases):
    path, _ = saved
    path.write_bytes(edit(path.read_bytes()))
    _refused(path, *phrases)


def _edit_header(path, change):
    header, body = _split(path.read_bytes())
    change(header, body)
    path.write_bytes(_join(header, body))


def _set_offsets(name, offsets):
    def change(header, body):
        header[name]["data_offsets"] = offsets

    return change


@pytest.mark.parametrize(
    ("change", "phrases"),
    [
        (lambda h, b: h.pop("__metadata__"), ["not a backprop model file", "no metadata"]),
        (lambda h, b: h["__metadata__"].update(format="pt"), ["format 'pt'", "0.weight F32"]),
        (lambda h, b: h["__metadata__"].pop("model"), ["model description", "missing"]),
        (lambda h, b: h["__metadata__"].update(model="{"), ["metadata 'model' is not valid"]),
        (
            lambda h, b: h["__metadata__"].update(
                model='{"sizes": [3, 5, 4, 2], "activation": ["tanh", "relux"]}'
            ),
            ["unknown activation"],
        ),
        (
            lambda h, b: h["__metadata__"].update(model='{"sizes": [3, 6, 4, 2]}'),
            ["0.weight has shape [5, 3], expected [6, 3]"],
        ),
        (lambda h, b: h["__metadata__"].update(epochs=5), ["__metadata__['epochs'] must be"]),
        (lambda h, b: h["__metadata__"].update(spec="[1]"), ["'spec' must be a JSON object"]),
        (
            lambda h, b: h["__metadata__"].update(spec='{"data": {"scaler": {"std": [1, 0, 1]}}}'),
            ["spec.data.scaler.std"],
        ),
        (lambda h, b: h["0.bias"].update(dtype="F16"), ["0.bias", "needs 10 bytes"]),
        (lambda h, b: h["0.bias"].update(dtype="Q8"), ["unknown dtype 'Q8'"]),
        (lambda h, b: h["0.bias"].update(shape=[2.5]), ["invalid shape"]),
        (lambda h, b: h["0.bias"].update(shape=[-5]), ["invalid shape"]),
        (lambda h, b: h["0.bias"].pop("shape"), ["exactly dtype, shape and data_offsets"]),
        (lambda h, b: h.update(extra=[]), ["'extra'", "exactly dtype, shape"]),
        (_set_offsets("0.bias", [4, 0]), ["invalid data_offsets"]),
        (_set_offsets("2.bias", [0, 16]), ["overlaps"]),
        (_set_offsets("2.bias", [10**6, 10**6 + 16]), ["leaves a gap"]),
        (_set_offsets("0.bias", [True, 20]), ["invalid data_offsets"]),
    ],
)
def test_inconsistent_headers_are_refused(saved, change, phrases):
    path, _ = saved
    _edit_header(path, change)
    _refused(path, *phrases)


def test_tensor_data_running_past_the_end_is_truncation(saved):
    path, _ = saved
    header, body = _split(path.read_bytes())
    last = max(header.values(), key=lambda e: e.get("data_offsets", [0])[-1])
    last["shape"] = [last["shape"][0] + 1, *last["shape"][1:]]
    grow = int(np.prod(last["shape"][1:])) * 4
    last["data_offsets"][1] += grow
    path.write_bytes(_join(header, body))
    _refused(path, "truncated", f"({grow} missing)")


def test_tensors_that_do_not_fit_the_model_spec(tmp_path, saved):
    path, model = saved
    metadata = _split(path.read_bytes())[0]["__metadata__"]
    weights = {k: v.numpy() for k, v in model.state_dict().items()}
    cases = [
        ({k: v for k, v in weights.items() if k != "4.bias"}, "missing tensor(s) ['4.bias']"),
        ({**weights, "9.weight": weights["0.bias"]}, "unexpected tensor(s) ['9.weight']"),
        ({**weights, "2.weight": weights["2.weight"].T.copy()}, "2.weight has shape [5, 4]"),
        ({**weights, "0.bias": weights["0.bias"].astype(np.float64)}, "0.bias is F64"),
    ]
    for tensors, phrase in cases:
        safetensors.numpy.save_file(tensors, path, metadata=metadata)
        _refused(path, "do not match the model description", phrase)


def test_foreign_files_are_named_as_such(tmp_path):
    torch = pytest.importorskip("torch")
    import safetensors.torch

    other = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.Flatten())
    path = tmp_path / "conv.safetensors"
    safetensors.torch.save_file(other.state_dict(), path, metadata={"format": "pt"})
    _refused(path, "not a backprop model file", "format 'pt'", "0.weight F32[2, 1, 3, 3]")
    png = tmp_path / "plot.safetensors"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    _refused(png, "not a safetensors file", "PNG image")
    pickle_file = tmp_path / "model.pt.safetensors"
    pickle_file.write_bytes(b"\x80\x04\x95" + b"\x01" * 100)
    _refused(pickle_file, "pickle")
    noise = tmp_path / "noise.safetensors"
    for seed in range(20):
        noise.write_bytes(np.random.default_rng(seed).bytes(64 + 50 * seed))
        _refused(noise)


def test_unreadable_file_is_a_model_file_error(tmp_path, saved):
    import os

    path, _ = saved
    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    path.chmod(0)
    _refused(path, "cannot read")


# -- fuzzing -------------------------------------------------------------------------------
_MUTATION = st.tuples(
    st.sampled_from(["flip", "set", "insert", "delete", "truncate"]),
    st.floats(0, 1, exclude_max=True),
    st.integers(0, 255),
)


@pytest.fixture(scope="module")
def fuzz_file(tmp_path_factory):
    backprop.manual_seed(3)
    model = nn.MLP([2, 3, 2], "tanh", output_activation="sigmoid")
    folder = tmp_path_factory.mktemp("fuzz")
    spec = {"data": {"scaler": {"mean": [0.0, 1.0], "std": [1.0, 2.0]}}}
    path = io.save(model, folder / "valid.safetensors", spec=spec, metadata={"n": 1})
    return path.read_bytes(), folder / "mutant.safetensors"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutations=st.lists(_MUTATION, min_size=1, max_size=4))
def test_random_mutations_give_model_file_error_or_a_correct_load(fuzz_file, mutations):
    valid, path = fuzz_file
    data = bytearray(valid)
    for kind, where, value in mutations:
        i = int(where * len(data)) if data else 0
        if kind == "flip" and data:
            data[i] ^= 1 << (value % 8)
        elif kind == "set" and data:
            data[i] = value
        elif kind == "insert":
            data.insert(i, value)
        elif kind == "delete" and data:
            del data[i]
        elif kind == "truncate":
            del data[i:]
    path.write_bytes(bytes(data))
    try:
        file = io.read(path)
    except ModelFileError as error:
        assert "\n" not in str(error)
        return
    reference = safetensors.numpy.load_file(path)  # an independent reader agrees
    assert sorted(reference) == sorted(file.tensors) == sorted(file.model.state_dict())
    for key, value in file.model.state_dict().items():
        assert np.isfinite(value.numpy()).all()
        assert value.numpy().tobytes() == reference[key].tobytes()
    with np.errstate(all="ignore"):
        _predict(
            file.model, backprop.ones(3, file.spec["sizes"][0], dtype=file.model[0].weight.dtype)
        )


@pytest.mark.parametrize("bad", [[], [1], "relu", 3, None, True])
@pytest.mark.parametrize("field", ["output_activation_options", "activation_options"])
def test_activation_options_that_are_not_objects_are_refused_naming_the_field(tmp_path, bad, field):
    """An outside tester's forged file: ``output_activation: relu`` with options ``[]``
    crashed summary/predict/export with AttributeError ('list' has no attribute 'items')."""
    model = nn.MLP([1, 4, 1], "leaky_relu")
    backprop.save(model, tmp_path / "m.safetensors")
    data = (tmp_path / "m.safetensors").read_bytes()
    header, body = _split(data)
    spec = json.loads(header["__metadata__"]["model"])
    if field == "output_activation_options":
        spec["output_activation"] = "leaky_relu"
        spec[field] = bad
    else:
        spec[field] = [bad]
    header["__metadata__"]["model"] = json.dumps(spec)
    (tmp_path / "f.safetensors").write_bytes(_join(header, body))
    _refused(tmp_path / "f.safetensors", field)
