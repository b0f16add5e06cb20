"""Run folders (issue 12 items 4, 5 and 11): refused, replaced whole, locked, cleaned up.

The CLI runs in this process (``backprop.cli.app.main``) with the working folder in a temp
dir; each test states the property a user expects and would fail on the code before
``backprop.spec.runfolder`` (folders created up front, overwritten in place, mixed).
"""

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cli_helpers import cli, one_line

TRAIN = ["train", "--data", "square", "--n", "8", "--hidden", "2", "--epochs", "2", "-q"]


def tree(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")}


def test_a_non_empty_out_is_refused_before_training(tmp_path):
    code, _, err = cli(*TRAIN, "--out", "r", cwd=tmp_path)
    assert code == 0, err
    before = tree(tmp_path)
    code, out, err = cli(*TRAIN, "--epochs", "100000", "--out", "r", cwd=tmp_path)
    one_line(code, err, "--out", "'r'", "not empty", "--overwrite")
    assert out == ""  # refused before training: no result line
    assert tree(tmp_path) == before


def test_overwrite_replaces_the_folder_whole(tmp_path):
    code, _, err = cli(*TRAIN, "--out", "r", cwd=tmp_path)  # with plots
    assert code == 0, err
    assert (tmp_path / "r" / "loss.png").is_file()
    code, _, err = cli(*TRAIN, "--seed", "5", "--no-plots", "--out", "r", "--overwrite",
                       cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    names = {p.name for p in (tmp_path / "r").iterdir()}
    assert names == {
        "model.safetensors",
        "spec.json",
        "history.csv",
        "history.json",
        ".backprop-run.json",
    }  # fmt: skip  (no old plot beside the new files)
    assert json.loads((tmp_path / "r" / "spec.json").read_text())["seed"] == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]  # no partial or old folder


def test_overwrite_replaces_run_folders_only(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "notes.txt").write_text("mine")
    code, _, err = cli(*TRAIN, "--out", home, "--overwrite", cwd=tmp_path)
    one_line(code, err, "notes.txt", "run folders only")
    assert (home / "notes.txt").read_text() == "mine"
    code, _, err = cli(*TRAIN, "--out", ".", "--overwrite", cwd=home)
    one_line(code, err, "current folder")


def test_a_failed_train_leaves_no_out_folder(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\nfoo,3\n")
    code, _, err = cli("train", "--csv", bad, "--target", "y", "--out", "a/b/c", cwd=tmp_path)
    one_line(code, err, "foo")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]


def test_a_full_disk_while_plotting_leaves_nothing_half_written(tmp_path, monkeypatch):
    from backprop import plots

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", "loss.png")

    monkeypatch.setattr(plots, "loss_curves", full)
    try:
        code, _, err = cli(*TRAIN, "--out", "runs/r", cwd=tmp_path)
    except OSError:  # before app.py printed every OSError as one line
        pass
    else:
        one_line(code, err, "loss.png")
    assert list(tmp_path.iterdir()) == []  # no run folder, no partial one, no runs/


def test_a_second_writer_is_refused_naming_the_first(tmp_path):
    from backprop.spec.runfolder import RunFolder

    folder = RunFolder(tmp_path / "r")
    with folder as staging:
        (staging / "x").write_text("first")
        code, _, err = cli(*TRAIN, "--out", tmp_path / "r", cwd=tmp_path)
        one_line(code, err, f"pid {os.getpid()}", "being written")
    assert (tmp_path / "r" / "x").read_text() == "first"
    code, _, err = cli(*TRAIN, "--out", tmp_path / "r", "--overwrite", cwd=tmp_path)
    assert code == 0, err  # the marker makes it a run folder: replaced whole
    assert not (tmp_path / "r" / "x").exists()


def test_a_killed_writer_blocks_nothing(tmp_path):
    # a process that took the lock and made its partial folder, then died (SIGKILL)
    script = (
        "import os, sys; from backprop.spec.runfolder import RunFolder\n"
        f"f = RunFolder({str(tmp_path / 'r')!r}); s = f.open()\n"
        "(s / 'spec.json').write_text('{')\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left[0] == ".r.lock" and left[1].startswith(".r.partial-")  # marked incomplete
    code, _, err = cli(*TRAIN, "--no-plots", "--out", "r", cwd=tmp_path)
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]  # leftovers removed
    json.loads((tmp_path / "r" / "spec.json").read_text())  # the new run's, whole


def test_default_folders_do_not_collide(tmp_path):
    for _ in range(3):
        code, _, err = cli(*TRAIN, "--no-plots", cwd=tmp_path)
        assert code == 0, err
    folders = sorted(p.name for p in (tmp_path / "runs").iterdir())
    assert len(folders) == 3 and all(f.startswith("square-") for f in folders)


def test_backup_inside_out_is_refused(tmp_path):
    code, _, err = cli(*TRAIN, "--out", "r", "--backup", "r/bk", cwd=tmp_path)
    one_line(code, err, "--backup", "inside the run folder")
    assert list(tmp_path.iterdir()) == []


def _backup_of(spec: dict, folder: Path) -> None:
    from backprop.spec import run
    from backprop.train import BackupAndRestore

    run(spec, callbacks=[BackupAndRestore(folder, delete_on_finish=False)])


def test_resume_is_announced_only_for_a_backup_that_is_resumed(tmp_path):
    spec = {"name": "s", "data": {"name": "square", "n": 8}, "model": {"hidden": [2]},
            "epochs": 3}  # fmt: skip
    (tmp_path / "s.json").write_text(json.dumps(spec))
    _backup_of({**spec, "model": {"hidden": [3]}}, tmp_path / "other")
    code, out, err = cli("train", "s.json", "--backup", "other", "--out", "a", cwd=tmp_path)
    one_line(code, err, "belongs to another run")
    assert "resuming" not in out
    assert not (tmp_path / "a").exists()
    _backup_of(spec, tmp_path / "same")
    code, out, err = cli("train", "s.json", "--epochs", "5", "--backup", "same", "--out", "b",
                         "--no-plots", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    lines = [ln for ln in out.splitlines() if not ln.startswith("defaults for data square")]
    assert lines[0] == f"resuming from {Path('same') / 'backup.safetensors'}: epoch 3 of 5 done"


def test_library_save_run(tmp_path):
    from backprop import io as bio
    from backprop.errors import PathError
    from backprop.spec import run
    from backprop.spec.runfolder import save_run

    r = run({"name": "s", "data": {"name": "square", "n": 8}, "model": {"hidden": [2]},
             "epochs": 1})  # fmt: skip
    written = save_run(r, tmp_path / "s")
    assert written["model"] == tmp_path / "s" / "model.safetensors"
    bio.load(written["model"])
    with pytest.raises(PathError, match="overwrite=True"):
        save_run(r, tmp_path / "s")
    save_run(r, tmp_path / "s", overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s"]


@pytest.mark.parametrize(
    "text, want",
    [("my data", "my-data"), ("../../x", "x"), ("", "run"), ("名前", "run"), ("-rf", "rf"),
     ("é.csv", "e.csv"), ("a" * 100, "a" * 64), ("a-", "a-"), ("b.", "b.")],
)  # fmt: skip
def test_slug(text, want):
    from backprop.spec.runfolder import is_safe_name, slug

    assert slug(text) == want and is_safe_name(want)


def test_a_model_file_from_before_the_slug_rule_still_loads(tmp_path):
    # `--csv "my data.csv"` used to name the run "my data"; readers never make a path of it
    from backprop import io as bio
    from backprop.spec import run

    r = run({"name": "s", "data": {"name": "square", "n": 8}, "model": {"hidden": [2]},
             "epochs": 1})  # fmt: skip
    bio.save(r.net, tmp_path / "m.safetensors", spec={**r.file_spec(), "name": "my data"})
    assert bio.read(tmp_path / "m.safetensors").full_spec["name"] == "my data"


def test_demo_follows_the_same_rules(tmp_path):
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "model.safetensors").write_text("an older run")
    (tmp_path / "r" / ".backprop-run.json").write_text('{"files": ["model.safetensors"]}')
    code, out, err = cli("demo", "--out", "r", cwd=tmp_path)  # 10,000 epochs if it trained
    one_line(code, err, "not empty", "--overwrite")
    assert out == ""
    code, _, err = cli("demo", "--epochs", "2", "--no-plots", "-q", "--out", "r", "--overwrite",
                       cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    from backprop import io as bio

    bio.load(tmp_path / "r" / "model.safetensors")


def test_a_fit_that_raised_frees_its_backup_folder(tmp_path):
    # no hook runs after an exception; the lock must not outlive the fit (another process
    # resumes from the backup after a crash)
    from backprop.spec import run
    from backprop.train import BackupAndRestore, Callback

    class Crash(Callback):
        def on_epoch_end(self, state):
            if state.epoch == 2:
                raise KeyError("crash")

    spec = {"name": "s", "data": {"name": "square", "n": 8}, "model": {"hidden": [2]},
            "epochs": 4}  # fmt: skip
    (tmp_path / "s.json").write_text(json.dumps(spec))
    backup = BackupAndRestore(tmp_path / "bk", every=1)  # a backup at epoch 1 (by time: none)
    with pytest.raises(KeyError):
        run(spec, callbacks=[Crash(), backup])
    done = subprocess.run([sys.executable, "-m", "backprop", "train", "s.json", "--backup", "bk",
                           "--out", "o", "--no-plots", "-q"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("resuming from bk/backup.safetensors: epoch 1 of 4 done")


def test_a_failed_swap_puts_the_old_run_back(tmp_path, monkeypatch):
    from backprop.errors import PathError
    from backprop.spec import runfolder

    folder = runfolder.RunFolder(tmp_path / "r")
    with folder as staging:
        (staging / "spec.json").write_text("old")
    real_replace, calls = os.replace, []

    def replace(src, dst):
        calls.append(src)
        if len(calls) == 2:  # old folder moved aside; the new one fails to move in
            raise OSError(errno.EIO, "Input/output error", str(dst))
        return real_replace(src, dst)

    monkeypatch.setattr(runfolder.os, "replace", replace)
    new = runfolder.RunFolder(tmp_path / "r", overwrite=True)
    with pytest.raises(PathError, match="cannot write the run folder"), new as staging:
        (staging / "spec.json").write_text("new")
    assert (tmp_path / "r" / "spec.json").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]
