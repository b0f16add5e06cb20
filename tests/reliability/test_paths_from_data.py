"""Issue 12, class "paths from data": no file content may choose where files land.

Every field of a spec, a CSV and a model file that can become part of a path is fuzzed with
``..``, ``/``, absolute paths (inside the test's folder), NUL, very long names, unicode,
``con``, ``-rf`` and the like, and run through the CLI (``backprop train``, ``predict``,
``summary``, ``export``, in-process with the working folder five levels deep in a temp dir,
and a few in real subprocesses) and the library (``spec.normalize``, ``RunFolder.new``).

Judged by the issue's property, not by our code: after each case the listing of the whole
temp dir (and of its parent) is the listing before it plus, at most, new run folders that
are direct children of ``<cwd>/runs/`` (and the export beside the model). Each case either
succeeds or is refused with one line on stderr and exit status 2; a spec's unsafe ``name``
must be refused naming the field.
"""

import contextlib
import io
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

WORDS = ["..", "../", "../../..", "/", "ESCAPED", "a", "run", "con", "nul", "aux", "-rf",
         "--help", ".hidden", ".", "~", "$HOME", "*", "?", "é", "名前", "\u202eevil", "😀",
         "a\x00b", " ", "\n", "\\", "C:", "x" * 70, "y" * 300, "z.png", "runs", "-",
         "_"]  # fmt: skip
CANON = ["../../../ESCAPED", "../../../../../ESCAPED", "/", "..", ".", "", "-rf", "con",
         "a" * 65, "a" * 5000, "a/b", "a\x00b", "é", "ok", "ok.1_2-3"]  # fmt: skip
SAFE = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


def safe(name) -> bool:
    """The rule the issue asks for, written here independently of the library's regex."""
    return (isinstance(name, str) and 1 <= len(name) <= 64 and set(name) <= SAFE
            and name[0].isascii() and name[0].isalnum())  # fmt: skip


def hostile_names(n: int, seed: int, absolute_root: Path) -> list[str]:
    rng = random.Random(seed)
    names = [*CANON, str(absolute_root / "ESCAPED"), str(absolute_root)]
    while len(names) < n:
        parts = [rng.choice(WORDS) for _ in range(rng.randint(1, 4))]
        name = rng.choice(["", "/"]).join(parts)
        if rng.random() < 0.15:
            name = str(absolute_root / name.lstrip("/"))
        names.append(name)
    return names[:n]


def listing(root: Path, skip: Path | None = None) -> set[str]:
    """Every path under ``root`` (as text), symlinks not followed; ``skip`` left out."""
    found = set()
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        if skip is not None and (here == skip or skip in here.parents):
            continue
        found.update(str(here / f) for f in dirs + files)
    return found


class Sandbox:
    """tmp_path/box/d1/d2/d3/d4/cwd as the working folder; judge what changed."""

    def __init__(self, tmp_path: Path) -> None:
        self.top = tmp_path
        self.box = tmp_path / "box"
        self.cwd = self.box / "d1" / "d2" / "d3" / "d4" / "cwd"
        self.cwd.mkdir(parents=True)
        self.abs_root = self.box / "abs"
        self.abs_root.mkdir()
        self.inputs = self.box / "inputs"
        self.inputs.mkdir()
        self.parent_before = set(os.listdir(tmp_path.parent))
        self.before = listing(tmp_path, skip=self.cwd / "runs")

    def cli(self, *argv: str) -> tuple[int, str]:
        from backprop.cli.app import main

        out, err = io.StringIO(), io.StringIO()
        old = os.getcwd()
        os.chdir(self.cwd)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    code = main(list(argv))
                except SystemExit as exc:
                    code = exc.code
        finally:
            os.chdir(old)
        return code, err.getvalue()

    def escaped(self, extra: set[str] = frozenset()) -> list[str]:
        """Paths created (or removed) outside <cwd>/runs/*/, and odd entries inside runs/."""
        now = listing(self.top, skip=self.cwd / "runs")
        wrong = sorted((now ^ self.before) - {str(self.cwd / "runs"), *extra})
        wrong += sorted(set(os.listdir(self.top.parent)) ^ self.parent_before)
        runs = self.cwd / "runs"
        if runs.exists():
            for entry in runs.iterdir():
                stamped = safe(entry.name[:64]) and set(entry.name) <= SAFE  # <name>-<time>
                if not entry.is_dir() or entry.is_symlink() or not stamped:
                    wrong.append(str(entry))
                for sub in entry.iterdir() if entry.is_dir() else ():
                    if sub.is_dir():
                        wrong.append(str(sub))
        return wrong


