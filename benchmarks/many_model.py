"""The many-model kernel (issue 18): K trials of one configuration trained at once.

Through the public path: ``backprop.sweep(spec, seeds=K, workers=1)`` with its default chunk
(the driver's own choice, as a user gets it; ``--chunk K`` gives every trial to one chunk,
the method before session 27) and the trials of a chunk batched (``sweep.batch``, the
default) against the same sweep with batching off
(``sweep.batch.MIN_GROUP`` set beyond K: every trial alone, as before), alternating in one
process, median of ``repeats``; seconds per trial and their ratio (target ≥ 2× on the
lecture job). Beside it, labelled INTERNAL: the kernel alone — ``fused_many.train_many`` on
the K trials' captured inputs against the one-run kernel (``fused_kernels.train_loop``) on
each — as µs per model-step. And the per-trial overhead of the sweep path outside the
kernel (target ≤ 5 ms): a trial's seconds minus its kernel seconds, batched and alone. The
sweep batches a configuration's trials in whole eights (the kernel's lanes) and runs the
rest alone; the INTERNAL many-model figure is over those whole eights.

Jobs: the lecture's (1-8-8-1 ReLU, Adam 0.1, 10,000 epochs, 100 points: its middle layer
goes to BLAS in the one-run kernel) and a narrow one whose layers all run in lanes
(1-4-4-1 tanh on |x − 1|). Times are CPU seconds of this process (the sweep runs in it:
``workers=1``), which a shared machine's load disturbs less than wall time; the load is
printed with the figures.

Run: ``python -m benchmarks.many_model [--ks 10,20,50] [--repeats 5] [--epochs 10000]
[--jobs lecture]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

JOBS = {
    "lecture 1-8-8-1 relu": {},
    "narrow 1-4-4-1 tanh, |x-1|": {
        "data": {"name": "abs", "n": 100},
        "model": {"sizes": [1, 4, 4, 1], "activation": "tanh"},
    },
}


def _spec(job: str, epochs: int) -> dict:
    from backprop import spec as specs

    spec = specs.normalize(specs.builtin("square"))
    spec.update(JOBS[job], epochs=epochs, engine="fused")
    return specs.normalize(spec)


def _sweep(spec: dict, k: int, batched: bool, chunk: int | None = None) -> float:
    """CPU seconds per trial of a K-seed sweep through backprop.sweep (in this process)."""
    import backprop
    from backprop.sweep import batch

    batch.MIN_GROUP = 2 if batched else 10**9
    start = time.process_time()
    results = backprop.sweep(spec, seeds=k, workers=1, chunk=chunk)
    seconds = time.process_time() - start
    assert sum(row.done for row in results) == k
    return seconds / k


def _kernels(spec: dict, k: int) -> tuple[float, float]:
    """INTERNAL: µs per model-step of train_many on the K captured calls, and of the one-run
    kernel on each call (one BLAS thread, as the loop runs)."""
    import numpy as np

    from backprop.delta import fused_many
    from backprop.delta.fused_kernels import train_loop
    from backprop.delta.fused_policy import _one_blas_thread
    from backprop.sweep.trial import run_trial

    n = spec["epochs"]
    calls = [fused_many.capture(lambda s=s: run_trial({**spec, "seed": s})) for s in range(k)]
    whole = k - k % fused_many.lanes()  # as the sweep batches: whole eights, the rest alone
    start = time.process_time()
    fused_many.train_many(calls[:whole], n)
    many = time.process_time() - start
    start = time.process_time()
    with _one_blas_thread():
        for call in calls:
            a = {key: (v.copy() if isinstance(v, np.ndarray) else v) for key, v in call.items()}
            a["n_steps"], a["losses"] = n, np.empty(n)
            train_loop(*[a[name] for name in fused_many.ARGS])
    one = time.process_time() - start
    return many / (whole * n) * 1e6, one / (k * n) * 1e6


def _load() -> str:
    with open("/proc/loadavg") as file:
        return " ".join(file.read().split()[:3])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ks", default="10,20,50")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=10_000)
    parser.add_argument("--jobs", default="", help="only the jobs whose name starts so")
    parser.add_argument("--chunk", default="default", help="'default' (the sweep's) or 'k'")
    args = parser.parse_args(argv)
    ks = [int(v) for v in args.ks.split(",")]
    from backprop.delta import fused_many

    fused_many.COLD_COMPILE_SECONDS = 0.0  # compile (once) even on a cold cache
    print(f"load before: {_load()}")
    for job in [j for j in JOBS if j.startswith(args.jobs)]:
        spec = _spec(job, args.epochs)
        _sweep({**spec, "epochs": 20}, 8, True)  # compile / load everything once
        _kernels({**spec, "epochs": 20}, 8)
        print(f"\n### {job}, {args.epochs} epochs, full batch of 100, float32\n")
        print(
            "| K | sweep, batched: s/trial | sweep, alone: s/trial | × (public path) "
            "| INTERNAL many-model kernel µs/model-step | INTERNAL one-run kernel µs/step "
            "| × (INTERNAL) | overhead/trial batched ms | overhead/trial alone ms |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for k in ks:
            rows = {"batched": [], "alone": [], "many": [], "one": []}
            for _ in range(args.repeats):
                chunk = k if args.chunk == "k" else None
                rows["batched"].append(_sweep(spec, k, True, chunk))
                rows["alone"].append(_sweep(spec, k, False, chunk))
                many, one = _kernels(spec, k)
                rows["many"].append(many)
                rows["one"].append(one)
            med = {key: statistics.median(v) for key, v in rows.items()}
            steps, whole = args.epochs, k - k % fused_many.lanes()
            kernel = (med["many"] * whole + med["one"] * (k - whole)) * steps / 1e6 / k
            over_b = (med["batched"] - kernel) * 1e3
            over_a = (med["alone"] - med["one"] * steps / 1e6) * 1e3
            print(
                f"| {k} | {med['batched']:.4f} | {med['alone']:.4f} | "
                f"{med['alone'] / med['batched']:.2f}× | {med['many']:.2f} | {med['one']:.2f} | "
                f"{med['one'] / med['many']:.2f}× | {over_b:.1f} | {over_a:.1f} |",
                flush=True,
            )
    print(f"\nload after: {_load()}")
    print(json.dumps({"repeats": args.repeats, "ks": ks, "chunk": args.chunk}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
