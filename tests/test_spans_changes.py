"""What callbacks change between spans reaches every engine (found by an outside attack):
parameters given new storage, a replaced optimizer state, the L1/L2 penalty while a callback
watches single batches, freezing mid-run (refused by the δ engines), validation_freq with a
monitor or a plateau scheduler, a resumed run's penalty and shuffle, and an exception in the
middle of a span leaving weights and optimizer in step."""

from __future__ import annotations

import numpy as np
import pytest

from backprop import nn, optim
from backprop.delta import fused
from backprop.errors import ConfigError
from backprop.train import BackupAndRestore, Callback, EarlyStopping, fit
from train_helpers import seeded

ENGINES = ["delta", "autograd"] + (["fused"] if fused.available() else [])


def data(n=48, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    return x, np.sin(2 * x[:, :1]) + x[:, 1:] ** 2


def train(engine, callbacks=(), epochs=10, opt=None, **kw):
    model = seeded(lambda: nn.MLP([2, 8, 8, 1], activation="tanh").double())
    opt = (opt or (lambda ps: optim.Adam(ps, lr=0.01)))(model.parameters())
    history = fit(model, data(), "mse", opt, epochs, 16, seed=2, engine=engine,
                  callbacks=list(callbacks), **kw)  # fmt: skip
    return model, opt, history


def flat(model):
    return np.concatenate([p.numpy(force=True).ravel() for p in model.parameters()])


class At(Callback):
    """Runs ``action(state)`` at the end of epoch ``epoch``."""

    wants_metrics = False

    def __init__(self, epoch, action):
        self.epoch, self.action = epoch, action

    def on_epoch_end(self, state):
        if state.epoch == self.epoch:
            self.action(state)


def halve_storage(state):
    import backprop as bp

    for p in state.model.parameters():
        p.data = bp.tensor(p.detach().numpy() * 0.5)


def clear_state(state):
    state.optimizer.state.clear()


@pytest.mark.parametrize("change", [halve_storage, clear_state])
def test_what_a_callback_changes_reaches_every_engine(change):
    ref, _, _ = train("autograd", [At(5, change)])
    for engine in ENGINES:
        model, _, _ = train(engine, [At(5, change)])
        np.testing.assert_allclose(flat(model), flat(ref), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("engine", ENGINES)
def test_the_penalty_holds_while_a_callback_watches_batches_or_gets_new_storage(engine):
    class Watch(Callback):
        def on_batch_end(self, state):
            pass

    sgd = lambda ps: optim.SGD(ps, lr=0.05)  # noqa: E731
    plain, _, _ = train(engine, opt=sgd, penalty=("l2", 0.5))
    watched, _, _ = train("delta" if engine == "fused" else engine, [Watch()], opt=sgd,
                          penalty=("l2", 0.5))  # fmt: skip
    np.testing.assert_allclose(flat(watched), flat(plain), rtol=1e-9, atol=1e-12)
    unpenalised, _, _ = train(engine, opt=sgd)
    assert np.abs(flat(plain)).sum() < 0.9 * np.abs(flat(unpenalised)).sum()
    same = At(3, lambda s: [setattr(p, "data", p.detach().clone()) for p in s.parameters])
    moved, _, _ = train(engine, [same], opt=sgd, penalty=("l2", 0.5))
    np.testing.assert_allclose(flat(moved), flat(plain), rtol=1e-9, atol=1e-12)


def test_freezing_mid_run_is_refused_by_the_delta_engines_and_followed_by_autograd():
    def freeze(state):
        next(iter(state.model.parameters())).requires_grad_(False)

    for engine in [e for e in ENGINES if e != "autograd"]:
        with pytest.raises(ConfigError, match="changed which parameters train"):
            train(engine, [At(3, freeze)])
    model, _, _ = train("autograd", [At(3, freeze), At(3, lambda s: None)])
    first = next(iter(model.parameters()))
    assert not first.requires_grad


def test_validation_freq_holds_with_a_val_monitor_and_a_plateau_scheduler():
    stopper = EarlyStopping("val_loss", patience=100)
    _, _, history = train("delta", [stopper], epochs=20, validation=0.25, validation_freq=5)
    assert history.epochs_of("val_loss") == [5, 10, 15, 20]
    fed = []

    class Spy(optim.lr_scheduler.ReduceLROnPlateau):
        def step(self, metrics):
            fed.append(float(metrics))
            super().step(metrics)

    model = seeded(lambda: nn.MLP([2, 8, 1], activation="tanh").double())
    opt = optim.Adam(model.parameters(), lr=0.01)
    h = fit(model, data(), "mse", opt, 10, 16, validation=0.25, validation_freq=5,
            scheduler=Spy(opt))  # fmt: skip
    assert fed == h["val_loss"]  # the validation loss only, never the training loss


def test_a_resumed_run_must_keep_its_penalty_and_shuffle(tmp_path):
    class Crash(Callback):
        wants_metrics = False

        def on_epoch_end(self, state):
            if state.epoch == 3:
                raise KeyError("crash")

    backup = lambda: BackupAndRestore(tmp_path, every=1)  # noqa: E731
    with pytest.raises(KeyError):
        train("delta", [backup(), Crash()])
    with pytest.raises(ConfigError, match="penalty"):
        train("delta", [backup()], penalty=("l2", 0.5))
    with pytest.raises(ConfigError, match="shuffle"):
        train("delta", [backup()], shuffle=False)
    train("delta", [backup()])  # the same setting resumes


@pytest.mark.parametrize("engine", ENGINES)
def test_an_exception_mid_span_leaves_weights_and_optimizer_in_step(engine):
    class Interrupt(Callback):
        def on_progress(self, state):
            if state.step >= 40:
                raise KeyboardInterrupt

    import backprop.train.spans as spans

    old, spans.TICK = spans.TICK, 0.0
    try:
        model = seeded(lambda: nn.MLP([2, 8, 1], activation="tanh").double())
        opt = optim.Adam(model.parameters(), lr=0.01)
        seen = {}

        class Count(Callback):
            def on_train_begin(self, state):
                seen["state"] = state

        with pytest.raises(KeyboardInterrupt):
            fit(model, data(), "mse", opt, 10**6, 16, engine=engine,
                callbacks=[Count(), Interrupt()])  # fmt: skip
    finally:
        spans.TICK = old
    steps = seen["state"].step
    for p in model.parameters():
        assert float(opt.state[p]["step"]._data) == steps


RULES = [(20, 1e-3, None), (5, 0.0, 16), (0, 0.0, None), (50, 1e-2, 9)]


@pytest.mark.skipif(not fused.available(), reason="numba is not installed")
@pytest.mark.parametrize("patience, min_delta, batch", RULES)
def test_early_stopping_on_the_loss_judged_by_the_kernel_equals_per_epoch_control(
    patience, min_delta, batch, monkeypatch
):
    """The compiled loop judges EarlyStopping("loss") itself at each epoch's end (no control
    between epochs): the same stop, counters, history and weights, bit for bit."""
    import backprop.train.spans as spans

    def run(in_engine):
        monkeypatch.setattr(spans, "RULES_IN_ENGINE", in_engine)
        model = seeded(lambda: nn.MLP([2, 8, 8, 1], activation="relu"))
        stopper = EarlyStopping("loss", patience=patience, min_delta=min_delta,
                                restore_best_weights=False)  # fmt: skip
        x, y = data(100)
        h = fit(model, (x.astype(np.float32), y.astype(np.float32)), "mse",
                optim.Adam(model.parameters(), lr=0.05), 3000, batch, engine="fused",
                callbacks=[stopper])  # fmt: skip
        return h, flat(model), (stopper.best, stopper.wait, stopper.best_epoch,
                                stopper.stopped_epoch)  # fmt: skip

    (h1, w1, s1), (h2, w2, s2) = run(True), run(False)
    assert h1.stop_reason is not None and h1.stop_reason == h2.stop_reason
    assert s1 == s2 and h1.best_epoch == h2.best_epoch
    assert h1["loss"] == h2["loss"] and np.array_equal(w1, w2)


@pytest.mark.skipif(not fused.available(), reason="numba is not installed")
def test_a_run_stopped_by_the_kernels_rule_resumes_bit_for_bit(tmp_path):
    class Crash(Callback):
        wants_metrics = False

        def on_epoch_end(self, state):
            if state.epoch == 40:
                raise KeyError("crash")

    def run(callbacks):
        model = seeded(lambda: nn.MLP([2, 8, 1], activation="tanh").double())
        stopper = EarlyStopping("loss", patience=8, min_delta=1e-3, restore_best_weights=False)
        h = fit(model, data(), "mse", optim.Adam(model.parameters(), lr=0.02), 5000, 16,
                engine="fused", callbacks=[stopper, *callbacks])  # fmt: skip
        return h, flat(model)

    straight, w = run([BackupAndRestore(tmp_path / "a", every=1)])
    assert straight.stop_reason is not None and straight.stopped_epoch > 40
    with pytest.raises(KeyError):
        run([BackupAndRestore(tmp_path / "b", every=1), Crash()])
    resumed, w2 = run([BackupAndRestore(tmp_path / "b", every=1)])
    assert resumed.stop_reason == straight.stop_reason and np.array_equal(w, w2)
    assert resumed["loss"] == straight["loss"]
