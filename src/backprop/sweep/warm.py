"""The compiled kernel, ready before a local sweep's first trial (once per machine).

A sweep settles each configuration's engine to the compiled loop (``planning._settle``), so
on a machine where numba never compiled it, each worker process compiled it inside its first
trial: about 10 s of CPU, a minute on a busy 2-core machine, with no word; the first
progress line came after it with an ETA of many minutes, and the trials that paid it showed
that minute as their seconds per trial. Here the driver compiles it once, in its own
process, before any worker starts and before the clock the progress and ETA read: it says so
first (how long, and that later runs start at once), then the workers load it from numba's
disk cache in well under a second. A cluster's workers are other machines: not done there.
"""

from __future__ import annotations

import json
import os
import sys
import time

# CPU seconds of a cold compile of the one-run kernel (measured: 10–11 s of user time on
# this project's 2-core machines, import included); the wall time grows with the load
CPU_SECONDS = 10.0


def _dtypes(store) -> set[str]:
    """The float types of the trials still to run on the compiled loop."""
    rows = store.db.execute(
        "SELECT spec FROM trial WHERE status = 'todo' GROUP BY config"
    ).fetchall()
    out = set()
    for (text,) in rows:
        try:
            spec = json.loads(text)
        except ValueError:
            continue
        if isinstance(spec, dict) and spec.get("engine") == "fused":
            out.add(str(spec.get("dtype", "float32")))
    return out


def expected_seconds() -> float:
    """Wall seconds a cold compile should take at this machine's load (≥ the CPU time)."""
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = 0.0
    cores = os.cpu_count() or 1
    return CPU_SECONDS * max(1.0, (load + 1) / cores)


def warm(store, say=None) -> float:
    """Compile (or load) the kernel for the store's trials if numba's disk cache lacks it;
    ``say`` (default: a line on stderr) hears what happens. Returns the seconds it took."""
    from ..delta import fused

    dtypes = _dtypes(store)
    if not dtypes or not fused.available():
        return 0.0
    cold = [d for d in sorted(dtypes) if fused.cache_state(d) == "cold"]
    if not cold:
        return 0.0
    say = say or _stderr
    say(
        "sweep: compiling the fast training kernel for this machine, once "
        f"(about {expected_seconds():.0f} s at this load); later runs start at once."
    )
    start = time.monotonic()
    fused.warm_up(tuple(cold))
    seconds = time.monotonic() - start
    say(f"sweep: kernel compiled in {seconds:.0f} s; the trials start now.")
    return seconds


def _stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)
