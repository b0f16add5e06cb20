"""Issue 12, class "concurrent writers": N processes writing one run folder, model or backup,
and a hostile neighbour who plants links where the program names its own files.

- **Run folder**: N ``backprop train`` processes with the same ``--out`` and different
  seeds start at once, without and with ``--overwrite`` (over an older run with plots).
  Judge: every exit status is 0 or 2 with one line on stderr; without ``--overwrite``
  exactly one run wins; the folder holds exactly one run's files — the weights in
  ``model.safetensors`` are, bit for bit, what ``backprop.run`` of the ``spec.json`` beside
  them gives (the seed identifies the writer), ``history.json`` is that run's history, the
  model's embedded spec has that seed; no plot of the older run is left; nothing else
  (partial folders, locks) is left beside it.
- **Model file**: N processes ``backprop.save`` models whose weights all equal their writer
  number, in a loop, to one path, while another process reads it in a loop. Judge: every
  read loads and verifies, its weights are one writer's (all equal to the writer number its
  metadata names), and no temporary file is left.
- **Backup**: N processes run ``fit`` with ``BackupAndRestore`` on one folder, different
  seeds; the others start once the first one has written a backup. Judge: a process that
  finishes has exactly the weights of its own uninterrupted run (never another writer's
  resumed state); one that does not is refused with one of our errors naming the other
  writer's pid.
- **Planted links**: a symlink (to a file, dangling, to a folder; long mode also absolute
  and a chain) at each name the program gives its own files: the lock, the backup lock,
  a partial and an old folder, a run file and the marker in an ``--overwrite`` target, the
  backup file. Judge: exit 0 or one line with exit 2, the link's target tree unchanged
  (bytes and mtimes), nothing created outside the case folder.
- **Run look-alikes**: ``train --out v --overwrite`` where ``v`` holds an entry named as a
  run file or a temporary file that is a folder (with a file inside), a link to a file or
  to a folder, a FIFO, or a genuine marker beside a file no run wrote. Judge: exit 2 with
  one line ("run folders only"), nothing under the case folder changed. And a file added
  to ``v`` while an ``--overwrite`` run trains: refused at commit, the file and the
  finished run (in its partial folder) kept.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

N = 4
RUN_FILES = {"model.safetensors", "spec.json", "history.csv", "history.json"}
PLOTS = {"loss.png", "fit.png", "network.png"}


def train_argv(seed: int, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "backprop", "train", "--data", "square", "--n", "32",
            "--hidden", "4", "--epochs", "150", "--engine", "delta", "--seed", str(seed),
            "-q", "--out", str(out), *extra]  # fmt: skip


def start_all(argvs: list[list[str]], cwd: Path) -> list[tuple]:
    procs = []
    for argv in argvs:
        procs.append(subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True))  # fmt: skip
    results = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        results.append((p.returncode, out, err))
    return results


def one_line_error(code: int, err: str) -> bool:
    return code == 2 and err.count("\n") == 1 and err.startswith("backprop train: error:")


def check_run_folder(folder: Path, plots: bool) -> int:
    """The folder is one run's complete files; returns the seed of the run that wrote it."""
    import backprop
    from backprop import io

    names = {p.name for p in folder.iterdir() if not p.name.startswith(".")}
    assert names >= RUN_FILES, f"incomplete run folder: {sorted(names)}"
    assert names <= RUN_FILES | (PLOTS if plots else set()), f"foreign files: {sorted(names)}"
    spec = json.loads((folder / "spec.json").read_text())
    replay = backprop.run(spec)
    stored = io.read(folder / "model.safetensors")
    want = {k: t._data for k, t in replay.model.state_dict().items()}
    for key, value in want.items():
        assert np.array_equal(stored.tensors[key], value), f"{key}: not the weights of {spec}"
    assert stored.full_spec["seed"] == spec["seed"]
    history = json.loads((folder / "history.json").read_text())["history"]
    assert history["loss"] == replay.history.history["loss"], "history of another run"
    return spec["seed"]


