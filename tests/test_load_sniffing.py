"""backprop.load tells a safetensors file from a pickle by its structure, not its first byte:
a safetensors file starts with its header's length, whose low byte can be 0x80 — the byte a
pickle starts with (a model file with such a header was refused as "a PyTorch torch.save
file")."""

import numpy as np
import pytest
import safetensors.numpy

import backprop
from backprop.errors import ModelFileError


@pytest.mark.parametrize("length", [0x280, 0x380, 0x10280])  # 0x80 0x02 …: like pickle v2
def test_a_header_whose_length_starts_like_a_pickle_still_loads(tmp_path, length):
    path = tmp_path / "t.safetensors"
    backprop.save({"w": backprop.ones(2, 3)}, path)
    tensors = safetensors.numpy.load_file(str(path))
    with safetensors.safe_open(str(path), "np") as f:
        metadata = dict(f.metadata())
    safetensors.numpy.save_file(tensors, str(path), metadata={**metadata, "pad": ""})
    base = int.from_bytes(path.read_bytes()[:8], "little")
    for pad in range(max(0, length - base - 16), length - base + 16):  # the header's padding
        safetensors.numpy.save_file(tensors, str(path), metadata={**metadata, "pad": "x" * pad})
        size = int.from_bytes(path.read_bytes()[:8], "little")
        if size >= length:
            break
    if size != length:
        pytest.skip(f"header length {size} (alignment) instead of {length:#x}")
    assert path.read_bytes()[:2] == length.to_bytes(8, "little")[:2]
    loaded = backprop.load(path)
    np.testing.assert_array_equal(loaded["w"].numpy(), np.ones((2, 3), np.float32))


def test_a_real_pickle_is_still_refused(tmp_path):
    import pickle

    path = tmp_path / "p.pt"
    path.write_bytes(pickle.dumps({"w": [1, 2]}, protocol=2))
    with pytest.raises(ModelFileError, match="never unpickles"):
        backprop.load(path)
