"""The many-model kernel (delta.fused_many) and the sweep's batched trials (sweep.batch).

Each batched run must be, bit for bit, the run alone: the kernel's record against the
one-run kernel (``fused_kernels.train_loop``) called on the same captured inputs, a sweep's
stored rows against the same sweep without batching, a stored spec re-run by
``backprop.run``; and the lecture job against PyTorch (to float32 rounding).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("numba")

import backprop  # noqa: E402
from backprop import spec as specs  # noqa: E402
from backprop.delta import fused_many  # noqa: E402
from backprop.sweep import batch, local  # noqa: E402
from backprop.sweep.trial import run_trial, unpack_history  # noqa: E402


def lecture(**change) -> dict:
    spec = specs.normalize(specs.builtin("square"))
    spec.update(engine="fused", epochs=150)
    spec.update(change)
    return spec


SETUPS = {
    "lecture 1-8-8-1 relu adam (middle layer on BLAS)": lecture(),
    "abs 1-2-1 tanh adam": lecture(
        data={"name": "abs", "n": 100},
        model={"sizes": [1, 2, 1], "activation": "tanh"},
    ),
    "sigmoid 1-4-4-1 half_mse sgd momentum": lecture(
        model={"sizes": [1, 4, 4, 1], "activation": "sigmoid"},
        loss={"name": "half_mse"},
        optimizer={"name": "sgd", "lr": 0.01, "options": {"momentum": 0.9}},
    ),
    "leaky_relu 1-16-16-1 adamw float64 (BLAS)": lecture(
        model={"sizes": [1, 16, 16, 1], "activation": "leaky_relu", "dtype": "float64"},
        optimizer={"name": "adamw", "lr": 0.01, "options": {"weight_decay": 0.01}},
    ),
    "xor 2-5-1 bce_with_logits": lecture(
        data={"name": "xor", "n": 64},
        model={"sizes": [2, 5, 1], "activation": "tanh"},
        loss={"name": "bce_with_logits"},
    ),
    "sgd 0.05: seed 6 diverges at epoch 4, the others do not": lecture(
        optimizer={"name": "sgd", "lr": 0.05}, epochs=60
    ),
}


def _normal(spec):
    try:
        return specs.normalize(spec)
    except backprop.errors.BackpropError as exc:  # a spec key spelled otherwise here
        pytest.skip(f"setup not expressible: {exc}")


def _chunk(spec, seeds):
    spec = _normal(spec)
    return [(100 + s, json.dumps({**spec, "seed": s})) for s in seeds]


def _same_row(a: dict, b: dict) -> None:
    for key in ("spec", "final_loss", "metrics", "epochs", "engine", "notes"):
        assert a[key] == b[key] or (
            key == "final_loss" and math.isnan(a[key]) and math.isnan(b[key])
        ), key
    assert a["history"] == b["history"]  # packed float64 bytes: bit for bit


@pytest.fixture
def spy(monkeypatch):
    """Counts the models each train_many call trained (a batch really ran)."""
    sizes: list[int] = []
    real = fused_many.train_many

    def counting(calls, n_steps):
        sizes.append(len(calls))
        return real(calls, n_steps)

    monkeypatch.setattr(fused_many, "train_many", counting)
    monkeypatch.setattr(fused_many, "COLD_COMPILE_SECONDS", 0.0)  # batch even if not compiled
    return sizes


@pytest.mark.parametrize("name", list(SETUPS))
def test_a_chunk_trained_together_stores_the_rows_of_trials_alone(name, spy):
    chunk = _chunk(SETUPS[name], range(9))  # 9: a block of 8 together, the ninth alone
    together = {tid: row for kind, tid, row in local.run_chunk(chunk) if kind == "done"}
    assert spy == [8], "the chunk did not run as one batch"
    alone = {tid: local.run_one(tid, text)[2] for tid, text in chunk}
    assert set(together) == set(alone)
    for tid in alone:
        _same_row(together[tid], alone[tid])
    diverged = [row["metrics"]["diverged"] for row in alone.values()]
    if "diverges" in name:
        assert diverged.count(True) == 1 and alone[106]["epochs"] == 4


def _calls(spec, seeds):
    spec = _normal(spec)
    calls = []
    for s in seeds:
        call = fused_many.capture(lambda s=s: run_trial({**spec, "seed": s}))
        assert fused_many.batchable(call, spec["epochs"]) is None
        calls.append(call)
    return calls, spec["epochs"]


@pytest.mark.parametrize("name", list(SETUPS))
def test_the_kernel_record_is_the_one_run_kernel_bit_for_bit(name):
    """Each model against fused_kernels.train_loop on the same inputs, all steps at once:
    losses, weights, gradients, optimizer state, step count, guard stop, best epoch."""
    from backprop.delta.fused_kernels import train_loop
    from backprop.delta.fused_policy import _one_blas_thread

    calls, n_steps = _calls(SETUPS[name], range(3))
    tracks = fused_many.train_many(calls, n_steps)
    for call, track in zip(calls, tracks):
        a = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in call.items()}
        a["n_steps"], a["losses"] = n_steps, np.full(n_steps, np.nan)
        with _one_blas_thread():
            ran, stop, step = train_loop(*[a[k] for k in fused_many.ARGS])
        assert stop == track.stop and step == track.step
        taken = ran + (stop >= 0)
        assert a["losses"][:taken].tobytes() == track.losses.tobytes()
        for key in ("theta", "grad", "s1", "s2", "previous", "best_theta"):
            assert a[key].tobytes() == getattr(track, key).tobytes(), key
        assert a["best"][:4].tobytes() == track.best[:4].tobytes()


def test_a_sweep_with_batching_equals_one_without(tmp_path, monkeypatch, spy):
    """Trial by trial, through backprop.sweep and its database; then backprop.run on a
    stored trial's spec (what `backprop train` runs) gives its stored history."""
    base = lecture(epochs=120)
    grid = {"optimizer.lr": [0.1, 0.05], "model.activation": ["relu", "tanh"]}
    batched = backprop.sweep(base, grid, seeds=10, workers=1, db=tmp_path / "a.db")
    assert spy and max(spy) > 1
    monkeypatch.setattr(batch, "MIN_GROUP", 10**9)
    alone = backprop.sweep(base, grid, seeds=10, workers=1, db=tmp_path / "b.db")
    import sqlite3

    def rows(path):
        with sqlite3.connect(path) as con:
            return con.execute(
                "SELECT id, spec, final_loss, metrics, history, epochs, engine, notes, status "
                "FROM trial ORDER BY id"
            ).fetchall()

    a, b = rows(batched.path), rows(alone.path)
    assert len(a) == 40 and a == b
    _, text, *_ = a[-1]
    history = unpack_history(a[-1][4])
    again = backprop.run(json.loads(text), verbose=False)
    assert again.history.history["loss"] == history["loss"]


