"""File kinds (issue 12 item 11's class): every library reader × every kind of file × names.

The readers of user-named files (``io.read``, ``backprop.load``, ``spec.load``,
``data.from_csv``) are handed each kind of file a user has beside a run, none of which is
what the reader wants: a model, a training backup, a spec, history.json, history.csv, a
plot (PNG), an ONNX export, a PyTorch checkpoint (zip with data.pkl) and an old-style
pickle, a gzip file, a CSV and an empty file. Each file is tried under its own name, under
the suffix the reader expects (``history.json`` saved as ``x.safetensors``, an ONNX file as
``x.json``: the content decides, not the name) and (long mode) with no suffix at all.

Pass: the project's own error (a ``BackpropError``), one line, naming what the file is
(words of ``backprop.filekind``'s phrase, not the file's name). The files come from the
project's writers (a run, its run folder, a backup, the ONNX exporter) and the standard
library (zipfile, pickle, gzip); what each reader accepts is not tried here (the rest of
the suite reads valid files).
"""

from __future__ import annotations

import gzip
import pickle
import shutil
import zipfile
from pathlib import Path

import pytest

import backprop
from backprop.errors import BackpropError

# kind -> (file name, a word its refusal must hold)
KINDS = {
    "model": ("model.safetensors", "model file"),
    "backup": ("state.backup", "backup"),
    "spec": ("spec.json", "spec file"),
    "history.json": ("history.json", "training history"),
    "history.csv": ("history.csv", "training history"),
    "png": ("loss.png", "PNG"),
    "onnx": ("model.onnx", "ONNX"),
    "torch zip": ("model.pt", "PyTorch"),
    "pickle": ("model.pth", "pickle"),
    "gzip": ("spec.json.gz", "gzip"),
    "csv": ("data.csv", "CSV"),
    "empty": ("empty", "empty"),
}
READERS = {  # reader -> (call, suffix it expects, kinds it accepts)
    "io.read": (lambda p: backprop.io.read(p), ".safetensors", {"model"}),
    "backprop.load": (lambda p: backprop.load(p), ".safetensors", {"model"}),
    "spec.load": (lambda p: backprop.spec.load(p), ".json", {"spec"}),
    "data.from_csv": (lambda p: backprop.data.from_csv(p, "y"), ".csv", {"csv", "history.csv"}),
}


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    from backprop.interop.onnx_export import onnx_model
    from backprop.spec import save_run
    from backprop.train import backup_file

    pytest.importorskip("onnx")
    base = tmp_path_factory.mktemp("kinds")
    spec = {"name": "k", "data": {"name": "square", "n": 16}, "model": {"hidden": [3]},
            "epochs": 2}  # fmt: skip
    result = backprop.run(spec)
    save_run(result, base / "run")
    for name in ("model.safetensors", "spec.json", "history.json", "history.csv"):
        shutil.copy(base / "run" / name, base / name)
    backprop.plots.loss_curves(result.history, base / "loss.png")
    backup_file.write(base / "state.backup", {"epoch": 1, "w": [1.0, 2.0]})
    (base / "model.onnx").write_bytes(onnx_model(result.model).SerializeToString())
    with zipfile.ZipFile(base / "model.pt", "w") as archive:  # torch.save's layout
        archive.writestr("archive/data.pkl", pickle.dumps({"0.weight": [1.0]}, protocol=2))
    (base / "model.pth").write_bytes(pickle.dumps({"0.weight": [1.0]}, protocol=2))
    (base / "spec.json.gz").write_bytes(gzip.compress((base / "spec.json").read_bytes()))
    (base / "data.csv").write_text("x,y\n1,1\n2,4\n")
    (base / "empty").write_bytes(b"")
    return base


def test_every_reader_names_every_wrong_kind(files, tmp_path, long_mode):
    names = ("own", "disguised", "bare") if long_mode else ("own", "disguised")
    tried, bad = 0, []
    for reader, (call, suffix, accepts) in READERS.items():
        for kind, (name, word) in KINDS.items():
            if kind in accepts:
                continue
            for how in names:
                path = files / name
                if how != "own":
                    path = tmp_path / f"{reader}-{kind.replace(' ', '_')}-{how}"
                    path = path.with_name(path.name + (suffix if how == "disguised" else ""))
                    shutil.copy(files / name, path)
                tried += 1
                try:
                    call(path)
                except BackpropError as error:
                    said = str(error).replace(str(path), "FILE")
                    if word.lower() not in said.lower() or "\n" in said:
                        bad.append(f"{reader} × {kind} ({how}): {said[:160]}")
                except Exception as error:  # noqa: BLE001 - what escapes is the finding
                    bad.append(f"{reader} × {kind} ({how}): {type(error).__name__}: {error}")
                else:
                    bad.append(f"{reader} × {kind} ({how}): read without an error")
    print(
        f"file kinds: {tried} cases ({len(READERS)} readers × wrong kinds × names "
        f"{'/'.join(names)}), {tried - len(bad)} refused naming the kind, {len(bad)} not"
    )
    assert not bad, "\n".join(bad)
