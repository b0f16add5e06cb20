"""Benchmarks: backprop and its peers side by side in one process (not part of the tests).

``python -m benchmarks [--quick] [--jobs lecture,wide,...] [--repeats N] [--write PATH]``, or
``benchmarks.main(argv)`` (what ``backprop bench`` calls). Each job times every peer after a
warm-up, round-robin, as the median of ``repeats`` runs, and prints a Markdown table with
ratios against PyTorch eager; a full run (not ``--quick``) also writes ``benchmarks/RESULTS.md``
with the machine, versions, thread counts and BLAS kernels.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

JOBS = ("lecture", "wide", "digits", "import", "autograd", "memory", "paths")
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def _runner(job: str):
    from . import digits, lecture, overhead, user_paths, wide

    return {
        "lecture": lecture.run,
        "wide": wide.run,
        "digits": digits.run,
        "import": overhead.run_import,
        "autograd": overhead.run_autograd,
        "memory": overhead.run_memory,
        "paths": user_paths.run,  # every job through every public path; its gate sets the exit
    }[job]


def run_jobs(jobs, quick: bool = False, repeats: int = 5, log=print) -> list[dict]:
    results = []
    for job in jobs:
        start = time.perf_counter()
        load = _load()
        log(f"[{job}] running…")
        result = _runner(job)(quick=quick, repeats=repeats)
        result["wall"] = time.perf_counter() - start
        result["load"] = (load, _load())
        log(render_job(result))
        results.append(result)
    return results


def _load() -> float:
    """The 1-minute load average (other processes share this machine), NaN if unknown."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return float("nan")


def render_job(result: dict) -> str:
    from .report import job_markdown

    return job_markdown(result)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks; returns the process exit status."""
    parser = argparse.ArgumentParser(prog="benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few steps: a smoke run")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per peer (median)")
    parser.add_argument(
        "--jobs", default=",".join(JOBS), help=f"comma-separated subset of {', '.join(JOBS)}"
    )
    parser.add_argument(
        "--write",
        type=Path,
        default=None,
        help="write the Markdown report here (default: benchmarks/RESULTS.md on a full run)",
    )
    args = parser.parse_args(argv)
    jobs = [j.strip() for j in args.jobs.split(",") if j.strip()]
    unknown = [j for j in jobs if j not in JOBS]
    if unknown:
        parser.error(f"unknown job(s) {', '.join(unknown)}; choose from {', '.join(JOBS)}")
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    results = run_jobs(jobs, quick=args.quick, repeats=args.repeats)
    from .report import document, summary

    print(summary(results))
    target = args.write if args.write is not None else (None if args.quick else RESULTS)
    if target is not None:
        target.write_text(document(results, quick=args.quick, repeats=args.repeats))
        print(f"wrote {target}")
    return 1 if any(r.get("failed") for r in results) else 0
