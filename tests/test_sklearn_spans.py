"""The scikit-learn estimators on the span runner (issue 13): scikit-learn's stopping rule and
its L2 term are the engines' own, so a default fit needs no control between epochs.

Checked against scikit-learn itself (its ``_update_no_improvement_count`` replayed over our
loss curve; its SGD steps with an uneven last batch and alpha > 0) and against the per-epoch
callback path (``spans.RULES_IN_ENGINE = False``), bit for bit, on the compiled kernel and on
the NumPy δ loop.
"""

from __future__ import annotations

import warnings
from types import SimpleNamespace

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn import neural_network as sk  # noqa: E402
from sklearn.datasets import load_digits, make_regression  # noqa: E402
from sklearn.neural_network._multilayer_perceptron import (  # noqa: E402
    BaseMultilayerPerceptron,
)
from sklearn.preprocessing import StandardScaler  # noqa: E402

import backprop.sklearn as bp  # noqa: E402
import backprop.train.spans as spans  # noqa: E402
from backprop.delta import fused  # noqa: E402
from backprop.train import Callback  # noqa: E402

ENGINES = [
    pytest.param(
        "fused", marks=pytest.mark.skipif(not fused.available(), reason="numba not installed")
    ),
    "delta",
]


@pytest.fixture
def engine(request, monkeypatch):
    """Pin the engine the estimators' ``fit`` chooses: the compiled kernel or NumPy δ."""
    if request.param == "fused":
        monkeypatch.setattr(fused, "decide", lambda *a, **k: (True, "pinned by the test"))
    else:
        monkeypatch.setattr(fused, "available", lambda: False)
    return request.param


def _lecture(n=100):
    rng = np.random.default_rng(0)
    x = 5 * rng.standard_normal((n, 1))
    return x, (x**2 + rng.standard_normal((n, 1))).ravel()


def _fit(cls=bp.MLPRegressor, data=None, **params):
    x, y = _lecture() if data is None else data
    base = dict(hidden_layer_sizes=(8, 8), learning_rate_init=0.1, batch_size=None,
                max_iter=600, random_state=0)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls(**{**base, **params}).fit(x, y)


def _epoch_ends(monkeypatch):
    """Count the span runner's epoch ends (the moments Python gets control)."""
    seen = []
    original = spans.SpanRunner._epoch_end

    def counted(self, seg):
        seen.append(seg.target)
        return original(self, seg)

    monkeypatch.setattr(spans.SpanRunner, "_epoch_end", counted)
    return seen


@pytest.mark.parametrize("engine", ENGINES, indirect=True)
@pytest.mark.parametrize("batch_size", [None, 16])
def test_a_default_estimator_runs_in_spans_not_epoch_by_epoch(engine, batch_size, monkeypatch):
    """Adam, constant rate, alpha 1e-4, no early stopping, silent: the engine runs the epochs
    between the start and the end (or the rule's stop) uninterrupted."""
    ends = _epoch_ends(monkeypatch)
    est = _fit(batch_size=batch_size, tol=0.0, n_iter_no_change=10**6, max_iter=300)
    assert est.history_.engine == engine and est.n_iter_ == 300 == len(est.loss_curve_)
    assert len(ends) <= 3, ends  # epoch by epoch it was 300
    ends.clear()
    stopped = _fit(batch_size=batch_size, max_iter=5000)  # tol 1e-4: scikit-learn's stop
    assert stopped.n_iter_ < 5000 and stopped.history_.stop_reason.startswith("early stopping")
    assert len(ends) <= 3, ends


@pytest.mark.parametrize(
    "params",
    [
        dict(verbose=True),
        dict(early_stopping=True),
        dict(solver="sgd", learning_rate="adaptive", learning_rate_init=0.001),
    ],
    ids=["verbose", "early_stopping", "adaptive sgd"],
)
def test_control_at_every_epoch_where_scikit_learns_rules_need_python(params, monkeypatch, capsys):
    ends = _epoch_ends(monkeypatch)
    est = _fit(max_iter=30, **params)
    assert len(ends) == est.n_iter_ == len(est.loss_curve_) > 1


