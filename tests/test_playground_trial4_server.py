"""The server's items from issue 16's fourth attacker and teacher trials.

Each test drives the server as a tab does (``Connection.handle`` on the page's messages,
answers kept by a ``Sink``; the Starlette app over its TestClient where the socket itself
matters) and checks against what the trial's scripts found; each fails on the code the
trial ran (named in its comment).
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile

import pytest

from playground_helpers import Sink, errors, msg, send, send_text, tab

pytest.importorskip("starlette", reason="the web extra (starlette) is not installed")

BIG = "1" + "0" * 400  # a JSON integer no float holds (10**400)


# -- a: an integer too large for a float -----------------------------------------------------
# before: OverflowError out of protocol.parse (math.isfinite) -> "Exception in ASGI
# application", the socket closed, the page told nothing
@pytest.mark.parametrize(
    ("text", "field", "rule"),
    [
        ('{"v":1,"type":"edit","kind":"weight","layer":1,"row":0,"col":0,"net":1,'
         f'"value":{BIG}}}', "edit.value", "between -10000 and 10000"),
        (f'{{"v":1,"type":"set","changes":{{"lr":{BIG}}}}}', "lr", "between 1e-05 and 10"),
        (f'{{"v":1,"type":"set","changes":{{"reg_rate":-{BIG}}}}}', "reg_rate", "between 0"),
        (f'{{"v":1,"type":"set","changes":{{"stop_loss":{BIG}}}}}', "stop_loss", "between 0"),
        (f'{{"v":1,"type":"set","changes":{{"n":{BIG}}}}}', "n", "between 20 and 2000"),
        (f'{{"v":1,"type":"ack","seq":{BIG}}}', "seq", "between 0"),
    ],
)  # fmt: skip
def test_an_integer_too_large_for_a_float_is_refused_naming_field_and_range(text, field, rule):
    conn = tab()
    said = errors(send_text(conn, text))
    assert len(said) == 1, said
    assert said[0]["field"] == field and rule in said[0]["message"]
    # the value is quoted abridged, with its count of digits, not as 401 characters
    assert "(401 digits)" in said[0]["message"] and len(said[0]["message"]) < 300
    assert not errors(send(conn, "ping"))  # the tab goes on


def test_a_huge_integer_read_from_the_socket_is_an_error_for_the_page_and_work_goes_on():
    """The socket's path: ``Inbox.take`` parses what ``read`` queued (before: the
    OverflowError ended the tab's work task, so nothing after it was answered)."""
    from backprop.playground.fields import ProtocolError
    from backprop.playground.inbox import Inbox

    inbox = Inbox()
    inbox.offer(f'{{"v":1,"type":"set","changes":{{"lr":{BIG}}}}}', 0.0)
    inbox.offer(msg("ping"), 0.0)
    refused = inbox.take()
    assert isinstance(refused, ProtocolError) and refused.field == "lr"
    assert inbox.take() == {"type": "ping"}


@pytest.mark.parametrize("name", ["lr", "stop_loss", "reg_rate"])
def test_the_notebook_widget_refuses_a_huge_integer_in_its_words(name):
    pytest.importorskip("anywidget", reason="the notebook extra (anywidget) is not installed")
    from backprop.errors import ConfigError
    from backprop.playground import widget

    w = widget(seed=1)
    with pytest.raises(ConfigError, match="between"):
        w.set(**{name: 10**400})
    with pytest.raises(ConfigError, match="about 5,000 digits"):  # past int -> str's limit
        w.set(**{name: 10**5000})


# -- i: edits take a layer of 1.0 as settings take a count of 1.0; their errors name a field --
def test_an_edit_takes_a_whole_float_index_and_its_errors_carry_a_field():
    conn = tab({"seed": 1})
    net = conn.session.builds
    answers = send(conn, "edit", kind="weight", layer=1.0, row=0.0, col=1.0, value=0.5, net=net)
    assert not errors(answers) and [m for m in answers if m["type"] == "edited"]
    assert float(conn.session.plan.net[0].weight._data[0, 1]) == 0.5
    said = errors(send(conn, "edit", kind="bias", layer=1.5, row=0, value=1, net=net))
    assert said and said[0]["field"] == "edit.layer"


