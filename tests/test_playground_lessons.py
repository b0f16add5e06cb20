"""Lesson links and the lecture's presets (issue 16), without a browser.

The lesson part of a link (``lesson``, ``hide``, ``lock``, ``task``) is checked like any
user input: hostile, unknown, oversized and malformed entries are dropped with a note and
the task stays plain text. The presets are the built-in specs' runs (compared with the
spec files the CLI trains), the |x − 1| solution gives numpy's |x − 1| and zero loss, the
step preset's gradients below the step layer are zero (the lecture's Caution), and six
sigmoid layers pass less gradient to the first layer than six ReLU layers (checked
against PyTorch's autograd on the same weights and data). The server refuses changes to
locked controls.
"""

from __future__ import annotations

import json
import warnings
from urllib.parse import quote

import numpy as np
import pytest

from backprop.errors import StepUnitWarning
from backprop.playground import fields, lessons, locks
from backprop.playground.fields import ProtocolError
from backprop.playground.session import Session
from backprop.spec import builtin


# -- the link --------------------------------------------------------------------------------
def test_a_lesson_link_is_read_and_written_back():
    url = {"v": "1", "lesson": "abs", "hide": "lr,optimizer", "lock": "network",
           "task": "Find%20weights%20with%20zero%20loss", "lr": "0.3"}  # fmt: skip
    chosen, lesson, notes = lessons.start(url)
    assert notes == []  # the lesson keys are not "unknown settings"
    assert lesson["preset"] == "abs" and lesson["hide"] == ["lr", "optimizer"]
    assert lesson["lock"] == ["network"] and lesson["task"] == "Find weights with zero loss"
    assert chosen["lr"] == 0.3  # the link's own setting wins over the preset's
    assert chosen["hidden"] == [2] and chosen["dataset"] == "abs"  # the rest: the preset
    again, notes = lessons.read(dict(p.split("=", 1) for p in lesson["hash"].split("&")))
    assert again == lesson and notes == []


@pytest.mark.parametrize(
    ("key", "text", "said"),
    [
        ("hide", "lr,<img src=x onerror=alert(1)>,optimizer", "unknown control"),
        ("lock", "__proto__,constructor", "unknown control"),
        ("lesson", "../../etc/passwd", "not an exercise"),
        ("lesson", "toString", "not an exercise"),
        ("hide", "lr," * 1000, "malformed"),
        ("task", "%FF%FE", "not UTF-8"),
    ],
)
def test_hostile_lesson_entries_are_dropped_with_a_note(key, text, said):
    chosen, lesson, notes = lessons.start({key: text})
    assert len(notes) == 1 and said in notes[0] and key in notes[0]
    assert lesson["preset"] in ("", *lessons.PRESETS)
    assert set(lesson["hide"]) | set(lesson["lock"]) <= set(lessons.CONTROLS)
    Session({**chosen, "seed": 1})  # still opens


def test_non_text_entries_and_a_non_object_url_are_refused_in_words():
    # (a list of texts is a key given more than once: issue 16, fifth attacker M1)
    _, lesson, notes = lessons.start({"hide": {"lr": "1"}, "task": 7})
    assert lesson == lessons.empty() and len(notes) == 2
    with pytest.raises(ProtocolError, match="'url' must be an object"):
        lessons.start(["hide=lr"])


def test_the_task_is_plain_text_one_line_and_at_most_200_characters():
    _, lesson, _ = lessons.start(
        {"task": "%3Cscript%3Ealert(1)%3C%2Fscript%3E%0A%0Dnext%E2%80%AEline"}
    )
    # kept as the characters typed (the page shows it as text), without line breaks
    # or bidi overrides (removed: they are invisible)
    assert lesson["task"] == "<script>alert(1)</script> nextline"
    _, lesson, notes = lessons.start({"task": "a%20" * 150})
    assert len(lesson["task"]) == lessons.MAX_TASK and lesson["task"].endswith("…")
    assert notes == [
        f"link: task: at most {lessons.MAX_TASK} characters ({lessons.TASK_RULE}); this one "
        f"has 299: cut to {lessons.MAX_TASK} (ending '…'). Shorten it in “Copy lesson link…”."
    ]


@pytest.mark.parametrize(
    ("typed", "kept"),
    [  # third trial, attacker #3: tasks the dialog counted as 150 and 12 were dropped
        ("\u1100\u1161\u11a8" * 150, "\uac01" * 150),  # conjoining jamo: 150 syllables
        ("Find weights" + "\u200b" * 300, "Find weights"),
        ("x" * 5000, "x" * (lessons.MAX_TASK - 1) + "…"),
        ("Find " + "\u200b" * 30_000 + "weights", "Find"),  # read from its start, said so
    ],
    ids=["jamo", "zero-width", "5000", "30000"],
)
def test_a_long_task_in_a_link_is_cleaned_and_cut_never_dropped(typed, kept):
    _, lesson, notes = lessons.start({"task": quote(typed, safe="")})
    assert lesson["task"] == kept
    assert all("malformed" not in n for n in notes)
    if len(quote(typed, safe="")) > lessons.TASK_READ:
        assert any("read from its first" in n for n in notes)


