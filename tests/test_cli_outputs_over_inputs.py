"""An output that is one of the command's own inputs (issue 12 item 1, found by a student).

``predict M --x 2 --output M`` replaced the model with a 15-byte CSV and exited 0. Every
command that writes is given, as its output, each of its inputs spelled four ways: the same
text, ``./`` in front, a symlink to it and a hard link to it (train: its run folder through a
symlink, and a spec reached through a symlink). The property a user expects: exit 2, one
line on stderr naming the output flag, the input's flag and the path, and not one file in
the temp folder changed (bytes and inode numbers compared).

The CLI runs in this process (``backprop.cli.app.main``) with the working folder in a temp
dir. On the code before ``cli/overlap.py`` every predict case and the train cases exited 0
(the model or the spec replaced); export refused the same text, ``./`` and a symlink (by
``realpath``) but wrote over a hard link.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from cli_helpers import cli

TRAIN = ["train", "--data", "square", "--n", "8", "--hidden", "2", "--epochs", "2", "-q"]
SPELLINGS = ("same", "dot", "symlink", "hardlink")


def state(folder: Path) -> dict:
    """Every entry under ``folder``: kind, inode and (files) a hash of the bytes."""
    found = {}
    for p in sorted(folder.rglob("*")):
        info = p.lstat()
        if p.is_symlink():
            found[str(p.relative_to(folder))] = ("link", os.readlink(p))
        elif p.is_file():
            digest = hashlib.sha256(p.read_bytes()).hexdigest()
            found[str(p.relative_to(folder))] = ("file", info.st_ino, digest)
        else:
            found[str(p.relative_to(folder))] = ("dir", info.st_ino)
    return found


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    """One small run (model, spec, history) that each test copies."""
    base = tmp_path_factory.mktemp("run")
    code, _, err = cli(*TRAIN, "--no-plots", "--out", "r", cwd=base)
    assert code == 0, err
    (base / "r" / "data.csv").write_text("x\n0.5\n-1\n2\n")
    return base / "r"


def spelled(tmp: Path, name: str, how: str) -> str:
    """``name`` (a file in ``tmp``) as the output path, spelled ``how``."""
    if how == "same":
        return name
    if how == "dot":
        return "./" + name
    alias = tmp / f"{how}-{Path(name).name}"
    if how == "symlink":
        alias.symlink_to(tmp / name)
    else:
        os.link(tmp / name, alias)
    return alias.name


def refused(tmp: Path, argv: list, phrases: list[str]) -> None:
    before = state(tmp)
    code, out, err = cli(*argv, cwd=tmp)
    assert code == 2, (code, out, err)
    assert err.count("\n") == 1 and err.startswith("backprop "), err
    for phrase in phrases:
        assert phrase in err, (phrase, err)
    assert state(tmp) == before, "a file changed"


@pytest.mark.parametrize("how", SPELLINGS)
def test_predict_output_over_its_model(run_folder, tmp_path, how):
    shutil.copytree(run_folder, tmp_path / "clob")
    out = spelled(tmp_path, "clob/model.safetensors", how)
    argv = ["predict", "clob/model.safetensors", "--x", "2", "--output", out]
    refused(tmp_path, argv, ["--output", "MODEL", repr(out)])


@pytest.mark.parametrize("how", SPELLINGS)
def test_predict_output_over_its_input_csv(run_folder, tmp_path, how):
    shutil.copytree(run_folder, tmp_path / "r")
    out = spelled(tmp_path, "r/data.csv", how)
    argv = ["predict", "r/model.safetensors", "--input", "r/data.csv", "--output", out]
    refused(tmp_path, argv, ["--output", "--input", repr(out)])


@pytest.mark.parametrize("to", ["onnx", "torch"])
@pytest.mark.parametrize("how", SPELLINGS)
def test_export_out_over_its_model(run_folder, tmp_path, how, to):
    shutil.copytree(run_folder, tmp_path / "r")
    out = spelled(tmp_path, "r/model.safetensors", how)
    argv = ["export", "r/model.safetensors", "--to", to, "--out", out]
    refused(tmp_path, argv, ["--out", "MODEL", repr(out)])


@pytest.mark.parametrize("how", ["same", "dot", "symlink"])
def test_train_overwrite_of_the_folder_holding_its_spec(run_folder, tmp_path, how):
    """``train r/spec.json --out r --overwrite`` deleted the spec it ran (RUN_FILES has it)."""
    shutil.copytree(run_folder, tmp_path / "r")
    (tmp_path / "r" / "data.csv").unlink()  # a pure run folder: --overwrite replaces it
    out = {"same": "r", "dot": "./r", "symlink": "rlink"}[how]
    if how == "symlink":
        (tmp_path / "rlink").symlink_to(tmp_path / "r")
    argv = ["train", "r/spec.json", "--epochs", "1", "-q", "--no-plots", "--out", out]
    refused(tmp_path, [*argv, "--overwrite"], ["--out", "SPEC", "r/spec.json"])


def test_train_overwrite_with_the_spec_through_a_symlink(run_folder, tmp_path):
    shutil.copytree(run_folder, tmp_path / "r")
    (tmp_path / "r" / "data.csv").unlink()
    (tmp_path / "s.json").symlink_to(tmp_path / "r" / "spec.json")
    argv = ["train", "s.json", "--epochs", "1", "-q", "--no-plots", "--out", "r", "--overwrite"]
    refused(tmp_path, argv, ["--out", "SPEC", "s.json"])


def test_train_overwrite_of_the_folder_holding_its_csv(run_folder, tmp_path):
    """A run folder (it has the marker) with the user's CSV inside: --overwrite deleted it."""
    shutil.copytree(run_folder, tmp_path / "r")
    (tmp_path / "r" / "d.csv").write_text("x,y\n" + "".join(f"{i},{i * i}\n" for i in range(8)))
    argv = ["train", "--csv", "r/d.csv", "--target", "y", "--hidden", "2", "--epochs", "1"]
    refused(tmp_path, [*argv, "-q", "--no-plots", "--out", "r", "--overwrite"],
            ["--out", "--csv", "r/d.csv"])  # fmt: skip


