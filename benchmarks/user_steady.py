"""The wide job's steady state: what ``fit`` costs per step once a run is long, and what it
costs once per run, apart.

The wide job is short (2 epochs × 50 steps), and ``fit`` does one thing a bare PyTorch loop
does not: after the last epoch it measures the full-set metrics the History, the poor-fit
warning and the CLI report (``accuracy`` on all 12,800 training rows: one forward pass, about
a sixth of the job's training FLOPs). So the same job is timed at ``job.epochs`` and at
``LONG × job.epochs`` epochs, both through the public path (``fit(engine="auto")``) and the
torch eager loop, round-robin in one process (``common.measure``). Then

- per step, steady state = (t_long − t_short) / (steps_long − steps_short): the run's fixed
  costs cancel;
- per run = t_short − steps_short × the steady per-step time: setup plus the final metrics.

Both are reported beside the short job's own ratio, which stays the headline figure.
"""

from __future__ import annotations

from . import user_jobs as uj
from .common import Peer, measure, threads

LONG = 3  # the long run has this many times the job's epochs


def steady_state(job: uj.Job, n: int, repeats: int) -> dict:
    """{'fit': (µs/step steady, ms/run), 'torch': (…), 'ratio': torch/fit steady} at n threads."""
    short, long = job.epochs, LONG * job.epochs
    peers = []
    runs = {"fit": uj.fit_path("auto")}
    try:
        import torch  # noqa: F401

        runs["torch"] = uj.torch_eager
    except ImportError:
        pass
    for name, run in runs.items():
        for epochs in (short, long):  # measure() hands each its own epoch count
            peers.append(Peer(f"{name} {epochs}", lambda e, r=run: r(job, e), n, epochs))
    with threads(n):
        rows = measure(peers, short, repeats, warmup_steps=1)
    seconds = {r.peer: r.seconds for r in rows}
    steps = job.steps_per_epoch
    out = {}
    for name in runs:
        t_short, t_long = seconds[f"{name} {short}"], seconds[f"{name} {long}"]
        per_step = (t_long - t_short) / ((long - short) * steps)
        out[name] = (per_step * 1e6, (t_short - short * steps * per_step) * 1e3)
    if "torch" in out:
        out["ratio"] = out["torch"][0] / out["fit"][0]
    out["epochs"] = (short, long)
    return out


def note(found: dict[int, dict]) -> str:
    """One line per thread count for the wide job's notes."""
    parts = []
    for n, s in found.items():
        fit_step, fit_run = s["fit"]
        plural = "s" if n > 1 else ""
        text = f"{n} thread{plural}: fit {fit_step:.0f} µs/step + {fit_run:.0f} ms/run"
        if "torch" in s:
            torch_step, torch_run = s["torch"]
            text += (
                f", torch eager {torch_step:.0f} µs/step + {torch_run:.0f} ms/run: "
                f"{s['ratio']:.2f}× per step"
            )
        parts.append(text)
    short, long = next(iter(found.values()))["epochs"]
    return (
        f"Steady state (runs of {short} and {long} epochs, µs/step from their difference; "
        "ms/run = the rest: setup, and for fit the full-set metrics after the last epoch, which "
        "the torch loop does not compute): " + "; ".join(parts) + "."
    )