def test_one_run_folder_many_trainings(tmp_path, count):
    rounds = count(1, 8)
    tally = {"runs": 0, "won": 0, "refused": 0, "folders": 0}
    for r in range(rounds):
        for overwrite in (False, True):
            out = tmp_path / f"r{r}-{overwrite}" / "run"
            if overwrite:  # an older run with plots is there to be replaced whole
                old = subprocess.run(train_argv(99, out), cwd=tmp_path, capture_output=True,
                                     text=True, timeout=300)  # fmt: skip
                assert old.returncode == 0, old.stderr
                assert PLOTS & {p.name for p in out.iterdir()}
            extra = ["--overwrite", "--no-plots"] if overwrite else []
            argvs = [train_argv(10 * r + i, out, *extra) for i in range(N)]
            results = start_all(argvs, tmp_path)
            codes = [code for code, _, _ in results]
            for code, _, err in results:
                assert code == 0 or one_line_error(code, err), f"exit {code}: {err[-500:]}"
            won = codes.count(0)
            assert won == 1 if not overwrite else won >= 1, f"exit codes {codes}"
            seed = check_run_folder(out, plots=not overwrite)
            assert seed in [10 * r + i for i, c in enumerate(codes) if c == 0], seed
            assert sorted(p.name for p in out.parent.iterdir()) == ["run"], "leftovers"
            tally["runs"] += N
            tally["won"] += won
            tally["refused"] += N - won
            tally["folders"] += 1
    print(f"concurrent writers (run folder): {tally['runs']} trainings in {tally['folders']} "
          f"folders ({N} at once, with and without --overwrite): {tally['won']} wrote, "
          f"{tally['refused']} refused in one line; every folder one run's files")  # fmt: skip


SAVER = r"""
import sys, backprop as bp
from backprop import io
i, path, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
model = bp.nn.Sequential(bp.nn.Linear(3, 5), bp.nn.Tanh(), bp.nn.Linear(5, 2))
for p in model.parameters():
    p._data[...] = i
for _ in range(n):
    io.save(model, path, metadata={"writer": i})
"""

READER = r"""
import os, sys, time
import numpy as np
from backprop import io
path, stop = sys.argv[1], sys.argv[2]
reads, end = 0, time.monotonic() + 300
while not os.path.exists(stop) and time.monotonic() < end:
    if not os.path.exists(path):  # before the first save; once there, it stays
        continue
    f = io.read(path)
    writer = f.metadata["writer"]
    for key, value in f.tensors.items():
        assert np.all(value == writer), (key, writer, value)
    reads += 1
print(reads)
"""


