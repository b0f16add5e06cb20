"""Issue 16, the eighth teacher's findings (brief PGO): a met stop is a pause point that Play
and Step train on from, a CSV page's lesson link says what students get, the dialog's
exercise menu names only what the link sets up, lock=solution draws the button disabled, a
refused tap on a phone opens no neuron card, a 1-D dataset's preset is said."""

from __future__ import annotations

import pytest

from test_playground_attack6 import errors, send, tab

pytest.importorskip("starlette", reason="the web extra (starlette) is not installed")


# -- P1: after a stop at N epochs, Play and Step train on from there -------------------------
# before: abs exercise stopped at 3000; Play trained ONE epoch and stopped at 3001 with
# "Stopped at epoch 3001, past the 3000 epochs set (Reset starts again from epoch 0)."
def test_play_after_a_stop_at_n_epochs_trains_on_from_there():
    from backprop.playground.session import Session

    s = Session({"dataset": "xor", "seed": 1, "stop_epochs": 3})
    s.status.running = True
    s.train(10.0)
    assert s.epoch == 3 and s.status.stopped == "Stopped: reached 3 epochs."
    s.status.stopped, s.status.running = "", True  # Play (connection.py clears the stop)
    s.train(10.0, max_epochs=5)
    assert s.epoch == 8 and not s.status.stopped and s.status.running
    s.apply({"stop_epochs": 10})  # the next stop the page defines holds
    s.train(10.0)
    assert s.epoch == 10 and s.status.stopped == "Stopped: reached 10 epochs."


def test_step_after_a_stop_trains_on_and_says_nothing_twice():
    conn = tab({"dataset": "xor", "seed": "1", "stop_epochs": "2"})
    for _ in range(2):
        assert not errors(send(conn, "step", unit="epoch"))
    assert conn.session.status.stopped == "Stopped: reached 2 epochs."
    for _ in range(3):
        assert not errors(send(conn, "step", unit="epoch"))
        assert not conn.session.status.stopped, conn.session.status.stopped
    assert conn.session.epoch == 5


def test_play_after_a_loss_target_was_met_trains_on_until_it_is_changed():
    from backprop.playground.session import Session

    s = Session({"dataset": "gauss", "seed": 0, "stop_loss": 0.5})
    s.status.running = True
    s.train(10.0, max_epochs=200)
    met = s.epoch
    assert "reached the target" in s.status.stopped and met < 200
    s.status.stopped, s.status.running = "", True
    s.train(10.0, max_epochs=4)
    assert s.epoch == met + 4 and not s.status.stopped
    s.apply({"stop_loss": 0.6})  # a new target is armed: the loss is below it already
    s.status.running = True
    s.train(10.0, max_epochs=4)
    assert s.epoch == met + 5 and "reached the target 0.6" in s.status.stopped


def test_a_stop_below_the_epoch_reached_is_passed_and_said_once():
    conn = tab({"dataset": "xor", "seed": "1"})
    for _ in range(4):
        send(conn, "step", unit="epoch")
    state = next(m for m in send(conn, "set", changes={"stop_epochs": 2}) if m["type"] == "state")
    said = [n for n in state["notes"] if "at epoch 4 already" in n]
    assert len(said) == 1 and "trains on" in said[0], state["notes"]
    send(conn, "step", unit="epoch")
    assert conn.session.epoch == 5 and not conn.session.status.stopped
