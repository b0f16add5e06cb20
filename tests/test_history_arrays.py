"""A history handed whole spans as NumPy arrays (train/records.py, issue 18's per-trial
overhead) keeps them as arrays until a list is read; what anyone reads is what the same
history fed lists gives: ``history["loss"]`` a list of floats, the same values, epochs,
files, pickles and cautions. The references are this project's list path (records'
``SMALL_SPAN`` raised past the run: every epoch summed and recorded in Python floats)."""

from __future__ import annotations

import copy
import pickle
import warnings

import numpy as np
import pytest

import backprop as bp
from backprop import fit, nn, optim
from backprop.train import cautions, poorfit, records
from backprop.train.history import History


def _pair(n: int = 500, seed: int = 0) -> tuple[History, History]:
    """(fed arrays, fed lists): the same loss, lr and time columns, in two spans."""
    rng = np.random.default_rng(seed)
    loss = np.exp(-np.arange(n) / 50) + rng.random(n) * 1e-3
    cut = n // 3
    fed = []
    for as_list in (False, True):
        h = History("fused")
        for lo, hi in ((0, cut), (cut, n)):
            columns = {
                "loss": loss[lo:hi].astype(np.float32),  # float32 losses, as a kernel's
                "lr": np.full(hi - lo, 0.1),
                "time": np.arange(lo + 1, hi + 1) / 7.0,
            }
            if as_list:
                columns = {key: values.tolist() for key, values in columns.items()}
            h.extend(range(lo + 1, hi + 1), columns)
        h.add_measured(n, {"r2": 0.5, "rmse": 0.25})
        fed.append(h)
    return fed[0], fed[1]


def test_arrays_are_kept_until_a_list_is_read():
    arrays, _ = _pair()
    assert arrays._arrays and arrays.history["loss"]  # kept; then listed on first read
    assert not arrays._arrays


def test_what_is_read_is_what_lists_give():
    arrays, lists = _pair()
    assert arrays.column("loss").dtype == np.float64
    assert arrays.column("loss").tolist() == lists["loss"]
    assert arrays.last("loss") == lists.last("loss") and arrays.names() == list(lists.history)
    assert arrays.epochs_of("r2") == lists.epochs_of("r2") == [500]
    for key in ("loss", "lr", "time"):
        assert type(arrays[key]) is list and all(type(v) is float for v in arrays[key])
        assert arrays[key] == lists[key]  # == on floats: the same bits
    assert arrays.history == lists.history and arrays.to_dict() == lists.to_dict()
    assert arrays.to_rows() == lists.to_rows() and repr(arrays) == repr(lists)


def test_pickle_copy_and_later_lists_keep_the_order():
    arrays, lists = _pair()
    again = pickle.loads(pickle.dumps(arrays))
    assert again.history == lists.history and copy.deepcopy(arrays).epochs == lists.epochs
    fresh, _ = _pair()
    fresh.extend([501], {"loss": [0.125], "lr": [0.1], "time": [99.0]})  # a list after arrays
    fresh.extend(range(502, 504), {"loss": np.array([0.5, 0.25]), "lr": np.full(2, 0.1),
                                   "time": np.array([100.0, 101.0])})  # fmt: skip
    assert fresh["loss"][-4:] == [lists["loss"][-1], 0.125, 0.5, 0.25]
    assert fresh.epochs[-4:] == [500, 501, 502, 503] and len(fresh["time"]) == 503


def test_the_history_setter_replaces_the_arrays():
    arrays, _ = _pair()
    arrays.history = {"loss": [1.0]}  # as train/backup.py restores one
    assert arrays.history == {"loss": [1.0]} and arrays.column("loss").tolist() == [1.0]


@pytest.mark.parametrize("curve", ["falling", "flat", "grew", "blew up"])
def test_cautions_say_the_same_on_arrays(curve):
    n = 400
    t = np.arange(n, dtype=np.float64)
    loss = {
        "falling": 1.0 - t / n,
        "flat": np.exp(-t / 20) + 0.1,
        "grew": 1.0 + t / n,
        "blew up": np.where(t == 37, 50.0, np.exp(-t / 20) + 0.1),
    }[curve]
    said = []
    for as_list in (False, True):
        h = History("fused")
        h.extend(range(1, n + 1), {"loss": loss.tolist() if as_list else loss.copy()})
        h.add_measured(n, {"r2": -0.5})
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fell = cautions.caution_still_falling(h)
            poor = poorfit.caution_poor_fit(h, "regression", np.zeros((4, 1)))
        said.append((fell, poor, [str(w.message) for w in caught]))
    assert said[0] == said[1] and said[0][1]


@pytest.mark.parametrize("engine", ["fused", "delta"])
def test_fit_records_the_list_paths_numbers(engine, monkeypatch):
    if engine == "fused":
        pytest.importorskip("numba")

    def run(small_span: int):
        monkeypatch.setattr(records, "SMALL_SPAN", small_span)
        bp.manual_seed(3)
        x = bp.linspace(-2, 2, 100).reshape(100, 1)
        model = nn.MLP([1, 8, 8, 1], activation="relu")
        opt = optim.Adam(model.parameters(), lr=0.1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fit(model, (x, x**2), nn.MSELoss(), opt, epochs=600, engine=engine,
                       batch_size=32)  # fmt: skip

    arrays, lists = run(0), run(10**9)
    assert type(arrays["loss"]) is list and all(type(v) is float for v in arrays["loss"])
    assert arrays["loss"] == lists["loss"] and arrays["lr"] == lists["lr"]
    assert arrays.epochs == lists.epochs == list(range(1, 601))
    assert arrays.history.keys() == lists.history.keys()
