"""A process killed (SIGKILL) in the middle of io.save leaves a complete model file.

Worker subprocesses save a ~1.3 MB model in a loop, alternating between two weight sets
(A, B) whose set number is also written in the metadata. Each is killed at a random moment;
the file must then load and hold exactly set A or exactly set B, with metadata that agrees
(never a mix, never truncated). A kill during a write leaves at most one temp file
``.model.safetensors.<random>.tmp`` next to the model (the documented leftover, safe to
delete); the test removes it and checks nothing else accumulates.
"""

import json
import os
import random
import re
import select
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from backprop import io, nn

SIZES = [128, 512, 512, 16]  # 336 k float32 weights, a 1.3 MB file
WORKERS = 4
KILLS = 24
TEMP = re.compile(r"^\.model\.safetensors\..+\.tmp$")

CHILD = r"""
import json, sys, time
import numpy as np
from backprop import io, nn

path, sizes, lifetime = sys.argv[1], json.loads(sys.argv[2]), float(sys.argv[3])
model = nn.MLP(sizes, "tanh")
params = list(model.parameters())
sets = [
    [np.random.default_rng(seed).standard_normal(p.shape).astype(np.float32) for p in params]
    for seed in (1, 2)
]
deadline = time.monotonic() + lifetime
i = 0
while time.monotonic() < deadline:
    for p, w in zip(params, sets[i % 2]):
        p._data[...] = w
    io.save(model, path, metadata={"set": i % 2})
    if i == 0:
        print("saved", flush=True)
    i += 1
"""


def _weight_sets() -> list[dict]:
    keys = list(nn.MLP(SIZES, "tanh").state_dict())
    shapes = [p.shape for p in nn.MLP(SIZES, "tanh").parameters()]
    return [
        {
            key: np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
            for key, shape in zip(keys, shapes)
        }
        for seed in (1, 2)
    ]


def _start(folder) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(folder / "model.safetensors"), json.dumps(SIZES), "30"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _wait_saved(proc: subprocess.Popen) -> None:
    ready, _, _ = select.select([proc.stdout], [], [], 30)
    line = proc.stdout.readline() if ready else b""
    if line.strip() != b"saved":
        proc.kill()
        raise AssertionError(f"worker did not start saving: {proc.stderr.read().decode()}")


def _check(folder, sets) -> bool:
    """The model file is exactly set A or B; returns whether a temp file was left (removed)."""
    names = sorted(os.listdir(folder))
    temps = [name for name in names if TEMP.match(name)]
    assert [name for name in names if name not in temps] == ["model.safetensors"], names
    assert len(temps) <= 1, f"more temp files than one killed save can leave: {temps}"
    file = io.read(folder / "model.safetensors")
    matches = [
        i
        for i, weights in enumerate(sets)
        if all(file.tensors[k].tobytes() == w.tobytes() for k, w in weights.items())
    ]
    assert matches == [file.metadata["set"]], "the file mixes two saves"
    for name in temps:
        os.unlink(folder / name)
    return bool(temps)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_sigkill_during_save_leaves_a_complete_file(tmp_path):
    sets = _weight_sets()
    folders = [tmp_path / f"worker{i}" for i in range(WORKERS)]
    for folder in folders:
        folder.mkdir()
    chooser = random.Random(20240611)
    kills = mid_write = 0
    start = time.monotonic()
    procs: list[subprocess.Popen] = []
    try:
        while kills < KILLS:
            procs = [_start(folder) for folder in folders]
            for proc in procs:
                _wait_saved(proc)
            for proc in procs:
                time.sleep(chooser.uniform(0, 0.02))  # a few saves' worth of random delay
                os.kill(proc.pid, signal.SIGKILL)
            for proc, folder in zip(procs, folders):
                assert proc.wait(10) == -signal.SIGKILL
                proc.stdout.close()
                proc.stderr.close()
                mid_write += _check(folder, sets)
                kills += 1
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    elapsed = time.monotonic() - start
    print(f"{kills} kills in {elapsed:.1f} s, {mid_write} during a write (temp file present)")
    assert kills >= 20
    assert mid_write >= 1, "no kill landed during a write, so the test showed nothing"
    assert all(os.listdir(folder) == ["model.safetensors"] for folder in folders)
