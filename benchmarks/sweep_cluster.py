"""A sweep on a Dask cluster against the same sweep on this machine (issue 18).

The job: 200 short trials of the lecture job — the built-in ``square`` spec (1-8-8-1 ReLU,
Adam 0.1, 100 points) at 1,000 epochs, seeds 0..199 — through ``backprop.sweep`` twice per
rep, in one process, alternating which runs first:

- **local**: ``workers=2`` (two fresh worker processes per sweep: their start-up and numba's
  load are part of every local sweep, as a user pays them);
- **cluster**: ``cluster=ADDRESS``, a scheduler and ``dask worker --nworkers 2 --nthreads 1``
  on 127.0.0.1 started here (or ``--cluster ADDRESS``). Its workers stay up between sweeps,
  so after the untimed warm-up sweep they are warm: what a second sweep on a cluster pays.

Both write the same SQLite store. Printed per rep and as medians: wall seconds; "steady"
seconds per trial, from the first finished trial to the last (without the local workers'
start-up); CPU seconds of every process involved (this one, the local workers; or the
scheduler, nanny and worker processes, found by their process group); the per-rep ratios
cluster / local; the machine's load before and after; and whether the two sweeps' final
losses were equal trial for trial (they must be).

Run: ``python -m benchmarks.sweep_cluster [--trials 200] [--repeats 5] [--cluster ADDR]``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

EPOCHS = 1_000


def _load() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


@contextlib.contextmanager
def _local_cluster(scratch: str):
    """A scheduler and two one-thread workers on 127.0.0.1 (tests/test_sweep_cluster.py)."""
    from distributed import Client

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    quiet = {"stdin": subprocess.DEVNULL, "stdout": subprocess.DEVNULL, "start_new_session": True}
    dash = ["--no-dashboard", "--dashboard-address", "127.0.0.1:0"]
    procs = _procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "distributed.cli.dask_scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                *dash,
            ],
            stderr=subprocess.DEVNULL,
            **quiet,
        ),
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "distributed.cli.dask_worker",
                address,
                "--nworkers",
                "2",
                "--nthreads",
                "1",
                "--host",
                "127.0.0.1",
                *dash,
                "--local-directory",
                scratch,
            ],
            stderr=subprocess.DEVNULL,
            **quiet,
        ),
    ]
    try:
        client = Client(address, timeout=60, set_as_default=False)
        client.wait_for_workers(2, timeout=120)
        client.close()
        yield address, [p.pid for p in _procs]
    finally:
        for proc in reversed(procs):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _ticks() -> int:
    return os.sysconf("SC_CLK_TCK")


def _cpu(groups: list[int]) -> float:
    """CPU seconds of this process, its reaped children (the local workers) and every live
    process in ``groups`` (the cluster's process groups)."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) in groups:  # pgrp; utime, stime are fields 14, 15 of stat
            total += (int(fields[11]) + int(fields[12])) / _ticks()
    return total


def _sweep(spec: dict, trials: int, db: str, groups=(), **where) -> dict:
    import backprop

    seen = []
    cpu = _cpu(list(groups))
    start = time.perf_counter()
    results = backprop.sweep(
        spec, seeds=f"0..{trials - 1}", db=db, progress=lambda p: seen.append(p.elapsed), **where
    )
    wall = time.perf_counter() - start
    cpu = _cpu(list(groups)) - cpu
    assert results.counts()["done"] == trials, results.counts()
    steady = (seen[-1] - seen[0]) / (len(seen) - 1)
    losses = sorted((t["seed"], t["final_loss"]) for t in results.trials)
    return {"wall": wall, "steady": steady, "cpu": cpu, "losses": losses}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--cluster", help="an existing scheduler's address (default: start one)")
    args = parser.parse_args(argv)
    from backprop.spec import load

    spec = {**load("square"), "epochs": EPOCHS}
    print(f"load before: {_load()}  (cores: {os.cpu_count()})", flush=True)
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        if args.cluster:
            address, groups = args.cluster, []  # its CPU is not seen from here
        else:
            address, groups = stack.enter_context(_local_cluster(tmp))
        where = {"local": {"workers": 2}, "cluster": {"cluster": address, "groups": groups}}
        for name, kw in where.items():  # warm-up: numba's cache, the cluster's workers
            _sweep(spec, 20, os.path.join(tmp, f"warm-{name}.db"), **kw)
        rows, same = [], True
        for rep in range(args.repeats):
            order = ["local", "cluster"] if rep % 2 == 0 else ["cluster", "local"]
            got = {}
            for name in order:
                db = os.path.join(tmp, f"{name}-{rep}.db")
                got[name] = _sweep(spec, args.trials, db, **where[name])
            same &= got["local"]["losses"] == got["cluster"]["losses"]
            rows.append((got["local"], got["cluster"]))
            lo, cl = got["local"], got["cluster"]
            print(
                f"rep {rep + 1} ({order[0]} first, load {_load()}): wall local {lo['wall']:.2f} "
                f"s, cluster {cl['wall']:.2f} s; steady {1000 * lo['steady']:.1f} / "
                f"{1000 * cl['steady']:.1f} ms/trial; CPU {lo['cpu']:.2f} / {cl['cpu']:.2f} s",
                flush=True,
            )
    n = args.trials
    print(f"\n{n} trials of the lecture job at {EPOCHS} epochs, {args.repeats} reps, alternating")
    print("| median of the reps | local, 2 workers | Dask cluster, 2 workers | cluster / local "
          "(median of per-rep ratios, min–max) |")  # fmt: skip
    print("|---|---|---|---|")
    for key, name, unit, scale in (
        ("wall", "wall per trial", "ms", 1000 / n),
        ("steady", "steady s/trial (first to last trial)", "ms", 1000),
        ("cpu", "CPU per trial, all processes", "ms", 1000 / n),
    ):
        lo = statistics.median(r[0][key] for r in rows) * scale
        cl = statistics.median(r[1][key] for r in rows) * scale
        ratios = [r[1][key] / r[0][key] for r in rows]
        print(
            f"| {name} | {lo:.1f} {unit} | {cl:.1f} {unit} | {statistics.median(ratios):.2f} "
            f"({min(ratios):.2f}–{max(ratios):.2f}) |"
        )
    print(f"same final losses trial for trial: {same}")
    print(f"load after: {_load()}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
