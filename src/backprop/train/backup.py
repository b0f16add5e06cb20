"""``BackupAndRestore``: survive a crash in the middle of ``fit`` and resume bit for bit.

Keras' ``BackupAndRestore``, extended to everything the resumed run needs to produce the
numbers the uninterrupted one would have. At the end of an epoch — by default at most once a
second (and never more often than 20 times the last write took, so backups cost at most ~5% of
the run however long its history grows), or after every ``every``-th epoch — it writes one file,
``directory/backup.safetensors`` (``backup_file``: safetensors tensors plus JSON metadata,
checksummed, written atomically), holding the model's parameters and buffers, the optimizer
state (Adam's step counts and moments, momentum buffers, the groups' current lr), the
scheduler's state, the epoch and update counters, the history so far, the state of the
generator that draws each epoch's row order, backprop's global random state, and what every
callback returns from ``state_dict`` (``EarlyStopping``: best value, patience count, best
weights; ``ModelCheckpoint``: best value; ``ReduceLROnPlateau``: its scheduler; the NaN
guard). When ``fit`` starts with a backup in the folder, the backup is read, verified and
checked against this run — the same parameter names, shapes and dtypes, optimizer class and
settings, scheduler class, training data, batches per epoch, loss and stateful callbacks —
then restored, and training goes on with the next epoch. The tree is validated field by field
first (``backup_check``): a forged or damaged field gives one ``ModelFileError`` naming it,
and nothing at all is restored. When ``fit`` returns normally
(last epoch, or an early stop) the backup is deleted. It is not a model file (that is
``ModelCheckpoint``) and it never retries anything itself: run the same script again.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

import numpy as np

from ..delta.fused import available as fused_available
from ..errors import BackpropError, ConfigError, ModelFileError
from . import backup_file
from .backup_check import check_tree, fingerprint
from .callbacks import Callback, TrainState

__all__ = ["FILENAME", "BackupAndRestore"]

FILENAME = "backup.safetensors"
_STATE_ERRORS = (KeyError, TypeError, ValueError, IndexError, AttributeError)


class BackupAndRestore(Callback):
    """Back up the whole training state between epochs; resume from it after a crash.

    Args:
        directory: the folder of the backup (created when needed); the backup is the file
            ``directory/backup.safetensors``. One folder per run: a backup of another run
            is refused with the reason, never half-used, and so is a second process
            training with the folder at the same time (named by its pid).
        every: None (default) backs up by time: at the end of the first epoch at least
            ``seconds`` after the last backup (or the start), and at least 20 times the last
            write's duration, so the cost stays a small fraction of the run (a write grows
            with the history). A whole number N backs up after every N-th epoch exactly
            (1: after each epoch; each costs a write and an fsync, more as history grows).
        seconds: the least time between two backups when ``every`` is None (default 1.0).
        delete_on_finish: when ``fit`` returns normally, delete the backup (and the folder,
            if this callback created it and it is empty). False keeps the backup of the last
            epoch; a later ``fit`` with it restores the finished run and trains no further.

    Call ``fit`` again with the same model, optimizer, scheduler, data, batch size, seed and
    callbacks (built afresh, e.g. by the same script after a crash): it restores the backup
    and continues, ending with the weights and history the uninterrupted run would have had,
    bit for bit (the history's wall-clock ``time`` goes on from the backup's). The backup
    records the engine the run used, and ``fit(engine="auto")`` resumes on it (``auto`` alone
    might choose another in a new process, by numba's cache, and change the last bits).
    Callback hooks run after those of every other callback, so the backup holds the epoch's
    finished work.

    Attributes after ``fit``: ``resumed_epoch`` (the epoch restored, None on a fresh start),
    ``written`` (backups written by this fit), ``path`` (the backup file).

    Examples:
        >>> import os, tempfile
        >>> import backprop as bp
        >>> from backprop import fit, nn, optim, train
        >>> folder = tempfile.TemporaryDirectory()  # deleted with the object
        >>> def run(epochs, name):  # the same script, run again after a crash
        ...     _ = bp.manual_seed(0)
        ...     x = bp.linspace(-1, 1, 20).reshape(20, 1)
        ...     model = nn.MLP([1, 8, 1], activation='tanh')
        ...     adam = optim.Adam(model.parameters(), lr=0.05)
        ...     path = os.path.join(folder.name, name)
        ...     backup = train.BackupAndRestore(path, delete_on_finish=False)
        ...     history = fit(model, (x, x**2), nn.MSELoss(), adam, epochs, callbacks=[backup])
        ...     return backup, history
        >>> _, first = run(5, 'a')  # stops after epoch 5, as a crash would
        >>> backup, resumed = run(8, 'a')  # the same call again: restores, goes on at epoch 6
        >>> backup.resumed_epoch, len(resumed)
        (5, 8)
        >>> _, straight = run(8, 'b')  # uninterrupted
        >>> resumed['loss'] == straight['loss']  # bit for bit
        True
    """

    who = "BackupAndRestore"
    runs_last = True
    wants_metrics = False  # it needs the epoch's end, not a measurement of the whole set

    def __init__(
        self, directory, every: int | None = None, delete_on_finish: bool = True, seconds=1.0
    ) -> None:
        if not isinstance(directory, str | os.PathLike) or not str(directory).strip():
            raise ConfigError(
                f"{self.who}: directory must be a folder path (str or pathlib.Path), got "
                f"{directory!r}; e.g. BackupAndRestore('runs/spiral.backup')."
            )
        if every is not None and (
            isinstance(every, bool) or not isinstance(every, int) or every < 1
        ):
            raise ConfigError(
                f"{self.who}: every must be None (by time) or a whole number of epochs >= 1, got "
                f"{every!r}; e.g. every=1 to back up after each epoch."
            )
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, int | float)
            or not 0 <= seconds <= 86400
        ):
            raise ConfigError(
                f"{self.who}: seconds must be a number of seconds from 0 to 86400, got "
                f"{seconds!r}; e.g. seconds=1.0 (at most one backup a second)."
            )
        if not isinstance(delete_on_finish, bool):
            raise ConfigError(
                f"{self.who}: delete_on_finish must be True or False, got {delete_on_finish!r}."
            )
        self.directory = Path(directory)
        self.path = self.directory / FILENAME
        self.every, self.delete_on_finish, self.seconds = every, delete_on_finish, float(seconds)
        self.resumed_epoch: int | None = None
        self.written = 0
        self._made_folder = False
        self._lock = None

    # -- hooks -----------------------------------------------------------------------------
    def on_train_begin(self, state: TrainState) -> None:
        self.resumed_epoch, self.written, self._made_folder = None, 0, False
        self._due = time.monotonic() + self.seconds  # by time: the first backup's moment
        try:  # a name too long, a loop, no permission: one PathError naming the folder
            os.stat(self.directory)
        except FileNotFoundError:
            pass
        except OSError as error:
            raise self._unusable(error) from error
        if self.directory.exists() and not self.directory.is_dir():
            raise ConfigError(
                f"{self.who}: directory {str(self.directory)!r} is a file, not a folder; give "
                "the path of a folder (it is created when needed)."
            )
        self._lock_folder()  # first: the leftovers might be another writer's
        self._remove_leftovers()
        self._run = fingerprint(state)
        if os.path.islink(self.path):  # the program's own file: never read through a link
            raise ModelFileError(
                f"{self.path}: a symlink, not a backup this program wrote (backups are never "
                f"read or written through links); remove the link {self.path}, or copy the "
                "backup it points to in its place."
            )
        if not os.path.exists(self.path):
            return
        tree = backup_file.read(self.path)
        try:  # every field, and that it is this run's backup, before anything is restored
            check_tree(tree, state, self.path, then=lambda: self._check(state, tree))
            self._restore(state, tree)
        except BackpropError:
            raise
        except _STATE_ERRORS as error:
            raise ModelFileError(
                f"{self.path}: the backup's state is incomplete or malformed "
                f"({type(error).__name__}: {str(error)[:80]}); delete it to start at epoch 1."
            ) from None
        self.resumed_epoch = state.epoch

    def next_epoch(self, state: TrainState) -> int | None:
        """Every ``every``-th epoch; by time, none (``due`` asks when a backup is due)."""
        if self.every is None:
            return None
        return (state.done // self.every + 1) * self.every

    def due(self, state: TrainState) -> bool:
        return self.every is None and time.monotonic() >= self._due

    def on_epoch_end(self, state: TrainState) -> None:
        last = state.epoch == state.epochs or state.stop
        keep = last and not self.delete_on_finish
        if self.every is not None:
            if state.epoch % self.every and not keep:
                return
        elif time.monotonic() < self._due and not keep:
            return
        if not self.written and not self.directory.exists():
            self._made_folder = True
        began = time.monotonic()
        try:
            backup_file.write(self.path, self._collect(state))
        except TypeError as error:
            self._unmake_folder()
            raise ConfigError(
                f"{self.who}: cannot back up the run: {error}, neither a JSON value nor an "
                "array; a callback's (or the scheduler's) state_dict must return plain values "
                "and NumPy arrays only."
            ) from None
        except BaseException:
            self._unmake_folder()
            raise
        self.written += 1
        now = time.monotonic()
        self._due = now + max(self.seconds, 20 * (now - began))

    def _unmake_folder(self) -> None:
        """After a failed first write (a full disk): no empty backup folder left behind."""
        if self._made_folder and not self.written:
            with contextlib.suppress(OSError):  # not empty: leave it
                self.directory.rmdir()

    def on_train_end(self, state: TrainState) -> None:
        try:
            self._finish()
        finally:
            self.release_lock()

    def release_lock(self) -> None:
        """Let another process use the folder (``fit`` calls it also when it raises)."""
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def _finish(self) -> None:
        if not self.delete_on_finish:
            return
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        self._remove_leftovers()
        if self._made_folder:
            with contextlib.suppress(OSError):  # not empty: someone else's files stay
                self.directory.rmdir()

    def _lock_folder(self) -> None:
        """One fit per backup folder at a time (``locks``: a flock beside the folder).

        Another process writing this folder is refused, named by its pid: resuming its
        backup, or writing over it, would mix two runs.
        """
        from ..locks import WriterLock, describe

        real = Path(os.path.realpath(self.directory))
        self.release_lock()
        lock = WriterLock(real.parent / f".{real.name}.backup-lock")
        try:  # a read-only or full disk: one PathError naming the folder
            real.parent.mkdir(parents=True, exist_ok=True)
            holder = lock.try_acquire()
        except OSError as error:
            raise self._unusable(error) from error
        if holder is None:
            self._lock = lock
        else:
            raise ConfigError(
                f"{self.who}: the backup folder {str(self.directory)!r} is in use by another "
                f"fit ({describe(holder)}); wait for it to end, or give each run its own folder."
            )

    def _unusable(self, error: OSError):
        """The folder cannot be used: a ``PathError`` naming it, the cause and a fix."""
        from ..errors import PathError
        from ..files import explain

        cause, fix = explain(error)
        return PathError(f"{self.who}: directory {str(self.directory)!r}: {cause}; {fix}.")

    # -- writing ---------------------------------------------------------------------------
    def _collect(self, state: TrainState) -> dict:
        from ..autograd.random import default_generator

        history = state.history
        return {
            "epoch": state.epoch,
            "step": state.step,
            "engine": state.engine,
            "stop_reason": state.stop_reason if state.stop else None,
            "made_folder": self._made_folder,
            "run": self._run,
            "model": {key: t._data for key, t in state.model.state_dict().items()},
            "optimizer": state.optimizer.state_dict(),
            "scheduler": None if state.scheduler is None else state.scheduler.state_dict(),
            "history": {
                "epochs": np.array(history.epochs, dtype=np.int64),
                "values": {k: np.array(v, dtype=np.float64) for k, v in history.history.items()},
                "at": {k: np.array(v, dtype=np.int64) for k, v in history._at.items()},
                "best_epoch": history.best_epoch,
            },
            "shuffle_rng": state.rng.bit_generator.state,
            "global_rng": default_generator().get_state()._data,  # PyTorch's 5056 state bytes
            "callbacks": {key: s for key, cb in _keyed(state) if (s := cb.state_dict())},
        }

    def _remove_leftovers(self) -> None:
        """Temp files of writes killed half-way (``backprop.files`` names them so)."""
        for leftover in self.directory.glob(f".{FILENAME}.*.tmp"):
            with contextlib.suppress(OSError):
                leftover.unlink()

    # -- reading ---------------------------------------------------------------------------
    def _mismatch(self, what: str) -> ConfigError:
        return ConfigError(
            f"{self.who}: the backup {self.path} belongs to another run: {what}. Resume with "
            "the model, optimizer, scheduler, data, batch size and callbacks of the "
            f"interrupted run, or delete {self.path} to start at epoch 1."
        )

    def _check(self, state: TrainState, tree: dict) -> None:
        """Everything that must agree between the backup and this run, before any change."""
        saved, run = tree["run"], self._run
        self._check_model(state, tree["model"])  # first: a dtype change changes the data too
        if (saved["rows"], saved["features"], saved["data_crc32"]) != (
            run["rows"], run["features"], run["data_crc32"]
        ):  # fmt: skip
            raise self._mismatch(
                f"it was trained on other data ({saved['rows']} rows × {saved['features']} "
                f"features, CRC-32 {saved['data_crc32']:08x}; this run has {run['rows']} × "
                f"{run['features']}, {run['data_crc32']:08x})"
            )
        for key, what, default in (
            ("batches", "batches per epoch (batch_size)", None),
            ("loss", "loss", None),
            ("validation", "validation data", None),
            ("penalty", "penalty", ["none", 0.0]),
            ("shuffle", "shuffle", True),
        ):
            if saved.get(key, default) != run.get(key, default):
                raise self._mismatch(
                    f"{what}: {saved.get(key, default)!r} in the backup, "
                    f"{run.get(key, default)!r} here"
                )
        if tree["epoch"] > state.epochs:
            raise ConfigError(
                f"{self.who}: the backup {self.path} is at epoch {tree['epoch']}, beyond the "
                f"{state.epochs} epochs asked for; ask for at least {tree['epoch']} epochs, or "
                f"delete {self.path} to start at epoch 1."
            )
        self._check_optimizer(state, saved, tree["optimizer"])
        kind = None if state.scheduler is None else type(state.scheduler).__name__
        if saved["scheduler"] != kind:
            raise self._mismatch(f"scheduler {saved['scheduler']} in the backup, {kind} here")
        have = [key for key, cb in _keyed(state) if cb.state_dict()]
        if sorted(tree["callbacks"]) != sorted(have):
            raise self._mismatch(
                f"callbacks with state {sorted(tree['callbacks'])} in the backup, {sorted(have)} "
                "here (fit adds NaNGuard unless guard=False)"
            )

    def _check_model(self, state: TrainState, saved: dict) -> None:
        current = {key: t._data for key, t in state.model.state_dict().items()}
        problems = [f"missing {key}" for key in current if key not in saved]
        problems += [f"unexpected {key}" for key in saved if key not in current]
        for key in (k for k in current if k in saved):
            a, b = saved[key], current[key]
            if a.shape != b.shape or a.dtype != b.dtype:
                was, now = f"{a.dtype}{list(a.shape)}", f"{b.dtype}{list(b.shape)}"
                problems.append(f"{key} is {was} in the backup, {now} here")
        if problems:
            more = f" (+{len(problems) - 4} more)" if len(problems) > 4 else ""
            raise self._mismatch(f"the model differs: {'; '.join(problems[:4])}{more}")

    def _check_optimizer(self, state: TrainState, saved: dict, optimizer_state: dict) -> None:
        optimizer = state.optimizer
        name = type(optimizer).__name__
        if saved["optimizer"] != name:
            raise self._mismatch(f"optimizer {saved['optimizer']} in the backup, {name} here")
        changed = [
            f"{key}={saved['defaults'].get(key)!r} in the backup, {value!r} here"
            for key, value in optimizer.defaults.items()
            if saved["defaults"].get(key) != value
        ]
        if changed:
            raise self._mismatch(f"{name} settings differ: {'; '.join(changed)}")
        sizes = [len(g["params"]) for g in optimizer_state["param_groups"]]
        here = [len(g["params"]) for g in optimizer.param_groups]
        if sizes != here:
            raise self._mismatch(f"parameter groups of sizes {sizes} in the backup, {here} here")

    def _restore(self, state: TrainState, tree: dict) -> None:
        from ..autograd.random import default_generator

        for key, cb in _keyed(state):  # first: a refusal here leaves model and optimizer as is
            if key in tree["callbacks"]:
                try:
                    cb.load_state_dict(tree["callbacks"][key])
                except Exception as error:
                    raise ConfigError(
                        f"{self.who}: cannot restore {key} from {self.path}: "
                        f"{type(error).__name__}: {error}; delete the backup to start at "
                        "epoch 1."
                    ) from None
        state.optimizer.load_state_dict(tree["optimizer"])
        state.model.load_state_dict(tree["model"])
        if state.scheduler is not None:
            state.scheduler.load_state_dict(tree["scheduler"])
        saved, history = tree["history"], state.history
        history.epochs = saved["epochs"].tolist()
        history.history = {key: values.tolist() for key, values in saved["values"].items()}
        history._at = {key: at.tolist() for key, at in saved.get("at", {}).items()}
        history.best_epoch = saved["best_epoch"]
        state.rng.bit_generator.state = tree["shuffle_rng"]
        default_generator().set_state(tree["global_rng"])
        state.epoch, state.step = tree["epoch"], tree["step"]
        self._made_folder = tree["made_folder"]
        if tree["stop_reason"] is not None:  # a kept backup of a run that stopped early
            state.request_stop(tree["stop_reason"])
            history.stopped_epoch = state.epoch


def resume_engine(callbacks, engine: str) -> str:
    """The engine ``fit`` should use: with ``"auto"``, the one a backup it resumes recorded.

    ``"auto"`` decides by what the process has (numba's kernel loaded, its disk cache warm or
    cold), so a new process can choose another engine than the run it resumes, and the
    numbers would differ in the last bits. An explicit engine is kept; a recorded ``"fused"``
    without numba falls back to ``"auto"``; a backup that cannot be read is left to
    ``on_train_begin``, which says why.
    """
    if engine != "auto":
        return engine
    for cb in callbacks:
        if isinstance(cb, BackupAndRestore) and os.path.isfile(cb.path):
            if os.path.islink(cb.path):  # refused by on_train_begin, with the reason
                return engine
            try:
                recorded = backup_file.read(cb.path).get("engine")
            except BackpropError:
                return engine
            if recorded == "fused" and not fused_available():
                return engine
            return recorded if recorded in ("delta", "fused", "autograd") else engine
    return engine


def _keyed(state: TrainState) -> list[tuple[str, Callback]]:
    """The run's callbacks but backups, keyed ``Type#n`` (the n-th of its type)."""
    seen: dict[str, int] = {}
    keyed = []
    for cb in state.callbacks:
        if isinstance(cb, BackupAndRestore):
            continue
        name = type(cb).__name__
        keyed.append((f"{name}#{seen.get(name, 0)}", cb))
        seen[name] = seen.get(name, 0) + 1
    return keyed
