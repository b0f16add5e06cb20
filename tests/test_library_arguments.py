"""Issue 12 items 11 and 12: the library's own errors for arguments of the wrong kind.

``backprop.load(5)``, ``load(None)``, ``load(b"...")``, ``save(model, 5)`` and ``fit(None,
...)`` raised raw TypeError/AttributeError; each must raise the library's error naming the
argument. A JSON spec or a CSV given where a model file belongs is named as what it is
(it was reported as a header length of 7.9e18 bytes), and a CSV path that is a folder says
so (it was "no such file").
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import backprop
from backprop import io, nn, optim
from backprop.cli import main
from backprop.errors import ConfigError, DataError, ModelFileError, PathError, SpecError
from backprop.train import EarlyStopping, fit


@pytest.mark.parametrize("value", [5, None, 3.5, ["m.safetensors"], b"\x08\x00abc"])
@pytest.mark.parametrize("reader", ["load", "read"])
def test_model_readers_name_a_path_of_the_wrong_type(reader, value):
    call = backprop.load if reader == "load" else io.read
    with pytest.raises(ModelFileError) as caught:
        call(value)
    message = str(caught.value)
    assert "(path)" in message and "expected a path (str or os.PathLike)" in message, message
    assert type(value).__name__ in message
    if isinstance(value, bytes):
        assert "contents" in message and "os.fsdecode" in message


@pytest.mark.parametrize("value", [5, None, b"m.safetensors"])
def test_save_names_a_path_of_the_wrong_type(tmp_path, value):
    with pytest.raises(ModelFileError, match=r"io.save\(model, path\): expected a path"):
        backprop.save(nn.MLP([1, 2, 1]), value)
    assert list(tmp_path.iterdir()) == []


def _fit_args():
    model = nn.MLP([1, 3, 1])
    x = np.linspace(-1, 1, 8).reshape(-1, 1)
    return model, (x, x**2), "mse", optim.SGD(model.parameters(), lr=0.1)


@pytest.mark.parametrize("model", [None, 5, "model.safetensors", np.zeros(3)])
def test_fit_names_a_model_that_is_not_a_module(model):
    _, data, loss, opt = _fit_args()
    with pytest.raises(ConfigError, match=r"fit: model must be a backprop nn.Module"):
        fit(model, data, loss, opt)


@pytest.mark.parametrize(
    ("callbacks", "words"),
    [(5, "got int 5"), ("cb", "got str"), (EarlyStopping(), "pass callbacks=[it]"),
     ([EarlyStopping(), 7], "callbacks[1] must be a Callback")],
)  # fmt: skip
def test_fit_names_callbacks_that_are_not_callbacks(callbacks, words):
    model, data, loss, opt = _fit_args()
    with pytest.raises(ConfigError) as caught:
        fit(model, data, loss, opt, callbacks=callbacks)
    assert words in str(caught.value)


def test_a_spec_given_as_a_model_is_named_a_spec(tmp_path, capsys):
    spec = tmp_path / "spec.safetensors"
    spec.write_text(json.dumps({"data": {"name": "square"}, "epochs": 5}, indent=2))
    with pytest.raises(ModelFileError) as caught:
        io.read(spec)
    assert "this is a spec file (JSON)" in str(caught.value)
    assert f"backprop.run({str(spec)!r})" in str(caught.value)  # Python's call (issue 15)
    assert "header length" not in str(caught.value)
    assert main(["predict", str(spec), "--x", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "did you mean `backprop train" in err[0], err


def test_a_csv_given_as_a_model_is_named_text(tmp_path):
    table = tmp_path / "data.safetensors"
    table.write_text("x,y\n1,2\n3,4\n")
    with pytest.raises(ModelFileError, match=r"this is a text file \(a CSV\?\) starting 'x,y'"):
        io.read(table)


def test_a_csv_path_that_is_a_folder_or_fifo_says_so(tmp_path):
    with pytest.raises(DataError, match="is a folder") as caught:
        backprop.data.from_csv(tmp_path, "y")
    assert isinstance(caught.value, PathError)
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(DataError, match="FIFO"):  # promptly: the open does not block
        backprop.data.from_csv(fifo, "y")


def test_spec_and_backup_paths_that_are_special_files_say_so(tmp_path):
    from backprop.train import backup_file

    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    with pytest.raises(SpecError, match="is a FIFO"):
        backprop.spec.load(fifo)
    (tmp_path / "zero.backup").symlink_to("/dev/zero")
    with pytest.raises(ModelFileError, match="is a character device"):
        backup_file.read(tmp_path / "zero.backup")


def test_a_model_given_as_a_spec_is_named_a_model(tmp_path):
    path = backprop.save(nn.MLP([1, 2, 1]), tmp_path / "model.safetensors")
    for name in ("spec.json", "model"):  # summary takes a path without .safetensors as a spec
        (tmp_path / name).write_bytes(path.read_bytes())
        with pytest.raises(SpecError, match=r"this is a model file \(safetensors\), not a spec"):
            backprop.spec.load(tmp_path / name)


def test_a_playground_download_predicts_classes(tmp_path, capsys):
    # the playground put task and names at the top of the stored spec, where predict and
    # summary do not look: a classifier's file printed raw logits as a regression
    from backprop.playground import exports
    from backprop.playground.session import Session

    path = tmp_path / "xor.safetensors"
    path.write_bytes(exports.write_model(exports.model_file(Session({"dataset": "xor"}))))
    assert main(["predict", str(path), "--x", "0.5,0.5"]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert header == "x1,x2,prediction,p(0),p(1)"


def test_reading_checks_the_size_before_reading(tmp_path):
    from backprop.reading import read_bytes

    path = tmp_path / "f.bin"
    path.write_bytes(b"x" * 10)
    assert read_bytes(path, label="f", limit=10) == b"x" * 10
    with pytest.raises(PathError, match="has 11 bytes, more than the 10 bytes a file may have"):
        path.write_bytes(b"x" * 11)
        read_bytes(path, label="f", limit=10)
    proc = read_bytes("/proc/self/status", label="status", limit=1 << 20)  # st_size 0
    assert proc.startswith(b"Name:")