# -- f: the editor's refusal speaks of the weight the user typed -------------------------------
@pytest.mark.parametrize(
    ("edit", "name"),
    [
        ({"kind": "weight", "layer": 2, "row": 0, "col": 3}, "w[2]₄₁"),
        ({"kind": "bias", "layer": 1, "row": 2}, "b[1]₃"),
        ({"kind": "weight", "layer": 1, "row": 11, "col": 0}, "w[1]₁,₁₂"),
    ],
)
def test_a_refused_value_names_the_weight_in_the_lectures_notation(edit, name):
    from backprop.playground import protocol
    from backprop.playground.fields import ProtocolError

    for value in (1e-40, 2e4):
        with pytest.raises(ProtocolError) as err:
            protocol.parse(json.dumps({"v": 1, "type": "edit", **edit, "value": value, "net": 1}))
        assert err.value.field == "edit.value"
        text = str(err.value)
        assert text.startswith(f"edit: {name}") and "'value'" not in text


# -- b: names found in the shared temporary folder are data ----------------------------------
@pytest.mark.parametrize("pid", ["99999999999999999999", "²", "12٣", "4294967296"])
def test_a_strangers_folder_never_stops_uploads_and_exports(tmp_path, monkeypatch, pid):
    from backprop.playground import scratch

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(scratch, "_folder", None)
    monkeypatch.setattr(scratch, "_removed", False)
    stranger = tmp_path / f"{scratch.PREFIX}{pid}-x"
    stranger.mkdir()
    folder = scratch.folder()  # before: OverflowError / ValueError for every server
    assert os.path.isdir(folder) and stranger.is_dir()  # not ours to judge: left alone
    scratch.remove()


def test_an_upload_and_an_export_work_beside_a_strangers_folder(tmp_path, monkeypatch):
    from backprop.playground import scratch

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(scratch, "_folder", None)
    monkeypatch.setattr(scratch, "_removed", False)
    (tmp_path / f"{scratch.PREFIX}99999999999999999999-x").mkdir()
    conn = tab({"seed": 1})
    answers = send(conn, "export", what="model")
    assert not errors(answers) and [m for m in answers if m["type"] == "export"]
    rows = "\n".join(f"{i},{i % 2}" for i in range(20))
    assert not errors(send(conn, "upload", name="d.csv", text=f"x,y\n{rows}\n"))
    scratch.remove()


# -- c: a link's malformed entry is named with its rule and its value -------------------------
@pytest.mark.parametrize(
    ("key", "text", "rule"),
    [
        ("lr", BIG, "at most 400 characters"),
        ("seed", BIG[:300], "between 0 and 2147483647"),
        ("n", BIG[:300], "between 20 and 2000"),
        ("hidden", BIG, "at most 400 characters"),
        ("seed", [1], "not list"),  # (["1"] is seed=1 given once: fifth attacker M1)
        ("lr", "abc", "ASCII digits"),
        ("discretize", "maybe", "1, 0, true or false"),
    ],
)
def test_a_links_malformed_entry_is_named_with_its_rule_and_value(key, text, rule):
    from backprop.playground import lessons

    _, _, notes = lessons.start({key: text})
    assert len(notes) == 1 and rule in notes[0] and f"ignored {key}=" in notes[0]
    if isinstance(text, str) and len(text) > 60:
        assert f"({len(text)} digits)" in notes[0] and len(notes[0]) < 200


# -- d: a header with a quoted line break is at line 1 ---------------------------------------
@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('"a\nb",y\n1,0\n2,1\n3,0\n', "(line 1)"),  # before: 'the header has 1 columns (a)'
        ('x1,"x\n2",y\n1,2,0\n3,4,1\n5,6,0\n', "(line 1)"),  # before: '(line 2)'
        ('x1,x2,y\n1,2,0\n"foo\n",5,0\n6,7,1\n', "line 3,"),  # before: 'line 4'
    ],
)
def test_csv_lines_are_where_a_reader_finds_the_record(text, line):
    from backprop.playground import uploads
    from backprop.playground.fields import ProtocolError

    with pytest.raises(ProtocolError) as err:
        uploads.load_csv(("d.csv", text, 0), 50, 0)
    assert line in str(err.value)
    # where a text editor shows it: the line the record starts on
    number = int(line.strip("(),").split()[1])
    assert ("foo" if "foo" in text else '"') in text.splitlines()[number - 1]


