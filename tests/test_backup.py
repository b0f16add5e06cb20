"""BackupAndRestore: when backups are written and deleted, what a resumed run continues with,
and how a corrupt, foreign or mismatched backup is refused (file named, reason, fix).

Bit-identical resume after a crash, for each engine, is in
tests/reliability/test_crash_and_resume.py; here every resumed run is compared with a
straight run too (np.array_equal on the weights, == on every history column but time).
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import safetensors.numpy

import backprop as bp
from backprop import io, nn, optim
from backprop.errors import ConfigError, ModelFileError
from backprop.train import BackupAndRestore, Callback, EarlyStopping, backup_file, fit


class Crash(Exception):
    pass


class CrashAt(Callback):
    wants_metrics = False  # it reads no metrics: the run measures what it would without it

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, state):
        if state.epoch == self.epoch:
            raise Crash(f"crash at epoch {state.epoch}")


class BackupEpochs(Callback):
    """At each epoch's start, the epoch the backup file holds (None without a file)."""

    def __init__(self, path):
        self.path, self.seen = path, []

    def on_epoch_begin(self, state):
        self.seen.append(backup_file.read(self.path)["epoch"] if self.path.exists() else None)


def Backup(folder, **options):
    """A backup after every epoch (the default backs up by time: at most once a second)."""
    return BackupAndRestore(folder, **{"every": 1, **options})


def data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2)).astype(np.float32)
    return x, (np.sin(2 * x[:, :1]) + x[:, 1:] ** 2).astype(np.float32)


def parts(hidden=8, opt="adam", lr=0.01, dtype=None, schedule=True):
    bp.manual_seed(7)
    model = nn.MLP([2, hidden, 1], "tanh")
    if dtype is not None:
        model = model.to(dtype)
    if opt == "adam":
        optimizer = optim.Adam(model.parameters(), lr=lr)
    else:
        optimizer = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    scheduler = optim.lr_scheduler.StepLR(optimizer, 3, 0.8) if schedule else None
    return model, optimizer, scheduler


def train(
    backup, epochs=8, *, callbacks=(), xy=None, batch_size=16, parts_kw=None, engine="delta", **kw
):
    model, optimizer, scheduler = parts(**(parts_kw or {}))
    cbs = [*callbacks] + ([backup] if backup is not None else [])
    history = fit(
        model, xy or data(), "mse", optimizer, epochs, batch_size, seed=1, engine=engine,
        scheduler=scheduler, callbacks=cbs, **kw,
    )  # fmt: skip
    return model, history


def weights(model):
    return [p.detach().numpy().copy() for p in model.parameters()]


def same_run(a, b):
    (model_a, hist_a), (model_b, hist_b) = a, b
    assert all(np.array_equal(x, y) for x, y in zip(weights(model_a), weights(model_b)))
    assert hist_a.epochs == hist_b.epochs
    assert set(hist_a.history) == set(hist_b.history)
    for key in hist_a.history:  # every epoch's loss and lr; metrics where both measured
        if key == "time":
            continue
        a = dict(zip(hist_a.epochs_of(key), hist_a[key]))
        b = dict(zip(hist_b.epochs_of(key), hist_b[key]))
        common = sorted(set(a) & set(b))
        assert common and [a[e] for e in common] == [b[e] for e in common], key
        assert hist_a.epochs[-1] in common, key  # the last epoch is always measured
    assert (hist_a.stop_reason, hist_a.stopped_epoch, hist_a.best_epoch) == (
        hist_b.stop_reason, hist_b.stopped_epoch, hist_b.best_epoch,
    )  # fmt: skip


# -- when it writes and deletes ------------------------------------------------------------
def test_written_every_n_epochs_then_deleted_with_the_folder_it_made(tmp_path):
    folder = tmp_path / "run.backup"
    backup = Backup(folder, every=3)
    spy = BackupEpochs(backup.path)
    train(backup, epochs=10, callbacks=[spy])
    # the value seen at the start of epoch e is the backup left by epochs 1 … e-1
    assert spy.seen == [None, None, None, 3, 3, 3, 6, 6, 6, 9]
    assert backup.written == 3 and backup.resumed_epoch is None
    assert not folder.exists()