def test_the_task_keeps_characters_newer_than_pythons_unicode_and_drops_blanks():
    # attacker #6: 🩷 (U+1FA77, Unicode 15) is 'Cn' to Python 3.11's Unicode 14 and was
    # removed; attacker #8: 150 Braille blanks (U+2800) were kept and looked empty
    task = "Draw a \U0001fa77 heart: shake \U0001fae8 the weights"
    assert lessons.start({"task": quote(task, safe="")})[1]["task"] == task
    _, lesson, notes = lessons.start({"task": quote("\u2800" * 150, safe="")})
    assert lesson["task"] == "" and "removed invisible" in notes[0]


def test_tensorflow_playgrounds_hide_keys_are_read_for_this_pages_controls():
    url = {"lr_hide": "true", "noise_hide": "false", "learningRate_hide": "true",
           "seed_hide": "maybe"}  # fmt: skip
    _, lesson, notes = lessons.start(url)
    assert lesson["hide"] == ["lr"] and lesson["hash"] == "hide=lr"
    # learningRate_hide is TF Playground's name for the same control (tflinks.py): read as
    # lr, with the one note that says the link was read as TF Playground's
    assert len(notes) == 2 and "TensorFlow Playground" in notes[0]
    assert "not a control of this page" in notes[1] and "seed_hide" in notes[1]


def test_a_control_both_hidden_and_locked_is_hidden_and_names_are_deduplicated():
    _, lesson, _ = lessons.start({"hide": "LR,lr, lr", "lock": "lr,network,network"})
    assert lesson["hide"] == ["lr"] and lesson["lock"] == ["network"]


def test_locked_and_hidden_settings_are_refused_and_unchanged_values_pass():
    _, lesson, _ = lessons.start({"hide": "lr", "lock": "network,activation,seed"})
    state = fields.defaults()
    with pytest.raises(ProtocolError, match="Learning rate is hidden by this lesson link"):
        locks.check_locked(lesson, {"lr": 1.0}, state)
    with pytest.raises(ProtocolError, match="Hidden layers and neurons is locked"):
        locks.check_locked(lesson, {"hidden": [4]}, state)
    with pytest.raises(ProtocolError, match="Seed and Regenerate is locked"):
        locks.check_locked(lesson, {"seed": 12}, state)
    with pytest.raises(ProtocolError, match="Activation is locked"):
        locks.check_locked(lesson, {"activation": ["relu", "relu"]}, state)
    locks.check_locked(lesson, {"lr": state["lr"], "noise": 20}, state)  # no change: fine
    with pytest.raises(ProtocolError, match="Typing weights and biases is locked"):
        locks.check_action(lessons.start({"lock": "weights"})[1], "weights")


# -- the presets -----------------------------------------------------------------------------
def test_every_preset_is_a_valid_set_of_settings():
    table = json.loads(json.dumps(lessons.table()))  # what the page gets
    for name, preset in table["presets"].items():
        assert fields.check_changes(preset["settings"]), name
        assert preset["title"] and preset["text"]


@pytest.mark.parametrize("name", ["square", "abs"])
def test_the_lecture_presets_are_the_built_in_specs(name):
    """What the page's preset exports is what ``backprop train <name>`` runs."""
    want = builtin(name)
    s = Session(lessons.PRESETS[name]["settings"])
    got = s.spec()
    assert [1, *got["model"]["hidden"], 1] == want["model"]["sizes"]
    assert got["model"]["activation"] == [want["model"]["activation"]] * len(got["model"]["hidden"])
    assert got["optimizer"]["name"] == want["optimizer"]["name"]
    assert got["optimizer"]["lr"] == want["optimizer"]["lr"]
    assert got["loss"]["name"] == want["loss"]["name"] and got["seed"] == want["seed"]
    assert got["data"]["n"] == want["data"]["n"] and got["batch_size"] is want["batch_size"]
    from backprop.data.registry import DATASETS

    noise = want["data"].get("noise", DATASETS[name].defaults["noise"])
    assert got["data"]["noise"] == pytest.approx(noise)
    assert s.state["stop_epochs"] == want["epochs"]


