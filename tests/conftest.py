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
SLOW = ("reliability", "test_playground_browser.py")


def pytest_collection_modifyitems(config, items):
    for item in items:
        parts = Path(str(item.fspath)).parts
        if any(part in parts for part in SLOW):
            item.add_marker(pytest.mark.slow)
