"""Fixed costs: import time, autograd's per-op overhead, and peak memory of the wide job.

- ``import``: ``import X`` timed inside fresh interpreters (median), for backprop, torch and
  scikit-learn's MLP module; plus the wall time of ``python -c "import backprop"`` against
  ``python -c "pass"``.
- ``autograd``: a chain of 20 elementwise ops on a (4,)-tensor, forward + backward (plus the
  final sum), per op; backprop against PyTorch (1 thread).
- ``memory``: peak resident memory (VmHWM, Linux) of a fresh process running 10 wide-job steps,
  and its growth over the same process right after imports and data.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time

from .common import Peer, Row, have, measure, python_snippet

CHAIN = 20


def _import_time(module: str, runs: int) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    return statistics.median(float(python_snippet(code)) for _ in range(runs))


def _wall(code: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run_import(quick: bool = False, repeats: int = 5) -> dict:
    runs = 2 if quick else max(repeats, 5)
    rows = []
    for label, module in (
        ("backprop", "backprop"),
        ("torch", "torch"),
        ("scikit-learn (sklearn.neural_network)", "sklearn.neural_network"),
        ("numba", "numba"),
    ):
        if have(module.split(".")[0]):
            rows.append(Row(label, _import_time(module, runs), 1))
    startup = _wall("pass", runs)
    whole = _wall("import backprop", runs)
    notes = [
        f'`python -c "import backprop"`: {whole:.3f} s wall, of which {startup:.3f} s is the '
        f"interpreter's own start (`python -c pass`); backprop's import itself: "
        f"{rows[0].seconds:.3f} s."
    ]
    return {
        "job": "import",
        "title": "import time (in a fresh interpreter, median)",
        "rows": rows,
        "notes": notes,
        "reference": "torch",
        "per_step": False,
    }


def _chain_backprop(steps: int):
    import backprop as bp

    x = bp.tensor([0.1, 0.2, 0.3, 0.4], requires_grad=True)
    for _ in range(steps):
        y = x
        for i in range(CHAIN // 4):
            y = y * 1.01
            y = y + 0.1
            y = y.tanh()
            y = y - 0.01 * i
        y.sum().backward()
    return float(x.grad._data.sum()), {}


def _chain_torch(steps: int):
    import torch

    x = torch.tensor([0.1, 0.2, 0.3, 0.4], requires_grad=True)
    for _ in range(steps):
        y = x
        for i in range(CHAIN // 4):
            y = y * 1.01
            y = y + 0.1
            y = y.tanh()
            y = y - 0.01 * i
        y.sum().backward()
    return float(x.grad.sum()), {}


def run_autograd(quick: bool = False, repeats: int = 5) -> dict:
    steps = 200 if quick else 2000
    contenders = [Peer("backprop autograd", _chain_backprop, 1)]
    if have("torch"):
        contenders.insert(0, Peer("torch eager (1 thread)", _chain_torch, 1))
    rows = measure(contenders, steps, repeats, warmup_steps=50)
    for r in rows:
        r.extra["us_per_op"] = r.us_per_step / (CHAIN + 1)
    return {
        "job": "autograd",
        "title": f"autograd overhead: {CHAIN} elementwise ops on a (4,) tensor + sum, forward "
        f"and backward; {steps} chains",
        "rows": rows,
        "notes": ["µs/op = µs per chain / 21 (20 ops + the sum), forward and backward together."],
        "reference": "torch eager (1 thread)",
    }


# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across fork + exec.
_MEMORY = """
import json
from benchmarks import wide
import numpy as np
{prelude}
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
x, y = wide._data()
base = hwm()
wide.{runner}(10)
print(json.dumps({{"base": base, "peak": hwm()}}))
"""


def run_memory(quick: bool = False, repeats: int = 5) -> dict:
    runs = 1 if quick else 3
    cases = [("backprop δ-engine (NumPy)", "run_delta", "import backprop")]
    if have("numba"):
        cases.append(
            (
                "backprop fused",
                "run_fused",
                "import backprop\nfrom backprop.delta import fused\nfused.warm_up((np.float32,))",
            )
        )
    if have("torch"):
        cases.insert(0, ("torch eager", "run_torch", "import torch"))
    rows = []
    for label, runner, prelude in cases:
        samples = [
            json.loads(python_snippet(_MEMORY.format(prelude=prelude, runner=runner)))
            for _ in range(runs)
        ]
        peak = statistics.median(s["peak"] for s in samples)
        base = statistics.median(s["base"] for s in samples)
        rows.append(Row(label, 0.0, 1, extra={"peak_mb": peak, "growth_mb": peak - base}))
    return {
        "job": "memory",
        "title": "memory: peak RSS of a fresh process running 10 steps of the wide job",
        "rows": rows,
        "notes": ["growth = peak minus the RSS after imports and data (the training's own)."],
        "reference": "torch eager",
        "per_step": False,
    }
