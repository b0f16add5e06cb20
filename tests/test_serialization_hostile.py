"""torch.save/torch.load on backprop against hostile files (issue 14 attack): a FIFO is refused
before it is opened (it blocked for ever), a stream without end is bounded, lying trees and
self-containing objects get the project's errors, never a bare KeyError/TypeError."""

import json
import os
import threading

import numpy as np
import pytest
import safetensors.numpy

import backprop as torch
from backprop.errors import ConfigError, ModelFileError, PathError


def test_a_fifo_is_refused_at_once(tmp_path):
    fifo = tmp_path / "f.pt"
    os.mkfifo(fifo)
    link = tmp_path / "link.pt"
    link.symlink_to(fifo)
    done = []

    def load(path):
        try:
            torch.load(path)
        except PathError as error:
            done.append(str(error))

    for path in (fifo, link):
        worker = threading.Thread(target=load, args=(path,), daemon=True)
        worker.start()
        worker.join(10)
        assert not worker.is_alive(), f"torch.load({path.name}) blocked"
    assert len(done) == 2 and all("FIFO" in text for text in done)


@pytest.mark.parametrize(
    "tree",
    [{"x": 1}, [1, 2], {"t": "tensor", "k": "nope"}, {"t": "float", "v": [1]},
     {"t": "list", "items": 5}, {"t": "int", "v": "not an int"}, {"t": "dict", "items": [[1]]}],
)  # fmt: skip
def test_a_lying_tree_is_a_model_file_error(tmp_path, tree):
    data = safetensors.numpy.save(
        {"t0": np.zeros(1, np.float32)},
        metadata={"format": "backprop-tree-1", "tree": json.dumps(tree)},
    )
    path = tmp_path / "lie.pt"
    path.write_bytes(data)
    with pytest.raises(ModelFileError, match="tree is not one save"):
        torch.load(path)


def test_an_honest_tree_round_trips_and_a_self_containing_one_is_refused(tmp_path):
    state = {"epoch": 3, "w": torch.ones(2, 2), "names": ["a", "b"], "ok": True}
    torch.save(state, tmp_path / "s.pt")
    back = torch.load(tmp_path / "s.pt")
    assert back["epoch"] == 3 and back["names"] == ["a", "b"] and back["ok"] is True
    np.testing.assert_array_equal(back["w"].numpy(), np.ones((2, 2), np.float32))
    loop = [1]
    loop.append(loop)
    with pytest.raises(ConfigError, match="contains itself"):
        torch.save(loop, tmp_path / "loop.pt")
