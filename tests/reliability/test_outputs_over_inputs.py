"""Outputs over inputs (issue 12 item 1's class): every CLI output flag × every input flag.

Each command that writes is given, as its output, one of its own inputs, spelled many ways:
the same text, ``./x``, the absolute path, ``sub/../x``, a symlink, a chain of two symlinks, a
symlink to the folder plus the name, and a hard link (files only). Outputs and the inputs
they are aimed at:

- ``predict --output`` × MODEL, ``--input``;
- ``export --out`` × MODEL (``--to onnx`` and ``--to torch``);
- ``train --out DIR --overwrite`` × SPEC, ``--csv``, the spec's ``data.csv``, ``--backup``
  (an input inside the run folder, which the finished run replaces whole);
- ``demo --out`` and ``vanishing --plot``: no file inputs, so nothing to aim at (counted 0).

Pass: exit 2, one stderr line naming the output flag and the input's flag, and not one file
under the case's folder changed (bytes, inodes, links). The CLI runs in one child process
(``cli_runner``), one case after another, each in a fresh copy of a small run.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from .cli_runner import run_cases

TRAIN = ["--epochs", "1", "-q", "--no-plots"]
FILE_SPELLINGS = ("same", "symlink", "hardlink", "dot", "absolute", "updown", "chain", "dirlink")
FOLDER_SPELLINGS = ("same", "symlink", "dot", "absolute", "updown", "chain")
FAST = {"same", "symlink", "hardlink"}
NO_INPUTS = {"demo --out": 0, "vanishing --plot": 0}


def state(folder: Path) -> dict:
    found = {}
    for p in sorted(folder.rglob("*")):
        key = str(p.relative_to(folder))
        if p.is_symlink():
            found[key] = ("link", os.readlink(p))
        elif p.is_file():
            found[key] = ("file", p.lstat().st_ino, hashlib.sha256(p.read_bytes()).hexdigest())
        else:
            found[key] = ("dir", p.lstat().st_ino)
    return found


def spell(cwd: Path, target: str, how: str) -> str:
    """A path naming ``target`` (relative to ``cwd``), spelled ``how``."""
    (cwd / "sub").mkdir(exist_ok=True)
    name = Path(target).name
    if how == "same":
        return target
    if how == "dot":
        return "./" + target
    if how == "absolute":
        return str(cwd / target)
    if how == "updown":
        return "sub/../" + target
    if how == "symlink":
        (cwd / "alias").symlink_to(cwd / target)
        return "alias"
    if how == "chain":
        (cwd / "alias1").symlink_to(cwd / target)
        (cwd / "alias2").symlink_to("alias1")
        return "alias2"
    if how == "dirlink":
        (cwd / "dirlink").symlink_to((cwd / target).parent)
        return "dirlink/" + name
    os.link(cwd / target, cwd / ("hard-" + name))
    return "hard-" + name


def cases(run: Path, work: Path, fast: bool) -> list[dict]:
    made = []

    def case(label: str, argv: list[str], flags: tuple[str, str], cwd: Path):
        made.append({"argv": argv, "cwd": str(cwd), "timeout": 120, "label": label,
                     "flags": flags})  # fmt: skip

    def fresh(label: str) -> Path:
        cwd = work / f"c{len(made)}"
        shutil.copytree(run, cwd / "r", symlinks=True)
        return cwd

    for how in FILE_SPELLINGS:
        if fast and how not in FAST:
            continue
        cwd = fresh(how)
        out = spell(cwd, "r/model.safetensors", how)
        case(f"predict --output={how} MODEL", ["predict", "r/model.safetensors", "--x", "1",
             "--output", out], ("--output", "MODEL"), cwd)  # fmt: skip
        cwd = fresh(how)
        out = spell(cwd, "r/data.csv", how)
        case(f"predict --output={how} --input", ["predict", "r/model.safetensors", "--input",
             "r/data.csv", "--output", out], ("--output", "--input"), cwd)  # fmt: skip
        for to in ("onnx", "torch"):
            cwd = fresh(how)
            out = spell(cwd, "r/model.safetensors", how)
            case(f"export --to {to} --out={how} MODEL", ["export", "r/model.safetensors",
                 "--to", to, "--out", out], ("--out", "MODEL"), cwd)  # fmt: skip
    for how in FOLDER_SPELLINGS:
        if fast and how not in FAST:
            continue
        for given in ("SPEC", "--csv", "data.csv", "--backup"):
            cwd = fresh(how)
            (cwd / "r" / "bk").mkdir()
            spec = json.loads((cwd / "r" / "spec.json").read_text())
            spec["data"] = {"csv": "r/data2.csv", "target": "y"}
            (cwd / "s.json").write_text(json.dumps(spec))
            out = spell(cwd, "r", how)
            argv = {
                "SPEC": ["train", "r/spec.json"],
                "--csv": ["train", "--csv", "r/data2.csv", "--target", "y", "--hidden", "2"],
                "data.csv": ["train", "s.json"],
                "--backup": ["train", "--data", "square", "--n", "8", "--backup", "r/bk"],
            }[given]
            flag = {"data.csv": "data.csv"}.get(given, given)
            case(f"train --out={how} {given}", [*argv, *TRAIN, "--out", out, "--overwrite"],
                 ("--out", flag), cwd)  # fmt: skip
    return made


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("run")
    done = run_cases([{"argv": ["train", "--data", "square", "--n", "8", "--hidden", "2",
                      "--epochs", "2", "-q", "--no-plots", "--out", "r"], "cwd": str(base),
                      "timeout": 120}], base)  # fmt: skip
    assert done[0]["code"] == 0, done[0]["stderr"]
    (base / "r" / "data.csv").write_text("x\n0.5\n-1\n")
    (base / "r" / "data2.csv").write_text("x,y\n" + "".join(f"{i},{i * i}\n" for i in range(8)))
    (base / "r" / "cases.json").unlink(missing_ok=True)
    (base / "r" / "results.jsonl").unlink(missing_ok=True)
    return base / "r"


def test_no_output_flag_writes_over_an_input(run, tmp_path, long_mode):
    pytest.importorskip("onnx")
    pytest.importorskip("torch")
    work = tmp_path / "cases"
    work.mkdir()
    made = cases(run, work, fast=not long_mode)
    before = [state(Path(c["cwd"])) for c in made]
    rows = run_cases(made, tmp_path)
    bad = []
    for c, row, was in zip(made, rows, before):
        err = row["stderr"]
        ok = (
            row["code"] == 2
            and err.count("\n") == 1
            and all(flag in err for flag in c["flags"])
            and state(Path(c["cwd"])) == was
        )
        if not ok:
            bad.append(f"{c['label']}: exit {row['code']}, {err.strip()[:200]!r}")
    kinds = sorted({c["label"].split("=")[0] for c in made})
    print(
        f"outputs over inputs: {len(made)} cases over {len(kinds)} output flags × inputs "
        f"({', '.join(kinds)}; {', '.join(NO_INPUTS)}: no file inputs), "
        f"{len(made) - len(bad)} refused in one line with nothing changed, {len(bad)} not"
    )
    assert not bad, "\n".join(bad)
