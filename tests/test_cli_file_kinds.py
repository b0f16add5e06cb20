"""The wrong kind of file (issue 12 item 11's class, found by a student trial).

``summary history.json`` said "spec field history: unknown field", ``gradcheck history.csv``
"builtin spec 'history.csv': unknown", ``predict model.onnx`` "a header length of
7738135658422732808 bytes". Every command that takes a file (predict, summary, explain,
gradcheck, export: a model; summary and gradcheck: a spec too; train: a spec; predict
--input and train --csv: a CSV) is given each kind of file a user has lying around: a run's
history.json and history.csv, its loss.png, a training backup, an ONNX export, a PyTorch
checkpoint (a zip holding data.pkl, as ``torch.save`` writes) and an old-style pickle, a
gzip file, a CSV, an empty file, and the model or the spec where the other is wanted. The
property: exit 2, one line on stderr, and the line names what the file is. The files are
made by the project's writers (the run, the backup, ``export --to onnx``) or by the standard
library (zipfile, pickle, gzip).

Before ``backprop.filekind`` 65 of these 88 cases failed; the 23 that passed (PNG, gzip,
pickle, CSV, spec, empty and backup files given as a model, a model given to train, empty
files given as a CSV: the readers already named these) stay as cases of the class.
"""

from __future__ import annotations

import gzip
import pickle
import zipfile
from pathlib import Path

import pytest

from cli_helpers import cli

TRAIN = ["train", "--data", "square", "--n", "8", "--hidden", "2", "--epochs", "2", "-q"]
# kind -> (file name, a phrase its refusal must hold)
KINDS = {
    "history.json": ("r/history.json", "training history"),
    "history.csv": ("r/history.csv", "training history"),
    "png": ("r/loss.png", "PNG"),
    "backup": ("bk/backup.safetensors", "backup"),
    "onnx": ("model.onnx", "ONNX"),
    "torch zip": ("model.pt", "PyTorch"),
    "pickle": ("model.pth", "pickle"),
    "gzip": ("spec.json.gz", "gzip"),
    "csv": ("data.csv", "CSV"),
    "empty": ("empty.safetensors", "empty"),
    "model": ("r/model.safetensors", "model file"),
    "spec": ("r/spec.json", "spec file"),
}
# command -> (argv before the file, argv after it, the kinds it takes)
COMMANDS = {
    "predict": (["predict"], ["--x", "1"], {"model"}),
    "summary": (["summary"], [], {"model", "spec"}),
    "explain": (["explain"], ["--x", "1"], {"model"}),
    "gradcheck": (["gradcheck"], ["--samples", "2"], {"model", "spec"}),
    "export": (["export"], ["--to", "onnx", "--out", "out.onnx"], {"model"}),
    "train": (["train"], ["--epochs", "1", "-q", "--no-plots", "--out", "t"], {"spec"}),
    "predict --input": (["predict", "r/model.safetensors", "--input"], [], {"csv", "history.csv"}),
    "train --csv": (
        ["train", "--csv"],
        ["--target", "y", "--epochs", "1", "-q", "--no-plots", "--out", "t"],
        {"csv", "history.csv"},
    ),
}


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    """A folder holding one file of each kind in ``KINDS``."""
    from backprop.spec import builtin, run
    from backprop.train import BackupAndRestore

    base = tmp_path_factory.mktemp("kinds")
    code, _, err = cli(*TRAIN, "--out", "r", cwd=base)  # with plots: loss.png
    assert code == 0, err
    spec = {**builtin("square"), "epochs": 2, "data": {"name": "square", "n": 8}}
    run(spec, callbacks=[BackupAndRestore(base / "bk", delete_on_finish=False)])
    (found,) = (base / "bk").iterdir()
    found.rename(base / "bk" / "backup.safetensors")
    pytest.importorskip("onnx")
    code, _, err = cli("export", "r/model.safetensors", "--to", "onnx", "--out", "model.onnx",
                       cwd=base)  # fmt: skip
    assert code == 0, err
    with zipfile.ZipFile(base / "model.pt", "w") as archive:  # torch.save's layout
        archive.writestr("archive/data.pkl", pickle.dumps({"0.weight": [1.0]}, protocol=2))
        archive.writestr("archive/version", "3\n")
    (base / "model.pth").write_bytes(pickle.dumps({"0.weight": [1.0]}, protocol=2))
    (base / "spec.json.gz").write_bytes(gzip.compress((base / "r" / "spec.json").read_bytes()))
    (base / "data.csv").write_text("x,y\n1,1\n2,4\n")
    (base / "empty.safetensors").write_bytes(b"")
    return base


CASES = [
    (command, kind)
    for command, (_, _, takes) in COMMANDS.items()
    for kind in KINDS
    if kind not in takes
]


@pytest.mark.parametrize(("command", "kind"), CASES)
def test_a_wrong_kind_of_file_is_named(files, command, kind):
    before, after, _ = COMMANDS[command]
    name, phrase = KINDS[kind]
    code, out, err = cli(*before, name, *after, cwd=files)
    assert code == 2, (code, out[-300:], err)
    verb = command.split()[0]
    assert err.count("\n") == 1 and err.startswith(f"backprop {verb}: error: "), err
    said = err.replace(name, "FILE").lower()  # the phrase, not the file's own name
    assert phrase.lower() in said, (phrase, err)
    assert not (files / "t").exists() and not (files / "out.onnx").exists()


@pytest.mark.parametrize("command", ["summary", "gradcheck"])
def test_model_or_spec_is_decided_by_content_not_suffix(files, tmp_path, command):
    """A spec named .safetensors and a model named .json are each read as what they are."""
    (tmp_path / "spec.safetensors").write_bytes((files / "r" / "spec.json").read_bytes())
    (tmp_path / "model.json").write_bytes((files / "r" / "model.safetensors").read_bytes())
    before, after, _ = COMMANDS[command]
    for name in ("spec.safetensors", "model.json"):
        code, _, err = cli(*before, name, *after, cwd=tmp_path)
        assert code == 0, (name, err)
    assert "untrained" in cli("summary", "spec.safetensors", cwd=tmp_path)[1]


@pytest.mark.parametrize("command", ["gradcheck", "explain"])
def test_a_name_that_is_no_file_and_no_builtin_says_no_such_file(tmp_path, command):
    before, after, _ = COMMANDS[command]
    code, _, err = cli(*before, "histroy", *after, cwd=tmp_path)
    assert code == 2 and err.count("\n") == 1, err
    assert "no such file" in err and "unknown" not in err, err
