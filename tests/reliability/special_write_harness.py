"""Special files for the write side of the suite (issue 12 items 1 and 5).

``make_case(kind, folder, mounts)`` puts one kind of node under ``folder`` (a FIFO, a
character device made with ``mknod``, a symlink to each, a loop, a path on a read-only or
a full tmpfs, ...) and returns the path to hand to a writer. ``snapshot(root)`` records
every node under ``root`` (kind, device numbers, link target, content hash), so a test can
say exactly what a writer changed. ``FifoReader`` drains a FIFO without ever blocking, so
a writer that refuses never leaves the test hanging. ``tmpfs_mounts`` mounts the two small
file systems (root only) and always unmounts them.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import socket
import stat
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = os.geteuid() == 0
NULL_DEV = os.makedev(1, 3)  # /dev/null's numbers: writing to it is harmless
FULL_DEV = os.makedev(1, 7)  # /dev/full's numbers: every write fails with ENOSPC

# kind -> what a FILE writer must do with it: "write" (a regular file appears or is
# replaced, at the symlink's target for links), "stream" (the bytes go into the FIFO or
# device, the node stays), "refuse" (an error naming the path; nothing changes)
FILE_RULE = {
    "regular": "write",
    "missing": "write",
    "missing-parents": "write",
    "link-regular": "write",
    "link-link-regular": "write",
    "dangling": "write",
    "directory": "refuse",
    "link-directory": "refuse",
    "socket": "refuse",
    "loop": "refuse",
    "parent-is-file": "refuse",
    "too-long": "refuse",
    "fifo": "stream",
    "link-fifo": "stream",
    "chardev": "stream",
    "link-chardev": "stream",
    "fulldev": "refuse",
    "readonly": "refuse",
    "readonly-missing": "refuse",
    "readonly-chardev": "stream",
    "full": "refuse",
    "full-missing": "refuse",
}
# what a FOLDER argument (train --out, BackupAndRestore(directory)) must do; a dangling
# symlink may be refused or have its target folder made ("either")
FOLDER_RULE = {
    kind: ("write" if kind in ("missing", "missing-parents", "directory", "link-directory")
           else "either" if kind == "dangling" else "refuse")
    for kind in FILE_RULE
}  # fmt: skip
# what a writer of a file the program names itself (a backup inside --backup's folder) must
# do (round 2, item 5): never follow a link — "relink" replaces the link itself with a
# regular file, its target untouched; a FIFO or device there is refused, never streamed into
OWN_RULE = {
    kind: ("relink" if kind.startswith("link-") or kind in ("dangling", "loop")
           else "write" if kind in ("regular", "missing", "missing-parents") else "refuse")
    for kind in FILE_RULE
}  # fmt: skip
NEEDS_ROOT = {"chardev", "link-chardev", "fulldev"}  # mknod
NEEDS_MOUNT = {"readonly", "readonly-missing", "readonly-chardev", "full", "full-missing"}
KINDS = list(FILE_RULE)


@dataclass
class Case:
    kind: str
    path: Path  # what the writer is given
    target: Path  # where a "write" must land (the end of the symlink chain)
    fifo: Path | None = None  # a FIFO that needs a reader


def make_case(kind: str, folder: Path, mounts: dict | None) -> Case:
    """Create ``kind`` under ``folder`` (or in a mount) and return the case."""
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / "out"
    if kind == "regular":
        p.write_bytes(b"")  # empty: any writer may replace it (cli/overlap.refuse_foreign_output)
        return Case(kind, p, p)
    if kind == "missing":
        return Case(kind, p, p)
    if kind == "missing-parents":
        return Case(kind, folder / "a" / "b" / "out", folder / "a" / "b" / "out")
    if kind == "directory":
        p.mkdir()
        return Case(kind, p, p)
    if kind == "fifo":
        os.mkfifo(p)
        return Case(kind, p, p, fifo=p)
    if kind in ("chardev", "fulldev"):
        os.mknod(p, stat.S_IFCHR | 0o666, NULL_DEV if kind == "chardev" else FULL_DEV)
        return Case(kind, p, p)
    if kind == "socket":
        with socket.socket(socket.AF_UNIX) as s:
            s.bind(str(p))
        return Case(kind, p, p)
    if kind.startswith("link-"):
        inner = make_case(kind[len("link-") :], folder / "inner", mounts)
        p.symlink_to(os.path.relpath(inner.path, folder))
        return Case(kind, p, inner.target, fifo=inner.fifo)
    if kind == "dangling":
        p.symlink_to("nowhere")
        return Case(kind, p, folder / "nowhere")
    if kind == "loop":
        p.symlink_to("loop2")
        (folder / "loop2").symlink_to("out")
        return Case(kind, p, p)
    if kind == "parent-is-file":
        (folder / "afile").write_text("a file, not a folder\n")
        return Case(kind, folder / "afile" / "out", folder / "afile" / "out")
    if kind == "too-long":
        p = folder / ("n" * 300)
        return Case(kind, p, p)
    name = folder.parent.name + "-" + folder.name  # one name per writer on the shared mounts
    if kind == "readonly":
        return Case(kind, mounts["ro"] / "old.txt", mounts["ro"] / "old.txt")
    if kind == "readonly-missing":
        return Case(kind, mounts["ro"] / name, mounts["ro"] / name)
    if kind == "readonly-chardev":
        return Case(kind, mounts["ro"] / "null", mounts["ro"] / "null")
    if kind == "full":
        return Case(kind, mounts["full"] / "old.txt", mounts["full"] / "old.txt")
    if kind == "full-missing":
        return Case(kind, mounts["full"] / name, mounts["full"] / name)
    raise ValueError(kind)


def snapshot(root: Path) -> dict[str, tuple]:
    """Every node under ``root``: relative path -> (kind, content hash / rdev / link)."""
    seen = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            extra = None
            if stat.S_ISREG(st.st_mode):
                with open(p, "rb") as handle:
                    extra = hashlib.sha256(handle.read()).hexdigest()[:16]
            elif stat.S_ISLNK(st.st_mode):
                extra = os.readlink(p)
            elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
                extra = (os.major(st.st_rdev), os.minor(st.st_rdev))
            seen[os.path.relpath(p, root)] = (stat.S_IFMT(st.st_mode), extra)
    return seen


def changes(before: dict, after: dict) -> set[str]:
    """Relative paths whose node appeared, vanished or changed."""
    return {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}


def temp_leftovers(snap: dict) -> list[str]:
    return [k for k in snap if os.path.basename(k).startswith(".") and k.endswith(".tmp")]


class FifoReader:
    """Drains a FIFO in a thread; opened non-blocking, so it never waits for a writer."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        self.data = bytearray()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                chunk = os.read(self._fd, 1 << 16)
            except BlockingIOError:
                chunk = None
            if chunk:
                self.data += chunk
                continue
            if self._stop.is_set():
                return
            time.sleep(0.003)

    def close(self) -> bytes:
        time.sleep(0.01)
        self._stop.set()
        self._thread.join(10)
        os.close(self._fd)
        return bytes(self.data)


@contextlib.contextmanager
def tmpfs_mounts(base: Path):
    """``{"ro": read-only tmpfs holding old.txt and a null device, "full": a 64 KiB tmpfs
    filled to the last byte, holding old.txt}``; None when not root or mount fails."""
    if not ROOT:
        yield None
        return
    ro, full = base / "ro", base / "full"
    ro.mkdir()
    full.mkdir()
    mounted = []
    try:
        for where in (ro, full):
            done = subprocess.run(
                ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(where)],
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                yield None
                return
            mounted.append(where)
        (ro / "old.txt").write_bytes(b"old content\n")
        os.mknod(ro / "null", stat.S_IFCHR | 0o666, NULL_DEV)
        subprocess.run(["mount", "-o", "remount,ro", str(ro)], check=True)
        (full / "old.txt").write_bytes(b"old content\n")
        _fill(full / "filler")
        yield {"ro": ro, "full": full}
    finally:
        for where in mounted:
            subprocess.run(["umount", "-l", str(where)], capture_output=True)


def _fill(path: Path) -> None:
    with open(path, "wb", buffering=0) as handle:
        for size in (4096, 512, 1):
            while True:
                try:
                    if handle.write(b"\0" * size) != size:
                        break
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    break
