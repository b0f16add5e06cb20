"""Shared test fixtures: a fresh seed and the default dtype restored around every test."""

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
