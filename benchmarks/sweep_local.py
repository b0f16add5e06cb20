"""A sweep on one machine (issue 18): 1,000 trials of the lecture job through backprop.sweep.

The lecture job: the built-in ``square`` spec — 1-8-8-1 ReLU, Adam 0.1, MSE, full batch of
100 points, 10,000 epochs — one trial per seed. Three figures:

1. **The sweep**: ``backprop.sweep("square", seeds=N, workers=cpu_count, db=...)`` end to
   end, wall clock — worker start-up, numba's load in each worker, the SQLite store (WAL,
   one row per trial with its 10,000 losses) included. Target: 1,000 trials ≤ 60 s on a
   2-core machine.
2. **Per-trial overhead outside the training**: in one process, side by side, alternating,
   median of ``repeats``: K trials through ``backprop.sweep(workers=1)`` (claim, build the
   spec's data and model, fit, pack the history, write the row) against K runs of the bare
   compiled kernel (``delta.fused.train``, the same job's 10,000 steps on ready arrays).
   Overhead = the difference per trial. Target ≤ 5 ms.
3. **A plain PyTorch loop** (the lecture's own: ``zero_grad; loss; backward; step``, one
   thread) on a sample of trials, alternating with the same trials through the sweep in one
   process: the ratio of seconds per trial (target ≥ 20×), and the PyTorch sweep's estimated
   wall time on this machine's cores.

Run: ``python -m benchmarks.sweep_local [--trials 1000] [--sample 3] [--repeats 5]``.
Timings on a shared machine are noisy: the machine's load is printed with the figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

EPOCHS = 10_000


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the sweep's workers)."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _sweep(seeds, workers: int, db) -> tuple[float, object]:
    import backprop

    start = time.perf_counter()
    results = backprop.sweep("square", seeds=seeds, workers=workers, db=db)
    return time.perf_counter() - start, results


def _whole(trials: int, workers: int, db) -> tuple[float, float, object]:
    """Figure 1: wall and CPU seconds (workers included) of the whole sweep."""
    cpu = _cpu()
    wall, results = _sweep(trials, workers, db)
    return wall, _cpu() - cpu, results


def _kernel_runs(seeds) -> float:
    """The compiled kernel alone on each seed's data and weights, as the trial builds them."""
    import backprop
    from backprop.delta import fused

    total = 0.0
    for seed in seeds:
        spec = backprop.spec.builtin("square")
        spec["seed"] = seed
        ready = backprop.spec.prepare(spec)
        x, y = ready.dataset.x, ready.dataset.y
        start = time.perf_counter()
        fused.train(ready.net, ready.loss, ready.optimizer, x, y, EPOCHS)
        total += time.perf_counter() - start
    return total


def _torch_runs(seeds) -> float:
    """The lecture's loop in PyTorch (one thread) on each seed's data and initial weights."""
    import numpy as np
    import torch

    import backprop

    torch.set_num_threads(1)
    total = 0.0
    for seed in seeds:
        spec = backprop.spec.builtin("square")
        spec["seed"] = seed
        ready = backprop.spec.prepare(spec)
        start = time.perf_counter()
        tx = torch.from_numpy(np.asarray(ready.dataset.x, dtype=np.float32).copy())
        ty = torch.from_numpy(np.asarray(ready.dataset.y, dtype=np.float32).copy())
        model = torch.nn.Sequential(
            torch.nn.Linear(1, 8),
            torch.nn.ReLU(),
            torch.nn.Linear(8, 8),
            torch.nn.ReLU(),
            torch.nn.Linear(8, 1),
        )
        model.load_state_dict(
            {
                k: torch.from_numpy(v.numpy(force=True).copy())
                for k, v in ready.net.state_dict().items()
            }
        )
        adam = torch.optim.Adam(model.parameters(), lr=0.1)
        mse = torch.nn.MSELoss()
        for _ in range(EPOCHS):
            adam.zero_grad()
            loss = mse(model(tx), ty)
            loss.backward()
            adam.step()
        total += time.perf_counter() - start
    return total


