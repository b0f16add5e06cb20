"""Callbacks and History: early stopping restores the best weights (stopped or not),
checkpoints are written only on improvement and atomically, ReduceLROnPlateau and schedulers
change the lr the history reports, progress events, hook order, CSV/JSON output."""

import csv
import json
import math
import os

import numpy as np
import pytest

import backprop as bp
from backprop import nn, optim
from backprop.errors import ConfigError, ModelFileError
from backprop.train import (
    Callback,
    EarlyStopping,
    History,
    ModelCheckpoint,
    ProgressEvents,
    ReduceLROnPlateau,
    fit,
)


def train(model, data, loss, epochs=1, *, lr, opt=optim.Adam, **options):
    """``fit`` with a fresh ``opt(model.parameters(), lr=lr)``."""
    return fit(model, data, loss, opt(model.parameters(), lr=lr), epochs, **options)


def regression(n=40, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    return x, np.sin(x[:, :1]) + 0.5 * x[:, 1:]


def model64(seed=1):
    bp.manual_seed(seed)
    return nn.MLP([2, 8, 1], activation="tanh").double()


PROBE = np.linspace(-2, 2, 14).reshape(7, 2)


def predict(model, x=PROBE):
    with bp.no_grad():
        return model(bp.tensor(x, dtype=bp.float64)).numpy()


class Sabotage(Callback):
    """From epoch ``at`` on: lr = 0, and once the weights are pushed off by 0.5, so the
    monitored loss is worse than at epoch at − 1 for the rest of the run."""

    def __init__(self, at):
        self.at = at

    def on_epoch_begin(self, state):
        if state.epoch == self.at:
            state.optimizer.param_groups[0]["lr"] = 0.0
            with bp.no_grad():
                for p in state.model.parameters():
                    p.add_(0.5)


class Predictions(Callback):
    def __init__(self):
        self.by_epoch = {}

    def on_epoch_end(self, state):
        self.by_epoch[state.epoch] = predict(state.model)


def test_early_stopping_stops_and_restores_the_best_weights():
    x, y = regression()
    model, seen = model64(), Predictions()
    stopper = EarlyStopping(monitor="loss", patience=3)
    h = train(model, (x, y), "mse", 50, callbacks=[Sabotage(6), stopper, seen], lr=0.01)
    assert h.best_epoch == 5 == int(np.argmin(h["loss"])) + 1
    assert h.stopped_epoch == 8 and len(h) == 8  # epochs 6, 7, 8 did not improve
    assert "did not improve for 3 epochs" in h.stop_reason and "epoch 5" in h.stop_reason
    np.testing.assert_array_equal(predict(model), seen.by_epoch[5])
    assert not np.array_equal(predict(model), seen.by_epoch[8])


def test_early_stopping_restores_the_best_weights_when_training_runs_to_the_end():
    x, y = regression()
    model, seen = model64(), Predictions()
    h = train(
        model,
        (x, y),
        "mse",
        9,
        callbacks=[Sabotage(6), EarlyStopping(monitor="loss", patience=100), seen],
        lr=0.01,
    )
    assert h.stop_reason is None and h.stopped_epoch is None and len(h) == 9
    assert h.best_epoch == 5
    np.testing.assert_array_equal(predict(model), seen.by_epoch[5])
    keep = model64()
    train(
        keep,
        (x, y),
        "mse",
        9,
        callbacks=[Sabotage(6), EarlyStopping("loss", 100, restore_best_weights=False)],
        lr=0.01,
    )
    assert not np.array_equal(predict(keep), seen.by_epoch[5])


def test_early_stopping_monitor_fallback_mode_and_errors():
    x, y = regression()
    stopper = EarlyStopping()  # val_loss, but there is no validation data: watches loss
    model = model64()
    train(model, (x, y), "mse", 5, callbacks=[stopper], lr=0.0, opt=optim.SGD)
    assert stopper.monitor_used == "loss" and stopper.direction == "min"
    assert stopper.best_epoch == 1  # lr = 0: nothing ever improves on epoch 1
    labels = (x[:, 0] > 0).astype(int)
    bp.manual_seed(2)
    clf = nn.MLP([2, 4, 2]).double()
    acc = EarlyStopping("val_accuracy", patience=2)
    train(clf, (x, labels), "ce", 4, validation=0.25, callbacks=[acc], lr=0.0, opt=optim.SGD)
    assert acc.direction == "max" and acc.stopped_epoch == 3
    with pytest.raises(ConfigError, match=r"'val_accuracy' is not among.*val_rmse"):
        train(
            model,
            (x, y),
            "mse",
            2,
            callbacks=[EarlyStopping("val_accuracy")],
            validation=0.25,
            lr=0.1,
            opt=optim.SGD,
        )
    with pytest.raises(ConfigError, match="patience"):
        EarlyStopping(patience=-1)
    with pytest.raises(ConfigError, match="mode"):
        EarlyStopping(mode="lowest")


def test_checkpoint_writes_only_on_improvement(tmp_path):
    io = pytest.importorskip("backprop.io")
    x, y = regression()
    model, seen = model64(), Predictions()
    path = tmp_path / "best.safetensors"

    class FileState(Callback):
        def __init__(self):
            self.contents = []

        def on_epoch_end(self, state):
            self.contents.append(path.read_bytes())

    files = FileState()
    ckpt = ModelCheckpoint(path, monitor="loss")
    train(model, (x, y), "mse", 8, callbacks=[Sabotage(5), ckpt, files, seen], lr=0.01)
    assert [e for e, _ in ckpt.saved] == [1, 2, 3, 4]
    changed = [i + 1 for i in range(8) if i == 0 or files.contents[i] != files.contents[i - 1]]
    assert changed == [1, 2, 3, 4]
    stored = io.read(path)
    assert stored.metadata["epoch"] == 4
    np.testing.assert_array_equal(predict(stored.model), seen.by_epoch[4])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best.safetensors"]  # no temp files

    every = ModelCheckpoint(tmp_path / "all" / "e{epoch}.safetensors", save_best_only=False)
    other = model64()
    train(other, (x, y), "mse", 3, callbacks=[every], lr=0.1, opt=optim.SGD)
    assert sorted(os.listdir(tmp_path / "all")) == [f"e{i}.safetensors" for i in (1, 2, 3)]


def test_checkpoint_keeps_the_previous_file_when_a_save_dies(tmp_path, monkeypatch):
    io = pytest.importorskip("backprop.io")
    import backprop.files

    x, y = regression()
    path = tmp_path / "best.safetensors"
    model, seen = model64(), Predictions()
    real_replace = backprop.files.os.replace

    class DieAtEpoch3(Callback):
        def on_epoch_begin(self, state):
            if state.epoch == 3:

                def crash(src, dst):
                    raise OSError("disk pulled out")

                monkeypatch.setattr(backprop.files.os, "replace", crash)

    with pytest.raises(ModelFileError, match="disk pulled out"):
        train(
            model,
            (x, y),
            "mse",
            5,
            callbacks=[DieAtEpoch3(), seen, ModelCheckpoint(path, monitor="loss")],
            lr=0.01,
        )
    monkeypatch.setattr(backprop.files.os, "replace", real_replace)
    stored = io.read(path)
    assert stored.metadata["epoch"] == 2
    np.testing.assert_array_equal(predict(stored.model), seen.by_epoch[2])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best.safetensors"]


def _flat_problem():
    """No bias, x = 0: every gradient is 0, so the loss is the same every epoch."""
    model = nn.Linear(2, 1, bias=False).double()
    return model, (np.zeros((8, 2)), np.ones((8, 1)))


def test_reduce_lr_on_plateau_halves_the_lr_after_patience_epochs():
    model, data = _flat_problem()
    h = train(
        model,
        data,
        "mse",
        7,
        callbacks=[ReduceLROnPlateau("loss", factor=0.5, patience=2)],
        lr=1.0,
        opt=optim.SGD,
    )
    # epoch 1 sets the best; epochs 2 and 3 do not improve: the lr halves after epoch 3
    assert h["lr"] == [1.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    model, data = _flat_problem()
    h = train(
        model,
        data,
        "mse",
        6,
        callbacks=[ReduceLROnPlateau(factor=0.1, patience=1, min_lr=0.005)],
        lr=1.0,
        opt=optim.SGD,
    )
    np.testing.assert_allclose(h["lr"], [1.0, 1.0, 0.1, 0.01, 0.005, 0.005])


def test_schedulers_passed_to_fit_are_stepped_once_per_epoch():
    x, y = regression()
    model = model64()
    opt = optim.SGD(model.parameters(), lr=0.1)
    h = fit(model, (x, y), "mse", opt, 4, scheduler=optim.lr_scheduler.StepLR(opt, 1, 0.5))
    np.testing.assert_allclose(h["lr"], [0.1, 0.05, 0.025, 0.0125])
    model, data = _flat_problem()
    opt = optim.SGD(model.parameters(), lr=1.0)
    plateau = optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=0)
    h = fit(model, data, "mse", opt, 4, scheduler=plateau)
    assert h["lr"] == [1.0, 1.0, 0.5, 0.25]
    with pytest.raises(ConfigError, match="scheduler"):
        other = optim.SGD(model64().parameters(), lr=0.1)
        fit(model, data, "mse", opt, 1, scheduler=optim.lr_scheduler.StepLR(other, 1))


def test_progress_events_and_hook_order():
    x, y = regression(10)
    events, calls = [], []

    class Spy(Callback):
        def on_train_begin(self, state):
            calls.append("train_begin")

        def on_epoch_begin(self, state):
            calls.append(f"epoch_begin {state.epoch}")

        def on_after_backward(self, state):
            assert all(p.grad is not None for p in state.model.parameters())
            calls.append(f"after_backward {state.batch}")

        def on_batch_end(self, state):
            calls.append(f"batch_end {state.batch} step {state.step}")

        def on_epoch_end(self, state):
            assert len(state.history) == state.epoch  # already recorded
            calls.append(f"epoch_end {state.epoch}")

        def on_train_end(self, state):
            calls.append("train_end")

    model = model64()
    train(
        model,
        (x, y),
        "mse",
        2,
        batch_size=6,
        callbacks=[Spy(), ProgressEvents(events.append, batches=True)],
        lr=0.1,
        opt=optim.SGD,
    )
    assert calls == [
        "train_begin",
        "epoch_begin 1",
        "after_backward 1",
        "batch_end 1 step 1",
        "after_backward 2",
        "batch_end 2 step 2",
        "epoch_end 1",
        "epoch_begin 2",
        "after_backward 1",
        "batch_end 1 step 3",
        "after_backward 2",
        "batch_end 2 step 4",
        "epoch_end 2",
        "train_end",
    ]
    assert events[0] == {
        "event": "train_begin",
        "epochs": 2,
        "batches": 2,
        "samples": 10,
        "engine": "delta",
    }
    assert [e["event"] for e in events] == [
        "train_begin",
        "batch_end",
        "batch_end",
        "epoch_end",
        "batch_end",
        "batch_end",
        "epoch_end",
        "train_end",
    ]
    epoch_end = events[3]
    assert set(epoch_end) == {"event", "epoch", "epochs", "loss", "rmse", "r2", "lr", "time"}
    assert events[-1] == {"event": "train_end", "epoch": 2, "epochs": 2, "stop_reason": None}
    sparse = []
    train(
        model,
        (x, y),
        "mse",
        7,
        callbacks=[ProgressEvents(sparse.append, every=3)],
        lr=0.1,
        opt=optim.SGD,
    )
    assert [e["epoch"] for e in sparse if e["event"] == "epoch_end"] == [3, 6, 7]


def test_history_rows_csv_json_and_repr(tmp_path):
    x, y = regression()
    model = model64()
    h = train(model, (x, y), "mse", 3, validation=0.25, lr=0.1, opt=optim.SGD)
    assert len(h) == 3 and h.epochs == [1, 2, 3]
    assert list(h.history) == ["loss", "rmse", "r2", "val_loss", "val_rmse", "val_r2", "lr", "time"]
    rows = h.to_rows()
    assert rows[1]["epoch"] == 2 and rows[1]["val_loss"] == h["val_loss"][1]
    assert h.to_csv(tmp_path / "h.csv") == tmp_path / "h.csv"
    with open(tmp_path / "h.csv", newline="") as f:
        read = list(csv.DictReader(f))
    assert [float(r["loss"]) for r in read] == h["loss"]  # every digit kept
    h.history["loss"][0] = math.nan
    h.to_json(tmp_path / "h.json")
    loaded = json.loads((tmp_path / "h.json").read_text())
    assert loaded["history"]["loss"][0] is None and loaded["history"]["r2"] == h["r2"]
    assert loaded["epochs"] == [1, 2, 3] and loaded["engine"] == h.engine in ("delta", "fused")
    assert repr(h).startswith(f"History(epochs=3, loss={h['loss'][-1]:.6g}, val_loss=")
    empty = History()
    assert len(empty) == 0 and empty.to_rows() == [] and repr(empty) == "History(epochs=0)"
