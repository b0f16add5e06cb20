"""BackupAndRestore (issue 12 round 2): files in the backup folder are the program's own and
never followed through a symlink (item 5); backups are written by time by default, so
their cost does not grow with the epoch count (item 6).

A planted link at ``backup.safetensors`` is refused before training writes anything; one
planted while training runs is replaced by the next backup (its target untouched, nothing
created beside the target) and removed at the end with the backup.
"""

import os
import subprocess
import sys
import time

import numpy as np
import pytest

import backprop as bp
from backprop import nn, optim
from backprop.errors import ModelFileError
from backprop.train import BackupAndRestore, Callback, fit


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 2)).astype(np.float32)
    return x, (x[:, :1] ** 2).astype(np.float32)


def train(backup, epochs=6, callbacks=()):
    bp.manual_seed(3)
    model = nn.MLP([2, 4, 1], "tanh")
    adam = optim.Adam(model.parameters(), lr=0.01)
    fit(model, data(), "mse", adam, epochs, 8, seed=1, engine="delta",
        callbacks=[*callbacks, backup])  # fmt: skip
    return model


def plant(tmp_path, dangling: bool):
    """``sb/backup.safetensors`` -> ``../elsewhere/created_by_backprop`` (or ``../victim.txt``)."""
    (tmp_path / "sb").mkdir(exist_ok=True)
    (tmp_path / "elsewhere").mkdir(exist_ok=True)
    victim = tmp_path / "victim.txt"
    victim.write_text("the user's thesis")
    target = "../elsewhere/created_by_backprop" if dangling else "../victim.txt"
    link = tmp_path / "sb" / "backup.safetensors"
    if os.path.lexists(link):
        os.unlink(link)
    os.symlink(target, link)
    return link


def untouched(tmp_path):
    assert os.listdir(tmp_path / "elsewhere") == []  # nothing created, no temp files either
    assert (tmp_path / "victim.txt").read_text() == "the user's thesis"


@pytest.mark.parametrize("dangling", [True, False], ids=["dangling link", "link to a file"])
def test_a_link_at_the_backup_name_is_refused_before_anything_is_written(tmp_path, dangling):
    link = plant(tmp_path, dangling)
    with pytest.raises(ModelFileError, match=r"a symlink, not a backup this program wrote"):
        train(BackupAndRestore(tmp_path / "sb", every=1))
    untouched(tmp_path)
    assert os.path.islink(link)  # the user's link is theirs to remove


class PlantAt(Callback):
    """Replaces the backup file by a link at the start of an epoch (a race with training)."""

    def __init__(self, tmp_path, epoch, dangling):
        self.tmp_path, self.epoch, self.dangling = tmp_path, epoch, dangling

    def on_epoch_begin(self, state):
        if state.epoch == self.epoch:
            plant(self.tmp_path, self.dangling)
            (self.tmp_path / "sb" / ".backup.safetensors.zz.tmp").symlink_to("../victim.txt")


@pytest.mark.parametrize("dangling", [True, False], ids=["dangling link", "link to a file"])
def test_a_link_planted_while_training_is_replaced_never_followed(tmp_path, dangling):
    (tmp_path / "victim.txt").write_text("the user's thesis")
    train(BackupAndRestore(tmp_path / "sb", every=1), callbacks=[PlantAt(tmp_path, 3, dangling)])
    untouched(tmp_path)
    assert not (tmp_path / "sb").exists()  # backup and leftover link removed with the folder


def test_cli_refuses_a_planted_backup_link_in_one_line(tmp_path):
    plant(tmp_path, dangling=True)
    done = subprocess.run(
        [sys.executable, "-m", "backprop", "train", "--data", "square", "--n", "10", "--epochs",
         "3", "--no-plots", "-q", "--backup", "sb", "--out", "run"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1, done.stderr
    assert "symlink" in done.stderr
    untouched(tmp_path)


def test_backups_are_written_by_time_not_after_every_epoch(tmp_path):
    """2000 tiny epochs: a backup each epoch rewrote the growing history 2000 times (the
    cost grew with the square of the epochs); by time it is at most one a second."""
    backup = BackupAndRestore(tmp_path / "b", delete_on_finish=False)
    start = time.monotonic()
    train(backup, epochs=2000)
    seconds = time.monotonic() - start
    bound = int(seconds) + 2  # one a second, and the last one (kept)
    print(f"\n2000 epochs in {seconds:.2f} s: {backup.written} backups written (bound {bound})")
    assert 1 <= backup.written <= bound


def test_the_interval_grows_with_the_cost_of_a_write(tmp_path):
    """seconds=0: each write waits 20 times the last write's duration, so backups take at
    most ~5% of the run even when asked for as often as possible."""
    backup = BackupAndRestore(tmp_path / "b", seconds=0, delete_on_finish=False)
    train(backup, epochs=300)
    assert backup.written < 300
