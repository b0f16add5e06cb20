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


def _after_main(tmp_path, call: str) -> dict:
    """What a fresh process holds after ``call`` ran the demo (3 epochs): the objects the
    collector would still trace, and whether an atexit handler and the files came through."""
    flag = tmp_path / "atexit-ran"
    probe = (
        "import atexit, gc, json, sys\n"
        f"atexit.register(lambda: open({str(flag)!r}, 'w').close())\n"
        "from backprop.cli import main\n"
        f"out = {str(tmp_path / 'run')!r}\n"
        "sys.argv = ['backprop', 'demo', 'square', '--no-plots', '--epochs', '3', '-q', "
        "'--out', out]\n"
        f"code = {call}\n"
        "print('HEAP ' + json.dumps({'frozen': gc.get_freeze_count(), "
        "'traced': len(gc.get_objects()), 'code': code}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=300
    )
    heap = json.loads(done.stdout.splitlines()[-1].removeprefix("HEAP "))
    heap["atexit"] = flag.exists()
    heap["files"] = sorted(p.name for p in (tmp_path / "run").iterdir())
    return heap


def test_the_console_command_leaves_its_heap_to_the_exit(tmp_path):
    """main() as the console script calls it (no argv) freezes the collector's heap: the
    interpreter's exit does not trace the run's objects again; atexit handlers still run
    and the run's files are whole."""
    heap = _after_main(tmp_path, "main()")
    assert heap["code"] == 0
    assert heap["traced"] < heap["frozen"] / 10, heap  # almost nothing left to trace
    assert heap["atexit"]
    assert {"model.safetensors", "spec.json", "history.csv"} <= set(heap["files"]), heap


def test_a_caller_that_passes_argv_keeps_a_collectable_heap(tmp_path):
    heap = _after_main(tmp_path, "main(sys.argv[1:])")
    assert heap["code"] == 0
    assert heap["frozen"] == 0, heap
    assert heap["atexit"]