def test_the_refusal_comes_before_any_work(run_folder, tmp_path):
    """Refused before the model is read: an unreadable model still gets the overlap line."""
    (tmp_path / "m.safetensors").write_bytes(b"not a model at all")
    refused(tmp_path, ["predict", "m.safetensors", "--x", "1", "--output", "m.safetensors"],
            ["--output", "MODEL"])  # fmt: skip


def test_different_files_are_still_written(run_folder, tmp_path):
    """The rule refuses only the same file: a new name beside the run folder is written."""
    shutil.copytree(run_folder, tmp_path / "r")
    code, _, err = cli("predict", "r/model.safetensors", "--x", "2", "--output", "p.csv",
                       cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    assert (tmp_path / "p.csv").read_text().startswith("x")


# -- outputs over files of another kind, and into run folders (issue 12, HX item 1) --------
# ``predict m --output other.safetensors`` (another trained model), ``--output myspec.json``,
# ``export --out run6/model.safetensors`` and ``vanishing --plot other.safetensors`` replaced
# the file, exit 0, on the code before ``overlap.refuse_foreign_output``: each case below
# exited 0 with the file replaced there. A file of the kind the command writes (or an empty
# one) is still replaced.
VANISH = ["vanishing", "--depths", "2", "--width", "4", "--samples", "8"]
COMMANDS = {
    "predict": (["predict", "m.safetensors", "--x", "1", "--output"], "csv"),
    "onnx": (["export", "m.safetensors", "--to", "onnx", "--out"], "onnx"),
    "torch": (["export", "m.safetensors", "--to", "torch", "--out"], "torch"),
    "plot": ([*VANISH, "--plot"], "png"),
}
WRITES = {"csv": "csv", "onnx": "onnx", "torch": "export.safetensors", "png": "p.png"}


@pytest.fixture(scope="module")
def kinds(run_folder, tmp_path_factory) -> Path:
    """One file of each kind, outside any run folder (model, spec, history, CSV, ONNX, torch
    export, PNG) plus the run folder ``r``."""
    base = tmp_path_factory.mktemp("kinds")
    shutil.copytree(run_folder, base / "r")
    for name in ("model.safetensors", "spec.json", "history.json", "history.csv"):
        shutil.copy(run_folder / name, base / name)
    shutil.copy(run_folder / "model.safetensors", base / "m.safetensors")
    (base / "csv").write_text("x,prediction\n1,0.5\n")
    code, _, err = cli(*VANISH, "--plot", "p.png", cwd=base)  # a plot backprop drew (its mark)
    assert code == 0, err
    code, _, err = cli("export", "m.safetensors", "--to", "onnx", "--out", "onnx", cwd=base)
    assert code == 0, err
    code, _, err = cli("export", "m.safetensors", "--to", "torch", "--out",
                       "export.safetensors", cwd=base)  # fmt: skip
    assert code == 0, err
    return base


FOREIGN = [
    ("predict", "model.safetensors", "a model file"),
    ("predict", "spec.json", "a spec file"),
    ("predict", "history.json", "a training history"),
    ("predict", "history.csv", "a training history"),
    ("predict", "onnx", "an ONNX model"),
    ("predict", "p.png", "a PNG image"),
    ("onnx", "model.safetensors", "a model file"),
    ("onnx", "spec.json", "a spec file"),
    ("onnx", "csv", "a text file"),
    ("onnx", "export.safetensors", "a torch export"),
    ("torch", "model.safetensors", "a model file"),
    ("torch", "onnx", "an ONNX model"),
    ("plot", "model.safetensors", "a model file"),
    ("plot", "csv", "a text file"),
    ("predict", "r/new.csv", "run folder"),
    ("predict", "r/history.json", "run folder"),
    ("onnx", "r/model.onnx", "run folder"),
    ("torch", "r/model.safetensors", "run folder"),
    ("plot", "r/v.png", "run folder"),
]


@pytest.mark.parametrize(("command", "target", "what"), FOREIGN)
def test_an_output_never_replaces_a_file_of_another_kind(kinds, tmp_path, command, target, what):
    shutil.copytree(kinds, tmp_path / "k")
    argv, _ = COMMANDS[command]
    refused(tmp_path / "k", [*argv, target], [argv[-1], repr(target), what])


def test_the_default_export_path_is_judged_too(kinds, tmp_path):
    """``export m.safetensors --to onnx`` writes m.onnx: here a spec someone named so."""
    shutil.copytree(kinds, tmp_path / "k")
    shutil.copy(tmp_path / "k" / "spec.json", tmp_path / "k" / "m.onnx")
    refused(tmp_path / "k", ["export", "m.safetensors", "--to", "onnx"], ["--out", "'m.onnx'"])


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("empty", [False, True])
def test_a_file_of_the_kind_written_is_still_replaced(kinds, tmp_path, command, empty):
    shutil.copytree(kinds, tmp_path / "k")
    argv, writes = COMMANDS[command]
    target = tmp_path / "k" / WRITES[writes]
    if empty:
        target.write_bytes(b"")
    code, _, err = cli(*argv, target.name, cwd=tmp_path / "k")
    assert code == 0, err
    assert target.stat().st_size > 0
