"""A run that diverged (issue 12, item 10): exit status 3, its best weights, labelled.

``backprop train … --lr 1000`` stops on the NaN guard. It must exit non-zero (3: training
diverged) and write the run's last good weights: those of the epoch with the lowest training
loss, or the weights it started from (the guard stops on NaN/inf only, so the last finite
weights of such a run predict 1e18). Judged against a replay of the same spec in a fresh
process that trains exactly that many epochs (none: the built model), where nothing
diverges; the file and ``backprop summary`` say which weights they are.
"""

import json
import subprocess
import sys

import numpy as np
import pytest

import backprop as bp

FULL = ["--batch-size", "10000000"]  # (--data alone trains in minibatches of 32)
DIVERGING = [  # (flags, what): full-batch runs that overflow within a few epochs
    (["--data", "square", "--optimizer", "sgd", "--lr", "1000", *FULL], "square, SGD lr 1000"),
    (
        ["--data", "sine", "--optimizer", "sgd", "--lr", "300", "--engine", "autograd", *FULL],
        "sine",
    ),
    (
        ["--data", "square", "--optimizer", "sgd", "--lr", "500", "--engine", "delta", *FULL],
        "delta",
    ),
]


def cli(*args, cwd):
    done = subprocess.run(
        [sys.executable, "-m", "backprop", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )
    return done.returncode, done.stdout, done.stderr


REPLAY = """
import json, sys
import numpy as np
import backprop as bp
spec = json.load(open(sys.argv[1]))
spec["epochs"] = max(int(sys.argv[2]), 1)
r = bp.spec.prepare(spec) if int(sys.argv[2]) == 0 else bp.run(spec)
np.savez(sys.argv[3], **{k: v.numpy() for k, v in r.model.state_dict().items()})
print(bool(getattr(r.history, "diverged", False)), int(sys.argv[2]))
"""


@pytest.mark.parametrize("flags, what", DIVERGING, ids=[w for _, w in DIVERGING])
def test_a_diverged_run_exits_3_and_writes_its_best_weights(flags, what, tmp_path):
    out = tmp_path / "run"
    code, stdout, stderr = cli("train", *flags, "--epochs", 50, "--out", out, "--no-plots", "-q",
                               cwd=tmp_path)  # fmt: skip
    assert code == 3, (code, stdout, stderr)
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "diverged" in lines[0] and "Traceback" not in stderr, stderr
    history = json.loads((out / "history.json").read_text())
    assert history["diverged"] is True
    epoch, batch = history["stopped_epoch"], history["stopped_batch"]
    assert batch == 1  # full batch: the weights before the step are those after epoch - 1

    f = bp.io.read(out / "model.safetensors")
    assert "diverged" in f.metadata["stopped"]
    kept = f.metadata["weights_epoch"]
    assert 0 <= kept < epoch
    losses = history["history"]["loss"][:kept]
    assert all(np.isfinite(losses)) and (not losses or f.metadata["weights_loss"] <= min(losses))
    saved = {k: v for k, v in f.tensors.items()}
    assert all(np.isfinite(v).all() for v in saved.values())

    # the reference: the same spec in a fresh process, trained for the kept number of epochs
    replay = tmp_path / "replay.npz"
    done = subprocess.run(
        [sys.executable, "-c", REPLAY, str(out / "spec.json"), str(kept), str(replay)],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    assert done.stdout.split() == ["False", str(kept)]
    ref = dict(np.load(replay))
    assert sorted(ref) == sorted(saved)
    same = all(np.array_equal(ref[k], saved[k]) for k in ref)
    x = np.linspace(-2, 2, 5).reshape(-1, 1)
    with bp.no_grad():
        pred = f.model(bp.tensor(x.astype(np.float32))).numpy()
    print(f"diverged run ({what}): exit {code}, stopped epoch {epoch} batch {batch}, kept "
          f"epoch {kept}: file == replay: {same}, max |ŷ| {np.abs(pred).max():.3g}")  # fmt: skip
    assert same
    # the last good weights predict sensibly: nowhere near the 1e18 of the last finite ones
    assert np.abs(pred).max() < 1e4

    code, stdout, stderr = cli("summary", out / "model.safetensors", cwd=tmp_path)
    assert code == 0, stderr
    assert "stopped: diverged" in stdout and "lowest training loss before the" in stdout


def test_a_run_that_did_not_diverge_exits_0_without_the_label(tmp_path):
    out = tmp_path / "run"
    code, _, stderr = cli("train", "--data", "square", "--epochs", 3, "--out", out,
                               "--no-plots", "-q", cwd=tmp_path)  # fmt: skip
    assert code == 0, stderr
    f = bp.io.read(out / "model.safetensors")
    assert "stopped" not in f.metadata and "weights" not in f.metadata
    assert json.loads((out / "history.json").read_text())["diverged"] is False


def test_train_help_documents_exit_status_3(tmp_path):
    code, stdout, _ = cli("train", "--help", cwd=tmp_path)
    assert code == 0 and "3 training diverged" in " ".join(stdout.split())
    code, stdout, _ = cli("--help", cwd=tmp_path)
    assert code == 0 and "3 training diverged" in " ".join(stdout.split())


def test_predictions_that_overflow_get_one_warning_in_words(tmp_path):
    """A model whose outputs overflow (weights of a diverged run) gives its predictions, and
    one line saying how many are not finite: no NumPy RuntimeWarning, no traceback."""
    model = bp.nn.MLP([1, 8, 1], "relu")
    for p in model.parameters():
        p._data[...] = 1e30
    bp.save(model, tmp_path / "huge.safetensors")
    code, stdout, stderr = cli("predict", "huge.safetensors", "--x", "1", "-2", cwd=tmp_path)
    assert code == 0, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "1 of 2 predictions are not finite" in lines[0], stderr
    assert "RuntimeWarning" not in stderr and stdout.splitlines()[1] == "1,inf"
