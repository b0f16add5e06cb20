"""Issue 16, seventh attacker: a cleaned header rewrote the file's rows (item 1), features
kept when the data's dimension changes (item 2), hidden settings named in notes (item 3)."""

from __future__ import annotations

import pytest

from backprop.playground import uploads
from backprop.playground.protocol import ProtocolError

pytest.importorskip("starlette", reason="the web extra (starlette) is not installed")

PLAIN, HIDDEN = "a,b,y", "a,b,\u200by"  # the second header is cleaned on upload
ROWS = [f"{i % 7 / 3:.3f},{i % 5 / 2:.3f},{i % 2}" for i in range(12)]


def outcome(text: str):
    """What an upload makes of ``text``: the words of its refusal, or the rows it read."""
    try:
        parsed = uploads.prepare("f.csv", text, 75, 1)
    except ProtocolError as exc:
        return "refused", str(exc)
    data = parsed.data
    return "read", len(data.x) + len(data.x_test), data.x.tolist(), data.y.tolist()


# -- item 1: only the header record is cleaned; the body is read as the file has it -------------
# before: the whole text was re-joined by str.splitlines, which also ends a line at \x0c, \x85
# or U+2028 (CSV does not): a \x0c inside a row became two rows, U+2028-separated rows were
# accepted, and error messages quoted a file the user never wrote
@pytest.mark.parametrize(
    "body",
    [
        "\n".join([*ROWS[:6], "1.0,2.0\x0c0.5,3.0,1", *ROWS[6:]]),  # \x0c inside a row
        "\u2028".join(ROWS),  # rows separated by U+2028 only
        "\n".join([*ROWS[:6], "1.0,2.0\x85x,1", *ROWS[6:]]),  # a bad cell holding \x85
        "\r\n".join([*ROWS[:4], "1.0,2.0\x1e3.0,0", *ROWS[4:]]),
    ],
    ids=["x0c-in-a-row", "u2028-rows", "x85-in-a-cell", "x1e-in-a-row"],
)
def test_the_body_is_judged_the_same_with_or_without_a_cleaned_header(body):
    plain, hidden = outcome(f"{PLAIN}\n{body}\n"), outcome(f"{HIDDEN}\n{body}\n")
    assert hidden == plain


def test_a_cleaned_header_leaves_the_rows_byte_for_byte():
    body = "1,2\x0c3,0\r\n4,5\u2028,1\r5,6,\x851\n"
    _, text, notes, renamed = uploads.clean_upload("f.csv", f"\n{HIDDEN}\r\n{body}")
    assert notes and text == f"\n{PLAIN}\r\n{body}"
    assert renamed == (("\u200by", "y"),)


# before: the exported spec named the cleaned target 'y' and said nothing, so
# `backprop train spec.json` next to the uploaded file failed ("target must be a column")
def test_the_export_says_the_columns_were_renamed():
    from backprop.playground.session import Session

    session = Session({"seed": 1})
    session.upload("f.csv", HIDDEN + "\n" + "\n".join(ROWS) + "\n")
    gaps = session.spec_gaps()
    assert any("\\u200by" in g and "rename" in g for g in gaps), gaps
    assert session.spec()["data"]["target"] == "y"


# -- item 2: the features follow the data's dimension, or a note says they do not -------------
# before: from the sine set (1-D, features x1), an uploaded a,b,y file or the circle set
# trained on column 1 only, with no note (the exported model's inputs were ['a'])
def said_or_used(session, notes) -> bool:
    """Both input columns feed the network, or a note says the second does not."""
    from backprop.playground.features import FEATURES

    both = any(FEATURES[f].columns == 2 for f in session.state["features"])
    return both or any("x2" in n for n in notes)


def test_an_upload_of_two_columns_from_1d_data_uses_both():
    from backprop.playground.session import Session

    session = Session({"dataset": "sine", "seed": 1})
    assert session.state["features"] == ["x1"]
    notes = session.upload("ab.csv", PLAIN + "\n" + "\n".join(ROWS) + "\n")
    assert said_or_used(session, notes), (session.state["features"], notes)
    assert session.state["features"] == ["x1", "x2"]


@pytest.mark.parametrize("features", [["x1"], ["x1", "sinx1"]])
def test_a_2d_set_chosen_from_1d_data_uses_both_or_says_so(features):
    from backprop.playground.session import Session

    session = Session({"dataset": "sine", "seed": 1, "features": features})
    notes = session.apply({"dataset": "circle"})
    assert said_or_used(session, notes), (session.state["features"], notes)


# -- item 3: notes and why a run stopped never name a setting the lesson hides ----------------
# before: `#lesson=abs&hide=optimizer,lr` + Show solution printed "Adam's first step ... about
# the learning rate"; `#hide=stop&stop_epochs=3` + Step x5 printed "Stopped at epoch 5, past
# the 3 epochs set": the server's notes went round the page's rule (lessons.setting)
# One exception since the tenth teacher (brief PGQ item 6): the note on Adam's first step at a
# minimum names the optimizer whatever the lesson hides ("the way this exercise trains takes a
# first step of a set size" told neither student nor teacher that SGD keeps the weights).
def test_the_solution_note_names_no_hidden_setting():
    from test_playground_attack6 import send, tab

    conn = tab({"lesson": "abs", "hide": "optimizer,lr", "seed": "1"})
    assert conn.session.state["optimizer"] in ("adam", "rmsprop")
    answers = send(conn, "solution")
    notes = [n for m in answers for n in m.get("notes", [])]
    assert notes, answers
    words = ("adam", "rmsprop", "sgd", "learning rate", "momentum")
    others = [n for n in notes if "first step has a set size" not in n]
    assert others and not [n for n in others if any(w in n.lower() for w in words)], notes


def test_why_a_run_stopped_names_no_hidden_stop_setting():
    import json as _json

    from test_playground_attack6 import send, tab

    conn = tab({"hide": "stop", "stop_epochs": "3", "seed": "1"})
    said = []
    for _ in range(5):
        for m in send(conn, "step", unit="epoch"):
            said.append(m)
    sent = [_json.loads(t) if isinstance(t, str) else t for t in conn.ws.sent]
    stops = [m["stopped"] for m in sent if m.get("type") == "snapshot" and m.get("stopped")]
    stops += [m["stopped"] for m in said if m.get("stopped")]
    assert conn.session.status.stopped  # the run did stop at the hidden 3 epochs
    assert stops, [m.get("type") for m in sent]
    assert not [t for t in stops if "3 epochs" in t or "epoch" in t.lower()], stops


def test_the_same_notes_are_shown_without_the_lesson():
    from test_playground_attack6 import send, tab

    conn = tab({"lesson": "abs", "seed": "1"})
    notes = [n for m in send(conn, "solution") for n in m.get("notes", [])]
    assert any("first step" in n for n in notes), notes