def one_line(err: str, command: str) -> bool:
    return err.count("\n") == 1 and err.startswith(f"backprop {command}: error:")


def spec_doc(name) -> dict:
    return {"name": name, "data": {"name": "square", "n": 8}, "model": {"hidden": [2]},
            "epochs": 1}  # fmt: skip


def test_spec_name_through_the_cli(tmp_path, count):
    box = Sandbox(tmp_path)
    names = hostile_names(count(40, 400), 12, box.abs_root)
    tally = {"written": 0, "refused": 0}
    for i, name in enumerate(names):
        spec = box.inputs / f"spec{i}.json"
        spec.write_text(json.dumps(spec_doc(name)))
        box.before.add(str(spec))
        code, err = box.cli("train", str(spec), "--no-plots", "-q")
        wrong = box.escaped()
        assert not wrong, f"name {name!r}: files outside runs/: {wrong[:5]}"
        if safe(name):
            assert code == 0, f"name {name!r} is a safe slug, refused: {err}"
            tally["written"] += 1
        else:
            assert code == 2 and one_line(err, "train"), f"name {name!r}: exit {code}, {err!r}"
            assert "spec field name" in err, f"name {name!r}: the field is not named: {err}"
            tally["refused"] += 1
    print(f"paths from data (spec name, CLI): {len(names)} cases, {tally['written']} written "
          f"under runs/, {tally['refused']} refused naming the field, 0 outside")  # fmt: skip


def test_spec_name_in_a_real_process(tmp_path):
    box = Sandbox(tmp_path)
    cases = ["../../../ESCAPED", str(box.abs_root / "ESCAPED"), "a" * 5000]
    for i, name in enumerate(cases):
        spec = box.inputs / f"spec{i}.json"
        spec.write_text(json.dumps(spec_doc(name)))
        box.before.add(str(spec))
        done = subprocess.run([sys.executable, "-m", "backprop", "train", str(spec),
                               "--no-plots", "-q"], cwd=box.cwd, capture_output=True,
                              text=True, timeout=120)  # fmt: skip
        assert not box.escaped(), f"name {name[:40]!r}: {box.escaped()[:5]}"
        assert done.returncode == 2 and one_line(done.stderr, "train"), done.stderr
        assert "spec field name" in done.stderr
    print(f"paths from data (spec name, subprocess): {len(cases)} cases, all refused, 0 outside")


def test_csv_file_name_becomes_a_safe_folder(tmp_path, count):
    box = Sandbox(tmp_path)
    stems, tally = [], 0
    for name in hostile_names(count(15, 150), 34, box.abs_root):
        stem = name.replace("/", "").replace("\x00", "")
        csv = box.inputs / f"{stem}.csv"
        try:
            csv.write_text("x,y\n1,2\n2,3\n3,5\n")
        except OSError:  # a name the file system does not take (too long)
            continue
        box.before.add(str(csv))
        stems.append(stem)
        code, err = box.cli("train", "--csv", str(csv), "--target", "y", "--epochs", "1",
                            "--no-plots", "-q")  # fmt: skip
        assert code == 0, f"CSV named {stem!r}: {err}"
        assert not box.escaped(), f"CSV named {stem!r}: {box.escaped()[:5]}"
        tally += 1
    folders = list((box.cwd / "runs").iterdir())
    assert len(folders) == tally
    print(
        f"paths from data (CSV file name → run name): {tally} cases, {len(folders)} run "
        "folders, all safe names under runs/, 0 outside"
    )


def _model_cases(box: Sandbox, headers: list[str]) -> tuple[int, int]:
    """Train on a CSV with these headers, then predict, summary, export; (trained, read)."""
    csv = box.inputs / f"h{len(box.before)}.csv"
    rows = [[1.0, 2.0, 3.0], [2.0, 1.0, 4.0], [3.0, 5.0, 1.0], [4.0, 2.0, 2.0]]
    lines = [",".join(json.dumps(h) for h in headers)] + [",".join(map(str, r)) for r in rows]
    csv.write_text("\n".join(lines) + "\n")
    box.before.add(str(csv))
    out = box.cwd / "runs" / f"m{len(box.before)}"
    code, err = box.cli("train", "--csv", str(csv), "--target", headers[-1], "--epochs", "1",
                        "--no-plots", "-q", "--out", str(out))  # fmt: skip
    assert code in (0, 2), err
    assert code == 0 or one_line(err, "train"), err
    assert not box.escaped(), f"headers {headers!r}: {box.escaped()[:5]}"
    if code:
        return 0, 0
    model = str(out / "model.safetensors")
    return 1, _read_model(box, model, "0.5,1")