def test_a_folder_that_existed_stays(tmp_path):
    backup = Backup(tmp_path)
    train(backup, epochs=2)
    assert tmp_path.is_dir() and os.listdir(tmp_path) == []


def test_kept_backup_of_a_finished_run_restores_it_without_training(tmp_path):
    first = train(Backup(tmp_path, every=4, delete_on_finish=False), epochs=6)
    assert backup_file.read(tmp_path / "backup.safetensors")["epoch"] == 6  # the last epoch
    spy = BackupEpochs(tmp_path / "none")
    backup = Backup(tmp_path, delete_on_finish=False)
    again = train(backup, epochs=6, callbacks=[spy])
    assert backup.resumed_epoch == 6 and spy.seen == []  # no epoch ran
    same_run(first, again)


def test_continuing_a_kept_backup_equals_one_longer_run(tmp_path):
    sgd = {"opt": "sgd", "lr": 0.05}  # momentum buffers this time
    straight = train(None, epochs=12, parts_kw=sgd)
    train(Backup(tmp_path, delete_on_finish=False), 5, parts_kw=sgd)
    backup = Backup(tmp_path)
    resumed = train(backup, epochs=12, parts_kw=sgd)
    assert backup.resumed_epoch == 5
    same_run(straight, resumed)


def test_auto_resumes_on_the_engine_the_backup_recorded(tmp_path):
    # A crash on the δ engine, resumed with engine="auto" in a process where auto would take
    # the compiled loop (its kernel is loaded): the run must go on on δ, bit for bit.
    fused = pytest.importorskip("backprop.delta.fused")
    if not fused.available():
        pytest.skip("numba is not installed")
    fused.warm_up((np.float32,))
    kw = {"parts_kw": {"schedule": False}, "batch_size": 6}  # 10 batches: auto may fuse
    _, auto = train(None, epochs=2, engine="auto", **kw)
    assert auto.engine == "fused"  # what auto picks here for a fresh run
    straight = train(None, epochs=8, engine="delta", **kw)
    with pytest.raises(Crash):
        train(Backup(tmp_path), epochs=8, callbacks=[CrashAt(4)], engine="delta", **kw)
    resumed = train(Backup(tmp_path), epochs=8, engine="auto", **kw)
    assert resumed[1].engine == "delta"
    same_run(straight, resumed)


def test_early_stopping_state_and_stop_survive(tmp_path):
    def early():
        return EarlyStopping(monitor="loss", patience=2, min_delta=0.05)

    straight = train(None, epochs=40, callbacks=[early()], parts_kw={"lr": 0.05})
    assert straight[1].stop_reason is not None  # it stops early, and restores best weights
    crash_at = straight[1].stopped_epoch - 1  # between the best epoch and the stop
    with pytest.raises(Crash):
        train(Backup(tmp_path), 40, callbacks=[early(), CrashAt(crash_at)],
              parts_kw={"lr": 0.05})  # fmt: skip
    resumed = train(Backup(tmp_path), 40, callbacks=[early()], parts_kw={"lr": 0.05})
    same_run(straight, resumed)
    # a kept backup of a stopped run gives back the stop without training further
    kept = train(Backup(tmp_path / "k", delete_on_finish=False), 40,
                 callbacks=[early()], parts_kw={"lr": 0.05})  # fmt: skip
    again = train(Backup(tmp_path / "k"), 40, callbacks=[early()],
                  parts_kw={"lr": 0.05})  # fmt: skip
    same_run(kept, again)


