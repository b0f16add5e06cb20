"""Issue 8, items 5 and 6: crashes during checkpointing, and resuming from BackupAndRestore.

Item 5 — training subprocesses (real ``fit`` runs with ``ModelCheckpoint`` writing every
epoch and ``BackupAndRestore``) are killed with SIGKILL, some at random moments, some the
instant a temp file of a checkpoint or backup write appears. After each kill the model file
and the backup must load and verify (checksum), and each must hold exactly the weights an
uninterrupted run had at the epoch it names — never a truncated or mixed file.

Item 6 — the killed run is started again and resumes from its backup, again and again,
until it finishes; it must end with the weights and history of an uninterrupted run, bit
for bit (np.array_equal / == on every column but wall-clock time). The same holds for runs
interrupted in-process by an exception from a callback (before an epoch, after it, in the
middle of a batch), for the δ engine, the compiled (numba) loop and autograd — the autograd
model adds noise from backprop's global generator, so that state must be restored too.
The training setup shared with the child processes is in ``resume_setup.py``.
"""

import json
import os
import random
import re
import select
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from backprop import io
from backprop.train import backup_file

from .engines import engines, fused_available
from .resume_setup import CHILD, NS, Reference, reference, same_as

WINDOW = 0.15  # seconds after a child's first epoch in which it is killed (a run lasts ~0.2 s)
MODEL_TEMP = re.compile(r"^\.model\.safetensors\..+\.tmp$")
BACKUP_TEMP = re.compile(r"^\.backup\.safetensors\..+\.tmp$")


# -- item 6, in-process: an exception from a callback ------------------------------------
class Crash(Exception):
    pass


def crasher(kind: str, epoch: int, batch: int = 1):
    Callback = NS["Callback"]

    class At(Callback):
        wants_metrics = False  # a crash device reads no metrics: the run measures as without it

    def hit(self, state):
        if state.epoch == epoch and (kind != "batch" or state.batch == batch):
            raise Crash(f"{kind} {epoch}")

    hook = {"epoch_begin": "on_epoch_begin", "epoch_end": "on_epoch_end", "batch": "on_batch_end"}
    setattr(At, hook[kind], hit)
    return At()


@pytest.mark.parametrize("engine", engines())
def test_resume_after_exceptions_gives_the_uninterrupted_run(engine, tmp_path, count):
    noise = engine == "autograd"  # the global random stream matters only there
    ref = reference(engine, noise)
    kinds = ["epoch_begin", "epoch_end"] + ([] if engine == "fused" else ["batch"])
    chooser = random.Random(f"resume-{engine}")
    runs, crashes, identical, where = count(1, 10), 0, 0, Counter()
    start = time.monotonic()
    for r in range(runs):
        folder = tmp_path / f"run{r}"
        points = sorted(chooser.sample(range(2, ref.last_epoch), 3))
        for epoch in points:
            kind = chooser.choice(kinds)
            crash = crasher(kind, epoch, chooser.randint(1, 5))
            with pytest.raises(Crash):
                NS["train"](engine, folder, extra=[crash], noise=noise, checkpoint=False)
            crashes += 1
            where[kind] += 1
        model, history = NS["train"](engine, folder, noise=noise, checkpoint=False)
        identical += same_as(ref, model, history)
        assert not (folder / "backup").exists()  # finished: the backup is gone
    print(
        f"\nresume after exceptions ({engine}{', noise layer' if noise else ''}): {runs} runs "
        f"of {ref.last_epoch} epochs, {crashes} crashes ({dict(where)}), each run resumed "
        f"3 times; {identical}/{runs} ended bit-identical to the uninterrupted run "
        f"(weights and history); {time.monotonic() - start:.1f} s"
    )
    assert identical == runs


def test_the_noise_model_needs_the_global_random_state(tmp_path):
    """Sanity check of the test above: a resumed autograd run whose global generator was
    disturbed after the restore ends elsewhere — so the state it restores does matter."""
    Callback = NS["Callback"]
    import backprop as bp

    class Disturb(Callback):  # one draw after the restore, before the first resumed step
        done = False

        def on_epoch_begin(self, state):
            if not self.done:
                self.done = True
                bp.randn(3)

    ref = reference("autograd", noise=True)
    with pytest.raises(Crash):
        NS["train"]("autograd", tmp_path, [crasher("epoch_end", 5)], noise=True, checkpoint=False)
    model, history = NS["train"]("autograd", tmp_path, [Disturb()], noise=True, checkpoint=False)
    assert not same_as(ref, model, history)


