"""The lesson links' items from issue 16's fifth attacker trial (a fresh clone, its source read).

A key given twice in a link (M1), a long task's cut (L4), and what a lesson hides (the
trial's information item): driven as a tab does (``lessons.start`` on the link's keys,
``Connection.handle`` with answers kept by a ``Sink``), checked against what the trial found
or a reference no one here wrote (the ``regex`` module's grapheme clusters); each fails on
the code the trial ran. The server's other items are in test_playground_trial5_attack.py.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from playground_helpers import Sink, errors, msg, send, tab

pytest.importorskip("starlette", reason="the web extra (starlette) is not installed")


# -- M1: a key given twice in a lesson link ----------------------------------------------------
# before: the page kept the last of each key (lock=lr&lock=network -> lock=network: lr
# silently unlocked); sent as a list, the server ignored the whole 'lock' entry as malformed
def test_a_lock_given_twice_locks_both_and_the_refusal_says_so():
    conn = tab()
    send(conn, "hello", url={"v": "1", "lock": ["lr", "network"], "task": "go"})
    ready = [m for m in conn.ws.sent if m["type"] == "ready"][-1]
    assert ready["lesson"]["lock"] == ["lr", "network"]
    for change in ({"lr": 3}, {"hidden": [3]}):
        answers = send(conn, "set", changes=change)
        assert errors(answers), change
    assert conn.session.state["lr"] != 3


@pytest.mark.parametrize(
    ("key", "texts"), [("lesson", ["abs", "square"]), ("lr", ["0.1", "3"]),
                       ("task", ["first", "second"])],
)  # fmt: skip
def test_a_key_given_twice_with_different_values_is_ignored_in_words(key, texts):
    from backprop.playground import lessons

    settings, lesson, notes = lessons.start({"v": "1", key: texts, "hide": ["lr", "speed"]})
    assert lesson["hide"] == ["lr", "speed"]
    assert key not in settings and not lesson["preset"] and not lesson["task"]
    said = [n for n in notes if n.startswith(f"link: ignored {key}: given 2 times")]
    assert said and all(t in said[0] for t in texts), notes


def test_a_key_given_twice_with_one_value_counts():
    from backprop.playground import lessons

    settings, lesson, notes = lessons.start({"v": "1", "lr": ["0.1", "0.1"], "lr_hide": ["0", "1"]})
    assert settings == {"lr": 0.1} and lesson["hide"] == ["lr"] and not notes


# -- L4: a task cut at 200 characters splits no character ------------------------------------
# before: cut at 199 code points: 150 x U+0958 left U+0915 without its nukta before the '…',
# a family emoji became man + ZWJ + woman
@pytest.mark.parametrize(
    "text",
    [
        "\u0958" * 150,  # NFC: U+0915 U+093C each
        "\U0001f468\u200d\U0001f469\u200d\U0001f467" * 60,  # a family, ZWJ-joined
        "ab" + "\U0001f1e9\U0001f1ea" * 120,  # flags: pairs of regional indicators
        "\U0001f44d\U0001f3fd" * 150,  # a skin-tone modifier
        "\u2764\ufe0f" * 150,  # a variation selector
        "\u0915\u093f" * 150,  # a spacing vowel sign (Mc, combining class 0)
    ],
    ids=["nukta", "family", "flags", "skin-tone", "variation", "vowel-sign"],
)
def test_a_long_task_is_cut_between_characters_as_unicode_segments_them(text):
    import unicodedata
    from urllib.parse import quote

    regex = pytest.importorskip("regex")  # its \X: Unicode's extended grapheme clusters
    from backprop.playground import lessons

    _, lesson, notes = lessons.start({"task": quote(text)})
    task = lesson["task"]
    assert task.endswith("…") and len(task) <= lessons.MAX_TASK and notes
    kept, whole = task[:-1], unicodedata.normalize("NFC", text)
    clusters = regex.findall(r"\X", whole)
    joined = ""
    for c in clusters:  # the kept text is whole clusters of the task, and no fewer than it may
        if len(joined + c) > lessons.MAX_TASK - 1:
            break
        joined += c
    assert kept == joined.rstrip()


# -- information: what a lesson hides is not sent where that is cheap ---------------------------
# before: with hide=view the snapshots carried every layer's gw/gb/delta; `ready` carried
# the |x − 1| solution's weights with the solution hidden
def snapshots_after_hello(url: dict) -> list[dict]:
    conn = greeted(url)
    send(conn, "step", unit="epoch")
    return [m for m in conn.ws.sent if m["type"] == "snapshot"]


def greeted(url: dict):
    from backprop.playground.connection import Connection

    conn = Connection(Sink())
    asyncio.run(conn.handle(msg("hello", url={"v": "1", "seed": "1", **url})))
    return conn


def test_a_hidden_backward_view_sends_no_gradients_but_keeps_the_charts_norms():
    hidden = snapshots_after_hello({"hide": "view"})
    assert hidden and all(
        not {"gw", "gb", "delta"} & set(lay) and "norm" in lay
        for m in hidden for lay in m["layers"]
    )  # fmt: skip
    shown = snapshots_after_hello({"hide": "view", "view": "gradients"})  # the link shows them
    assert all({"gw", "gb", "delta", "norm"} <= set(lay) for m in shown for lay in m["layers"])
    plain = snapshots_after_hello({})
    assert all({"gw", "gb", "delta"} <= set(lay) for m in plain for lay in m["layers"])


@pytest.mark.parametrize("shut", [{"hide": "solution"}, {"lock": "weights"}])
def test_ready_carries_no_solution_weights_when_the_lesson_shuts_the_solution(shut):
    from backprop.playground import exercises

    def abs_preset(conn) -> dict:
        ready = [m for m in conn.ws.sent if m["type"] == "ready"][-1]
        return ready["lessons"]["presets"]["abs"]

    assert abs_preset(greeted({"lesson": "abs", **shut}))["solution"] is True
    assert abs_preset(greeted({"lesson": "abs"}))["solution"] == json.loads(
        json.dumps(exercises.solution_edits("abs"))
    )


# -- left by the fifth pair: a hidden activation named by an exercise's title -----------------
# before: with the activation hidden, the refusal of another exercise named it ("Exercise
# ReLU × 6 not started"), as the page's buttons did ("Sigmoid × 6" pressed)
def test_an_exercise_refused_under_a_hidden_activation_is_called_by_its_place():
    from backprop.playground import exercises

    conn = tab({"lesson": "sigmoid6", "hide": "activation"})
    said = [m["message"] for m in errors(send(conn, "preset", name="relu6"))]
    place = list(exercises.PRESETS).index("relu6") + 1  # its button's place on the page
    assert said and said[0].startswith(f"Exercise {place} not started"), said
    for word in ("relu", "sigmoid"):
        assert word not in said[0].lower(), said
    shown = tab({"lesson": "sigmoid6", "lock": "activation"})  # locked, not hidden: named
    said = [m["message"] for m in errors(send(shown, "preset", name="relu6"))]
    assert said and said[0].startswith("Exercise ReLU × 6 not started"), said
