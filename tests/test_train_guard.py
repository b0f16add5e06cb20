"""fit's guards: bad data and arguments refused before any training step, and the NaN
guard that stops a run at the exact batch where the loss or a gradient stops being finite."""

import math
from types import SimpleNamespace

import numpy as np
import pytest

import backprop as bp
from backprop import nn, optim
from backprop.autograd import Function
from backprop.errors import ConfigError, DataError, ShapeError
from backprop.train import Callback, TrainingStopped, fit
from train_helpers import lecture_data, mlp64, seeded, train, weights

# ------------------------------------------------------------------ bad input


def _bad_cases():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(20, 2)), rng.integers(0, 3, 20)
    nan_x = x.copy()
    nan_x[3, 1] = np.nan
    inf_xv = x[:5].copy()
    inf_xv[2, 0] = np.inf
    return {
        "NaN in x": ((nan_x, y), {}, DataError, "row 3, column 1"),
        "x too wide": ((np.c_[x, x[:, :1]], y), {}, ShapeError, "3 features.*expects 2"),
        "rows differ": ((x, y[:19]), {}, ShapeError, "20 rows.*19 rows"),
        "empty": ((x[:0], y[:0]), {}, DataError, "no rows"),
        "1-D x": ((x[:, 0], y), {}, DataError, "2-D"),
        "text x": ((x.astype(str), y), {}, DataError, "not numbers"),
        "class too big": ((x, np.r_[y[:-1], 3]), {}, DataError, "row 19 is class 3.*3 outputs"),
        "class not whole": ((x, np.r_[y[:-1], 0.5]), {}, DataError, "row 19"),
        "inf in x_val": ((x, y), {"validation": (inf_xv, y[:5])}, DataError, "x_val at row 2"),
    }


@pytest.mark.parametrize("case", list(_bad_cases()))
def test_bad_data_is_refused_before_any_training_step(case):
    data, options, error, message = _bad_cases()[case]
    model = seeded(lambda: mlp64([2, 5, 3]))
    before = weights(model)
    opt = optim.Adam(model.parameters(), lr=0.1)
    with pytest.raises(error, match=message):
        fit(model, data, nn.CrossEntropyLoss(), opt, 3, **options)
    assert opt.state == {}
    assert all(np.array_equal(a, b) for a, b in zip(before, weights(model)))


def test_wrong_targets_for_regression_and_wrong_arguments():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(10, 2))
    model = seeded(lambda: mlp64([2, 3, 1]))
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ShapeError, match="1 outputs"):
        fit(model, (x, x), "mse", opt)
    with pytest.raises(DataError, match="row 4"):
        y = np.ones(10)
        y[4] = np.nan
        fit(model, (x, y), "mse", opt)
    regression = SimpleNamespace(name="r", task="regression", x=x, y=x[:, :1])
    with pytest.raises(ConfigError, match="regression task"):
        fit(model, regression, "bce_with_logits", opt)
    for kwargs, message in (
        ({"epochs": -1}, "epochs"),
        ({"batch_size": 0}, "batch_size"),
        ({"engine": "fast"}, "engine"),
        ({"guard": "yes"}, "guard"),
    ):
        with pytest.raises(ConfigError, match=message):
            fit(model, (x, x[:, :1]), "mse", opt, **kwargs)
    other = optim.SGD(mlp64([2, 3, 1]).parameters(), lr=0.1)
    with pytest.raises(ConfigError, match="none of this model's parameters"):
        fit(model, (x, x[:, :1]), "mse", other)


# ------------------------------------------------------------------ the NaN guard


def _first_nonfinite_by_hand(make, x, y, lr, batch_size, seed):
    """The lecture's loop with the fit loop's shuffle: (epoch, batch, weights before)."""
    model = seeded(make)
    adam, loss_fn = optim.Adam(model.parameters(), lr=lr), nn.MSELoss()
    rng, n = np.random.default_rng(seed), len(x)
    for epoch in range(1, 20):
        perm = rng.permutation(n)
        for batch, lo in enumerate(range(0, n, batch_size), 1):
            rows = perm[lo : lo + batch_size]
            before = weights(model)
            adam.zero_grad()
            with np.errstate(over="ignore"):
                loss = loss_fn(model(bp.tensor(x[rows])), bp.tensor(y[rows]))
            if not math.isfinite(loss.item()):
                return epoch, batch, before
            loss.backward()
            adam.step()
    raise AssertionError("the loss never became non-finite")


@pytest.mark.parametrize("engine", ["autograd", "auto"])
def test_guard_stops_at_the_exact_batch_where_the_loss_explodes(engine):
    x, y = (a.numpy() for a in lecture_data())
    make = lambda: nn.MLP([1, 8, 8, 1])  # noqa: E731
    epoch, batch, before = _first_nonfinite_by_hand(make, x, y, 1e6, 20, seed=3)
    model = seeded(make)
    h = train(model, (x, y), nn.MSELoss(), 10, batch_size=20, seed=3, engine=engine, lr=1e6)
    assert (h.stopped_epoch, h.stopped_batch) == (epoch, batch)
    assert len(h) == epoch - 1  # the broken epoch is not reported
    got = weights(model)
    assert all(np.isfinite(w).all() for w in got)
    for g, w in zip(got, before):
        np.testing.assert_allclose(g, w, rtol=1e-5)
    assert "learning rate lr=1e+06" in h.stop_reason and "lr=1e+05" in h.stop_reason
    assert f"epoch {epoch}, batch {batch} of 5" in h.stop_reason


class NaNOnCall(Function):
    """Identity whose backward returns NaN on its ``poison``-th call (a broken custom op)."""

    calls, poison = 0, 6

    @staticmethod
    def forward(ctx, x):
        return x * 1.0

    @staticmethod
    def backward(ctx, grad):
        NaNOnCall.calls += 1
        return grad * math.nan if NaNOnCall.calls == NaNOnCall.poison else grad