def test_the_abs_solution_gives_numpys_abs_and_zero_loss():
    import backprop

    s = Session(lessons.PRESETS["abs"]["settings"])
    assert s.metrics["loss"] > 0.01  # random weights first
    for edit in lessons.PRESETS["abs"]["solution"]:
        s.edit(edit["kind"], edit["layer"], edit["row"], edit.get("col"), edit["value"])
    x = np.linspace(-3, 5, 801, dtype=np.float32).reshape(-1, 1)
    with backprop.no_grad():
        y = s.model(backprop.tensor(x)).numpy()
    np.testing.assert_allclose(y, np.abs(x - 1), atol=1e-6)
    m = s.metrics
    assert m["loss"] == pytest.approx(0, abs=1e-12)
    assert m["test_loss"] == pytest.approx(0, abs=1e-12)


def test_the_step_preset_shows_the_caution_and_zero_gradients_below():
    s = Session(lessons.PRESETS["step"]["settings"])
    assert any(note.startswith("Caution: ") for note in s.notes)
    w1 = s.plan.net[0].weight._data.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StepUnitWarning)
        s.train(None, max_epochs=5)
    np.testing.assert_array_equal(s.plan.net[0].weight._data, w1)
    norms = s._grad_norms()
    assert norms[0] == 0 and norms[1] > 0  # the chart shows layer 1 at zero


def _torch_first_over_last(s: Session) -> float:
    """‖∂E/∂W[1]‖ / ‖∂E/∂W[L]‖ of the session's network on its training set, by torch."""
    torch = pytest.importorskip("torch")
    x = torch.tensor(s.x, dtype=torch.float64)
    y = torch.tensor(s.y, dtype=torch.float64)
    acts = {"sigmoid": torch.sigmoid, "relu": torch.relu}
    ws = [
        torch.tensor(lin.weight._data, dtype=torch.float64, requires_grad=True)
        for lin in s.plan.net
    ]
    bs = [torch.tensor(lin.bias._data, dtype=torch.float64) for lin in s.plan.net]
    a = x
    for i, (w, b) in enumerate(zip(ws, bs)):
        a = a @ w.T + b
        if i < len(ws) - 1:
            a = acts[s.state["activation"][i]](a)
    torch.nn.functional.binary_cross_entropy_with_logits(a, y.reshape(a.shape)).backward()
    return float(ws[0].grad.norm() / ws[-2].grad.norm())


def test_six_sigmoid_layers_pass_less_gradient_to_the_first_than_six_relu_layers():
    ratios = {}
    for name in ("sigmoid6", "relu6"):
        s = Session(lessons.PRESETS[name]["settings"])
        norms = s._grad_norms()
        ours = norms[0] / norms[5]
        ratios[name] = _torch_first_over_last(s)
        assert ours == pytest.approx(ratios[name], rel=1e-3)  # the chart's numbers are torch's
    assert ratios["sigmoid6"] < ratios["relu6"] / 10


# -- over the socket -------------------------------------------------------------------------
def test_the_server_sends_the_lesson_and_refuses_locked_changes():
    pytest.importorskip("httpx", reason="Starlette's TestClient needs httpx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    from backprop.playground.server import create_app
    from playground_helpers import msg

    def until(ws, kind):
        for _ in range(20):
            m = json.loads(ws.receive_text())
            if m["type"] == kind:
                return m
        raise AssertionError(kind)

    url = {"lesson": "abs", "lock": "lr,weights", "hide": "upload", "task": "%3Cb%3Ehi%3C%2Fb%3E"}
    with TestClient(create_app(max_sessions=2), base_url="http://localhost") as client:
        headers = {"host": "localhost", "origin": "http://localhost"}
        with client.websocket_connect("/ws", headers=headers) as ws:
            ws.send_text(msg("hello", url=url))
            ready = until(ws, "ready")
            assert ready["lesson"]["task"] == "<b>hi</b>" and ready["state"]["hidden"] == [2]
            assert set(ready["lessons"]["presets"]) == set(lessons.PRESETS)
            ws.send_text(msg("set", changes={"lr": 1}))
            assert "locked by this lesson link" in until(ws, "error")["message"]
            ws.send_text(
                json.dumps(
                    {
                        "v": 1,
                        "type": "edit",
                        "kind": "bias",
                        "layer": 1,
                        "row": 0,
                        "value": 1.0,
                        "net": 1,
                    }
                )
            )
            assert "locked by this lesson link" in until(ws, "error")["message"]
            ws.send_text(msg("upload", name="a.csv", text="x,y\n1,2\n"))
            assert "hidden by this lesson link" in until(ws, "error")["message"]
            ws.send_text(msg("set", changes={"noise": 20}))
            assert until(ws, "state")["state"]["noise"] == 20