def _read_model(box: Sandbox, model: str, x: str) -> int:
    """predict, summary, export; returns how many exited 0 (the rest: one line, exit 2)."""
    runs = 0
    for argv in (("predict", model, "--x", x), ("summary", model),
                 ("export", model, "--to", "torch")):  # fmt: skip
        code, err = box.cli(*argv)
        assert code == 0 or (code == 2 and one_line(err, argv[0])), f"{argv}: {code} {err!r}"
        # export's default for a run folder's model: <cwd>/<run folder>.torch.safetensors —
        # in the folder the user ran it in, named by the program's own slug, never in runs/
        allowed = {str(box.cwd / f"{os.path.basename(os.path.dirname(model))}.torch.safetensors")}
        made = allowed if argv[0] == "export" else set()
        assert not box.escaped(made), f"{argv}: {box.escaped(made)[:5]}"
        box.before |= {p for p in made if os.path.exists(p)}
        runs += code == 0
    return runs


def test_csv_headers_and_model_names(tmp_path, count):
    box = Sandbox(tmp_path)
    names = hostile_names(count(15, 150), 56, box.abs_root)
    tried = trained = read = 0
    for i in range(0, len(names), 3):
        headers = [*names[i : i + 3], "target"][:3]
        if len(set(headers)) < 3:
            continue
        t, r = _model_cases(box, headers)
        tried, trained, read = tried + 1, trained + t, read + r
    print(f"paths from data (CSV headers → model metadata): {tried} CSVs, {trained} trained "
          f"(the rest refused in one line), {read} of {3 * trained} predict/summary/export "
          "runs succeeded (the rest one line), 0 outside")  # fmt: skip


def _lying_copy(source: Path, target: Path, name) -> None:
    """The model file with its embedded spec's name and feature/target names set to ``name``."""
    from safetensors import safe_open
    from safetensors.numpy import save_file

    with safe_open(str(source), framework="numpy") as f:
        meta = dict(f.metadata())
        tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118
    spec = json.loads(meta["spec"])
    spec["name"] = name
    spec["data"]["feature_names"] = [name]
    spec["data"]["target_names"] = [name]
    meta["spec"] = json.dumps(spec)
    save_file(tensors, str(target), metadata=meta)


def test_model_metadata_names(tmp_path, count):
    box = Sandbox(tmp_path)
    code, err = box.cli("train", "--data", "square", "--n", "8", "--epochs", "1", "--hidden",
                        "2", "--no-plots", "-q", "--out", "runs/base")  # fmt: skip
    assert code == 0, err
    base = box.cwd / "runs" / "base" / "model.safetensors"
    names = hostile_names(count(10, 100), 78, box.abs_root)
    read = 0
    for i, name in enumerate(names):
        folder = box.cwd / "runs" / f"lie{i}"
        folder.mkdir()
        model = folder / "model.safetensors"
        _lying_copy(base, model, name)
        read += _read_model(box, str(model), "0.5")
    print(
        f"paths from data (model metadata names): {len(names)} files, {3 * len(names)} "
        f"predict/summary/export runs: {read} succeeded, the rest refused in one line; "
        "0 outside"
    )


def test_library_refuses_unsafe_names(tmp_path, count):
    from backprop.errors import PathError, SpecError
    from backprop.spec import normalize
    from backprop.spec.runfolder import RunFolder, slug

    names = hostile_names(count(200, 2000), 90, tmp_path / "abs")
    names += [5, None, ["a"], {"a": 1}, b"abc", 1.5, True]
    rng = np.random.default_rng(0)
    names += ["".join(chr(c) for c in rng.integers(1, 0x3000, 8)) for _ in range(count(50, 500))]
    parent = tmp_path / "runs"
    accepted = refused = 0
    for name in names:
        try:
            spec = normalize(spec_doc(name))
        except SpecError as exc:
            assert not safe(name) and "spec field name" in str(exc), (name, exc)
            refused += 1
        else:
            assert safe(name) and spec["name"] == name, name
            accepted += 1
        try:
            folder = RunFolder.new(name, parent)
        except PathError:
            assert not safe(name), name
        else:
            assert safe(name) and Path(folder.path).parent == parent.resolve(), name
        assert safe(slug(name if isinstance(name, str) else ""))
    print(
        f"paths from data (library): {len(names)} names, {accepted} accepted, {refused} "
        "refused by normalize and RunFolder.new; slug() safe for all"
    )


@pytest.mark.parametrize("builtin", ["square", "abs", "xor", "spiral", "digits"])
def test_builtin_specs_still_load(builtin):
    from backprop.spec import builtin as load_builtin
    from backprop.spec import normalize

    assert safe(normalize(load_builtin(builtin))["name"])
