"""Shared test fixtures: a fresh seed and the default dtype restored around every test; the
``slow`` mark on the attack suites and the browser tests (``python -m pytest -m "not slow"``
is the quick subset; CI runs everything)."""

from pathlib import Path

import numpy as np
import pytest

import backprop


@pytest.fixture(autouse=True)
def _isolate_global_state():
    backprop.manual_seed(0)
    dtype = backprop.get_default_dtype()
    yield
    backprop.set_default_dtype(dtype)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


# The attack suites (tests/reliability/: many subprocesses, files, servers) and the real
# browser's tests: a third of the suite's cases and most of its time. The quick subset
# leaves them out; CI and `python -m pytest` run them.
SLOW = (
    "reliability",
    "test_playground_browser.py",
    "test_playground_browser_page.py",
    "test_playground_browser_editor.py",
    "test_playground_browser_layout.py",
    "test_playground_browser_layout2.py",
    "test_playground_lessons_browser.py",
    "test_playground_browser_attacked.py",
    "test_playground_browser_teacher.py",
    "test_playground_browser_teacher_layout.py",
    "test_playground_browser_trial2.py",
    "test_playground_browser_trial3.py",
    "test_playground_browser_trial4.py",
    "test_playground_browser_teacher9.py",
    "test_playground_browser_trial5.py",
    "test_playground_browser_trial5_attack.py",
    "test_playground_browser_trial6.py",
    "test_playground_teacher6.py",  # the sixth teacher's layout and lesson-link findings
    "test_playground_browser_attack6.py",
    "test_playground_browser_attack8.py",
    "test_playground_teacher8.py",  # the seventh teacher's page findings, in Chromium
    "test_playground_server_training.py",  # paced training tabs: seconds each
    "test_ddp.py",  # two gloo processes
    "test_io_kill.py",  # SIGKILL during saves
    "test_sweep_kill.py",  # SIGKILL 20 times during a sweep, two sweeps on one database
    "test_sweep_cluster.py",  # a local Dask cluster of two workers, deadlines: ~1 min
    "test_notebooks.py",  # the lecture's notebooks, each in a fresh kernel: ~30 s
    "test_docs_site.py",  # mkdocs build --strict, the notebooks executed: 1-2 min
    "test_playground_widget_lab.py",  # a real JupyterLab and Chromium: ~25 s
    "test_display_browser.py",  # the trace's HTML in chromium, with and without MathJax
    "test_display_kernel.py",  # fit's notebook bar in a real kernel (nbclient)
    "test_sweep_progress_kernel.py",  # sweep's notebook bar in a real kernel (nbclient)
    "test_tracebacks_kernel.py",  # a user mistake's short traceback in a real kernel
    "test_notebook_trial6.py",  # notebooks run out of order in real kernels (nbclient)
)
# single tests of several seconds each: a cold numba compile, the lecture's 10,000-epoch run
# beside torch's
SLOW_TESTS = (
    "test_compiled_numbers_do_not_depend_on_a_warm_cache",
    "test_square_fit_trains_and_predicts_fresh_points",
)


# Tests that judge the playground server's latency (a ping's p99 under a flood, answers
# while ten tabs train, a paced tab's rate): with two test workers (addopts -n 2) the other
# worker's tests take the second core, and these failed beside it (p99 0.68 s against 0.25 s).
# Each runs ALONE: the other worker waits between its tests until it is done (``_alone``).
ALONE = (
    "test_playground_flood.py",
    "test_playground_load.py",
    "test_playground_hostile.py",
    "test_playground_server_training.py",
    "test_playground_server_curves.py",
    "test_playground_inbox.py",
)


def pytest_collection_modifyitems(config, items):
    for item in items:
        parts = Path(str(item.fspath)).parts
        if any(part in parts for part in SLOW) or item.originalname in SLOW_TESTS:
            item.add_marker(pytest.mark.slow)
        if parts[-1] in ALONE:
            item.add_marker(pytest.mark.alone)


@pytest.fixture(autouse=True)
def _alone(request, tmp_path_factory):
    """Under pytest-xdist, every test holds a shared lock on one file of the run's temporary
    root while it runs, and an ``alone`` test an exclusive one: it starts when the other
    workers' tests have ended and they start their next when it has (flock: the kernel
    releases it if a worker dies). Without workers, nothing."""
    if not hasattr(request.config, "workerinput"):
        yield
        return
    import fcntl

    root = tmp_path_factory.getbasetemp().parent  # one folder for all workers of this run
    mode = fcntl.LOCK_EX if request.node.get_closest_marker("alone") else fcntl.LOCK_SH
    with open(root / "backprop-alone.lock", "a") as handle:
        fcntl.flock(handle, mode)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def done_db(tmp_path_factory):
    """A finished two-trial regression sweep's database, made once (tests/sweep_helpers.py:
    ``edited`` copies it before a test changes it)."""
    from sweep_helpers import GRID, SMALL

    db = tmp_path_factory.mktemp("done") / "done.db"
    backprop.sweep(SMALL, GRID, seeds=1, workers=1, db=db)
    return db


@pytest.fixture(scope="session")
def square_model_file(tmp_path_factory):
    """A small trained square model (no input scaler), saved by the CLI: made once."""
    from cli_helpers import cli

    work = tmp_path_factory.mktemp("square-model")
    code, _, err = cli("train", "square", "--epochs", "30", "--out", "r", "--no-plots", "-q",
                       cwd=work)  # fmt: skip
    assert code == 0, err
    return work / "r" / "model.safetensors"
