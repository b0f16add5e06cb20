"""Lesson links under attack (issue 16, the attacker's report): locks, presets, the solution.

A ``Connection`` sends to a ``Sink`` (no browser, no socket). What an attacker found:
locks checked only on the keys a message named, not on the state it made (a locked
activation came back as tanh after removing and adding layers, then every + was refused;
a 1-D dataset changed locked features; ``n`` and exports had no lock); "Show solution"
was seven weight edits applied to whatever network was there, and the page claimed loss 0;
a refused preset sent nothing back, so the page kept showing the exercise. Every test here
failed on the code before these fixes. Numbers are checked against numpy's |x − 1|.
"""

from __future__ import annotations

import asyncio
import json

import numpy as np
import pytest

from backprop.playground import fields, lessons, locks
from backprop.playground.connection import Connection
from playground_helpers import Sink, msg


def _open(url: dict) -> Connection:
    conn = Connection(Sink())
    asyncio.run(conn.handle(msg("hello", url={"v": "1", "seed": "3", **url})))
    conn.ws.sent.clear()
    return conn


def _send(conn: Connection, kind_: str, **body) -> list[dict]:
    conn.ws.sent.clear()
    asyncio.run(conn.handle(json.dumps({"v": 1, "type": kind_, **body})))
    return conn.ws.sent


def _errors(sent: list[dict]) -> list[str]:
    return [m["message"] for m in sent if m["type"] == "error"]


def test_every_setting_belongs_to_a_lockable_control():
    for name in fields.FIELDS:
        assert locks.owner(name) in lessons.CONTROLS


def test_all_controls_locked_refuse_n_and_exports():
    conn = _open({"lesson": "abs", "lock": ",".join(lessons.CONTROLS)})
    assert "locked by this lesson link" in _errors(_send(conn, "set", changes={"n": 2000}))[0]
    assert conn.session.state["n"] != 2000
    sent = _send(conn, "export", what="spec")
    assert not [m for m in sent if m["type"] == "export"] and _errors(sent)


def test_a_locked_activation_follows_the_layers_and_never_dead_ends():
    conn = _open({"lesson": "relu6", "lock": "activation"})
    s = conn.session
    assert not _errors(_send(conn, "set", changes={"hidden": [], "activation": []}))
    assert not _errors(_send(conn, "set", changes={"hidden": [8], "activation": ["tanh"]}))
    assert s.state["hidden"] == [8] and s.state["activation"] == ["relu"]
    assert not _errors(_send(conn, "set", changes={"hidden": [8, 2]}))
    assert s.state["activation"] == ["relu", "relu"]
    assert _errors(_send(conn, "set", changes={"activation": ["tanh", "tanh"]}))


def test_locked_features_refuse_a_dataset_that_would_change_them():
    conn = _open({"lock": "features", "dataset": "circle", "features": "x1,x2,x1x2"})
    sent = _send(conn, "set", changes={"dataset": "sine"})
    assert "Input features is locked" in _errors(sent)[0]
    assert conn.session.state["features"] == ["x1", "x2", "x1x2"]
    assert conn.session.state["dataset"] == "circle"
    states = [m for m in sent if m["type"] == "state"]
    assert states and states[-1]["state"]["dataset"] == "circle"  # the page rolls back


def test_a_refused_preset_sends_the_state_and_lesson_back():
    conn = _open({"lesson": "abs", "lock": "lr"})
    sent = _send(conn, "preset", name="sigmoid6")
    assert "locked by this lesson link" in _errors(sent)[0]
    state = [m for m in sent if m["type"] == "state"][-1]
    assert state["lesson"]["preset"] == "abs" and state["state"]["dataset"] == "abs"
    assert conn.session.state["dataset"] == "abs"
    sent = _send(conn, "preset", name="step")  # the same learning rate: allowed
    assert not _errors(sent)
    state = [m for m in sent if m["type"] == "state"][-1]
    assert state["lesson"]["preset"] == "step" and "lesson=step" in state["lesson"]["hash"]
    assert state["state"]["activation"] == ["step"]


def _abs_of(conn: Connection) -> np.ndarray:
    import backprop

    x = np.linspace(-3, 5, 81, dtype=np.float32).reshape(-1, 1)
    with backprop.no_grad():
        return conn.session.model(backprop.tensor(x)).numpy() - np.abs(x - 1)


def test_the_solution_is_a_server_action_that_reports_the_loss_it_measures():
    conn = _open({"lesson": "abs"})
    sent = _send(conn, "solution")
    assert not _errors(sent)
    np.testing.assert_allclose(_abs_of(conn), 0, atol=1e-6)  # numpy's |x − 1|
    loss = conn.session.metrics["loss"]
    note = " ".join(m for s in sent if s["type"] == "state" for m in s["notes"])
    assert f"training loss {loss:.3g}" in note and "(measured)" in note


