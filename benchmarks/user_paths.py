"""The "user paths" section: every job through every public entry point, beside the engine
called directly (INTERNAL) and the peers — and a non-zero exit when a public path falls behind.

``python -m benchmarks.user_paths [--quick] [--repeats N] [--jobs lecture,digits,wide]
[--strict] [--write PATH]``, or the ``paths`` job of ``python -m benchmarks``. Jobs and
runners live in ``user_jobs``, tables and targets in ``user_report``. In-process rows are
timed round-robin after a warm-up (``common.measure``, median of the repeats); whole-process
rows (the CLI, a plain PyTorch script, the kernel in a fresh process) alternate too, with
their peak RSS from ``/usr/bin/time``.

The 2× rule (exit status 1): a public path may be at most 2× slower per step than the
direct use of the engine it can reach, at the same thread count and in the same scope —
``fit(engine="auto"|"fused")``, ``backprop.run`` and the estimators against the best INTERNAL
path of the job (the compiled kernel ``delta.fused.train`` when numba is installed);
``fit(engine="delta")`` and the hand loop on ``delta.backward`` against the NumPy δ engine
called directly (``delta.Plan``);
``fit(engine="autograd")`` against the hand-written loop on autograd; the CLI's whole
process against the kernel's whole process. A crash is also status 1. The issue's targets
are printed as met / not met; they change the status only with ``--strict``: they are ratios
against other libraries on a shared machine, goals to report, not a regression gate.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass

from . import user_jobs as uj
from . import user_scripts as us
from .common import Peer, Row, have, measure, threads

LIMIT = 2.0  # the most a public path may be slower than the direct engine it can reach
JOBS = ("lecture", "digits", "wide")


@dataclass
class Path:
    """One way to run a job: kind public / internal / peer; ``serves`` the reference groups
    it anchors, ``vs`` the group a public path is held to (None: no 2× rule)."""

    name: str
    run: object  # (job, epochs) -> (loss, extra)
    kind: str
    vs: str | None = None
    serves: tuple = ()
    threads: int = 1


def paths(job: uj.Job, n: int = 1) -> list[Path]:
    s = "" if n == 1 else "s"
    t = f" ({n} thread{s})"
    out = []
    if have("torch"):
        out.append(Path(f"torch eager{t}", uj.torch_eager, "peer", threads=n))
    for engine in ("auto", "delta", "fused", "autograd"):
        if engine == "fused" and not have("numba"):
            continue
        vs = {"delta": "numpy", "autograd": "autograd"}.get(engine, "best")
        out.append(Path(f'fit(engine="{engine}"){t}', uj.fit_path(engine), "public", vs, (), n))
    if job.spec is not None:
        out.append(Path(f"backprop.run(spec){t}", uj.run_spec, "public", "best", (), n))
    if have("sklearn"):
        est = "MLPClassifier" if job.classify else "MLPRegressor"
        out.append(Path(f"backprop.sklearn.{est}{t}", uj.estimator, "public", "best", (), n))
    out.append(Path(f"hand loop, autograd{t}", uj.hand_autograd, "public", None, ("autograd",), n))
    out.append(Path(f"hand loop, delta.backward{t}", uj.hand_delta, "public", "numpy", (), n))
    if have("numba"):
        out.append(
            Path(f"INTERNAL fused.train{t}", uj.internal_kernel, "internal", None, ("best",), n)
        )
    out.append(
        Path(
            f"INTERNAL delta.Plan loop{t}", uj.internal_plan, "internal", None, ("best", "numpy"), n
        )
    )
    if have("sklearn"):
        out.append(Path(f"scikit-learn {est}{t}", uj.sklearn_peer, "peer", threads=n))
    return out


def measure_paths(job: uj.Job, plist: list[Path], repeats: int, warmup: int) -> list[Row]:
    """Time every path on ``job`` (round-robin, median); a path that raises becomes a crash
    row (seconds NaN, the error in ``note``) instead of stopping the others."""
    errors: dict[str, str] = {}

    def guarded(p: Path):
        def run(epochs: int):
            try:
                return p.run(job, epochs)
            except Exception as err:  # noqa: BLE001 - reported as a crash row
                errors.setdefault(p.name, f"{type(err).__name__}: {err}"[:300])
                return float("nan"), {}

        return run

    peers = [Peer(p.name, guarded(p), p.threads) for p in plist]
    rows = measure(peers, job.epochs, repeats, warmup_steps=warmup)
    for p, r in zip(plist, rows, strict=True):
        r.steps = job.epochs * job.steps_per_epoch
        r.extra.update(kind=p.kind, vs=p.vs, serves=p.serves, threads=p.threads, scope="in-process")
        if p.name in errors:
            r.seconds, r.note = float("nan"), "crashed: " + errors[p.name]
    return rows


PYCACHE = os.path.join(tempfile.gettempdir(), "bp-user-paths-pycache")


def run_process(argv: list[str], cwd: str, env: dict | None = None) -> tuple:
    """Wall seconds, peak RSS (MB, from /usr/bin/time), error text ('' when it passed) and
    the engine the CLI names under ``--verbose`` ('engine: delta (NumPy): why'), or '-'."""
    full = {**os.environ, **(env or {})}
    # a warm disk cache as an installed package has it: compiled bytecode kept between runs
    # (some sandboxes set PYTHONDONTWRITEBYTECODE, which made every process compile every
    # module from source: ~0.3 s of a 0.6 s demo); the same for every peer
    full.pop("PYTHONDONTWRITEBYTECODE", None)
    full.setdefault("PYTHONPYCACHEPREFIX", PYCACHE)
    with tempfile.NamedTemporaryFile("r", suffix=".time") as out:
        wrap = (
            ["/usr/bin/time", "-o", out.name, "-f", "%M"] if os.path.exists("/usr/bin/time") else []
        )
        start = time.perf_counter()
        done = subprocess.run(
            [*wrap, *argv], cwd=cwd, env=full, capture_output=True, text=True, check=False
        )
        wall = time.perf_counter() - start
        text = out.read().strip().splitlines()
    peak = float(text[-1]) / 1024 if text and text[-1].isdigit() else float("nan")
    error = "" if done.returncode == 0 else f"exit {done.returncode}: {done.stderr[-300:]}"
    said = [ln for ln in done.stdout.splitlines() if ln.startswith("engine:")]
    engine = said[-1].split(":")[1].strip() if said else "-"
    return wall, peak, error, engine


def measure_processes(job: uj.Job, epochs: int, repeats: int, warm: bool) -> list[Row]:
    """Whole processes, alternating: the CLI command(s), the kernel alone, a torch script."""
    one = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    with tempfile.TemporaryDirectory(prefix="bp-user-paths-") as tmp:
        spec_path = os.path.join(tmp, f"{job.name}.json")
        if job.spec is not None:
            with open(spec_path, "w") as f:
                json.dump({**job.spec, "epochs": epochs}, f)
        cases = []  # (name, argv, kind, vs, serves)
        for template in job.cli:
            shown = " ".join(a for a in template if a not in ("{epochs}", "--epochs", "-v"))
            shown = shown.replace("{spec}", f"{job.name}.json")
            cases.append(
                (
                    f"`backprop {shown}`, process",
                    us.cli_argv(template, epochs, spec_path),
                    "public",
                    "process",
                    (),
                )
            )
        if not job.cli:
            cases.append(
                (
                    'fit(engine="auto") script, process',
                    us.job_script(job, epochs, 'fit_path("auto")'),
                    "public",
                    None,
                    (),
                )
            )
        if have("numba"):
            cases.append(
                (
                    "INTERNAL fused.train script, process",
                    us.job_script(job, epochs),
                    "internal",
                    None,
                    ("process",),
                )
            )
        torch_argv = us.torch_script(job, epochs) if have("torch") else None
        if torch_argv:
            cases.append(("torch eager script, process", torch_argv, "peer", None, ()))
        sklearn_argv = us.sklearn_script(job, epochs) if have("sklearn") else None
        if sklearn_argv:
            cases.append(("scikit-learn script, process", sklearn_argv, "peer", None, ()))
        samples = {c[0]: [] for c in cases}
        peaks = {c[0]: [] for c in cases}
        errors: dict[str, str] = {}
        engines: dict[str, str] = {}
        for rep in range(repeats + (1 if warm else 0)):
            for name, argv, *_ in cases:
                wall, peak, error, engines[name] = run_process(argv, tmp, one)
                if error:
                    errors.setdefault(name, error)
                if rep > 0 or not warm:  # the first round only warms the disk cache
                    samples[name].append(wall)
                    peaks[name].append(peak)
    rows = []
    for name, _, kind, vs, serves in cases:
        r = Row(name, statistics.median(samples[name]), epochs * job.steps_per_epoch)
        r.extra.update(
            kind=kind, vs=vs, serves=serves, threads=1, scope="process", peak_mb=max(peaks[name])
        )
        r.extra["engine"] = engines[name]
        if name in errors:
            r.seconds, r.note = float("nan"), "crashed: " + errors[name]
        rows.append(r)
    return rows


def gate(rows: list[Row], limit: float = LIMIT) -> list[dict]:
    """The 2× rule: for each public row with a ``vs`` group, its reference (the fastest row
    serving that group at the same threads and scope), the ratio and whether it passes."""
    checks = []
    for r in rows:
        if r.extra.get("kind") != "public" or not r.extra.get("vs"):
            continue
        refs = [
            x
            for x in rows
            if r.extra["vs"] in x.extra.get("serves", ())
            and x.extra.get("threads") == r.extra.get("threads")
            and x.extra.get("scope") == r.extra.get("scope")
            and not math.isnan(x.seconds)
        ]
        if not refs or math.isnan(r.seconds):
            continue  # nothing to hold it to (e.g. no numba), or a crash (counted apart)
        ref = min(refs, key=lambda x: x.us_per_step)
        ratio = r.us_per_step / ref.us_per_step
        checks.append({"path": r.peer, "reference": ref.peer, "ratio": ratio, "ok": ratio <= limit})
    return checks


def crashes(rows: list[Row]) -> list[str]:
    return [f"{r.peer}: {r.note}" for r in rows if r.note.startswith("crashed")]


def failed(result: dict) -> bool:
    return bool(crashes(result["rows"])) or not all(c["ok"] for c in gate(result["rows"]))


from .user_report import render, targets  # noqa: E402 - after the helpers it imports


def run_job(name: str, quick: bool = False, repeats: int = 5, log=None) -> dict:
    """Measure one job through every path; the result dict the benchmark suite renders."""
    start, load = time.perf_counter(), _load()
    if name == "lecture":
        job = uj.lecture_job(200 if quick else 10_000)
        counts, warm, process_reps = (1,), max(job.epochs // 20, 10), (1 if quick else repeats)
    elif name == "digits":
        job = uj.digits_job(1 if quick else 50)
        counts, warm, process_reps = (1,), 1, (0 if quick else repeats)
    else:
        job = uj.wide_job(1 if quick else 2, 512 if quick else 12_800)
        counts, warm, process_reps = ((1,) if quick else (1, 2)), 1, (0 if quick else 2)
    if have("torch"):
        import torch  # noqa: F401 - so common.threads can limit its pool

    peaks = _peaks(counts, quick) if name == "wide" else {}
    rows = []
    for n in counts:
        with threads(n):
            rows += measure_paths(job, paths(job, n), 1 if quick else repeats, warm)
    notes = list(job.notes)
    steady = {}
    if name == "wide" and not quick:
        from .user_steady import note, steady_state

        steady = {n: steady_state(job, n, repeats) for n in counts}
        notes.append(note(steady))
    if process_reps:
        rows += measure_processes(job, job.epochs, process_reps, warm=not quick)
        notes.append(
            f"Whole processes ({process_reps} alternating rounds"
            f"{', after one uncounted round that warms the disk cache' if not quick else ''}): "
            "µs/step = wall time / steps, imports included; OMP/OPENBLAS/MKL_NUM_THREADS=1 and "
            "torch.set_num_threads(1) for every process; peak RSS from /usr/bin/time."
        )
    result = {
        "job": f"paths-{name}",
        "name": name,
        "rows": rows,
        "notes": notes,
        "title": _title(job),
        "load": (load, _load()),
        "wall": time.perf_counter() - start,
        "steady": steady,
    }
    if name == "wide":
        from .wide import flops_per_step

        after = peaks if quick else _peaks(counts, quick)  # a peak: the better of the two
        result["flops"] = flops_per_step(job.sizes, job.batch)
        result["peaks"] = {
            n: {k: max(v, after[n][k]) for k, v in p.items()} for n, p in peaks.items()
        }
    result["checks"] = gate(rows)
    result["failed"] = failed(result)
    result["markdown"] = render(result)
    if log is not None:
        log(result["markdown"])
    return result


def _peaks(counts, quick: bool) -> dict:
    from .wide import gemm_peak

    return {n: gemm_peak(n, 512 if quick else 2048, 3 if quick else 7) for n in counts}


def _title(job: uj.Job) -> str:
    batch = "full batch" if job.batch is None else f"batch {job.batch}"
    return (
        f"{job.name}: {'-'.join(map(str, job.sizes))} ReLU, {job.loss}, Adam {job.lr}, "
        f"{batch}, {job.epochs} epochs × {job.steps_per_epoch} steps, {len(job.x)} rows"
    )


def _load() -> float:
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return float("nan")


def run(quick: bool = False, repeats: int = 5, jobs=JOBS, log=None) -> dict:
    """All jobs, the extras (hand loop, makemore, import) and the targets: one result for the
    suite (``python -m benchmarks``); ``log`` gets each job's table as soon as it is done."""
    from .user_report import extras, section

    results = [run_job(name, quick, repeats, log) for name in jobs]
    extra = extras(quick, repeats)
    result = {
        "job": "paths",
        "title": "user paths (issue 13)",
        "rows": [],
        "results": results,
        "extras": extra,
        "targets": targets(results, extra, quick),
    }
    result["failed"] = any(r["failed"] for r in results) or extra.get("failed", False)
    result["markdown"], result["tail"] = section(result)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="benchmarks.user_paths", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="short jobs, one repeat: a smoke run")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per path (median)")
    parser.add_argument("--jobs", default=",".join(JOBS), help=f"subset of {', '.join(JOBS)}")
    parser.add_argument("--strict", action="store_true", help="a missed target also fails")
    parser.add_argument("--write", default=None, help="also write the section (Markdown) here")
    args = parser.parse_args(argv)
    jobs = [j.strip() for j in args.jobs.split(",") if j.strip()]
    if any(j not in JOBS for j in jobs) or args.repeats < 1:
        parser.error(f"--jobs takes {', '.join(JOBS)}; --repeats at least 1")
    result = run(args.quick, args.repeats, jobs, log=lambda text: print(text, "", sep="\n"))
    print(result["tail"])
    if args.write:
        from .common import machine

        with open(args.write, "w") as f:
            f.write("\n".join(["# User paths", "", *[f"- {m}" for m in machine()], ""]))
            f.write(result["markdown"] + "\n")
    return exit_status(result, args.strict)


def exit_status(result: dict, strict: bool = False) -> int:
    missed = any(met is False for *_, met in result["targets"])
    return 1 if result["failed"] or (strict and missed) else 0


if __name__ == "__main__":
    raise SystemExit(main())
