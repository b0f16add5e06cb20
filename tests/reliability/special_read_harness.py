"""Special files for the read side of the suite (issue 12 item 6), and the child that reads.

``make_inputs(folder)`` writes one valid input of each kind the project reads (a model
file, a spec, a CSV, a training backup), then, for each, the special nodes of ``KINDS``
with the same suffix (``fifo.safetensors``, ``zero-link.json`` → ``/dev/zero``, ...).
``READERS`` lists every path argument that reads: the public loaders and every CLI command.

Run as a script (``python special_read_harness.py CASES.json``), it is the child process
that tries each case in-process with an alarm per case (a FIFO that blocks shows up as
``hang`` instead of hanging the suite) under an address-space limit (a reader that swallows
``/dev/zero`` hits ``MemoryError`` instead of the machine's memory), and prints one JSON
line per case and a last line with its peak RSS growth.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import signal
import socket
import sys
from pathlib import Path

ROOT = os.geteuid() == 0
# kind -> words one of which the refusal must contain (None: a regular file, must work)
KINDS = {
    "regular": None,
    "link-regular": None,
    "missing": ("not found", "no such file"),
    "directory": ("folder",),
    "link-directory": ("folder",),
    "fifo": ("fifo",),
    "link-fifo": ("fifo",),
    "zero-link": ("character device",),
    "null-link": ("character device",),
    "chardev-zero": ("character device",),
    "chardev-null": ("character device",),
    "link-chardev": ("character device",),
    "socket": ("socket",),
    "dangling": ("dangling",),
    "loop": ("loop",),
    "parent-is-file": ("not a folder",),
}
ROOT_ONLY = ("chardev-zero", "chardev-null", "link-chardev")
SUFFIX = {"model": ".safetensors", "spec": ".json", "csv": ".csv", "backup": ".backup"}
# reader -> (input kind, argv template or library call name); {P} is the path under test,
# {MODEL}/{OUT} a valid model file / a fresh output folder
READERS = {
    "io.read": ("model", "lib"),
    "backprop.load": ("model", "lib"),
    "spec.load": ("spec", "lib"),
    "data.from_csv": ("csv", "lib"),
    "backup_file.read": ("backup", "lib"),
    "predict MODEL": ("model", ["predict", "{P}", "--x", "0.5"]),
    "summary MODEL": ("model", ["summary", "{P}"]),
    "explain MODEL": ("model", ["explain", "{P}", "--x", "0.5"]),
    "gradcheck MODEL": ("model", ["gradcheck", "{P}", "--samples", "2"]),
    "export MODEL": ("model", ["export", "{P}", "--to", "torch", "--out", "{OUT}/m.st"]),
    "gradcheck SPEC": ("spec", ["gradcheck", "{P}", "--samples", "2"]),
    "train SPEC": ("spec", ["train", "{P}", "--epochs", "2", "-q", "--no-plots", "--out", "{OUT}"]),
    "train --csv": (
        "csv",
        [
            "train",
            "--csv",
            "{P}",
            "--target",
            "y",
            "--epochs",
            "2",
            "-q",
            "--no-plots",
            "--out",
            "{OUT}",
        ],
    ),
    "predict --input": ("csv", ["predict", "{MODEL}", "--input", "{P}"]),
}


def make_inputs(folder: Path) -> dict[str, dict[str, str]]:
    """``{input kind: {node kind: path}}`` under ``folder`` (root-only kinds when root)."""
    import numpy as np

    import backprop
    from backprop.train import backup_file

    folder.mkdir(parents=True, exist_ok=True)
    spec = {"data": {"name": "square", "n": 40}, "model": {"hidden": [4]}, "epochs": 2}
    valid = {
        "model": folder / "valid.safetensors",
        "spec": folder / "valid.json",
        "csv": folder / "valid.csv",
        "backup": folder / "valid.backup",
    }
    backprop.run(spec).save(valid["model"])
    valid["spec"].write_text(json.dumps(spec))
    rows = "\n".join(f"{v / 10},{(v / 10) ** 2}" for v in range(-10, 11))
    valid["csv"].write_text("x,y\n" + rows + "\n")
    backup_file.write(valid["backup"], {"epoch": 1, "w": np.arange(3.0)})
    out = {}
    for what, source in valid.items():
        out[what] = {kind: str(_make(kind, folder / what, source)) for kind in kinds()}
    return out


def kinds() -> list[str]:
    return [k for k in KINDS if ROOT or k not in ROOT_ONLY]


def _make(kind: str, folder: Path, source: Path) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / f"{kind}{source.suffix}"
    if kind == "regular":
        path.write_bytes(source.read_bytes())
    elif kind == "link-regular":
        path.symlink_to(source)
    elif kind == "directory":
        path.mkdir()
    elif kind == "link-directory":
        (folder / "a-folder").mkdir(exist_ok=True)
        path.symlink_to(folder / "a-folder")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "link-fifo":
        os.mkfifo(folder / "the-fifo")
        path.symlink_to(folder / "the-fifo")
    elif kind == "zero-link":
        path.symlink_to("/dev/zero")
    elif kind == "null-link":
        path.symlink_to("/dev/null")
    elif kind in ("chardev-zero", "chardev-null"):
        minor = 5 if kind == "chardev-zero" else 3
        os.mknod(path, 0o666 | 0o020000, os.makedev(1, minor))  # S_IFCHR
    elif kind == "link-chardev":
        os.mknod(folder / "the-zero", 0o666 | 0o020000, os.makedev(1, 5))
        path.symlink_to(folder / "the-zero")
    elif kind == "socket":
        sock, here = socket.socket(socket.AF_UNIX), os.getcwd()
        os.chdir(folder)  # a relative name: AF_UNIX paths are limited to 107 bytes
        try:
            sock.bind(path.name)  # the socket node stays after the process ends
        finally:
            os.chdir(here)
            sock.close()
    elif kind == "dangling":
        path.symlink_to(folder / "nothing-here")
    elif kind == "loop":
        os.symlink(folder / f"loop-b{source.suffix}", path)
        os.symlink(path, folder / f"loop-b{source.suffix}")
    elif kind == "parent-is-file":
        (folder / "a-file").write_text("x")
        path = folder / "a-file" / f"inner{source.suffix}"
    elif kind != "missing":
        raise ValueError(kind)
    return path


# -- the child -----------------------------------------------------------------------------
class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang


def _lib(reader: str, path: str):
    import backprop
    from backprop import io as bio
    from backprop.data import from_csv
    from backprop.spec import load as spec_load
    from backprop.train import backup_file

    call = {
        "io.read": bio.read,
        "backprop.load": backprop.load,
        "spec.load": spec_load,
        "data.from_csv": lambda p: from_csv(p, "y"),
        "backup_file.read": backup_file.read,
    }[reader]
    return call(path)


def run_case(case: dict) -> dict:
    from backprop.cli import main
    from backprop.errors import BackpropError, PathError

    out = {"id": case["id"]}
    signal.alarm(case.get("timeout", 10))
    try:
        if case["argv"] is None:
            try:
                _lib(case["reader"], case["path"])
                out["outcome"] = "ok"
            except BackpropError as error:
                out.update(outcome="error", type=type(error).__name__, message=str(error),
                           path_error=isinstance(error, PathError))  # fmt: skip
        else:
            err, std = io.StringIO(), io.StringIO()
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(std):
                code = main(case["argv"])
            out.update(outcome="exit", code=code, stderr=err.getvalue())
    except Hang:
        out["outcome"] = "hang"
    except BaseException as error:  # noqa: BLE001 - the test judges every other exception
        out.update(outcome="raw", type=type(error).__name__, message=str(error)[:300])
    finally:
        signal.alarm(0)
    return out


def child(cases_file: str) -> None:
    import backprop.cli  # noqa: F401 - imported before the limits and the baseline

    signal.signal(signal.SIGALRM, _alarm)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with open("/proc/self/statm") as handle:
        vm = int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    limit = vm + 2 * 1024**3  # 2 GiB above what the imports took
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
    for case in json.loads(Path(cases_file).read_text()):
        print(json.dumps(run_case(case)), flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rss_growth_kib": peak - base}), flush=True)


if __name__ == "__main__":
    child(sys.argv[1])