@pytest.mark.parametrize(
    "change",
    [
        {"features": ["x1", "x1sq"]},  # the attacker's (a): same shape, another input
        {"hidden": [3]},  # (b): a neuron added before the solution arrived
        {"hidden": [2, 2], "activation": ["relu", "relu"]},  # (c): a hand-made network
    ],
)
def test_the_solution_is_refused_on_a_network_it_does_not_fit(change):
    conn = _open({"lesson": "abs"})
    _send(conn, "set", changes=change)
    before = [p._data.copy() for p in conn.session.model.parameters()]
    sent = _send(conn, "solution")
    assert "Show solution: the solution is for the" in _errors(sent)[0]
    for b, p in zip(before, conn.session.model.parameters()):
        np.testing.assert_array_equal(b, p._data)  # no weight was touched


def test_the_solution_is_refused_once_when_weights_are_locked():
    conn = _open({"lesson": "abs", "lock": "weights"})
    errors = _errors(_send(conn, "solution"))
    assert len(errors) == 1 and "Typing weights and biases is locked" in errors[0]


def test_a_network_change_made_before_an_exercise_arrived_is_refused_not_merged():
    """Item 8: an exercise and a quick "+ neuron" made from the old state gave a hybrid
    (the exercise's data, the old network plus one neuron)."""
    conn = _open({})
    rev = conn.session.rev
    old = conn.session.state["hidden"]
    _send(conn, "preset", name="abs")
    sent = _send(conn, "set", changes={"hidden": [*old[:-1], old[-1] + 1]}, base=rev)
    assert "made from settings that changed" in _errors(sent)[0]
    assert conn.session.state["hidden"] == lessons.PRESETS["abs"]["settings"]["hidden"]
    rev = [m for m in sent if m["type"] == "state"][-1]["rev"]
    assert not _errors(_send(conn, "set", changes={"hidden": [3]}, base=rev))
    assert conn.session.state["hidden"] == [3]
    assert not _errors(_send(conn, "set", changes={"lr": 0.3}, base=0))  # not a list: fine


def test_set_messages_made_from_different_states_are_not_merged():
    from backprop.playground.inbox import Inbox

    inbox = Inbox()
    for i, base in enumerate((4, 4, 5)):
        inbox.offer(msg("set", changes={"hidden": [i + 1]}, base=base), 0.0)
    first, second = inbox.take(), inbox.take()
    assert first["changes"] == {"hidden": [2]} and first["base"] == 4
    assert second["base"] == 5 and not inbox


def test_a_merged_run_of_changes_keeps_the_allowed_ones_when_one_is_refused():
    """Item 16: queued set messages were merged and refused as one (the noise change was
    lost with the locked learning rate)."""
    conn = _open({"lock": "lr"})
    conn.inbox.offer(msg("set", changes={"noise": 20}), 0.0)
    conn.inbox.offer(msg("set", changes={"lr": 1}), 0.0)
    conn.ws.sent.clear()
    asyncio.run(conn.answer(conn.inbox.take()))
    errors = _errors(conn.ws.sent)
    assert len(errors) == 1 and errors[0].startswith("set lr: Learning rate is locked")
    assert conn.session.state["noise"] == 20 and conn.session.state["lr"] != 1


def test_a_link_of_another_version_opens_with_a_note():
    _, notes = fields.from_url({"v": "2", "lr": "0.1"})
    assert len(notes) == 1 and 'version "2"' in notes[0]
    assert fields.from_url({"v": "1"}) == ({}, [])


def test_a_weight_typed_on_a_network_that_has_since_changed_is_refused():
    """Class of item 2 (b): an edit carried no network identity, so a value typed before
    a rebuild landed on the new network."""
    conn = _open({"hidden": "2"})
    net = [m for m in _send(conn, "resync") if m["type"] == "snapshot"][-1]["net"]
    _send(conn, "set", changes={"hidden": [3]})
    before = conn.session.plan.net[0].weight._data.copy()
    edit = {"kind": "weight", "layer": 1, "row": 0, "col": 0, "value": 2.5}
    assert "network changed" in _errors(_send(conn, "edit", **edit, net=net))[0]
    np.testing.assert_array_equal(conn.session.plan.net[0].weight._data, before)
    net = [m for m in _send(conn, "resync") if m["type"] == "snapshot"][-1]["net"]
    assert not _errors(_send(conn, "edit", **edit, net=net))
    assert conn.session.plan.net[0].weight._data[0, 0] == 2.5