def _load() -> str:
    with open("/proc/loadavg") as f:
        return f.read().strip()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--overhead-trials", type=int, default=20)
    parser.add_argument("--sample", type=int, default=3, help="trials timed in PyTorch")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sweep-only", action="store_true", help="only figure 1")
    args = parser.parse_args(argv)
    workers = os.cpu_count() or 1
    folder = tempfile.TemporaryDirectory()
    print(f"machine: {workers} cores; load before: {_load()}")

    if args.sweep_only:
        wall, cpu, _ = _whole(args.trials, workers, os.path.join(folder.name, "sweep.db"))
        print(
            f"sweep: {args.trials} trials on {workers} workers in {wall:.1f} s; "
            f"{cpu:.1f} CPU s ({cpu / args.trials * 1e3:.1f} ms a trial): on {workers} idle "
            f"cores ≈ {cpu / workers:.1f} s"
        )
        print(f"load after: {_load()}")
        return 0

    # 2. per-trial overhead, in this process: sweep(workers=1) against the bare kernel, and
    # within each trial: its wall time against the training time fit recorded (history time)
    _sweep([0], 1, None)  # warm: numba's kernel loaded in this process
    k = args.overhead_trials
    swept, bare, driver, trial, inside = [], [], [], [], []
    for r in range(args.repeats):
        seeds = list(range(1000 + r * k, 1000 + (r + 1) * k))
        db = os.path.join(folder.name, f"overhead{r}.db")
        wall, results = _sweep(seeds, 1, db)
        swept.append(wall / k)
        bare.append(_kernel_runs(seeds) / k)
        rows = results.trials
        trial.append(statistics.fmean(t["seconds"] for t in rows))
        inside.append(statistics.fmean(t["seconds"] - t["train_seconds"] for t in rows))
        stamps = sorted(t["finished"] for t in rows)  # rows written, one by one
        driver.append(
            (stamps[-1] - stamps[0]) / (k - 1) - statistics.fmean(t["seconds"] for t in rows[1:])
        )
    overhead = [s - b for s, b in zip(swept, bare)]
    ms = lambda values: f"{statistics.median(values) * 1e3:.2f} ms"  # noqa: E731
    print(
        f"per trial, {k} trials x {args.repeats} repeats (medians): through backprop.sweep "
        f"{ms(swept)}, bare kernel {ms(bare)}: overhead {ms(overhead)} (target <= 5 ms)"
    )
    print(
        f"  the same, measured inside each trial: {ms(inside)} in the trial outside fit's "
        f"epochs (spec, data, model, fit's set-up and history, packing) + {ms(driver)} in "
        "the driver (claims, SQLite writes)"
    )

    # 3. PyTorch's plain loop on a sample, alternating with the same trials through the sweep
    ours, theirs = [], []
    for r in range(args.repeats):
        seeds = list(range(2000 + r * args.sample, 2000 + (r + 1) * args.sample))
        db = os.path.join(folder.name, f"torch{r}.db")
        ours.append(_sweep(seeds, 1, db)[0] / len(seeds))
        theirs.append(_torch_runs(seeds) / len(seeds))
    ratio = statistics.median(t / o for t, o in zip(theirs, ours))
    print(
        f"per trial, one process (median of {args.repeats}): PyTorch loop "
        f"{statistics.median(theirs):.3f} s, backprop.sweep {statistics.median(ours):.4f} s: "
        f"{ratio:.0f}x (target >= 20x)"
    )

    # 1. the whole sweep, on every core
    db = os.path.join(folder.name, "sweep.db")
    wall, cpu, results = _whole(args.trials, workers, db)
    row = results.rows[0]
    size = os.path.getsize(db) / 1e6
    torch_wall = statistics.median(theirs) * args.trials / workers
    print(
        f"sweep: {args.trials} trials on {workers} workers in {wall:.1f} s "
        f"({wall / args.trials * 1e3:.1f} ms per trial; target <= 60 s for 1,000); final loss "
        f"{row.mean:.4g} ± {row.std:.3g}, median {row.median:.4g}; database {size:.1f} MB"
    )
    print(
        f"  {cpu:.1f} CPU s in all ({cpu / args.trials * 1e3:.1f} ms a trial, workers "
        f"included): on {workers} idle cores ≈ {cpu / workers:.1f} s"
    )
    print(
        f"the same sweep as a plain PyTorch loop, estimated on {workers} cores: "
        f"{torch_wall:.0f} s ({torch_wall / wall:.0f}x the sweep's wall time)"
    )
    print(f"load after: {_load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
