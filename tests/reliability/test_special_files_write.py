"""Special files, write side (issue 12 items 1 and 5): every writer against every node kind.

Each writer — the library's savers and the CLI's output flags — is handed a regular file, a
missing path, a folder, a FIFO, a character device (``mknod``, root only), a symlink to
each, a dangling symlink, a loop, a socket, a path under a file, a too-long name, and paths
on a read-only and on a full tmpfs (root only). The rule (``backprop.files``): regular or
missing → atomic replace (at the symlink's target), FIFO or character device → streamed,
anything else → refused with an error naming the path (CLI: exit 2, one stderr line).
Judged by ``snapshot``: only the target may change, no node changes kind or device
numbers, no ``.NAME.*.tmp`` is left, and what a FIFO's reader gets equals the bytes the
same writer puts in a regular file.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import backprop as bp
from backprop import nn, optim
from backprop.errors import BackpropError

from .special_write_harness import (
    FILE_RULE,
    FOLDER_RULE,
    KINDS,
    NEEDS_MOUNT,
    NEEDS_ROOT,
    OWN_RULE,
    ROOT,
    FifoReader,
    changes,
    make_case,
    snapshot,
    temp_leftovers,
    tmpfs_mounts,
)


# -- the writers ---------------------------------------------------------------------------
def _model():
    bp.manual_seed(0)
    return nn.MLP([1, 4, 1], "tanh")


def _fit(callbacks, epochs=2):
    x = np.linspace(-1, 1, 8).reshape(-1, 1)
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    return bp.train.fit(model, (x, x**2), "mse", opt, epochs=epochs, callbacks=callbacks)


def _backup(path):
    from backprop.train import BackupAndRestore

    _fit([BackupAndRestore(path, delete_on_finish=False)])


def _checkpoint(path):
    from backprop.train import ModelCheckpoint

    _fit([ModelCheckpoint(path, monitor="loss")], epochs=1)  # one save: a FIFO gets one file


def _backup_file(path):
    from backprop.train import backup_file

    backup_file.write(path, {"epoch": 3, "w": np.arange(4.0)})


def _to_onnx(model, path):
    from backprop.interop import to_onnx

    to_onnx(model, path)


HISTORY = None
TIMES: dict[str, float] = {}


def _history():
    global HISTORY
    if HISTORY is None:
        HISTORY = _fit([])
    return HISTORY


LIBRARY = {  # name -> (call(path), "file" or "folder")
    "io.save": (lambda p: bp.io.save(_model(), p), "file"),
    "backprop.save": (lambda p: bp.save(_model(), p), "file"),
    "History.to_csv": (lambda p: _history().to_csv(p), "file"),
    "History.to_json": (lambda p: _history().to_json(p), "file"),
    "plots.loss_curves": (lambda p: bp.plots.loss_curves(_history(), p), "file"),
    "interop.to_onnx": (lambda p: _to_onnx(_model(), p), "file"),
    "ModelCheckpoint": (_checkpoint, "file"),
    "backup_file.write": (_backup_file, "own"),
    "BackupAndRestore": (_backup, "folder"),
}


def cli_argv(name: str, model: Path, p: Path) -> list[str]:
    return {
        "predict --output": ["predict", str(model), "--x", "1", "--output", str(p)],
        "export onnx --out": ["export", str(model), "--to", "onnx", "--out", str(p)],
        "export torch --out": ["export", str(model), "--to", "torch", "--out", str(p)],
        "vanishing --plot": ["vanishing", "--depths", "2..3", "--width", "4", "--samples", "8",
                             "--plot", str(p)],
        "train --out": ["train", "--data", "square", "--n", "16", "--layers", "1,4,1",
                        "--epochs", "2", "--no-plots", "--quiet", "--out", str(p)],
    }[name]  # fmt: skip


CLI = {"predict --output": "file", "export onnx --out": "file", "export torch --out": "file",
       "vanishing --plot": "file", "train --out": "folder"}  # fmt: skip


FEW = {"missing", "fifo", "link-chardev", "loop", "full"}  # "missing" gives the reference


def cli_in_process(argv):
    """``main(argv)`` in this process; an exception escaping it counts as a traceback."""
    from backprop.cli.app import main

    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    except Exception as exc:  # noqa: BLE001 - what a subprocess would show as a traceback
        return 1, out.getvalue(), f"Traceback: {type(exc).__name__}: {exc}"
    return code, out.getvalue(), err.getvalue()


def canonical(data: bytes):
    """The content of a written file: for safetensors, the parsed header and each tensor's
    bytes (the header's key order varies from one save to the next), else the bytes."""
    n = int.from_bytes(data[:8], "little") if len(data) > 8 else 0
    if data[8:9] != b"{" or 8 + n > len(data):
        return data
    header = json.loads(data[8 : 8 + n])
    body = data[8 + n :]
    tensors = {
        k: body[v["data_offsets"][0] : v["data_offsets"][1]]
        for k, v in header.items()
        if k != "__metadata__"
    }
    return json.dumps(header, sort_keys=True), tensors


def cli_subprocess(argv, cwd):
    done = subprocess.run(
        [sys.executable, "-m", "backprop", *argv], capture_output=True, cwd=cwd, timeout=120
    )
    return done.returncode, done.stdout.decode(errors="replace"), done.stderr.decode("utf-8")


# -- one case ------------------------------------------------------------------------------
def outcome_library(call, path):
    try:
        call(path)
    except BackpropError as exc:
        return ("refused", str(exc)) if str(path) in str(exc) else ("unnamed", str(exc))
    except Exception as exc:  # noqa: BLE001 - any other exception is what we look for
        return "escaped", f"{type(exc).__name__}: {exc}"
    return "ok", ""


def outcome_cli(result, path):
    code, _, err = result
    # backprop's warnings are lines of their own ("backprop train: warning: …"); the verdict
    # is about the error line
    lines = [line for line in err.splitlines() if line.strip() and ": warning: " not in line]
    if code == 0:
        return "ok", ""
    if code == 2 and len(lines) == 1 and "Traceback" not in err:
        return ("refused", lines[0]) if str(path) in lines[0] else ("unnamed", lines[0])
    return "escaped", f"exit {code}: {err[-300:]}"


def run_case(writer, form, kind, base, mounts, run, reference, notes):
    """Run one writer against one node kind; return a list of problems (empty: passed)."""
    started = time.perf_counter()
    folder = base / writer.replace(" ", "_").replace("-", "") / kind
    case = make_case(kind, folder, mounts)
    roots = [folder] + ([mounts["ro"], mounts["full"]] if mounts else [])
    before = [snapshot(r) for r in roots]
    reader = FifoReader(case.fifo) if case.fifo else None
    try:
        got, detail = run(case.path)
    finally:
        received = reader.close() if reader else None
    after = [snapshot(r) for r in roots]
    rule = {"file": FILE_RULE, "folder": FOLDER_RULE, "own": OWN_RULE}[form][kind]
    relink, target_path = rule == "relink", case.path if rule == "relink" else case.target
    rule, form = ("write" if relink else rule), ("file" if form == "own" else form)
    problems = []
    if rule == "either" and got not in ("ok", "refused"):
        problems.append(f"should write or refuse naming the path, got {got}: {detail}")
    if rule in ("write", "stream") and got != "ok":
        problems.append(f"should {rule}, got {got}: {detail}")
    if rule == "refuse" and got != "refused":
        problems.append(f"should refuse naming the path, got {got}: {detail}")
    target = str(target_path)
    allowed = {target, *(str(p) for p in target_path.parents if folder in p.parents)}
    for root, b, a in zip(roots, before, after):
        for rel in changes(b, a):
            where = str(root / rel)
            inside = where.startswith(target + os.sep)
            if rule in ("write", "either") and (where in allowed or (form == "folder" and inside)):
                continue
            if form == "folder" and (inside or (where == target and kind.endswith("missing"))):
                continue  # what a failed run leaves in its folder is the run folder's business
            if form == "folder" and Path(where).name.startswith(f".{target_path.name}."):
                notes.append(f"{writer} / {kind}: {rel} left beside the folder")
                continue  # a run folder's lock or partial sibling (spec/runfolder.py)
            problems.append(f"{rel} changed: {b.get(rel)} -> {a.get(rel)}")
        if temp_leftovers(a):
            problems.append(f"temporary files left: {temp_leftovers(a)}")
    if rule == "write" and form == "file" and got == "ok":
        own = target_path.is_file() and not target_path.is_symlink()
        data = target_path.read_bytes() if own else None
        if data is None:
            problems.append(f"{target_path} is not a regular file afterwards")
        elif reference.setdefault(writer, canonical(data)) != canonical(data):
            problems.append("the file differs from the one written to a missing path")
    TIMES[writer] = TIMES.get(writer, 0) + time.perf_counter() - started
    if relink:
        if received:
            problems.append(f"{len(received)} bytes were streamed through the link")
    elif received is not None and got == "ok" and canonical(received) != reference.get(writer):
        problems.append(f"the FIFO's reader got {len(received)} bytes, not the file's")
    return problems


def kinds_here(mounts):
    runnable = [
        k for k in KINDS if (ROOT or k not in NEEDS_ROOT) and (mounts or k not in NEEDS_MOUNT)
    ]
    return ["missing"] + [k for k in runnable if k != "missing"]


def skipped_kinds(kinds) -> str:
    why = "not root" if not ROOT else "mount -t tmpfs failed"
    left = sorted(set(KINDS) - set(kinds))
    return f"{left} ({why})" if left else "none"


@pytest.fixture(scope="module")
def mounts(tmp_path_factory):
    with tmpfs_mounts(tmp_path_factory.mktemp("mounts")) as m:
        yield m


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    return bp.io.save(_model(), tmp_path_factory.mktemp("model") / "m.safetensors")


def report(title, tally, failures, skipped, notes):
    n, ok = len(tally), sum(1 for t in tally if not t[2])
    by = {}
    for _, kind, problems in tally:
        by.setdefault(kind, [0, 0])[bool(problems)] += 1
    print(f"\n{title}: {n} cases, {ok} as the rule says, {n - ok} not; kinds skipped: {skipped}")
    for line in failures[:40]:
        print("  FAIL", line)
    for line in notes:
        print("  note", line)
    ours = {writer for writer, _, _ in tally}
    print("  seconds per writer:", {k: round(v, 1) for k, v in TIMES.items() if k in ours})


def test_library_writers(tmp_path, mounts, count):
    kinds = kinds_here(mounts)
    skipped = skipped_kinds(kinds)
    tally, failures, reference, notes = [], [], {}, []
    long = bool(count(0, 1))
    for writer, (call, form) in LIBRARY.items():
        # a plot takes 0.4 s to draw: fast mode gives it a few kinds (the writer is shared)
        few = writer == "plots.loss_curves" and not long
        for kind in [k for k in kinds if k in FEW] if few else kinds:
            problems = run_case(
                writer, form, kind, tmp_path, mounts,
                lambda p, call=call: outcome_library(call, p), reference, notes,
            )  # fmt: skip
            tally.append((writer, kind, problems))
            failures += [f"{writer} / {kind}: {p}" for p in problems]
    report("special files (library writers)", tally, failures, skipped, notes)
    assert not failures, failures[:10]


def test_cli_writers(tmp_path, mounts, model_file, count, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a default output (runs/...) lands in the temp dir
    kinds = kinds_here(mounts)
    skipped = skipped_kinds(kinds)
    # fast: in-process, plus predict in a real subprocess for a few kinds; long: every case
    # as a subprocess too
    long = bool(count(0, 1))
    spawn = set(kinds) if long else {"fifo", "fulldev", "readonly"}
    tally, failures, reference, notes = [], [], {}, []
    for writer, form in CLI.items():
        # vanishing computes, then plots (0.4 s a case): fast mode gives it a few kinds
        few = writer == "vanishing --plot" and not long
        for kind in [k for k in kinds if k in FEW] if few else kinds:
            for how in ("in-process", "subprocess"):
                slow = writer != "predict --output" and not long
                if how == "subprocess" and (kind not in spawn or slow):
                    continue

                def run(p, writer=writer, how=how):
                    argv = cli_argv(writer, model_file, p)
                    if how == "subprocess":
                        return outcome_cli(cli_subprocess(argv, tmp_path), p)
                    return outcome_cli(cli_in_process(argv), p)

                sub = tmp_path / how
                problems = run_case(writer, form, kind, sub, mounts, run, reference, notes)
                tally.append((writer, kind, problems))
                failures += [f"{writer} / {kind} ({how}): {p}" for p in problems]
    report("special files (CLI writers)", tally, failures, skipped, notes)
    assert not failures, failures[:10]


def test_output_dash_is_stdout(tmp_path, model_file):
    """``--output -`` prints the CSV (the bytes ``--output FILE`` writes), no file named -."""
    argv = ["predict", str(model_file), "--x", "1", "2"]
    cli_subprocess([*argv, "--output", str(tmp_path / "p.csv")], tmp_path)
    code, out, err = cli_subprocess([*argv, "--output", "-"], tmp_path)
    expected = (tmp_path / "p.csv").read_text()
    print(f"\n--output -: exit {code}, {len(out)} characters on stdout, expected {len(expected)}")
    assert (code, out, err) == (0, expected, "")
    assert not (tmp_path / "-").exists()
    onnx = [*argv[:2], "--to", "onnx"]
    onnx[0] = "export"
    cli_subprocess([*onnx, "--out", str(tmp_path / "m.onnx")], tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "backprop", *onnx, "--out", "-"], capture_output=True, cwd=tmp_path
    )
    print(f"export --out -: exit {done.returncode}, {len(done.stdout)} bytes on stdout")
    assert done.returncode == 0 and done.stdout == (tmp_path / "m.onnx").read_bytes()
    assert not (tmp_path / "-").exists()
    main, side = os.openpty()  # stdout a terminal: the binary export is refused, not printed
    try:
        argv = [sys.executable, "-m", "backprop", *onnx, "--out", "-"]
        done = subprocess.run(argv, stdout=side, stderr=subprocess.PIPE, cwd=tmp_path, timeout=120)
    finally:
        os.close(side)
        os.close(main)
    err = done.stderr.decode()
    print(f"export --out - on a terminal: exit {done.returncode}: {err.strip()}")
    assert done.returncode == 2 and err.count("\n") == 1 and "terminal" in err


def test_fifo_without_reader_fails_fast(tmp_path, model_file):
    """Nobody reads the FIFO: one line, exit 2, within seconds; the FIFO stays a FIFO."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    start = time.monotonic()
    argv = ["predict", str(model_file), "--x", "1", "--output", str(fifo)]
    try:
        result = cli_subprocess(argv, tmp_path)
    except subprocess.TimeoutExpired:
        result = (None, "", "timed out after 120 s")
    took = time.monotonic() - start
    got, line = outcome_cli(result, fifo)
    print(f"\nFIFO without a reader: {got} after {took:.1f} s: {line}")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert got == "refused" and "reading" in line and took < 30, result


@pytest.mark.skipif(not ROOT, reason="mknod of a character device needs root")
def test_device_full_is_one_line_and_the_node_stays(tmp_path, model_file):
    """A /dev/full twin (1, 7) under the temp dir: ENOSPC on write, exit 2, node intact."""
    dev = tmp_path / "full"
    os.mknod(dev, stat.S_IFCHR | 0o666, os.makedev(1, 7))
    argv = ["predict", str(model_file), "--x", "1", "--output", str(dev)]
    result = cli_subprocess(argv, tmp_path)
    st = os.lstat(dev)
    got, line = outcome_cli(result, dev)
    print(f"\n--output on a full device: {got}: {line}")
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == os.makedev(1, 7)
    assert got == "refused" and "full" in line, result


def test_dev_stdout_is_the_stream_not_a_file_to_replace(tmp_path, model_file, count):
    """``--output /dev/stdout > log``: the CSV goes into the log where the shell's descriptor
    writes; the log is neither replaced nor overwritten. The links are twins of /dev/stdout
    and /dev/fd made in the temp dir: the old writer renamed a file over /dev/stdout itself."""
    expected = cli_subprocess(["predict", str(model_file), "--x", "1"], tmp_path)[1]
    (tmp_path / "stdout").symlink_to("/proc/self/fd/1")  # what /dev/stdout is
    (tmp_path / "fd").symlink_to("/proc/self/fd")  # what /dev/fd is
    tried = 0
    names = (str(tmp_path / "stdout"), "/proc/self/fd/1", str(tmp_path / "fd" / "1"))
    for name in names[: count(1, 3)]:
        for sink in ("file", "pipe"):
            log = tmp_path / f"log-{sink}"
            log.write_text("before\n")
            inode = os.stat(log).st_ino
            argv = [sys.executable, "-m", "backprop", "predict", str(model_file), "--x", "1"]
            argv += ["--output", name]
            if sink == "file":
                with open(log, "a") as handle:
                    code = subprocess.run(argv, stdout=handle, cwd=tmp_path, timeout=120).returncode
                got = log.read_text()
            else:
                done = subprocess.run(argv, capture_output=True, cwd=tmp_path, timeout=120)
                code, got = done.returncode, "before\n" + done.stdout.decode()
            tried += 1
            assert code == 0 and os.stat(log).st_ino == inode, (name, sink, code)
            assert got.startswith("before\n" + expected) and f"to {name}" in got, (name, got)
    print(f"\n/dev/stdout and friends: {tried} cases (file and pipe), all in the stream")
