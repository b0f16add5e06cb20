"""What the lecture's demo costs a fresh process, counted in modules (issue 13's cold start).

``backprop demo square --no-plots`` (1-8-8-1 ReLU, Adam, 10,000 epochs) is a short job: the
NumPy δ loop finishes it before numba could even load, so the process should pay for nothing
it does not use. What a fresh process imported is read from ``sys.modules`` in a subprocess
that runs the whole command (the default 10,000 epochs, so the end-of-run cautions run too).
No clocks here: the seconds are in benchmarks/user_paths.py.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

# Libraries the demo without plots never needs: plotting, the compiled kernel's toolchain
# (numba imports SciPy for its BLAS), NumPy's masked arrays (np.median imports them on its
# first call: ~18 ms), difflib (only a did-you-mean needs it).
NEVER = ("matplotlib", "numba", "llvmlite", "scipy", "numpy.ma", "difflib", "backprop.plots")


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """(modules loaded, stdout) of one fresh process running the demo with -v."""
    out = tmp_path_factory.mktemp("demo") / "run"
    probe = (
        "import sys, json\n"
        "from backprop.cli import main\n"
        f"code = main(['demo', 'square', '--no-plots', '-v', '--out', {str(out)!r}])\n"
        "print('MODULES ' + json.dumps(sorted(sys.modules)))\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    last = done.stdout.splitlines()[-1]
    assert last.startswith("MODULES "), done.stdout[-2000:]
    return set(json.loads(last.removeprefix("MODULES "))), done.stdout


@pytest.mark.parametrize("name", NEVER)
def test_demo_without_plots_never_imports(demo_run, name):
    loaded, _ = demo_run
    assert "backprop.train.cautions" in loaded  # the run reached its end-of-run checks
    assert name not in loaded, f"demo square --no-plots imported {name}"


def test_demo_says_which_engine_ran_and_why(demo_run):
    _, stdout = demo_run
    said = [line for line in stdout.splitlines() if line.startswith("engine:")]
    assert said, stdout[-2000:]
    assert said[-1].startswith("engine: delta (NumPy): short run"), said


@pytest.mark.parametrize("n", [1, 2, 3, 4, 25, 100, 101, 1000])
def test_median_is_numpys(n):
    """The cautions' median is np.median's value, bit for bit (np.median is the reference,
    the one the cautions used before), odd and even lengths, ties included."""
    from backprop.train.cautions import median

    rng = np.random.default_rng(n)
    for values in (rng.standard_normal(n) * 10.0 ** rng.integers(-8, 8), rng.integers(0, 3, n)):
        values = values.astype(np.float64)
        assert median(values) == float(np.median(values))
        assert median(values[::-1]) == float(np.median(values))