def test_one_model_file_many_savers(tmp_path, count):
    path = tmp_path / "m.safetensors"
    saves = count(40, 400)
    stop = tmp_path.parent / f"{tmp_path.name}.stop"  # outside: the folder is judged
    reader = subprocess.Popen([sys.executable, "-c", READER, str(path), str(stop)], text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    results = start_all([[sys.executable, "-c", SAVER, str(i), str(path), str(saves)]
                         for i in range(1, N + 1)], tmp_path)  # fmt: skip
    stop.touch()
    out, err = reader.communicate(timeout=300)
    stop.unlink()
    for code, _, serr in results:
        assert code == 0, serr
    assert reader.returncode == 0, err
    assert int(out) > 0, "the reader never saw the file"
    from backprop import io

    final = io.read(path)
    assert all(np.all(v == final.metadata["writer"]) for v in final.tensors.values())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.safetensors"], "temporary files"
    print(
        f"concurrent writers (model file): {N} processes x {saves} saves to one path, "
        f"{int(out)} reads meanwhile, every read one writer's weights; no temp file left"
    )


FITTER = r"""
import sys, json
import numpy as np
import backprop as bp
from backprop.errors import BackpropError
from backprop.spec import prepare
from backprop.train import BackupAndRestore, fit
seed, folder, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
r = prepare({"name": "b", "seed": seed, "data": {"name": "square", "n": 64, "seed": 0},
             "model": {"hidden": [8]}, "epochs": 600, "engine": "delta"})
try:
    fit(r.model, r.dataset, r.loss, r.optimizer, epochs=600, seed=seed, engine="delta",
        callbacks=[BackupAndRestore(folder, every=1)])  # every epoch: the others meet it
except BackpropError as error:
    print(str(error), file=sys.stderr)
    sys.exit(2)
np.savez(out, **{k: t._data for k, t in r.model.state_dict().items()})
"""


def own_run(seed: int) -> dict:
    from backprop.spec import prepare
    from backprop.train import fit

    r = prepare({"name": "b", "seed": seed, "data": {"name": "square", "n": 64, "seed": 0},
                 "model": {"hidden": [8]}, "epochs": 600, "engine": "delta"})  # fmt: skip
    fit(r.model, r.dataset, r.loss, r.optimizer, epochs=600, seed=seed, engine="delta")
    return {k: t._data for k, t in r.model.state_dict().items()}


def test_one_backup_folder_many_fits(tmp_path, count):
    rounds = count(1, 6)
    finished = refused = 0
    for r in range(rounds):
        folder = tmp_path / f"bk{r}"
        seeds = [100 * r + i for i in range(N)]
        argvs = [[sys.executable, "-c", FITTER, str(s), str(folder), str(tmp_path / f"w{s}.npz")]
                 for s in seeds]  # fmt: skip
        first = subprocess.Popen(argvs[0], cwd=tmp_path, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)  # fmt: skip
        end = time.monotonic() + 60
        while not (folder / "backup.safetensors").exists() and time.monotonic() < end:
            time.sleep(0.01)  # the others start while the first one is backing up
        results = start_all(argvs[1:], tmp_path)
        out, err = first.communicate(timeout=300)
        results.insert(0, (first.returncode, out, err))
        for seed, (code, _, err) in zip(seeds, results):
            if code == 0:
                got = np.load(tmp_path / f"w{seed}.npz")
                want = own_run(seed)
                same = all(np.array_equal(got[k], v) for k, v in want.items())
                assert same, f"seed {seed}: finished with another writer's resumed state"
                finished += 1
            else:
                assert code == 2 and "pid" in err and "Traceback" not in err, err[-800:]
                refused += 1
        assert not folder.exists() or not any(folder.iterdir()), os.listdir(folder)
    print(
        f"concurrent writers (backup folder): {rounds * N} fits, {N} per folder "
        f"({N - 1} started while the first backed up): {finished} finished with their own "
        f"weights, {refused} refused naming the other writer's pid"
    )


# -- planted links at the names the program gives its own files (round 2, items 1, 4, 5) ---
SPOTS = {  # where the link is planted (in case/), and the extra arguments of that run
    "lock": ("shared/.r.lock", []),
    "backup-lock": ("shared/.bk.backup-lock", ["--backup", "shared/bk"]),
    "partial": ("shared/.r.partial-aaaaaaaa", []),
    "old": ("shared/.r.old-aaaaaaaa", []),
    "run file": ("shared/r/model.safetensors", ["--overwrite"]),
    "marker": ("shared/r/.backprop-run.json", ["--overwrite"]),
    "backup file": ("shared/bk/backup.safetensors", ["--backup", "shared/bk"]),
}


def snapshot(folder: Path) -> dict:
    return {str(p.relative_to(folder)): (p.is_symlink(), p.stat(follow_symlinks=False).st_mtime_ns,
             p.read_bytes() if p.is_file() and not p.is_symlink() else None)
            for p in sorted(folder.rglob("*"))}  # fmt: skip


def test_planted_links_are_never_written_through(tmp_path, count):
    from tests.reliability.cli_runner import run_cases

    kinds = ["file", "dangling", "folder"] + (["absolute", "chain"] if count(0, 1) else [])
    cases, plans = [], []
    for spot, (where, extra) in SPOTS.items():
        for kind in kinds:
            case = tmp_path / f"c{len(cases)}"
            victim = case / "victim"
            (victim / "sub").mkdir(parents=True)
            (victim / "file.txt").write_text("precious")
            (victim / "sub" / "x").write_text("keep")
            link = case / where
            link.parent.mkdir(parents=True, exist_ok=True)
            depth = "../" * where.count("/")
            target = {"file": f"{depth}victim/file.txt", "dangling": f"{depth}victim/created",
                      "folder": f"{depth}victim", "absolute": str(victim / "file.txt"),
                      "chain": "hop"}[kind]  # fmt: skip
            if kind == "chain":
                (link.parent / "hop").symlink_to(f"{depth}victim/file.txt")
            link.symlink_to(target)
            argv = ["train", "--data", "square", "--n", "8", "--hidden", "2", "--epochs", "3",
                    "--no-plots", "-q", "--out", "shared/r", *extra]  # fmt: skip
            cases.append({"argv": argv, "cwd": str(case), "timeout": 60})
            plans.append((spot, kind, case, snapshot(victim)))
    rows = run_cases(cases, tmp_path)
    tally = {"ok": 0, "refused": 0}
    for (spot, kind, case, before), row in zip(plans, rows, strict=True):
        what = f"{spot}/{kind}: {row}"
        assert row["code"] in (0, 2), what
        if row["code"] == 2:
            assert row["stderr"].count("\n") == 1 and "error:" in row["stderr"], what
        tally["ok" if row["code"] == 0 else "refused"] += 1
        assert snapshot(case / "victim") == before, f"{what}: the link was written through"
        assert sorted(p.name for p in case.iterdir()) == ["shared", "victim"], what
    print(f"planted links at program-named paths: {len(cases)} cases "
          f"({len(SPOTS)} spots x {len(kinds)} kinds), {tally['ok']} trained, "
          f"{tally['refused']} refused in one line, 0 written through")  # fmt: skip


# -- --overwrite over folders that only look like runs (round 2, items 2 and 3) -----------
def plant_lookalike(folder: Path, name: str, kind: str) -> None:
    """One entry ``name`` of ``kind`` in ``folder`` (a would-be run folder)."""
    entry = folder / name
    if kind == "folder":
        (entry / "deep").mkdir(parents=True)
        (entry / "deep" / "thesis.txt").write_text("mine")
    elif kind == "link-file":
        entry.symlink_to("../elsewhere/file.txt")
    elif kind == "link-folder":
        entry.symlink_to("../elsewhere")
    elif kind == "fifo":
        os.mkfifo(entry)
    elif kind == "beside-marker":  # a genuine marker plus a file no run wrote
        (folder / ".backprop-run.json").write_text('{"format": 1, "files": ["spec.json"]}')
        (folder / "spec.json").write_text("{}")
        (folder / (name + ".notes")).write_text("mine")


def test_overwrite_never_deletes_what_a_run_did_not_write(tmp_path, count):
    from tests.reliability.cli_runner import run_cases

    names = ["spec.json", "model.safetensors", ".backprop-run.json", "x.tmp",
             ".spec.json.abcd1234.tmp"]  # fmt: skip
    kinds = ["folder", "link-file", "link-folder", "fifo", "beside-marker"]
    if not count(0, 1):
        names = names[:3] + names[4:]
    cases, plans = [], []
    for name in names:
        for kind in kinds:
            case = tmp_path / f"c{len(cases)}"
            (case / "elsewhere").mkdir(parents=True)
            (case / "elsewhere" / "file.txt").write_text("precious")
            (case / "v").mkdir()
            plant_lookalike(case / "v", name, kind)
            argv = ["train", "--data", "square", "--n", "8", "--hidden", "2", "--epochs", "2",
                    "--no-plots", "-q", "--out", "v", "--overwrite"]  # fmt: skip
            cases.append({"argv": argv, "cwd": str(case), "timeout": 60})
            plans.append((name, kind, case, snapshot(case)))
    rows = run_cases(cases, tmp_path)
    for (name, kind, case, before), row in zip(plans, rows, strict=True):
        what = f"{name}/{kind}: {row}"
        assert row["code"] == 2 and row["stderr"].count("\n") == 1, what
        assert "run folders only" in row["stderr"], what
        assert snapshot(case) == before, f"{what}: something changed"
    print(f"--overwrite over run look-alikes: {len(cases)} cases ({len(names)} names x "
          f"{len(kinds)} kinds), {len(cases)} refused in one line, 0 changed")  # fmt: skip


def test_overwrite_rechecks_a_folder_filled_during_the_run(tmp_path, count):
    rounds, kept = count(1, 3), 0
    for i in range(rounds):
        case = tmp_path / f"r{i}"
        case.mkdir()
        first = subprocess.run(train_argv(1, case / "v3", "--no-plots"), capture_output=True)
        assert first.returncode == 0, first.stderr
        argv = train_argv(2, case / "v3", "--no-plots", "--overwrite", "--epochs", "3000")
        proc = subprocess.Popen(argv, cwd=case, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)  # fmt: skip
        deadline = time.monotonic() + 60
        while not [p for p in case.iterdir() if ".partial-" in p.name]:
            assert time.monotonic() < deadline and proc.poll() is None, "no partial folder"
            time.sleep(0.01)
        (case / "v3" / "thesis.docx").write_text("mine")  # added while the run trains
        _, err = proc.communicate(timeout=300)
        assert one_line_error(proc.returncode, err) and "thesis.docx" in err, err
        assert (case / "v3" / "thesis.docx").read_text() == "mine"
        partial = [p for p in case.iterdir() if ".partial-" in p.name]
        assert len(partial) == 1 and (partial[0] / "model.safetensors").is_file()
        kept += 1
    print(
        f"--overwrite, a file added during the run: {rounds} runs, {kept} refused at commit "
        "in one line, the file kept and the finished run kept in its partial folder"
    )
