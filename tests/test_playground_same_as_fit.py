"""The playground trains on ``fit``'s span runner: same weights, same curves, bit for bit.

The page, ``backprop train`` and the estimators cannot drift apart when they run one loop.
Here a session trained in the page's uneven slices (single batches, a few steps, whole
epochs, time budgets) is compared with ``fit(..., engine="delta", penalty=...)`` on a copy
of its initial model, with the same seed, data and batch size: the weights must be equal
bit for bit, and the loss curve's points must be ``fit``'s history (the engine's training
loss, the test set as validation). Changes made between slices — a typed-in weight, a new
optimizer, a new penalty, a new batch size, stop conditions — are checked against one
step computed by hand from the δ engine's gradients.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from backprop.optim import OPTIMIZERS
from backprop.playground import settings
from backprop.playground.session import Session
from backprop.train import fit

CASES = [
    # dataset, optimizer, lr, batch size, regularisation, rate
    ("xor", "sgd", 0.1, 10, "none", 0.0),
    ("circle", "adam", 0.03, 25, "l2", 0.01),
    ("spiral", "momentum", 0.05, 7, "l1", 0.003),
    ("gauss", "rmsprop", 0.01, 2000, "l2", 0.1),  # the whole set as one batch
    ("plane", "adam", 0.01, 16, "l1", 0.01),  # regression
]


def _fit_like(s: Session, model, epochs: int):
    opt_name, options = settings.OPTIMIZER_SPECS[s.state["optimizer"]]
    optimizer = OPTIMIZERS[opt_name](model.parameters(), lr=s.state["lr"], **options)
    kind, rate = s.state["regularization"], s.state["reg_rate"]
    return fit(
        model,
        (s.x, s.y),
        type(s.loss)(),
        optimizer,
        epochs=epochs,
        batch_size=s.state["batch_size"],
        validation=(s.x_test, s.y_test),
        seed=s.state["seed"],
        engine="delta",
        penalty=None if kind == "none" else (kind, rate),
    )


@pytest.mark.parametrize(("dataset", "opt", "lr", "batch", "reg", "rate"), CASES)
def test_the_page_trains_to_fits_numbers_bit_for_bit(dataset, opt, lr, batch, reg, rate):
    s = Session({"dataset": dataset, "optimizer": opt, "lr": lr, "batch_size": batch, "seed": 11,
                 "regularization": reg, "reg_rate": rate, "hidden": [6, 5]})  # fmt: skip
    start = copy.deepcopy(s.model)
    s.step_batch()
    s.train(None, max_steps=3)
    s.step_epoch()
    s.train(5.0, max_steps=2 * s.steps_per_epoch() + 1)
    s.train(None, max_epochs=4)
    while s.steps_left() != s.steps_per_epoch():
        s.step_batch()
    epochs = s.epoch
    assert epochs >= 6 and not s.status.stopped
    history = _fit_like(s, start, epochs)
    for ours, theirs in zip(s.model.parameters(), start.parameters(), strict=True):
        np.testing.assert_array_equal(ours._data, theirs._data)
    assert s.history.x == list(range(epochs + 1))
    for e, (train, test) in zip(s.history.x[1:], s.history.rows[1:], strict=True):
        assert train == history["loss"][e - 1]
        assert test == history["val_loss"][e - 1]
    assert s.metrics["test_loss"] == history["val_loss"][-1]
    assert s.engine.name == "delta" and "delta" in s.engine.reason


def test_past_thinning_spans_are_long_and_still_fits_numbers_and_a_step_is_one_epoch():
    """Past 400 epochs the curve keeps every 2nd: spans of two epochs, cut by slices."""
    s = Session({"dataset": "gauss", "optimizer": "adam", "lr": 0.01, "batch_size": 100,
                 "regularization": "l1", "reg_rate": 0.001, "seed": 5, "hidden": [3]})  # fmt: skip
    start = copy.deepcopy(s.model)
    while s.epoch < 450:
        s.train(None, max_steps=37)  # 3 steps an epoch: slices end anywhere in a span
    assert s.history.stride == 2 and s.steps_left() != s.steps_per_epoch()
    epoch = s.epoch
    s.step_epoch()
    assert s.epoch == epoch + 1 and s.steps_left() == s.steps_per_epoch()
    s.step_epoch()
    assert s.epoch == epoch + 2 and s.steps == 3 * s.epoch
    history = _fit_like(s, start, s.epoch)
    for ours, theirs in zip(s.model.parameters(), start.parameters(), strict=True):
        np.testing.assert_array_equal(ours._data, theirs._data)
    assert s.history.x[-1] >= 450 and all(e % 2 == 0 for e in s.history.x)
    for e, (train, test) in zip(s.history.x[1:], s.history.rows[1:], strict=True):
        assert test == history["val_loss"][e - 1]
        # to the last bit only: train.spans._epoch_losses weighs a span's batch losses with
        # one (epochs × batches) @ counts product, whose rounding depends on the span's
        # length (here 2 epochs, fit's 1); summing each row on its own would be exact
        assert train == pytest.approx(history["loss"][e - 1], rel=1e-12, abs=0)


def _sgd_session(**extra):
    s = Session({"dataset": "circle", "optimizer": "adam", "lr": 0.05, "batch_size": 2000,
                 "seed": 3, "hidden": [4], **extra})  # fmt: skip
    s.train(None, max_epochs=3)
    return s


def _by_hand(s: Session, shrink: float = 0.0):
    """One full-batch SGD step from the δ engine's gradients, then L2's factor 1 − shrink."""
    grads = s.plan.compute(s.x, s.y)
    lr = np.float32(s.state["lr"])
    out = []
    for layer in s.plan.net:
        l = layer.index
        w = layer.weight._data - lr * grads.weight_grads[l].T.astype(np.float32)
        out.append((w * np.float32(1 - shrink), layer.bias._data - lr * grads.bias_grads[l]))
    return out


def _assert_params(s: Session, want) -> None:
    for layer, (w, b) in zip(s.plan.net, want, strict=True):
        np.testing.assert_allclose(layer.weight._data, w, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(layer.bias._data, b, rtol=1e-5, atol=1e-7)


def test_a_new_optimizer_and_a_typed_in_weight_reach_the_loop():
    s = _sgd_session()
    s.apply({"optimizer": "sgd"})  # Adam's moments are gone: a plain step follows
    s.edit("weight", 1, 0, 1, 0.625)
    assert s.plan.net[0].weight._data[0, 1] == np.float32(0.625)
    want = _by_hand(s)
    s.step_batch()
    _assert_params(s, want)


def test_a_new_penalty_and_learning_rate_reach_the_loop():
    s = _sgd_session()
    s.apply({"optimizer": "sgd"})
    s.step_batch()
    s.apply({"regularization": "l2", "reg_rate": 0.5, "lr": 0.2})
    want = _by_hand(s, shrink=0.2 * 0.5)
    s.step_batch()
    _assert_params(s, want)


def test_a_new_batch_size_starts_with_the_next_epoch():
    s = Session({"dataset": "gauss", "seed": 2, "batch_size": 100})  # 250 rows: 3 steps
    s.step_batch()
    s.apply({"batch_size": 50})
    assert s.steps_left() == 2  # the epoch under way keeps its batches
    s.step_epoch()
    assert (s.epoch, s.steps, s.steps_per_epoch()) == (1, 3, 5)
    s.step_epoch()
    assert (s.epoch, s.steps) == (2, 8)


def test_stop_conditions_changed_while_training_take_effect():
    s = Session({"dataset": "gauss", "seed": 0, "batch_size": 5})
    s.status.running = True
    s.train(None, max_steps=3 * s.steps_per_epoch() + 2)  # in epoch 4
    s.apply({"stop_epochs": 5})
    assert s.train(10.0) > 0
    assert s.epoch == 5 and "5 epochs" in s.status.stopped and not s.status.running
    assert s.train(10.0) == 0  # stopped stays stopped
    s.apply({"stop_epochs": 7})
    s.status.running = True
    s.train(10.0)
    assert s.epoch == 7 and "7 epochs" in s.status.stopped


def test_divergence_names_the_batch_and_keeps_finite_weights():
    s = Session({"dataset": "square", "hidden": [8], "activation": ["relu"], "lr": 10,
                 "batch_size": 50, "noise": 10, "seed": 0})  # fmt: skip
    s.status.running = True
    s.train(5.0, max_epochs=200)
    words = s.status.stopped
    assert s.status.diverged and not s.status.running
    assert words.startswith("Training diverged in epoch ") and ", batch " in words
    assert "learning rate 10" in words
    assert words.endswith("Lower the learning rate and press Reset.")
    assert np.isfinite(s.flat).all()
    s.status.stopped = ""  # what the page's Step does first
    assert s.train(5.0) == 0 and s.step_batch() is None and s.status.stopped == words
    s.reset()
    assert not s.status.diverged and s.epoch == 0 and s.train(1.0, max_steps=2) == 2