def test_a_header_name_with_a_line_break_is_refused_at_line_1_not_rewritten_broken():
    """Cleaning the header's names rewrote its first physical line only: '"a\u200b⏎b",y'
    became 'a⏎b",y' (a broken file, refused for its second line's quote)."""
    conn = tab({"seed": 1})
    text = '"a\u200b\nb",y\n1,0\n2,1\n3,0\n4,1\n'
    said = errors(send(conn, "upload", name="d.csv", text=text))
    assert said and "(line 1)" in said[0]["message"] and "control character" in said[0]["message"]


# -- e: too few rows for any split is said as that --------------------------------------------
def test_a_two_row_csv_is_refused_as_too_few_rows_not_as_a_ratio():
    conn = tab({"seed": 1, "train_ratio": 50})
    said = errors(send(conn, "upload", name="two.csv", text="x,y\n1,2\n3,4\n"))
    text = said[0]["message"]
    assert "2 data rows" in text and "too few" in text and "nearer 50" not in text


@pytest.mark.parametrize("rows", [3, 4, 5, 7, 12])
def test_the_train_ratios_offered_are_the_ones_that_work(rows):
    from backprop.playground import uploads
    from backprop.playground.fields import ProtocolError

    text = "x,y\n" + "".join(f"{i},{i * i}\n" for i in range(rows))
    ok = []
    for ratio in range(10, 91):
        try:
            uploads.load_csv(("d.csv", text, 0), ratio, 0)
            ok.append(ratio)
        except ProtocolError as exc:
            refused = str(exc)
    assert ok and "Choose a train ratio of" in refused
    said = refused.split("Choose a train ratio of ")[1].split(",")[0]
    want = f"{ok[0]} %" if len(ok) == 1 else f"{ok[0]} % to {ok[-1]} %"
    assert said == want and ok == list(range(ok[0], ok[-1] + 1))


# -- h: a new layer under a locked activation takes the lesson's, and says so ---------------
def test_a_new_layer_under_a_locked_activation_says_it_takes_the_lessons():
    conn = tab({"lock": "activation", "hidden": "4,2", "activation": "tanh,tanh", "seed": 1})
    sent = send(conn, "set", changes={"hidden": [4, 2, 3], "activation": ["tanh", "tanh", "relu"]})
    assert not errors(sent)
    assert conn.session.state["activation"] == ["tanh", "tanh", "tanh"]  # the lock keeps it
    notes = [n for m in sent if m["type"] == "state" for n in m["notes"]]
    said = [n for n in notes if "locked by this lesson link" in n]
    assert said and "layer 3" in said[0] and "tanh" in said[0] and "not relu" in said[0]
    # a new layer that asks for the lesson's own activation gets no note
    sent = send(conn, "set", changes={"hidden": [4, 2, 3, 2], "activation": ["tanh"] * 4})
    notes = [n for m in sent if m["type"] == "state" for n in m["notes"]]
    assert not errors(sent) and not [n for n in notes if "locked" in n]


