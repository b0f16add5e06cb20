"""Smoke test of the benchmark suite's "user paths" section (benchmarks/user_paths.py).

Not a timed test: a tiny lecture job (a few epochs, one repeat) goes through the harness
and the table is checked for its structure; the 2× rule is checked on made-up timings, where
the answer is known (a public path 3× slower than the engine it can reach must fail).
"""

import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

pytest.importorskip("threadpoolctl")

import benchmarks.common  # noqa: E402
from benchmarks import user_jobs, user_paths  # noqa: E402
from benchmarks.common import Row  # noqa: E402
from benchmarks.user_report import render  # noqa: E402


def _row(name, seconds, kind, vs=None, serves=(), threads=1, scope="in-process"):
    extra = {"kind": kind, "vs": vs, "serves": serves, "threads": threads, "scope": scope}
    return Row(name, seconds, 100, extra=extra)


def _result(rows):
    return {"rows": rows, "notes": [], "title": "made up", "load": (0.0, 0.0), "wall": 0.0}


@pytest.fixture
def quick(monkeypatch):
    monkeypatch.setattr(benchmarks.common, "SETTLE_SECONDS", 0.0)


def test_tiny_job_through_every_path_gives_a_complete_table(quick):
    job = user_jobs.lecture_job(5)
    plist = user_paths.paths(job)
    rows = user_paths.measure_paths(job, plist, repeats=1, warmup=2)
    assert [r.peer for r in rows] == [p.name for p in plist]
    assert user_paths.crashes(rows) == []
    kinds = {r.extra["kind"] for r in rows}
    assert {"public", "internal"} <= kinds
    for r in rows:
        assert r.steps == 5 and r.seconds > 0 and math.isfinite(r.loss)
    # every public fit path is held to a reference, and names it
    checks = {c["path"]: c for c in user_paths.gate(rows)}
    for r in rows:
        if r.peer.startswith("fit("):
            assert r.peer in checks and checks[r.peer]["reference"]
    table = render(_result(rows))
    lines = [ln for ln in table.splitlines() if ln.startswith("| ")]
    assert lines[0].startswith("| path | kind | µs/step | × torch eager")
    assert len(lines) == 1 + len(rows)
    assert all(ln.count("|") == lines[0].count("|") for ln in lines)
    assert lines[0].rstrip(" |").endswith("2× rule")


def test_a_public_path_three_times_slower_than_the_kernel_fails_the_run():
    rows = [
        _row("INTERNAL fused.train", 1.0, "internal", serves=("best",)),
        _row("INTERNAL delta.Plan loop", 4.0, "internal", serves=("best", "numpy")),
        _row('fit(engine="auto")', 3.0, "public", vs="best"),
        _row('fit(engine="delta")', 5.0, "public", vs="numpy"),
    ]
    checks = {c["path"]: c for c in user_paths.gate(rows)}
    assert checks['fit(engine="auto")']["ratio"] == pytest.approx(3.0)
    assert checks['fit(engine="auto")']["reference"] == "INTERNAL fused.train"
    assert not checks['fit(engine="auto")']["ok"]
    assert checks['fit(engine="delta")']["ok"]  # 1.25× the NumPy engine it runs on
    result = _result(rows)
    assert user_paths.failed(result)
    assert user_paths.exit_status({"failed": True, "targets": []}) == 1
    assert "FAIL" in render(result)


def test_within_twice_the_kernel_passes_and_the_limit_is_inclusive():
    rows = [
        _row("INTERNAL fused.train", 1.0, "internal", serves=("best",)),
        _row('fit(engine="auto")', 2.0, "public", vs="best"),
        _row("hand loop, autograd", 30.0, "public", serves=("autograd",)),
    ]
    assert not user_paths.failed(_result(rows))
    assert user_paths.exit_status({"failed": False, "targets": []}) == 0


def test_references_are_taken_at_the_same_thread_count_and_scope():
    rows = [
        _row("INTERNAL fused.train (2 threads)", 0.5, "internal", serves=("best",), threads=2),
        _row("INTERNAL fused.train (1 thread)", 1.0, "internal", serves=("best",)),
        _row("INTERNAL script, process", 0.1, "internal", serves=("best",), scope="process"),
        _row('fit(engine="auto") (1 thread)', 1.5, "public", vs="best"),
    ]
    (check,) = user_paths.gate(rows)
    assert check["reference"] == "INTERNAL fused.train (1 thread)"
    assert check["ok"]


def test_a_crash_fails_the_run_and_is_shown(quick):
    def broken(job, epochs):
        raise RuntimeError("kernel gone")

    job = user_jobs.lecture_job(3)
    plist = [
        user_paths.Path("INTERNAL delta.Plan loop", user_jobs.internal_plan, "internal",
                        serves=("best",)),
        user_paths.Path('fit(engine="auto")', broken, "public", vs="best"),
    ]  # fmt: skip
    rows = user_paths.measure_paths(job, plist, repeats=1, warmup=1)
    assert math.isnan(rows[1].seconds)
    assert "RuntimeError: kernel gone" in rows[1].note
    assert user_paths.failed(_result(rows))
    assert "CRASH" in render(_result(rows))


def test_missed_targets_fail_only_when_strict():
    result = {"failed": False, "targets": [("lecture", "fit ≥ 50× torch", "3.4×", False)]}
    assert user_paths.exit_status(result) == 0
    assert user_paths.exit_status(result, strict=True) == 1
    result["targets"] = [("wide", "fit ≥ 1.2× torch at 2 threads", "0.9×", None)]
    assert user_paths.exit_status(result, strict=True) == 0  # not measurable is not a miss


def test_steady_state_separates_the_per_step_and_the_per_run_cost(monkeypatch):
    """Made-up timings with a known cost (10 ms/step + 60 ms/run for fit, 15 ms/step for torch)
    in place of measure(): the decomposition finds them back from the two run lengths, and each
    peer is asked for its own epoch count."""
    from benchmarks import user_steady

    job = user_jobs.lecture_job(5)  # full batch: one step an epoch
    cost = {"fit": (0.010, 0.060), "torch": (0.015, 0.0)}
    asked = []

    def fake_measure(peers, steps, repeats, warmup_steps):
        rows = []
        for p in peers:
            name, epochs = p.name.split()
            asked.append((name, p.steps, int(epochs)))
            per_step, per_run = cost[name]
            rows.append(Row(p.name, per_run + per_step * p.steps * job.steps_per_epoch, p.steps))
        return rows

    monkeypatch.setattr(user_steady, "measure", fake_measure)
    found = user_steady.steady_state(job, 1, repeats=1)
    assert all(steps == epochs for _, steps, epochs in asked)
    assert {e for _, _, e in asked} == {5, 5 * user_steady.LONG}
    fit_step, fit_run = found["fit"]
    assert fit_step == pytest.approx(10_000) and fit_run == pytest.approx(60)
    if "torch" in found:
        assert found["torch"] == pytest.approx((15_000, 0.0), abs=1e-6)
        assert found["ratio"] == pytest.approx(1.5)
    assert "ms/run" in user_steady.note({1: found})
