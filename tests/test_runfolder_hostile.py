"""Run folders against a hostile neighbour (issue 12, round 2 items 1-4 and 13's mount point).

Each test plants what an attacker planted (a symlink named like a lock file, a folder named
like a run file, a file added during training, a kill in the middle of the ``--overwrite``
swap) and checks the property a user expects: nothing outside the run folder changes, no
folder that is not a run is deleted, no run is lost. Each failed on the code before the fix.
"""

import os
import subprocess
import sys

import pytest

from cli_helpers import cli, one_line

TRAIN = ["train", "--data", "square", "--n", "8", "--hidden", "2", "--epochs", "2", "-q"]


def test_a_planted_lock_symlink_is_never_written_through(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (shared / ".try1.lock").symlink_to("../victim.txt")
    (shared / ".try2.lock").symlink_to("../created_by_backprop")  # dangling
    for name in ("try1", "try2"):
        code, _, err = cli(*TRAIN, "--no-plots", "--out", f"shared/{name}", cwd=tmp_path)
        assert code == 0, err
        assert (shared / name / "model.safetensors").is_file()
    assert victim.read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shared", "victim.txt"]


def test_a_lock_file_that_is_not_a_regular_file_is_refused(tmp_path):
    from backprop.errors import PathError
    from backprop.locks import WriterLock

    os.mkfifo(tmp_path / ".f.lock")
    with pytest.raises(PathError, match="FIFO"):
        WriterLock(tmp_path / ".f.lock").try_acquire()
    code, out, err = cli(*TRAIN, "--out", "f", cwd=tmp_path)
    one_line(code, err, "--out", "FIFO", ".f.lock")
    assert out == "" and not (tmp_path / "f").exists()
    (tmp_path / "target").write_text("x")
    os.link(tmp_path / "target", tmp_path / ".h.lock")  # a hard link: another file's name
    lock = WriterLock(tmp_path / ".h.lock")
    assert lock.try_acquire() is None
    lock.release()
    assert (tmp_path / "target").read_text() == "x"


@pytest.mark.parametrize(
    "plant",
    ["important.tmp/deep/thesis.txt", "spec.json/sub/data.txt", "link:model.safetensors",
     "marker+notes.txt"],
)  # fmt: skip
def test_overwrite_counts_only_regular_files_with_run_names(tmp_path, plant):
    victim = tmp_path / "victim"
    victim.mkdir()
    (tmp_path / "elsewhere.bin").write_text("keep")
    if plant.startswith("link:"):
        (victim / plant[5:]).symlink_to("../elsewhere.bin")
    elif plant.startswith("marker+"):
        (victim / ".backprop-run.json").write_text("{}")
        (victim / plant[7:]).write_text("mine")
    else:
        (victim / plant).parent.mkdir(parents=True)
        (victim / plant).write_text("mine")
    before = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    code, _, err = cli(*TRAIN, "--out", "victim", "--overwrite", cwd=tmp_path)
    one_line(code, err, "run folders only")
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == before


def test_overwrite_rechecks_the_folder_when_the_run_commits(tmp_path, monkeypatch):
    from backprop.spec import runfolder

    code, _, err = cli(*TRAIN, "--no-plots", "--out", "v3", cwd=tmp_path)
    assert code == 0, err
    real_commit = runfolder.RunFolder.commit

    def commit(self):  # a file lands in --out while the run trains
        (self.path / "thesis.docx").write_text("mine")
        return real_commit(self)

    monkeypatch.setattr(runfolder.RunFolder, "commit", commit)
    code, _, err = cli(*TRAIN, "--no-plots", "--out", "v3", "--overwrite", cwd=tmp_path)
    one_line(code, err, "thesis.docx", "kept in")
    assert (tmp_path / "v3" / "thesis.docx").read_text() == "mine"
    kept = [p for p in tmp_path.iterdir() if ".partial-" in p.name]
    assert len(kept) == 1 and (kept[0] / "model.safetensors").is_file()


KILL_IN_SWAP = """
import os, sys
from backprop.spec import runfolder
real, point = os.replace, sys.argv.pop(1)
def replace(src, dst):
    real(src, dst)
    if point == "aside" and ".old-" in os.fsdecode(dst):
        os._exit(9)  # killed after the old run moved aside, before the new one moved in
    if point == "in" and os.path.basename(os.fsdecode(src)).startswith(".r.partial-"):
        os._exit(9)  # killed after the new run moved in, before the old one was deleted
runfolder.os.replace = replace
from backprop.cli.app import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("point", ["aside", "in"])
def test_a_kill_during_the_swap_loses_neither_run(tmp_path, point):
    code, _, err = cli(*TRAIN, "--no-plots", "--out", "r", cwd=tmp_path)
    assert code == 0, err
    old_model = (tmp_path / "r" / "model.safetensors").read_bytes()
    argv = [*TRAIN, "--no-plots", "--seed", "7", "--out", "r", "--overwrite"]
    done = subprocess.run([sys.executable, "-c", KILL_IN_SWAP, point, *argv], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 9, done.stderr
    assert (tmp_path / "r").exists() == (point == "in")
    new_model = None if point == "aside" else (tmp_path / "r" / "model.safetensors").read_bytes()
    # another writer in the same parent: must not delete the moved-aside run
    code, _, err = cli(*TRAIN, "--no-plots", "--out", "other", cwd=tmp_path)
    assert code == 0, err
    olds = [p for p in tmp_path.iterdir() if ".old-" in p.name]
    partials = [p for p in tmp_path.iterdir() if ".partial-" in p.name]
    assert len(olds) == 1 and (olds[0] / "model.safetensors").read_bytes() == old_model
    assert len(partials) == (point == "aside")  # the finished new run, with its marker
    assert all((p / ".backprop-run.json").is_file() for p in partials)
    # the next writer of r puts the old run back first (or, when the new run is in place
    # and its marker names the old folder, finishes deleting it), then refuses as for any
    # full folder
    code, _, err = cli(*TRAIN, "--no-plots", "--out", "r", cwd=tmp_path)
    one_line(code, err, "not empty")
    want = old_model if point == "aside" else new_model
    assert (tmp_path / "r" / "model.safetensors").read_bytes() == want
    assert not [p for p in tmp_path.iterdir() if ".old-" in p.name]


def test_a_mount_point_is_refused_before_training(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("mount -t tmpfs needs root")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)]).returncode:
        pytest.skip("mount -t tmpfs is not permitted here")
    try:
        code, out, err = cli(*TRAIN, "--epochs", "100000", "--out", "mnt", cwd=tmp_path)
        one_line(code, err, "--out", "mount point")
        assert out == "" and os.listdir(mnt) == []
    finally:
        subprocess.run(["umount", str(mnt)])
