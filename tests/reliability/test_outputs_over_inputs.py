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
import zlib
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


# -- outputs over files of another kind, and into run folders (HX item 1) ------------------
# Every output FILE flag is aimed at an existing file of every other kind (planted by their
# first bytes, which is all ``filekind`` reads), spelled several ways, and at paths inside a
# run folder. Pass: exit 2, one line naming the flag, nothing changed. Controls: a file of
# the kind the command writes is still replaced (exit 0). On the code before
# ``overlap.refuse_foreign_output`` every refusal case exited 0 with the file replaced.
def _safetensors(fmt: str, **more) -> bytes:
    header = json.dumps({"__metadata__": {"format": fmt, **more}}).encode()
    return len(header).to_bytes(8, "little") + header


def _chunk(kind: bytes, body: bytes) -> bytes:  # a PNG chunk, laid out as the PNG spec says
    crc = zlib.crc32(kind + body).to_bytes(4, "big")
    return len(body).to_bytes(4, "big") + kind + body + crc


PLANTED = {
    "model": _safetensors("backprop"),
    "backup": _safetensors("backprop-backup"),
    "torch": _safetensors("pt", producer="backprop"),  # export --to torch's mark
    "format-pt": _safetensors("pt"),  # transformers' save_pretrained, an old export
    "safetensors": _safetensors("other"),
    "spec": b'{"data": {"name": "square"}, "epochs": 3}\n',
    "history": b'{"history": {"epochs": [1, 2]}}\n',
    "history-csv": b"epoch,loss\n1,0.5\n",
    "json": b'{"a": 1}\n',
    "csv": b"a,b\n1,2\n",
    "predictions": b"x,y (predicted)\n1,2\n",  # what predict writes (backprop.replacing)
    "onnx": b"\x08\x08\x12\x08backprop",  # producer_name, as the exporter writes it
    "onnx-other": b"\x08\x08\x12\x04test",  # another program's ONNX model
    "png": b"\x89PNG\r\n\x1a\n" + _chunk(b"tEXt", b"Software\x00backprop 1.0") + bytes(32),
    "png-photo": b"\x89PNG\r\n\x1a\n" + bytes(32),  # no mark: a user's picture
    "binary": bytes(range(256)),
}
WRITERS = {  # flag: (argv before the path, kinds it may replace)
    "predict --output": (["predict", "m.safetensors", "--x", "1", "--output"], {"predictions"}),
    "export onnx --out": (["export", "m.safetensors", "--to", "onnx", "--out"], {"onnx"}),
    "export torch --out": (["export", "m.safetensors", "--to", "torch", "--out"], {"torch"}),
    "vanishing --plot": (
        ["vanishing", "--depths", "2", "--width", "4", "--samples", "8", "--plot"],
        {"png"},
    ),
}
KIND_SPELLINGS = ("same", "symlink", "dot", "absolute", "hardlink")


def kind_cases(run: Path, work: Path, spellings: int) -> tuple[list[dict], list[dict]]:
    refuse, allow = [], []

    def fresh() -> Path:
        cwd = work / f"k{len(refuse) + len(allow)}"
        shutil.copytree(run, cwd / "r", symlinks=True)
        shutil.copy(run / "model.safetensors", cwd / "m.safetensors")
        return cwd

    for label, (argv, own) in WRITERS.items():
        for kind, data in PLANTED.items():
            for how in KIND_SPELLINGS[:spellings]:
                cwd = fresh()
                (cwd / f"old-{kind}").write_bytes(data)
                out = spell(cwd, f"old-{kind}", how)
                (allow if kind in own else refuse).append(
                    {"argv": [*argv, out], "cwd": str(cwd), "timeout": 120,
                     "label": f"{label}={how} over {kind}", "flag": argv[-1]})  # fmt: skip
        for target, how in (("r/new.out", "same"), ("r/history.json", "same"),
                            ("r/history.json", "dirlink"), ("r/new.out", "absolute")):  # fmt: skip
            cwd = fresh()
            out = str(cwd / target) if how == "absolute" else spell(cwd, target, how)
            refuse.append(
                {
                    "argv": [*argv, out],
                    "cwd": str(cwd),
                    "timeout": 120,
                    "label": f"{label}={how} in a run folder",
                    "flag": argv[-1],
                }
            )
    for to, name in (("onnx", "m.onnx"), ("torch", "m.torch.safetensors")):
        cwd = fresh()
        (cwd / name).write_bytes(PLANTED["model"])
        refuse.append({"argv": ["export", "m.safetensors", "--to", to], "cwd": str(cwd),
                       "timeout": 120, "label": f"export {to} default path over a model",
                       "flag": "--out"})  # fmt: skip
    return refuse, allow


def test_no_output_replaces_a_file_of_another_kind(run, tmp_path, count):
    pytest.importorskip("onnx")
    pytest.importorskip("torch")
    work = tmp_path / "kinds"
    work.mkdir()
    refuse, allow = kind_cases(run, work, spellings=count(2, len(KIND_SPELLINGS)))
    before = [state(Path(c["cwd"])) for c in refuse]
    rows = run_cases(refuse + allow, tmp_path)
    bad = []
    for c, row, was in zip(refuse, rows, before):
        err = row["stderr"]
        ok = row["code"] == 2 and err.count("\n") == 1 and c["flag"] in err
        if not (ok and state(Path(c["cwd"])) == was):
            bad.append(f"{c['label']}: exit {row['code']}, {err.strip()[:200]!r}")
    for c, row in zip(allow, rows[len(refuse) :]):
        if row["code"] != 0:
            bad.append(f"{c['label']} (should write): exit {row['code']}, {row['stderr'][:200]!r}")
    print(
        f"outputs over other kinds: {len(refuse)} cases ({len(WRITERS)} output flags × "
        f"{len(PLANTED)} kinds and run folders, default export paths), "
        f"{len(refuse) - sum('should write' not in b for b in bad)} refused in one line with "
        f"nothing changed; {len(allow)} over their own kind, "
        f"{len(allow) - sum('should write' in b for b in bad)} written"
    )
    assert not bad, "\n".join(bad)
