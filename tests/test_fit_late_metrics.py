"""fit's last full-set measurement taken on first read (History.measure_later).

A run that no callback watches ends without the pass over the whole training set; the
history measures it when first read, with the weights the run ended with, and gives the
numbers the eager pass gives (the reference: the same run with a callback that reads the
last epoch's logs, which keeps the pass at the run's end). The accuracy-at-chance caution
counts only as many rows as it needs, and still fires on a run at chance.
"""

from __future__ import annotations

import copy
import pickle
import warnings

import numpy as np
import pytest

import backprop as bp
from backprop import nn, optim
from backprop.delta import engine as delta_engine
from backprop.errors import PoorFitWarning
from backprop.train import Callback, fit
from backprop.train.engines import evaluator, mlp_layers


class _Reads(Callback):
    """Reads the last epoch's logs: fit measures it at the run's end, as before."""

    def next_epoch(self, state):
        return state.epochs

    def on_epoch_end(self, state):
        self.logs = dict(state.logs)


def _data(task, n=600, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 5)).astype(np.float32)
    if task == "classification":
        y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.int64) + (x[:, 2] > 1).astype(np.int64)
        return x, y, [5, 16, 3], nn.CrossEntropyLoss()
    y = (x[:, :1] ** 2 + x[:, 1:2]).astype(np.float32)
    return x, y, [5, 16, 1], nn.MSELoss()


def _run(task, callbacks=(), epochs=30, engine="delta"):
    x, y, sizes, loss = _data(task)
    bp.manual_seed(3)
    model = nn.MLP(sizes, activation="tanh")
    adam = optim.Adam(model.parameters(), lr=0.01)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PoorFitWarning)
        history = fit(model, (x, y), loss, adam, epochs, 64, callbacks=callbacks, engine=engine)
    return model, history


def _without_time(history):
    d = history.to_dict()
    d["history"].pop("time")
    return d


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_late_measurement_gives_the_eager_numbers(task):
    _, late = _run(task)
    # nobody read it yet: the pass was not run at the end (r² < 0 cannot be ruled out
    # without it, so the regression run's caution measured it)
    assert late.measured_later == (task == "classification")
    _, eager = _run(task, [_Reads()])
    assert late["loss"] == eager["loss"] and late.last("lr") == 0.01
    assert late.epochs_of("time") == list(range(1, 31))
    assert late.measured_later == (task == "classification")  # the run's own columns
    assert not eager.measured_later
    assert _without_time(late) == _without_time(eager)
    assert not late.measured_later


def test_a_good_fit_does_not_pay_the_whole_pass(monkeypatch):
    seen = []
    real = delta_engine.output_rows

    def counting(net, x, scratch):
        seen.append(len(x))
        return real(net, x, scratch)

    monkeypatch.setattr(delta_engine, "output_rows", counting)
    _, history = _run("classification")
    x = _data("classification")[0]
    assert history.measured_later
    assert sum(seen) == 0  # the caution took the engine's count of its last epoch
    seen.clear()
    assert history["accuracy"][-1] > 0.8
    assert sum(seen) == len(x)  # the read measured the whole set, once


def test_the_read_uses_the_weights_the_run_ended_with():
    model, late = _run("classification")
    _, eager = _run("classification", [_Reads()])
    before = [p.numpy(force=True).copy() for p in model.parameters()]
    with bp.no_grad():
        for p in model.parameters():
            p.mul_(0.0)  # the model changes after fit, before the history is read
    assert late["accuracy"] == eager["accuracy"]
    for p in model.parameters():  # and the model is left as the user made it
        assert not np.any(p.numpy(force=True))
    assert any(np.any(b) for b in before)


def test_pickle_and_copy_take_the_measurement():
    _, eager = _run("classification", [_Reads()])
    for clone in (
        lambda h: pickle.loads(pickle.dumps(h)),
        copy.deepcopy,
        copy.copy,
    ):
        _, late = _run("classification")
        assert _without_time(clone(late)) == _without_time(eager)


def test_a_run_at_chance_still_cautions():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((400, 4)).astype(np.float32)
    y = (rng.random(400) < 0.1).astype(np.int64)  # 90 % class 0, labels unrelated to x
    bp.manual_seed(0)
    model = nn.MLP([4, 8, 2])
    sgd = optim.SGD(model.parameters(), lr=1e-4)  # learns nothing: answers class 0
    with pytest.warns(PoorFitWarning, match="no better than always answering"):
        history = fit(model, (x, y), nn.CrossEntropyLoss(), sgd, 3, 50)
    share = np.bincount(y).max() / len(y)
    assert history["accuracy"][-1] <= share


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_beyond_counts_as_the_whole_pass_does(seed):
    x, y, sizes, loss = _data("classification", n=3000, seed=seed)
    bp.manual_seed(seed)
    model = nn.MLP(sizes, activation="tanh")
    net = mlp_layers(model)
    from backprop import delta

    plan = delta.Plan(model, loss)
    evaluate = evaluator(model, loss, "cross_entropy", "classification", plan, False, 700)
    right = round(evaluate(x, y, "")["accuracy"] * len(x))
    assert net is not None and 0 < right < len(x)
    for most in (0, right - 1, right, right + 1, len(x) - 1):
        assert evaluate.beyond(x, y, most) == (right > most), most