CASES = [
    dict(),  # full batch, alpha 1e-4, tol 1e-4
    dict(tol=1e-2, n_iter_no_change=3, alpha=1e-3),
    dict(batch_size=16, alpha=0.0),  # 100 rows: a last batch of 4
    dict(batch_size=30, solver="sgd", learning_rate_init=0.001, momentum=0.5, tol=1e-3),
]


@pytest.mark.parametrize("engine", ENGINES, indirect=True)
@pytest.mark.parametrize("case", CASES, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()))
def test_the_engines_rule_equals_per_epoch_control_bit_for_bit(engine, case, monkeypatch):
    def run(in_engine):
        monkeypatch.setattr(spans, "RULES_IN_ENGINE", in_engine)
        return _fit(max_iter=3000, **case)

    ours, control = run(True), run(False)
    assert ours.history_.engine == engine
    assert ours.n_iter_ < 3000 and ours.history_.stop_reason == control.history_.stop_reason
    for name in ("n_iter_", "t_", "loss_", "loss_curve_", "best_loss_", "_no_improvement_count"):
        assert getattr(ours, name) == getattr(control, name), name
    for a, b in zip(ours.coefs_ + ours.intercepts_, control.coefs_ + control.intercepts_):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("engine", ENGINES, indirect=True)
@pytest.mark.parametrize("tol, patience", [(1e-2, 2), (1e-3, 5), (0.5, 1)])
def test_the_stop_is_scikit_learns_own_count_replayed_over_the_loss_curve(engine, tol, patience):
    """scikit-learn's ``_update_no_improvement_count`` run over our loss_curve_ stops at our
    n_iter_ with our best_loss_ and count (its form: the best follows every new minimum,
    not only those that beat it by tol; a loss equal to best − tol counts as better)."""
    est = _fit(max_iter=3000, tol=tol, n_iter_no_change=patience)
    assert est.history_.engine == engine
    theirs = SimpleNamespace(loss_curve_=[], best_loss_=np.inf, tol=tol, _no_improvement_count=0)
    stop = None
    for epoch, loss in enumerate(est.loss_curve_, 1):
        theirs.loss_curve_.append(loss)
        BaseMultilayerPerceptron._update_no_improvement_count(theirs, False, None, None, None)
        if theirs._no_improvement_count > patience:
            stop = epoch
            break
    assert stop == est.n_iter_ == len(est.loss_curve_) < 3000
    assert (est.best_loss_, est._no_improvement_count) == (
        theirs.best_loss_, theirs._no_improvement_count,
    )  # fmt: skip


def _regression(n=300):
    X, y = make_regression(n, 6, noise=5.0, random_state=0)
    return StandardScaler().fit_transform(X), y / np.std(y)


@pytest.mark.parametrize("name", ["MLPRegressor", "MLPClassifier"])
@pytest.mark.parametrize("batch_size", [64, 100])
def test_alpha_as_scikit_learns_with_an_uneven_last_batch(name, batch_size):
    """The L2 term per batch, α/2·‖W‖²/m and α/m·W with m the batch's own rows (the last one
    shorter): scikit-learn's SGD steps and loss_curve_ to rounding, and its stop."""
    if name == "MLPRegressor":
        X, y = _regression()
    else:
        X, y = load_digits(return_X_y=True)
        X, y = X[:300] / 16.0, y[:300]
    params = dict(hidden_layer_sizes=(12, 7), solver="sgd", shuffle=False, random_state=3,
                  batch_size=batch_size, max_iter=40, learning_rate_init=0.01, alpha=1e-2,
                  tol=1e-3, n_iter_no_change=3)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = getattr(sk, name)(**params).fit(X, y)
        ours = getattr(bp, name)(**params, dtype="float64").fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_ and ours.t_ == theirs.t_
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-12)
    assert ours.best_loss_ == pytest.approx(theirs.best_loss_, rel=1e-12)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)


class _Watch(Callback):
    """Watches single batches: the run goes batch by batch (train/stepwise.py)."""

    def on_after_backward(self, state):
        pass


FIT_ENGINES = ["delta", "autograd", "stepwise"] + (["fused"] if fused.available() else [])