class Counter(Callback):
    """A user callback with state: epochs seen, and the sum of their losses."""

    def on_train_begin(self, state):
        self.count, self.total = 0, 0.0

    def on_epoch_end(self, state):
        self.count += 1
        self.total += state.logs["loss"]

    def state_dict(self):
        return {"count": self.count, "total": self.total}

    def load_state_dict(self, state):
        self.count, self.total = state["count"], state["total"]


def test_a_user_callback_state_is_kept(tmp_path):
    straight = Counter()
    train(None, epochs=9, callbacks=[straight])
    with pytest.raises(Crash):
        train(Backup(tmp_path), 9, callbacks=[Counter(), CrashAt(6)])
    resumed = Counter()
    train(Backup(tmp_path), 9, callbacks=[resumed])
    assert (resumed.count, resumed.total) == (straight.count, straight.total) == (9, straight.total)


def test_the_file_is_safetensors_with_json_metadata(tmp_path):
    with pytest.raises(Crash):
        train(Backup(tmp_path), 9, callbacks=[CrashAt(4)])
    path = tmp_path / "backup.safetensors"
    # safetensors itself parses it (a first byte of 0x80, pickle's mark, can be a header
    # length in safetensors: 0x1180 bytes is one, so the bytes are not the test)
    tensors = safetensors.numpy.load_file(path)
    raw = path.read_bytes()
    header = json.loads(raw[8 : 8 + int.from_bytes(raw[:8], "little")])
    meta = header["__metadata__"]
    assert meta["format"] == "backprop-backup" and meta["backup_version"] == "1"
    state = json.loads(meta["state"])
    assert state["epoch"] == 3 and len(meta["sha256"]) == 64
    assert {"model/0.weight", "optimizer/state/0/exp_avg", "history/values/loss"} <= set(tensors)
    assert tensors["optimizer/state/0/step"].shape == () and tensors["history/epochs"].tolist() == [
        1, 2, 3,
    ]  # fmt: skip


# -- refusals ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "change, message",
    [
        ({"parts_kw": {"hidden": 9}}, r"the model differs: 0\.weight is float32\[8, 2\] in the "
         r"backup, float32\[9, 2\] here"),
        ({"parts_kw": {"dtype": bp.float64}}, r"0\.weight is float32\[8, 2\] in the backup, "
         r"float64\[8, 2\] here"),
        ({"parts_kw": {"opt": "sgd"}}, r"optimizer Adam in the backup, SGD here"),
        ({"parts_kw": {"lr": 0.1}}, r"Adam settings differ: lr=0\.01 in the backup, 0\.1 here"),
        ({"parts_kw": {"schedule": False}}, r"scheduler StepLR in the backup, None here"),
        ({"xy": data(seed=1)}, r"trained on other data \(60 rows × 2 features"),
        ({"batch_size": 20}, r"batches per epoch \(batch_size\): 4 in the backup, 3 here"),
        ({"validation": data(20, seed=3)}, r"validation data: False in the backup, True here"),
        ({"guard": False}, r"callbacks with state \['NaNGuard#0'\] in the backup, \[\] here"),
        ({"callbacks": [EarlyStopping("loss")]}, r"\[\] in the backup|\['EarlyStopping#0', "),
        ({"epochs": 3}, r"at epoch 4, beyond the 3 epochs asked for; ask for at least 4"),
    ],
    ids=["sizes", "dtype", "optimizer", "lr", "scheduler", "data", "batch", "validation",
         "guard", "callbacks", "epochs"],
)  # fmt: skip
def test_a_backup_of_another_run_is_refused_and_left_alone(tmp_path, change, message):
    with pytest.raises(Crash):
        train(Backup(tmp_path), 9, callbacks=[CrashAt(5)])
    before = (tmp_path / "backup.safetensors").read_bytes()
    options = {"epochs": 9, **change}
    with pytest.raises(ConfigError, match=message) as info:
        train(Backup(tmp_path), **options)
    text = str(info.value)
    assert str(tmp_path / "backup.safetensors") in text
    assert "delete" in text or "ask for at least" in text
    assert (tmp_path / "backup.safetensors").read_bytes() == before


