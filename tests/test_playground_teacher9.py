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


# -- P2: a CSV page's lesson link: what students really get, and no exercise mark ----------------
# before: y = x² -> Upload CSV kept lesson=square on the teacher's page and in its link; the
# dialog named the Circle dataset while the fresh page opened on the plane
HOUSES = "size,rooms,price\n" + "".join(f"{50 + i},{1 + i % 4},{100 + 3 * i}\n" for i in range(40))


def test_an_upload_clears_the_exercise_mark_on_the_page_and_in_its_link():
    conn = tab({"seed": "1"})
    assert not errors(send(conn, "preset", name="square"))
    assert conn.lesson["preset"] == "square"
    answers = send(conn, "upload", name="houses.csv", text=HOUSES)
    assert not errors(answers), errors(answers)
    state = [m for m in answers if m["type"] == "state"][-1]
    assert state["state"]["dataset"] == "csv"
    assert state["lesson"]["preset"] == "" and "lesson=" not in state["lesson"]["hash"]


@pytest.mark.parametrize("problem", ["regression", "classification"])
def test_the_dialogs_fallback_is_the_dataset_a_csv_link_opens_on(problem):
    from backprop.playground import lessons

    conn = tab({"dataset": "csv", "problem": problem, "seed": "1", "lesson": "square"})
    got = conn.session.state["dataset"]
    assert got != "csv"
    assert lessons.table(conn.lesson)["csv_instead"][problem] == got
    assert conn.lesson["preset"] == ""  # the fresh page is not y = x² on the plane


# -- P3: a link names an exercise only on that exercise's data and network ------------------------
# before: hidden=4,2&activation=tanh,tanh&lesson=sigmoid6 showed "Sigmoid × 6" on a 4-2 tanh
# circle net; lesson=step on the |x - 1| ReLU net showed "Step units" active
@pytest.mark.parametrize(
    "link",
    [
        {"dataset": "circle", "hidden": "4,2", "activation": "tanh,tanh", "lesson": "sigmoid6"},
        {"dataset": "abs", "features": "x1", "hidden": "2", "activation": "relu", "lesson": "step"},
    ],
)
def test_a_link_naming_an_exercise_the_page_is_not_set_up_as_marks_none(link):
    from backprop.playground.session import Session  # noqa: F401  (the tab's own)

    conn = tab({**link, "seed": "1"})
    assert conn.lesson["preset"] == "" and "lesson=" not in conn.lesson["hash"]
    said = [m for m in conn.ws.sent if isinstance(m, dict) and m.get("type") == "ready"]
    notes = said[-1]["notes"] if said else []
    assert any("is not marked" in n for n in notes), notes


def test_a_link_set_up_as_its_exercise_keeps_the_mark():
    conn = tab({"lesson": "abs", "seed": "2"})
    assert conn.lesson["preset"] == "abs"