@pytest.mark.parametrize("engine", FIT_ENGINES)
def test_fit_penalty_alpha_equals_a_pytorch_loop_with_the_term_in_its_loss(engine):
    """``fit(penalty=("alpha", α))`` on every engine: a PyTorch loop whose loss is the mean
    squared error plus α/2·Σ‖W‖²/m (m the batch's rows, the last batch shorter), SGD."""
    torch = pytest.importorskip("torch")
    from backprop import nn, optim
    from backprop.train import fit

    alpha, lr = 0.3, 0.05
    rng = np.random.default_rng(1)
    x = rng.normal(size=(50, 2))
    y = np.sin(2 * x[:, :1]) + x[:, 1:] ** 2
    model = nn.MLP([2, 8, 1], activation="tanh").double()
    ref = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    ref = ref.double()
    ref.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                         for k, v in model.state_dict().items()})  # fmt: skip
    opt = torch.optim.SGD(ref.parameters(), lr=lr)
    epoch_losses = []
    for _ in range(6):
        total = 0.0
        for lo in range(0, 50, 16):  # batches of 16, 16, 16 and 2
            xb, yb = torch.from_numpy(x[lo : lo + 16]), torch.from_numpy(y[lo : lo + 16])
            opt.zero_grad()
            squares = sum((p**2).sum() for n, p in ref.named_parameters() if "weight" in n)
            loss = torch.nn.functional.mse_loss(ref(xb), yb) + 0.5 * alpha * squares / len(xb)
            loss.backward()
            opt.step()
            total += loss.item() * len(xb)
        epoch_losses.append(total / 50)
    name = "delta" if engine == "stepwise" else engine
    callbacks = [_Watch()] if engine == "stepwise" else []
    sgd = optim.SGD(model.parameters(), lr=lr)
    history = fit(model, (x, y), "mse", sgd, 6, 16, shuffle=False, engine=name,
                  penalty=("alpha", alpha), callbacks=callbacks)  # fmt: skip
    np.testing.assert_allclose(history["loss"], epoch_losses, rtol=1e-12)
    for name, p in ref.named_parameters():
        np.testing.assert_allclose(model.state_dict()[name].numpy(), p.detach().numpy(),
                                   rtol=1e-10, atol=1e-13)  # fmt: skip


@pytest.mark.parametrize(
    "patience, min_delta, batch", [(20, 1e-3, None), (5, 0.0, 16), (0, 0.0, None)]
)
def test_early_stopping_on_the_loss_judged_by_the_numpy_loop_equals_per_epoch_control(
    patience, min_delta, batch, monkeypatch
):
    """The NumPy δ loop judges EarlyStopping("loss") (Keras' form) as the kernel does."""
    from backprop import nn, optim
    from backprop.train import EarlyStopping, fit

    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 2)).astype(np.float32)
    y = (np.sin(2 * x[:, :1]) + x[:, 1:] ** 2).astype(np.float32)

    def run(in_engine):
        monkeypatch.setattr(spans, "RULES_IN_ENGINE", in_engine)
        import backprop as bp_root

        bp_root.manual_seed(0)
        model = nn.MLP([2, 8, 8, 1], activation="relu")
        stop = EarlyStopping("loss", patience=patience, min_delta=min_delta,
                             restore_best_weights=False)  # fmt: skip
        h = fit(model, (x, y), "mse", optim.Adam(model.parameters(), lr=0.05), 3000, batch,
                engine="delta", callbacks=[stop])  # fmt: skip
        flat = np.concatenate([p.detach().numpy().ravel() for p in model.parameters()])
        return h, flat, (stop.best, stop.wait, stop.best_epoch, stop.stopped_epoch)

    ends = _epoch_ends(monkeypatch)
    h1, w1, s1 = run(True)
    assert len(ends) <= 2, ends  # judged in the loop: no control between epochs
    h2, w2, s2 = run(False)
    assert len(ends) > len(h2["loss"])  # every epoch's end, the first run's too
    assert h1.stop_reason is not None and h1.stop_reason == h2.stop_reason
    assert s1 == s2 and h1.best_epoch == h2.best_epoch
    assert h1["loss"] == h2["loss"] and np.array_equal(w1, w2)
