"""Reliability suite (issue 8): fast counts by default, full counts with ``--long``.

``python -m pytest tests/reliability --long`` or ``BACKPROP_LONG=1 python -m pytest ...``
selects the long counts. Each test prints what it tried and what happened (see with ``-s``).
"""

import os

import pytest


def pytest_addoption(parser):
    parser.addoption(
        "--long",
        action="store_true",
        default=False,
        help="reliability suite: run the full counts (also BACKPROP_LONG=1)",
    )


@pytest.fixture(scope="session")
def long_mode(request) -> bool:
    """True when the full counts were asked for (``--long`` or ``BACKPROP_LONG=1``)."""
    return bool(request.config.getoption("--long")) or os.environ.get("BACKPROP_LONG") == "1"


@pytest.fixture(scope="session")
def count(long_mode):
    """``count(fast, long)``: the number of cases to try in the current mode."""

    def pick(fast: int, long: int) -> int:
        return long if long_mode else fast

    return pick