def test_the_lecture_job_batched_follows_pytorch(spy):
    """The oracle no one here wrote: PyTorch 2.13 on the same weights, data and Adam 0.1."""
    torch = pytest.importorskip("torch")
    spec = lecture(epochs=200)
    chunk = _chunk(spec, range(8))
    rows = {tid: row for _, tid, row in local.run_chunk(chunk)}
    calls, _ = _calls(spec, range(8))
    torch.set_num_threads(1)
    for (tid, _), call in zip(chunk, calls):
        theta = torch.tensor(call["theta"])
        sizes = [1, 8, 8, 1]
        layers, at = [], 0
        for n_in, n_out in itertools.pairwise(sizes):
            lin = torch.nn.Linear(n_in, n_out)
            with torch.no_grad():
                lin.weight.copy_(theta[at : at + n_in * n_out].reshape(n_out, n_in))
                at += n_in * n_out
                lin.bias.copy_(theta[at : at + n_out])
                at += n_out
            layers += [lin, torch.nn.ReLU()]
        net = torch.nn.Sequential(*layers[:-1])
        x, y = torch.tensor(call["x"]), torch.tensor(call["y_real"])
        opt = torch.optim.Adam(net.parameters(), lr=0.1)
        losses = []
        for _ in range(200):
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(net(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        assert spy == [8]
        ours = unpack_history(rows[tid]["history"])["loss"]
        np.testing.assert_allclose(ours[:50], losses[:50], rtol=2e-3)
        assert abs(ours[-1] - losses[-1]) <= 0.05 * max(1.0, losses[-1])


def test_what_cannot_be_batched_runs_alone(spy):
    minibatch = _normal(lecture(batch_size=16, epochs=5))
    other = _normal(lecture(epochs=7))
    chunk = [(1, json.dumps({**minibatch, "seed": 0})), (2, json.dumps({**minibatch, "seed": 1})),
             (3, json.dumps({**other, "seed": 0})), (4, "not json")]  # fmt: skip
    events = list(local.run_chunk(chunk))
    assert sorted(tid for _, tid, _ in events) == [1, 2, 3, 4]
    assert spy == []  # minibatches: captured, refused, run alone; one of a kind: alone
    kinds = {tid: kind for kind, tid, _ in events}
    assert kinds[4] == "error" and kinds[1] == kinds[2] == kinds[3] == "done"


def test_a_replay_whose_inputs_differ_runs_the_real_kernel():
    calls, n_steps = _calls(lecture(epochs=30), range(2))
    tracks = fused_many.train_many(calls, n_steps)
    spec = {**_normal(lecture(epochs=30)), "seed": 1}
    with fused_many.replaying(tracks[0]):  # seed 0's record offered to seed 1's run
        row = run_trial(spec)
    _same_row(row, run_trial(spec))


def test_the_kernel_file_names_the_digests_of_the_files_it_compiles_in():
    """numba caches many_loop by fused_many_kernel.py's stamp only (see test_fused)."""
    from backprop.delta import fused_many_kernel as kernel

    here = Path(kernel.__file__)
    for name, digest in [
        ("fused_kernels.py", kernel.FUSED_KERNELS_SHA256),
        ("fused_update.py", kernel.FUSED_UPDATE_SHA256),
        ("fused_many_lanes.py", kernel.FUSED_MANY_LANES_SHA256),
        ("fma.py", kernel.FMA_SHA256),
    ]:
        assert hashlib.sha256(here.with_name(name).read_bytes()).hexdigest()[:16] == digest, name


def test_a_batched_trial_runs_its_code_once_and_keeps_its_own_warnings(monkeypatch, spy):
    """Each trial of a batch runs its spec once (it waits at its kernel call while the
    group trains; capture-and-replay ran each twice), and its warnings stay its own notes
    (the runs' catch_warnings blocks nest; the rows equal the trials alone)."""
    import backprop.spec as spec_module

    runs: list[int] = []
    real = spec_module.run

    def counting(spec, **kwargs):
        runs.append(spec["seed"])
        return real(spec, **kwargs)

    monkeypatch.setattr(spec_module, "run", counting)
    spec = lecture(epochs=40)  # each seed warns "still falling" in its own numbers
    chunk = _chunk(spec, range(8))
    together = {tid: row for kind, tid, row in local.run_chunk(chunk) if kind == "done"}
    assert spy == [8] and sorted(runs) == list(range(8))
    alone = {tid: local.run_one(tid, text)[2] for tid, text in chunk}
    assert len({tuple(row["notes"]) for row in alone.values() if row["notes"]}) == 8
    for tid in alone:
        _same_row(together[tid], alone[tid])


def _record_equals_one_run(calls, n_steps):
    from backprop.delta.fused_kernels import train_loop
    from backprop.delta.fused_policy import _one_blas_thread

    tracks = fused_many.train_many(calls, n_steps)
    for call, track in zip(calls, tracks):
        a = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in call.items()}
        a["n_steps"], a["losses"] = n_steps, np.full(n_steps, np.nan)
        with _one_blas_thread():
            train_loop(*[a[k] for k in fused_many.ARGS])
        assert a["losses"].tobytes() == track.losses.tobytes()
        for key in ("theta", "grad", "s1", "s2"):
            assert a[key].tobytes() == getattr(track, key).tobytes(), key


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_blas_layer_runs_in_lanes_only_where_this_machine_sums_so(monkeypatch, dtype):
    """The lecture's 8×8 middle layer goes to BLAS in the one-run kernel. Its forward and
    backward products run in lanes only where the self-test finds this machine's BLAS
    summing as the lanes do (its gradient then too: fma._grads_small's order); where it
    does not, the layer runs model by model through BLAS. Both branches: bit for bit."""
    from backprop.delta.fused_kernels import BLAS
    from backprop.delta.fused_many_kernel import BLAS_ALL, SMALL_LANES

    spec = lecture(epochs=40, model={"sizes": [1, 8, 8, 1], "dtype": dtype})
    calls, n_steps = _calls(spec, range(3))
    meta, m = calls[0]["meta"], calls[0]["x"].shape[0]
    assert list(meta[:, BLAS]) == [0, 1, 0]
    holds = fused_many.sums_as_lanes(m, 8, 8, dtype)
    modes = fused_many._modes(meta, m, dtype)
    assert modes[1] == (SMALL_LANES if holds else BLAS_ALL)
    if holds:
        _record_equals_one_run(calls, n_steps)
    key = (m, 8, 8, np.dtype(dtype).str)
    monkeypatch.setitem(fused_many._probed, key, False)  # as on a machine where it fails
    assert fused_many._modes(meta, m, dtype)[1] == BLAS_ALL
    _record_equals_one_run(calls, n_steps)


@pytest.mark.parametrize("rows", [False, True])
@pytest.mark.parametrize("n_in, n_out, m", [(8, 8, 100), (12, 5, 37), (16, 16, 64), (3, 9, 10)])
def test_small_weight_gradients_equal_numpy(rows, n_in, n_out, m):
    """fma._grads_small (the one-run kernel's gradient of a narrow BLAS layer, fixed order)
    against NumPy's δ·Aᵀ, for an input one row per unit or one row per sample."""
    from backprop.delta.fma import _grads_small

    rng = np.random.default_rng(n_in * 100 + n_out)
    for dtype, tol in ((np.float32, 1e-5), (np.float64, 1e-13)):
        a = rng.standard_normal((n_in, m)).astype(dtype)
        d = rng.standard_normal((n_out, m)).astype(dtype)
        flat = np.ascontiguousarray(a.T if rows else a).ravel()
        gw = np.full(n_out * n_in, np.nan, dtype)
        _grads_small(m, n_in, n_out, flat, rows, d.ravel(), gw)
        want = d.astype(np.float64) @ a.T.astype(np.float64)
        np.testing.assert_allclose(gw.reshape(n_out, n_in), want, rtol=tol, atol=tol * m)