# -- items 5 and 6: SIGKILL of training subprocesses -------------------------------------
class Worker:
    """One folder, one engine: a child trains (resuming when a backup is there) until killed."""

    def __init__(self, folder: Path, engine: str) -> None:
        self.folder, self.engine = folder, engine
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        folder.mkdir()

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(self.folder), self.engine],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        self.starts += 1

    def wait_ready(self) -> bool:
        """True once the child finished an epoch; False if it already exited."""
        ready, _, _ = select.select([self.proc.stdout], [], [], 60)
        line = self.proc.stdout.readline() if ready else b""
        if line.strip() == b"ready":
            return True
        self.proc.wait(60)
        if self.proc.returncode == 0:
            return False
        raise AssertionError(f"child failed: {self.proc.stderr.read().decode()[-2000:]}")

    def temps(self) -> list[str]:
        names = [n for n in os.listdir(self.folder) if MODEL_TEMP.match(n)]
        backup = self.folder / "backup"
        if backup.is_dir():
            names += [f"backup/{n}" for n in os.listdir(backup) if BACKUP_TEMP.match(n)]
        return names

    def kill(self, at: float, watch: str | None = None, skip: int = 0) -> bool:
        """SIGKILL at time ``at`` — or, with ``watch`` ("model" or "backup"), as soon as the
        temp file of the ``skip + 1``-th write of that kind shows (then returns True)."""
        seen: set = set()
        prefix = "backup/" if watch == "backup" else "."
        while time.monotonic() < at and self.proc.poll() is None:
            if watch:
                seen.update(n for n in self.temps() if n.startswith(prefix))
                if len(seen) > skip:
                    break
            time.sleep(0.0002 if watch else 0.002)
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)
        return len(seen) > skip

    def close(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self.proc.stdout.close()
            self.proc.stderr.close()


def inspect(worker: Worker, ref: Reference) -> dict:
    """After a kill: both files load, verify and hold the reference weights of their epoch."""
    folder = worker.folder
    temps = worker.temps()
    model_path, backup_path = folder / "model.safetensors", folder / "backup" / "backup.safetensors"
    model_epoch = backup_epoch = 0
    if model_path.exists():
        file = io.read(model_path)  # raises on a truncated or corrupt file
        model_epoch = file.metadata["epoch"]
        assert NS["digest"](file.tensors) == ref.epoch_weights[model_epoch], "checkpoint mixed"
    if backup_path.exists():
        tree = backup_file.read(backup_path)  # checks the container and the SHA-256
        backup_epoch = tree["epoch"]
        assert NS["digest"](tree["model"]) == ref.epoch_weights[backup_epoch], "backup mixed"
        values = tree["history"]["values"]
        for key, column in ref.record["history"].items():  # metrics where they were measured
            want = [v for v, e in zip(column, ref.record["at"][key]) if e <= backup_epoch]
            got = values[key].tolist() if key in values else []
            assert got == want, key
    finished = backup_epoch == 0 and model_epoch == ref.last_epoch  # backup deleted at the end
    assert finished or backup_epoch in (model_epoch - 1, model_epoch), (model_epoch, backup_epoch)
    for name in temps:  # ModelCheckpoint's documented leftover; backups clean their own
        if MODEL_TEMP.match(name):
            os.unlink(folder / name)
    if finished:
        version = "after the finish (backup deleted)"
    elif backup_epoch == model_epoch:
        version = "backup of the same epoch as the checkpoint"
    else:
        version = "backup of the epoch before (killed in between)"
    return {
        "model temp": any(MODEL_TEMP.match(n) for n in temps),
        "backup temp": any(n.startswith("backup/") for n in temps),
        "version": version,
        "epoch": model_epoch,
    }


def finish_cycle(worker: Worker, ref: Reference) -> bool:
    """The child completed its run: compare with the reference, then start a new run."""
    result = json.loads((worker.folder / "result.json").read_text())
    same = result["weights"] == NS["digest"](ref.weights) and {
        k: result[k] for k in ref.record
    } == json.loads(json.dumps(ref.record))
    backup = worker.folder / "backup"
    assert not backup.exists() or os.listdir(backup) == [], os.listdir(backup)
    for path in sorted(worker.folder.rglob("*"), reverse=True):
        if path.is_dir():
            path.rmdir()
        else:
            path.unlink()
    return same


class Tally:
    """What the workers' threads saw, counted under one lock."""

    def __init__(self, wanted: int) -> None:
        self.wanted, self.lock, self.stop = wanted, threading.Lock(), threading.Event()
        self.kills = self.on_sight = 0
        self.outcome, self.versions = Counter(), Counter()
        self.cycles, self.identical, self.resumes = Counter(), Counter(), Counter()
        self.errors: list[BaseException] = []

    def finished(self, engine: str, same: bool) -> None:
        with self.lock:
            self.cycles[engine] += 1
            self.identical[engine] += same

    def killed(self, engine: str, on_sight: bool, seen: dict, resumes: bool) -> None:
        with self.lock:
            self.kills += 1
            self.on_sight += on_sight
            self.outcome["mid-write (temp file left)"] += seen["model temp"] or seen["backup temp"]
            self.outcome["  in ModelCheckpoint's write"] += seen["model temp"]
            self.outcome["  in BackupAndRestore's write"] += seen["backup temp"]
            self.versions[seen["version"]] += 1
            self.resumes[engine] += resumes
            if self.kills >= self.wanted:
                self.stop.set()


def kill_loop(worker: Worker, ref: Reference, chooser: random.Random, tally: Tally) -> None:
    """Start, wait for the first epoch, kill (at random or on a temp file), check, repeat."""
    try:
        while not tally.stop.is_set():
            worker.start()
            if worker.wait_ready():
                watch = (None, "model", "backup")[worker.starts % 3]  # the three in turn
                if watch is None:
                    on_sight = worker.kill(time.monotonic() + chooser.uniform(0, WINDOW))
                else:  # the temp file of the 1st to 5th write of its kind from now
                    on_sight = worker.kill(time.monotonic() + 5, watch, chooser.randint(0, 4))
            else:
                on_sight = False
            code = worker.proc.returncode
            if code != 0:
                assert code == -signal.SIGKILL, worker.proc.stderr.read().decode()[-2000:]
                done = (worker.folder / "result.json").exists()  # killed after its result
                tally.killed(worker.engine, on_sight, inspect(worker, ref), not done)
            if (worker.folder / "result.json").exists():
                tally.finished(worker.engine, finish_cycle(worker, ref))
            worker.close()
    except BaseException as error:  # reported by the test's thread
        tally.errors.append(error)
        tally.stop.set()
    finally:
        worker.close()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_sigkill_during_checkpoints_then_resume(tmp_path, count, long_mode):
    names = ["delta", "fused"] if fused_available() else ["delta"]
    if long_mode or len(names) == 1:  # autograd resumes are covered in-process above too
        names.append("autograd")
    workers = [Worker(tmp_path / f"w{i}-{name}", name) for i, name in enumerate(names)]
    start = time.monotonic()
    refs = {name: reference(name) for name in names}
    tally = Tally(count(10, 200))
    threads = [
        threading.Thread(target=kill_loop, args=(w, refs[w.engine], random.Random(i), tally))
        for i, w in enumerate(workers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if tally.errors:
        raise tally.errors[0]
    for w in workers:  # let every unfinished run resume once more and finish
        if (w.folder / "backup").exists() or (w.folder / "model.safetensors").exists():
            w.start()
            w.proc.wait(120)
            assert w.proc.returncode == 0, w.proc.stderr.read().decode()[-2000:]
            tally.finished(w.engine, finish_cycle(w, refs[w.engine]))
            w.close()
    seconds = time.monotonic() - start
    kills, outcome = tally.kills, tally.outcome
    print(
        f"\ncrash during save: {kills} SIGKILLs of training processes ({', '.join(names)}; "
        f"{tally.on_sight} the instant the temp file of its 1st-5th write appeared, "
        f"{kills - tally.on_sight} at a random moment up to {WINDOW} s after its first epoch), "
        f"{sum(w.starts for w in workers)} processes started, {seconds:.1f} s with the "
        "uninterrupted reference runs"
    )
    for key in ("mid-write (temp file left)", "  in ModelCheckpoint's write",
                "  in BackupAndRestore's write"):  # fmt: skip
        print(f"  {key:32s} {outcome[key]:4d}")
    for key, n in sorted(tally.versions.items()):
        print(f"  loaded: {key:46s} {n:4d}")
    print("  every model file and backup loaded, verified and held its epoch's exact weights")
    for name in names:
        print(
            f"  {name:8s} runs finished {tally.cycles[name]:3d} (after {tally.resumes[name]} "
            f"kill-resumes), bit-identical to the uninterrupted run: {tally.identical[name]}"
        )
    assert kills >= tally.wanted
    assert outcome["mid-write (temp file left)"] >= 1, "no kill landed during a write"
    if long_mode:
        assert outcome["  in ModelCheckpoint's write"] and outcome["  in BackupAndRestore's write"]
    assert all(tally.cycles[name] >= 1 for name in names)
    assert tally.identical == tally.cycles
