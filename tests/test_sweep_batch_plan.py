"""How a sweep's trials reach the many-model kernel (issue 18, brief SWF): the chunks the
driver hands out hold whole eights of a configuration on the path a user takes (default
``chunk``), and a trial left out of an eight runs its code once, not again from the start.

Counted, never timed: which groups ``fused_many.train_many`` trained, and how many times
each trial's spec ran (``backprop.spec.run``); every row is compared with the trial run
alone (``local.run_one``), bit for bit.
"""

from __future__ import annotations

import json
import math

import pytest

pytest.importorskip("numba")

import backprop  # noqa: E402
from backprop import spec as specs  # noqa: E402
from backprop.delta import fused_many  # noqa: E402
from backprop.sweep import driver, local  # noqa: E402


def lecture(**change) -> dict:
    spec = specs.normalize(specs.builtin("square"))
    spec.update(engine="fused", epochs=40)
    spec.update(change)
    return specs.normalize(spec)


@pytest.fixture
def spy(monkeypatch):
    """The number of models each train_many call trained."""
    sizes: list[int] = []
    real = fused_many.train_many

    def counting(calls, n_steps):
        sizes.append(len(calls))
        return real(calls, n_steps)

    monkeypatch.setattr(fused_many, "train_many", counting)
    monkeypatch.setattr(fused_many, "COLD_COMPILE_SECONDS", 0.0)  # batch even if not compiled
    return sizes


@pytest.fixture
def spec_runs(monkeypatch):
    """The seeds whose spec ran (backprop.spec.run), once per run."""
    import backprop.spec as spec_module

    seeds: list[int] = []
    real = spec_module.run

    def counting(spec, **kwargs):
        seeds.append(spec["seed"])
        return real(spec, **kwargs)

    monkeypatch.setattr(spec_module, "run", counting)
    return seeds


def _same_row(a: dict, b: dict) -> None:
    for key in ("spec", "final_loss", "metrics", "epochs", "engine", "notes"):
        assert a[key] == b[key] or (
            key == "final_loss" and math.isnan(a[key]) and math.isnan(b[key])
        ), key
    assert a["history"] == b["history"]  # packed float64 bytes: bit for bit


@pytest.mark.parametrize(
    ("todo", "workers", "chunk"),
    [
        (10, 1, 8),  # was 2: no chunk held an eight, nothing trained together
        (10, 2, 8),  # was 1: 8 on one worker, the other 2 alone
        (20, 2, 8),  # was 2
        (50, 2, 8),
        (100, 2, 16),  # 100 // 8 = 12 -> up to whole eights
        (1000, 2, 32),  # CHUNK_MAX
        (16, 8, 1),  # 2 a worker: eights would leave 6 of 8 workers idle
        (5, 1, 1),  # under an eight: as before
    ],
)
def test_the_default_chunk_holds_whole_eights_when_a_worker_has_half_an_eight(todo, workers, chunk):
    assert driver._chunk_size(todo, workers, None) == chunk
    assert driver._chunk_size(todo, workers, 3) == 3  # a chunk given is kept


def test_ten_seeds_on_the_users_path_train_eight_together(tmp_path, spy):
    """backprop.sweep(spec, seeds=10) with the default chunk (before: chunks of 2, spy [])."""
    table = backprop.sweep(lecture(), seeds=10, workers=1, db=tmp_path / "s.db")
    assert spy == [8]
    assert table.counts()["done"] == 10


def test_a_trial_left_out_of_the_eight_runs_its_code_once(spy, spec_runs):
    """Nine seeds: eight trained together, the ninth goes on from its kernel call with the
    one-run kernel (before: it unwound and ran again from the start: ten spec runs)."""
    spec = lecture()
    chunk = [(100 + s, json.dumps({**spec, "seed": s})) for s in range(9)]
    together = {tid: row for kind, tid, row in local.run_chunk(chunk) if kind == "done"}
    assert spy == [8]
    assert sorted(spec_runs) == list(range(9))
    spec_runs.clear()
    alone = {tid: local.run_one(tid, text)[2] for tid, text in chunk}
    assert set(together) == set(alone)
    for tid in alone:
        _same_row(together[tid], alone[tid])


def cross_entropy(**change) -> dict:
    """Full batch on the fused engine (a sweep groups it), a loss the kernel refuses."""
    return lecture(data={"name": "xor", "n": 32}, model={"sizes": [2, 4, 2], "activation":
                   "tanh"}, loss={"name": "cross_entropy"}, epochs=5, **change)  # fmt: skip


def test_trials_the_kernel_cannot_batch_run_their_code_once(spy, spec_runs):
    """Cross-entropy trials of one configuration: captured, refused by the kernel, and go on
    alone from where they stopped (before: each ran twice)."""
    spec = cross_entropy()
    chunk = [(1 + s, json.dumps({**spec, "seed": s})) for s in range(3)]
    together = {tid: row for kind, tid, row in local.run_chunk(chunk) if kind == "done"}
    assert spy == [] and sorted(spec_runs) == [0, 1, 2]
    alone = {tid: local.run_one(tid, text)[2] for tid, text in chunk}
    for tid in alone:
        _same_row(together[tid], alone[tid])


def test_a_trial_that_fails_after_its_pause_is_still_an_error_row(spy, monkeypatch):
    """A run that raises in a group is reported as alone (its error event)."""
    spec = cross_entropy()
    chunk = [(1 + s, json.dumps({**spec, "seed": s})) for s in range(2)]
    from backprop.sweep import trial

    real = trial.run_trial

    def failing(spec):
        if spec["seed"] == 1:
            raise backprop.errors.SpecError("seed 1 refused")
        return real(spec)

    monkeypatch.setattr(trial, "run_trial", failing)
    events = {tid: (kind, row) for kind, tid, row in local.run_chunk(chunk)}
    assert events[1][0] == "done"
    assert events[2] == ("error", "SpecError: seed 1 refused")
