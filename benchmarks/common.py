"""What every benchmark job shares: timing by medians, thread limits, the machine's description,
tables. Nothing here knows a model."""

from __future__ import annotations

import contextlib
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Peer:
    """One contender of a job: ``run(steps)`` trains and returns (final loss, extra dict)."""

    name: str
    run: Callable
    threads: int = 1
    steps: int | None = None  # overrides the job's step count (a peer too slow for all)


@dataclass
class Row:
    peer: str
    seconds: float  # median over the repeats, for ``steps`` steps
    steps: int
    loss: float = float("nan")
    extra: dict = field(default_factory=dict)
    note: str = ""

    @property
    def us_per_step(self) -> float:
        return self.seconds / self.steps * 1e6


@contextlib.contextmanager
def threads(n: int):
    """Limit BLAS/OpenMP pools (NumPy's and SciPy's OpenBLAS, OpenMP) and torch to n threads."""
    from threadpoolctl import threadpool_limits

    torch = sys.modules.get("torch")
    before = torch.get_num_threads() if torch is not None else None
    if torch is not None:
        torch.set_num_threads(n)
    with threadpool_limits(limits=n):
        yield
    if torch is not None and before is not None:
        torch.set_num_threads(before)


# Pause before each timed run: OpenBLAS and OpenMP worker threads spin for a while after
# their last call, and with several pools in one process (torch's, NumPy's and SciPy's) on a
# 2-core machine, the previous peer's spinning threads would slow the next peer down.
SETTLE_SECONDS = 0.3


def measure(peers: list[Peer], steps: int, repeats: int, warmup_steps: int) -> list[Row]:
    """Warm every peer up, then time them round-robin (drifting load hits all alike). Each
    round takes the peers in a new (seeded) order, so no peer always runs right after the
    same neighbour: torch's OpenMP workers and the OpenBLAS pools spin on for a while after
    their last call, which slowed whichever peer came next at 2 threads (fit with
    engine="auto" and engine="fused", the same engine, measured 0.76× and 1.08× torch when
    auto always followed torch)."""
    times: dict[str, list[float]] = {p.name: [] for p in peers}
    results: dict[str, tuple] = {}
    for p in peers:
        with threads(p.threads):
            p.run(min(warmup_steps, p.steps or steps))
    order = random.Random(0)
    for _ in range(repeats):
        for p in order.sample(peers, len(peers)):
            n = p.steps or steps
            with threads(p.threads):
                time.sleep(SETTLE_SECONDS)
                start = time.perf_counter()
                out = p.run(n)
                times[p.name].append(time.perf_counter() - start)
            results[p.name] = out
    rows = []
    for p in peers:
        loss, extra = results[p.name]
        rows.append(Row(p.name, statistics.median(times[p.name]), p.steps or steps, loss, extra))
    return rows


def python_snippet(code: str, env: dict | None = None, timeout: float = 600) -> str:
    """Run ``code`` in a fresh interpreter (with this checkout on the path); its stdout."""
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), str(ROOT / "src"), full_env.get("PYTHONPATH", "")]
    )
    full_env.update(env or {})
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"benchmark subprocess failed:\n{done.stderr[-2000:]}")
    return done.stdout


def have(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def version(module: str) -> str:
    try:
        from importlib.metadata import version as v

        return v(module)
    except Exception:
        return "not installed"


def machine() -> list[str]:
    """Machine, versions, thread counts and BLAS kernels (threadpoolctl), one line each."""
    lines = [
        f"machine: {platform.machine()}, {_cpu_name()}, {os.cpu_count()} logical CPUs, "
        f"{platform.system()} {platform.release()}",
        f"python {platform.python_version()}; numpy {version('numpy')}, torch {version('torch')}, "
        f"scikit-learn {version('scikit-learn')}, numba {version('numba')}, "
        f"scipy {version('scipy')}, jax {version('jax')}",
    ]
    try:
        from threadpoolctl import threadpool_info

        for pool in threadpool_info():
            where = Path(pool.get("filepath", "")).name
            lines.append(
                f"threadpool: {pool.get('internal_api')} {pool.get('version') or ''} "
                f"({pool.get('architecture', '-')}) {where}, {pool.get('num_threads')} threads"
            )
    except ImportError:
        lines.append("threadpoolctl not installed: BLAS kernels unknown")
    if have("torch"):
        import torch

        lines.append(
            f"torch: {torch.get_num_threads()} threads by default, MKL "
            f"{torch.backends.mkl.is_available()}, oneDNN {torch.backends.mkldnn.is_available()}"
        )
    return lines


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def table(rows: list[Row], reference: str | None, columns: list[tuple[str, Callable]]) -> str:
    """A Markdown table: peer, time, µs/step, the job's columns, × the reference peer."""
    ref = next((r for r in rows if r.peer == reference), None)
    head = ["peer", "time (s)", "µs/step", *[c[0] for c in columns], f"× {reference or '-'}"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        if ref is not None and r.seconds > 0:
            ratio = f"{ref.us_per_step / r.us_per_step:.2f}×"
        else:
            ratio = "-"
        cells = [r.peer, f"{r.seconds:.3f}", f"{r.us_per_step:.1f}"]
        cells += [c[1](r) for c in columns]
        cells.append(ratio)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