def test_a_callback_watching_another_metric_is_refused(tmp_path):
    with pytest.raises(Crash):
        train(Backup(tmp_path), 9, callbacks=[EarlyStopping("loss"), CrashAt(3)])
    model, optimizer, scheduler = parts()
    before = weights(model)
    with pytest.raises(ConfigError, match=r"restore EarlyStopping#0 .* watched 'loss'.*'rmse'"):
        fit(model, data(), "mse", optimizer, 9, 16, seed=1, engine="delta", scheduler=scheduler,
            callbacks=[EarlyStopping("rmse"), Backup(tmp_path)])  # fmt: skip
    assert all(np.array_equal(a, b) for a, b in zip(before, weights(model)))  # not half-restored


def _corrupt(kind, path, tmp_path):
    good = path.read_bytes()
    if kind == "truncated":
        path.write_bytes(good[: len(good) // 2])
    elif kind == "bit flip":
        flipped = bytearray(good)
        flipped[-5] ^= 0x10  # inside the last tensor's data
        path.write_bytes(bytes(flipped))
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "pickle":
        path.write_bytes(b"\x80\x04\x95" + os.urandom(64))
    elif kind == "model file":
        io.save(nn.MLP([2, 8, 1]), path)


@pytest.mark.parametrize(
    "kind, message",
    [
        ("truncated", r"truncated"),
        ("bit flip", r"checksum mismatch"),
        ("empty", r"empty \(0 bytes\)"),
        ("pickle", r"pickle"),
        ("model file", r"not a training backup \(a model file"),
    ],
)
def test_a_damaged_or_foreign_backup_is_refused_with_a_reason(tmp_path, kind, message):
    with pytest.raises(Crash):
        train(Backup(tmp_path), 9, callbacks=[CrashAt(5)])
    path = tmp_path / "backup.safetensors"
    _corrupt(kind, path, tmp_path)
    model, optimizer, scheduler = parts()
    before = weights(model)
    with pytest.raises(ModelFileError, match=message) as info:
        fit(model, data(), "mse", optimizer, 9, 16, seed=1, engine="delta", scheduler=scheduler,
            callbacks=[Backup(tmp_path)])  # fmt: skip
    assert str(info.value).startswith(str(path)) and f"delete {path}" in str(info.value)
    assert all(np.array_equal(a, b) for a, b in zip(before, weights(model)))
    assert path.exists()  # evidence is kept for the user to look at


def test_leftover_temp_files_of_a_killed_write_are_removed(tmp_path):
    leftover = tmp_path / ".backup.safetensors.abc123.tmp"
    leftover.write_bytes(b"half a backup")
    other = tmp_path / "notes.txt"
    other.write_text("mine")
    train(Backup(tmp_path), epochs=2)
    assert sorted(os.listdir(tmp_path)) == ["notes.txt"]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"directory": None}, r"directory must be a folder path .* got None"),
        ({"directory": ""}, r"directory must be a folder path"),
        (
            {"directory": "d", "every": 0},
            r"every must be None \(by time\) or a whole number of "
            r"epochs >= 1, got 0",
        ),
        ({"directory": "d", "seconds": -1}, r"seconds must be a number of seconds from 0 to 86400"),
        ({"directory": "d", "every": 1.5}, r"every .* got 1\.5"),
        ({"directory": "d", "every": True}, r"every .* got True"),
        ({"directory": "d", "delete_on_finish": "yes"}, r"delete_on_finish must be True or Fal"),
    ],
)
def test_bad_arguments_name_the_parameter(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        BackupAndRestore(**kwargs)


def test_a_file_where_the_folder_should_be(tmp_path):
    (tmp_path / "taken").write_text("x")
    with pytest.raises(ConfigError, match=r"directory '.*taken' is a file, not a folder"):
        train(Backup(tmp_path / "taken"), epochs=1)


def test_state_that_is_not_json_or_arrays_is_refused_by_name(tmp_path):
    class Odd(Callback):
        def state_dict(self):
            return {"when": object()}

    with pytest.raises(ConfigError, match=r"callbacks/Odd#0/when is a object.*state_dict"):
        train(Backup(tmp_path), epochs=1, callbacks=[Odd()])


# -- the command line ----------------------------------------------------------------------
SPEC = {
    "seed": 2,
    "data": {"name": "square", "n": 80},
    "model": {"hidden": [8], "activation": "tanh"},
    "optimizer": {"name": "adam", "lr": 0.02},
    "schedule": {"name": "step", "options": {"step_size": 3, "gamma": 0.5}},
    "epochs": 12,
    "batch_size": 16,
    "validation": 0.25,
    "engine": "delta",
}


def _cli(*args, cwd):
    done = subprocess.run(
        [sys.executable, "-m", "backprop", "train", *map(str, args), "--no-plots", "-q"],
        capture_output=True, text=True, timeout=300, cwd=cwd,
    )  # fmt: skip
    return done.returncode, done.stdout, done.stderr


def _outputs(folder):
    history = json.loads((folder / "history.json").read_text())["history"]
    history.pop("time")
    return history, io.read(folder / "model.safetensors").tensors


def test_cli_backup_resumes_a_crashed_run(tmp_path):
    from backprop.spec import run

    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(SPEC))
    code, _, err = _cli(spec_file, "--out", tmp_path / "straight", cwd=tmp_path)
    assert code == 0, err
    from backprop.cli.progress import measure_callback  # the CLI's metric epochs, as resumed

    with pytest.raises(Crash):  # crashed in epoch 6 (mid-way between StepLR steps)
        run(SPEC, callbacks=[measure_callback(12), CrashAt(6), Backup(tmp_path / "bk")])
    code, out, err = _cli(spec_file, "--backup", tmp_path / "bk", "--backup-every", "2",
                          "--out", tmp_path / "resumed", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    said = f"resuming from {tmp_path / 'bk' / 'backup.safetensors'}: epoch 5 of 12 done"
    assert out.splitlines()[0] == said  # before any epoch line
    (h1, w1), (h2, w2) = _outputs(tmp_path / "straight"), _outputs(tmp_path / "resumed")
    assert h1 == h2 and len(h1["loss"]) == 12
    assert w1.keys() == w2.keys() and all(np.array_equal(w1[k], w2[k]) for k in w1)
    assert not (tmp_path / "bk").exists()  # finished: the backup is gone


def test_cli_refuses_a_broken_backup_in_one_line(tmp_path):
    (tmp_path / "bk").mkdir()
    (tmp_path / "bk" / "backup.safetensors").write_bytes(b"{not a backup")
    code, _, err = _cli("--data", "square", "--epochs", "2", "--backup", tmp_path / "bk",
                        "--out", tmp_path / "o", cwd=tmp_path)  # fmt: skip
    assert code == 2 and "Traceback" not in err, err
    assert "backup.safetensors" in err and "delete" in err


def test_a_full_disk_at_the_first_backup_leaves_no_empty_backup_folder(tmp_path):
    """An outside attack: on a 40 KB tmpfs, ``train --backup bk`` exited 2 cleanly but left
    an empty ``bk/`` behind."""
    import os
    import subprocess
    import sys

    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=40k", "tmpfs", str(disk)]).returncode:
        pytest.skip("mount -t tmpfs failed here")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "backprop", "train", "--data", "square", "--layers",
             "1,64,64,1", "--epochs", "3", "--out", "r2", "--backup", "bk", "--backup-every",
             "1", "--no-plots", "-q"],
            cwd=disk, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "backup" in lines[0] and "full" in lines[0], done.stderr
        assert sorted(os.listdir(disk)) == [], os.listdir(disk)
    finally:
        subprocess.run(["umount", str(disk)])
