"""fit's span runner (train/spans.py): how a run is cut into engine calls never changes a
number; callbacks get control where they ask for it and nowhere else; the guard stays exact;
slices, ticks, validation_freq and the L1/L2 penalty (against a PyTorch loop)."""

from __future__ import annotations

import numpy as np
import pytest

import backprop as bp
from backprop import nn, optim
from backprop.delta import fused
from backprop.train import Callback, fit, spans
from train_helpers import seeded

ENGINES = ["delta", "autograd"] + (["fused"] if fused.available() else [])


def data(n=90, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2)).astype(np.float32)
    return x, (np.sin(2 * x[:, :1]) + x[:, 1:] ** 2).astype(np.float32)


def run(engine, epochs=12, batch_size=16, callbacks=(), **kw):
    model = seeded(lambda: nn.MLP([2, 8, 8, 1], activation="tanh"))
    opt = optim.Adam(model.parameters(), lr=0.02)
    history = fit(model, data(), "mse", opt, epochs, batch_size, seed=3, engine=engine,
                  callbacks=list(callbacks), **kw)  # fmt: skip
    return model, history


def weights(model):
    return [p.numpy(force=True).copy() for p in model.parameters()]


class Every(Callback):
    """Asks for the end of every ``k``-th epoch and records where it got control."""

    wants_metrics = False

    def __init__(self, k):
        self.k, self.seen = k, []

    def next_epoch(self, state):
        return (state.done // self.k + 1) * self.k

    def on_epoch_end(self, state):
        self.seen.append(state.epoch)


class Coin(Callback):
    """A need by time that comes and goes at random (seeded): cuts spans anywhere."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)

    def due(self, state):
        return bool(self.rng.random() < 0.3)


@pytest.mark.parametrize("engine", ENGINES)
def test_how_a_run_is_cut_into_spans_never_changes_a_number(engine, monkeypatch):
    ref_model, ref = run(engine)
    cuts = [[Every(1)], [Every(5)], [Every(7), Every(3)]]
    monkeypatch.setattr(spans, "TICK", 1e-5)  # calls of a step or two: cut everywhere
    cuts += [[Coin(0)], [Coin(1), Every(4)]]
    for callbacks in cuts:
        model, history = run(engine, callbacks=callbacks)
        for a, b in zip(weights(model), weights(ref_model)):
            np.testing.assert_array_equal(a, b)
        assert history["loss"] == ref["loss"], [type(c).__name__ for c in callbacks]
        assert history.engine == ref.engine == engine


def test_callbacks_get_control_where_they_ask_and_metrics_are_measured_there():
    every5 = Every(5)
    every5.wants_metrics = True
    _, history = run("delta", epochs=12, callbacks=[every5])
    assert every5.seen == [5, 10, 12]  # and the last epoch, which everyone gets
    assert history.epochs == list(range(1, 13)) and len(history["loss"]) == 12
    assert history.epochs_of("rmse") == [5, 10, 12]
    rows = history.to_rows()
    assert rows[3]["rmse"] is None and rows[4]["rmse"] == history["rmse"][0]
    quiet = Every(5)  # a callback that reads no metrics does not make the run measure them
    _, history = run("delta", epochs=12, callbacks=[quiet])
    assert quiet.seen == [5, 10, 12] and history.epochs_of("rmse") == [12]


def test_a_callback_written_for_an_epoch_loop_sees_every_epoch_with_its_metrics():
    class Old(Callback):
        def __init__(self):
            self.logs = []

        def on_epoch_end(self, state):
            self.logs.append(dict(state.logs))

    old = Old()
    _, history = run("delta", epochs=6, callbacks=[old])
    assert [len(x) for x in old.logs] == [5] * 6  # loss, rmse, r2, lr, time
    assert history.epochs_of("r2") == list(range(1, 7))


@pytest.mark.parametrize("engine", ENGINES)
def test_validation_freq(engine):
    _, history = run(engine, epochs=10, validation=0.2, validation_freq=4)
    assert history.epochs_of("val_loss") == [4, 8, 10]
    assert len(history["val_loss"]) == 3 and len(history["loss"]) == 10


@pytest.mark.parametrize("engine", ENGINES)
def test_slices_equal_one_run(engine):
    """begin / advance(max_steps) / end, cut mid-epoch, give the run fit gives."""
    from backprop.delta import flatten_parameters
    from backprop.train.callbacks import TrainState
    from backprop.train.choice import choose_engine, make_loop
    from backprop.train.control import hooks_for
    from backprop.train.engines import choose_plan, evaluator
    from backprop.train.guard import NaNGuard
    from backprop.train.history import History

    ref_model, ref = run(engine, epochs=5)
    model = seeded(lambda: nn.MLP([2, 8, 8, 1], activation="tanh"))
    flatten_parameters(model)
    opt = optim.Adam(model.parameters(), lr=0.02)
    x, y = data()
    loss = nn.MSELoss()
    plan, why = choose_plan(model, loss, engine, None, x, y)
    choice = choose_engine(model, loss, opt, engine, plan, why, y, 30, 16)
    guard = NaNGuard()
    state = TrainState(model=model, optimizer=opt, history=History(engine), epochs=5,
                       batches=6, parameters=list(model.parameters()), loss_fn=loss,
                       loss_name="mse", engine=engine, task="regression", x=x, y=y,
                       has_validation=False)  # fmt: skip
    state.callbacks = [guard]
    from backprop.train.engines import autograd_step

    step = plan.step if plan is not None else autograd_step(model, loss)
    runner = spans.SpanRunner(
        state, hooks_for([guard]),
        lambda: make_loop(choice, model, loss, opt, plan, step, x, y, 16),
        spans.Plan(evaluate=evaluator(model, loss, "mse", "regression", plan, False),
                   x_val=None, y_val=None, size=16, shuffle=True, seed=3, guard=guard,
                   validation_freq=1, reduce_sum=False),
    )  # fmt: skip
    runner.begin()
    taken = [runner.advance(max_steps=k) for k in (1, 4, 7, 2, 100)]
    runner.end()
    assert taken == [1, 4, 7, 2, 16] and runner.finished
    for a, b in zip(weights(model), weights(ref_model)):
        np.testing.assert_array_equal(a, b)
    assert state.history["loss"] == ref["loss"]


def test_progress_ticks_move_while_the_engine_runs(monkeypatch):
    from backprop.train import ProgressEvents

    monkeypatch.setattr(spans, "TICK", 1e-4)
    events = []
    run("delta", epochs=30, callbacks=[ProgressEvents(events.append, every=30, ticks=True)])
    kinds = [e["event"] for e in events]
    assert kinds.count("epoch_end") == 1 and kinds.count("progress") >= 3
    steps = [e["step"] for e in events if e["event"] == "progress"]
    assert steps == sorted(steps) and steps[0] < steps[-1] <= 30 * 6


@pytest.mark.parametrize("engine", ENGINES)
def test_the_guard_stops_at_the_same_batch_in_spans_and_batch_by_batch(engine):
    class Watch(Callback):  # watching single batches makes the run go batch by batch
        def on_batch_end(self, state):
            pass

    def diverge(callbacks):
        model = seeded(lambda: nn.MLP([2, 8, 8, 1], activation="relu"))
        opt = optim.SGD(model.parameters(), lr=1.5)
        x, y = data()
        history = fit(model, (x, 10 * y), "mse", opt, 40, 16, seed=3, callbacks=callbacks,
                      engine=engine)  # fmt: skip
        return model, history

    span_model, spanned = diverge([])
    # the compiled loop cannot go batch by batch: cut its run at every epoch instead
    step_model, stepped = diverge([Every(1)] if engine == "fused" else [Watch()])
    assert spanned.diverged and stepped.diverged
    assert (spanned.stopped_epoch, spanned.stopped_batch) == (
        stepped.stopped_epoch, stepped.stopped_batch,
    )  # fmt: skip
    done = [h.history.get("loss", []) for h in (spanned, stepped)]
    assert len(done[0]) == spanned.stopped_epoch - 1 == len(done[1])
    assert spanned.stopped_epoch > 1  # a few epochs ran first (else the test proves less)
    for a, b in zip(weights(span_model), weights(step_model)):
        np.testing.assert_array_equal(a, b)
    assert all(np.isfinite(w).all() for w in weights(span_model))


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("kind", ["l1", "l2"])
def test_penalty_equals_a_pytorch_loop_with_the_same_shrink(engine, kind):
    torch = pytest.importorskip("torch")
    rate, lr = 0.05, 0.1
    model = seeded(lambda: nn.MLP([2, 8, 1], activation="tanh").double())
    ref = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    ref = ref.double()
    ref.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                         for k, v in model.state_dict().items()})  # fmt: skip
    x, y = (a.astype(np.float64) for a in data())
    opt = torch.optim.SGD(ref.parameters(), lr=lr)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    for _ in range(15):  # full batch
        opt.zero_grad()
        torch.nn.functional.mse_loss(ref(xt), yt).backward()
        opt.step()
        with torch.no_grad():
            for name, p in ref.named_parameters():
                if name.endswith("weight"):
                    if kind == "l2":
                        p.mul_(1 - lr * rate)
                    else:
                        p.copy_(torch.sign(p) * torch.clamp(p.abs() - lr * rate, min=0))
    fit(model, (x, y), "mse", optim.SGD(model.parameters(), lr=lr), 15, engine=engine,
        penalty=(kind, rate))  # fmt: skip
    for name, p in ref.named_parameters():
        np.testing.assert_allclose(model.state_dict()[name].numpy(), p.detach().numpy(),
                                   rtol=1e-10, atol=1e-12)  # fmt: skip
    if kind == "l1":  # the proximal step makes weights exactly zero
        assert any((model.state_dict()[k].numpy() == 0).any() for k in ("0.weight", "2.weight"))


def test_penalty_and_validation_freq_refusals():
    from backprop.errors import ConfigError

    for bad in (("l3", 0.1), ("l2", -1), ("l2", float("nan")), "l2", ("l2",)):
        with pytest.raises(ConfigError, match="penalty must be None or"):
            run("delta", epochs=1, penalty=bad)
    for bad in (0, -2, 1.5, True):
        with pytest.raises(ConfigError, match="validation_freq must be a whole number"):
            run("delta", epochs=1, validation_freq=bad)


def test_engine_and_its_reason_are_stated():
    _, history = run("autograd", epochs=1)
    assert history.engine == "autograd" and "asked for" in history.engine_reason

    class Doubled(nn.Module):  # a module the δ engine cannot read
        def forward(self, x):
            return 2 * x

    model = seeded(lambda: nn.Sequential(nn.Linear(2, 4), Doubled(), nn.Linear(4, 1)))
    h = fit(model, data(), "mse", optim.SGD(model.parameters(), lr=0.01), 1)
    assert h.engine == "autograd" and "δ engine cannot take" in h.engine_reason
    assert h.to_dict()["engine_reason"] == h.engine_reason
    bp.manual_seed(0)


def test_next_epoch_answers_are_checked():
    from backprop.errors import ConfigError

    for bad in (2.5, "3", float("nan"), True):

        class Odd(Callback):
            def next_epoch(self, state, bad=bad):
                return bad

        with pytest.raises(ConfigError, match=r"Odd\.next_epoch must return None or a whole"):
            run("delta", epochs=3, callbacks=[Odd()])
    for early in (0, -4, np.int64(1)):  # an epoch already done means "the next one"

        class Early(Callback):
            wants_metrics = False

            def __init__(self):
                self.seen = []

            def next_epoch(self, state, early=early):
                return early

            def on_epoch_end(self, state):
                self.seen.append(state.epoch)

        cb = Early()
        run("delta", epochs=4, callbacks=[cb])
        assert cb.seen == [1, 2, 3, 4]


def test_a_stop_asked_for_in_a_tick_keeps_the_finished_epochs_and_memory_stays_bounded(
    monkeypatch,
):
    import tracemalloc

    monkeypatch.setattr(spans, "TICK", 1e-3)

    class Enough(Callback):
        wants_metrics = False

        def on_progress(self, state):
            if state.step >= 2000:
                state.request_stop("enough")

    tracemalloc.start()
    _, history = run("delta", epochs=10**9, batch_size=None, callbacks=[Enough()])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert history.stop_reason == "enough" and history.stopped_epoch >= 2000
    assert history.epochs == list(range(1, len(history) + 1)) and len(history) >= 1999
    assert peak < 64 * 2**20  # 10**9 epochs asked for: no buffer of that size