# -- j: a value typed by hand starts at rest, so the exact solution stays exact -------------
@pytest.mark.parametrize("optimizer", ["adam", "momentum", "rmsprop"])
def test_one_step_after_the_exact_solution_keeps_it_exact(optimizer):
    """The teacher's trial: |x − 1|, Step ×2, the lecture's weights, Step. At those weights
    the gradient is ≈ 0 (float32 rounding), so a step must leave them where they are; the
    velocity built before the edit (Adam's first moment, momentum) moved them (before:
    Adam's test loss 4e-15 → 0.011, momentum's → 0.71)."""
    import numpy as np

    from backprop.playground import exercises

    conn = tab({"lesson": "abs", "seed": 1, "optimizer": optimizer})
    for _ in range(2):
        send(conn, "step", unit="epoch")
    assert not errors(send(conn, "solution"))
    s = conn.session
    exact = s.metrics["test_loss"]
    typed = [p._data.copy() for p in s.model.parameters()]
    for e in exercises.solution_edits("abs"):  # what the solution set: the lecture's numbers
        lin = s.plan.net[e["layer"] - 1]
        at = (e["row"], e["col"]) if e["kind"] == "weight" else e["row"]
        assert (lin.weight if e["kind"] == "weight" else lin.bias)._data[at] == e["value"]
    for _ in range(3):
        send(conn, "step", unit="epoch")
    moved = max(float(np.max(np.abs(p._data - t))) for p, t in zip(s.model.parameters(), typed))
    assert moved < 1e-5 and s.metrics["test_loss"] < 1e-12 and exact < 1e-12


def test_an_edit_rests_its_own_velocity_and_keeps_the_rest_of_the_state():
    import numpy as np

    conn = tab({"seed": 3, "optimizer": "adam"})
    s = conn.session
    for _ in range(2):
        send(conn, "step", unit="epoch")
    s.run.loop.sync()
    weight = s.plan.net[0].weight
    before = {k: v._data.copy() for k, v in s.optimizer.state[weight].items()}
    assert before["exp_avg"][1, 0] != 0
    send(conn, "edit", kind="weight", layer=1, row=1, col=0, value=0.25, net=s.builds)
    s.run.loop.sync()
    after = {k: v._data for k, v in s.optimizer.state[weight].items()}
    want = before["exp_avg"].copy()
    want[1, 0] = 0
    assert np.array_equal(after["exp_avg"], want)
    assert np.array_equal(after["exp_avg_sq"], before["exp_avg_sq"])


# -- k: an upload is read off the event loop ----------------------------------------------------
def test_other_tabs_pings_are_answered_while_an_upload_is_read(monkeypatch):
    """Reading the file is held (an Event) until another tab's ping has its pong; read on
    the event loop (before), the pong cannot come until the read ends: the hold runs out."""
    import threading

    from backprop.playground import uploads
    from backprop.playground.connection import Connection

    real = uploads.load_csv
    pong_first = threading.Event()
    held: list[bool] = []

    def slow_load_csv(*args, **kwargs):
        if not held:
            held.append(pong_first.wait(timeout=10))
        return real(*args, **kwargs)

    monkeypatch.setattr(uploads, "load_csv", slow_load_csv)
    rows = "\n".join(f"{i % 7},{i % 3},{i % 2}" for i in range(4000))

    async def main():
        a, b = Connection(Sink()), Connection(Sink())
        await a.handle(msg("hello", url={"seed": "1"}))
        await b.handle(msg("hello", url={"seed": "2"}))
        upload = asyncio.create_task(
            a.handle(msg("upload", name="big.csv", text=f"x1,x2,y\n{rows}\n"))
        )
        await asyncio.sleep(0)  # the upload starts: reading the file (old: on this loop)
        await b.handle(msg("ping"))
        if any(m["type"] == "pong" for m in b.ws.sent):
            pong_first.set()
        await upload
        return a

    a = asyncio.run(main())
    assert held == [True]  # the pong came while the file was being read
    assert a.session.state["dataset"] == "csv" and not errors(a.ws.sent)


def test_the_notebook_widget_takes_numpys_numbers_as_numbers():
    """The widget shares the parser's one number check; NumPy's scalars (a notebook's
    ``np.int64(100)``) were refused as 'must be a whole number'."""
    pytest.importorskip("anywidget", reason="the notebook extra (anywidget) is not installed")
    import numpy as np

    from backprop.errors import ConfigError
    from backprop.playground import widget

    w = widget(seed=1)
    w.set(n=np.int64(100), lr=np.float32(0.5), hidden=[np.int32(3)])
    assert w.session.state["n"] == 100 and w.session.state["lr"] == 0.5
    assert w.session.state["hidden"] == [3] and type(w.session.state["n"]) is int
    with pytest.raises(ConfigError, match="whole number"):
        w.set(n=np.bool_(True))