class Poisoned(nn.Module):
    def __init__(self):
        super().__init__()
        self.first = nn.Linear(2, 4)
        self.last = nn.Linear(4, 1)

    def forward(self, x):
        return self.last(NaNOnCall.apply(self.first(x)).tanh())


class StepWeights(Callback):
    def __init__(self):
        self.after = []

    def on_batch_end(self, state):
        self.after.append(weights(state.model))


def test_guard_catches_a_nan_gradient_while_the_loss_is_finite():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 2))
    y = x[:, :1] * x[:, 1:]
    NaNOnCall.calls = 0
    model, steps = seeded(Poisoned), StepWeights()
    h = train(model, (x, y), "mse", 5, batch_size=8, callbacks=[steps], lr=0.1, opt=optim.SGD)
    assert (h.stopped_epoch, h.stopped_batch) == (2, 2)  # the 6th backward, 4 batches an epoch
    assert len(steps.after) == 5
    for g, w in zip(weights(model), steps.after[-1]):
        np.testing.assert_array_equal(g, w)
    assert "gradient of first.weight became NaN" in h.stop_reason
    assert "while the loss was finite" in h.stop_reason

    NaNOnCall.calls = 0
    model = seeded(Poisoned)
    with pytest.raises(TrainingStopped, match=r"first\.weight") as caught:
        train(model, (x, y), "mse", 5, batch_size=8, guard="raise", lr=0.1, opt=optim.SGD)
    assert len(caught.value.history) == 1
    NaNOnCall.calls = 0
    model = seeded(Poisoned)
    h = train(model, (x, y), "mse", 3, batch_size=8, guard=False, lr=0.1, opt=optim.SGD)
    assert h.stop_reason is None and len(h) == 3 and math.isnan(h["loss"][-1])


def test_guard_explains_an_overflow_before_any_update():
    x = np.linspace(-1, 1, 10).reshape(10, 1) * 1e30  # finite in float32, its square is not
    model = seeded(lambda: nn.MLP([1, 4, 1]))
    before = weights(model)
    h = train(model, (x, x), "mse", 3, lr=0.1, opt=optim.SGD)
    assert (h.stopped_epoch, h.stopped_batch, len(h)) == (1, 1, 0)
    assert "before any update" in h.stop_reason and "standardise" in h.stop_reason
    assert all(np.array_equal(a, b) for a, b in zip(before, weights(model)))


def test_fit_reads_data_through_the_shared_checks():
    # one reader and one finite check with backprop.data: the same words, the true value
    x = np.linspace(-1, 1, 8).reshape(8, 1)
    model = seeded(lambda: nn.MLP([1, 3]))
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(DataError, match=r"y at row 2 is class 1e\+20 but the model has 3"):
        fit(model, (x, np.r_[0.0, 1.0, 1e20, [0.0] * 5]), "cross_entropy", opt)
    with pytest.raises(DataError, match=r"x at row 1, column 0 is None, not a number"):
        fit(model, (np.array([[0.5], [None]] * 4, dtype=object), np.zeros(8)), "cross_entropy", opt)
    h = fit(model, (x.astype(object), np.zeros(8, dtype=np.int64)), "cross_entropy", opt)
    assert len(h) == 1  # numeric object arrays are numbers, as in datasets
    model = seeded(lambda: nn.MLP([1, 1]))
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(
        DataError, match=r"y at row 3, column 0 is 1e\+300, which overflows float32"
    ):
        fit(model, (x, np.r_[0.0, 0.0, 0.0, 1e300, [0.0] * 4]), "mse", opt)
    with pytest.raises(ShapeError, match="x_val has 3 rows but y_val has 2 rows"):
        fit(model, (x, x), "mse", opt, validation=(x[:3], x[:2]))


def test_a_diverged_run_puts_back_its_best_epoch_as_a_replay_finds_it():
    """``backprop.run`` after a divergence keeps the epoch with the lowest training loss.

    Weights are blown up (finite, 1e30) at the end of epoch 25, so epoch 26's loss is inf and
    the guard stops there. The run must then hold the weights of the epoch with the lowest
    loss in its history (or the starting weights), bit for bit those of a replay that trains
    exactly that many epochs and never diverges.
    """
    import json as _json

    import backprop as bp
    from backprop.train import Callback
    from backprop.train.guard import NaNGuard

    class BlowUp(Callback):
        def on_epoch_end(self, state):
            if state.epoch == 25:
                for p in state.parameters:
                    p._data[...] = 1e30

    spec = bp.spec.builtin("square")
    spec["epochs"] = 40
    r = bp.run(_json.loads(_json.dumps(spec)), callbacks=[NaNGuard(), BlowUp()])
    assert r.diverged and r.history.stopped_epoch == 26
    # an epoch's loss is that of the weights it began with (one full batch): those after
    # the epoch before, which the run keeps, its loss measured again on the whole set
    losses = r.history.history["loss"][:25]
    best = int(np.argmin(losses))  # epochs done before the lowest-loss epoch began
    kept_epoch, kept_loss = r.extra["kept"]
    assert kept_epoch == best and kept_loss == pytest.approx(losses[best], rel=1e-5)
    assert 1 < best <= 24  # a mid-run epoch, not the start (else the test proves less)
    replay = _json.loads(_json.dumps(spec))
    replay["epochs"] = best
    ref = bp.run(replay)
    assert not ref.diverged
    for (name, a), b in zip(r.model.state_dict().items(), ref.model.state_dict().values()):
        assert np.array_equal(a.numpy(), b.numpy()), name
    assert "weights of epoch" in r.kept_weights() and "put back" in r.history.stop_reason
