"""Issue 16, the eighth attacker's findings (brief PGN): numbers judged on their whole literal
(links, set, edit; quoted by their start and end), a JSON integer past Python's 4,300 digits,
TF links that replaced this page's own dataset or were recognised by this page's ``_hide``
form, empty link values, notes quoting bidi text, TF ``_hide`` truthiness and cos hiding,
TF seeds that collided."""

from __future__ import annotations

import json
import unicodedata
from decimal import Decimal

import numpy as np
import pytest

from test_playground_attack6 import errors, send, send_text, tab

pytest.importorskip("starlette", reason="the web extra (starlette) is not installed")

ZEROS = "1." + "0" * 300  # "1." and 300 zeros: 1.0, 302 characters


def ready(conn) -> dict:
    return [m for m in conn.ws.sent if m["type"] == "ready"][-1]


def raw_set(conn, name: str, literal: str) -> list[dict]:
    return send_text(conn, f'{{"v":1,"type":"set","changes":{{"{name}":{literal}}}}}')


def raw_edit(conn, kind: str, literal: str) -> list[dict]:
    col = ',"col":0' if kind == "weight" else ""
    net = conn.session.builds
    return send_text(
        conn,
        f'{{"v":1,"type":"edit","kind":"{kind}","layer":1,"row":0{col},"value":{literal},'
        f'"net":{net}}}',
    )


# -- item 1: a number is judged on its whole literal, whatever its form -------------------------
# before: a socket's literal was judged on its text only when it held "e-" or 300 zeros
# after a point; 10.0000000000000000001 (lr, max 10) and 10000.00000000000001 (a weight, max
# 1e4) were taken as the floats they round to. Oracle: Decimal, the literal's exact value.
PAST = [
    ("lr", "10.0000000000000000001", 10),
    ("lr", "0.00000999999999999999999", 1e-5),
    ("stop_loss", "1000000.000000000000001", 1e6),
    ("reg_rate", "10.000000000000000000000000000001", 10),
]


@pytest.mark.parametrize(("name", "literal", "bound"), PAST)
def test_a_set_literal_past_its_bound_is_refused_though_its_float_is_not(name, literal, bound):
    assert Decimal(literal) != Decimal(repr(bound))  # the oracle: outside, exactly
    assert float(literal) == bound  # though it rounds onto the bound
    conn = tab({"seed": "1"})
    before = conn.session.state[name]
    answers = errors(raw_set(conn, name, literal))
    assert answers and answers[0]["field"] == name and literal in answers[0]["message"], answers
    assert conn.session.state[name] == before


@pytest.mark.parametrize(("name", "literal", "bound"), PAST)
def test_a_link_literal_past_its_bound_is_ignored_with_a_note(name, literal, bound):
    conn = tab({name: literal, "seed": "1"})
    notes = ready(conn)["notes"]
    assert any(f"{name}=" in n and literal in n for n in notes), notes


@pytest.mark.parametrize("kind", ["weight", "bias"])
def test_an_edit_literal_past_the_limit_is_refused_though_its_float_is_not(kind):
    literal = "10000.00000000000001"
    assert float(literal) == 1e4 and Decimal(literal) > 10_000
    conn = tab({"seed": "1"})
    answers = errors(raw_edit(conn, kind, literal))
    assert answers and answers[0]["field"] == "edit.value", answers


@pytest.mark.parametrize("kind", ["weight", "bias"])
def test_a_long_literal_is_quoted_by_its_start_and_end_and_never_reaches_the_network(kind):
    # before 9bdf289: judged on its first 40 characters (1.000...0 = 1) and set: a bias of
    # 1e39 overflowed float32 (inf); after it, refused but quoted as "1.000...0", in range
    conn = tab({"seed": "1"})
    answers = errors(raw_edit(conn, kind, ZEROS + "e39"))
    assert answers, "refused"
    text = answers[0]["message"]
    assert "e39" in text and "305 characters" in text, text
    lin = conn.session.plan.net[0]
    assert np.isfinite(lin.weight._data).all() and np.isfinite(lin.bias._data).all()


def test_a_long_literal_in_range_is_taken_at_its_value():
    literal = "1" + "0" * 400 + "e-400"  # = 1.0
    assert Decimal(literal) == 1
    conn = tab({"seed": "1"})
    assert not errors(raw_set(conn, "lr", literal))
    assert conn.session.state["lr"] == 1.0


def test_a_link_too_long_to_read_quotes_its_start_and_end():
    literal = "1" + "0" * 400 + "e-400"
    notes = ready(tab({"lr": literal}))["notes"]
    said = [n for n in notes if n.startswith("link: ignored lr=")]
    assert said and "e-400" in said[0] and "406 characters" in said[0], notes


def test_a_whole_number_setting_is_whole_as_written():
    literal = "1.0000000000000000001"
    assert float(literal) == 1.0 and Decimal(literal) != 1
    conn = tab({"seed": "7"})
    answers = errors(raw_set(conn, "seed", literal))
    assert answers and answers[0]["field"] == "seed" and literal in answers[0]["message"]
    assert conn.session.state["seed"] == 7


# -- item 10: an integer past Python's 4,300 digits is valid JSON -----------------------------
@pytest.mark.parametrize("digits", [4301, 5000, 100_000])
def test_a_huge_json_integer_is_refused_as_out_of_range_naming_its_field(digits):
    literal = "1" + "0" * (digits - 1)
    with pytest.raises(ValueError):
        json.loads(literal)  # Python's own limit, the reason it was "not valid JSON"
    conn = tab({"seed": "3"})
    answers = errors(raw_set(conn, "seed", literal))
    assert answers and answers[0]["field"] == "seed", answers
    text = answers[0]["message"]
    assert "not valid JSON" not in text and "between 0 and" in text, text
    assert f"{digits:,} digits" in text, text


# -- item 2: a TF link never replaces this page's own dataset ----------------------------------
# before: problem=regression in a link with any TF name (or x_hide) opened the plane
@pytest.mark.parametrize(
    "url",
    [
        {"dataset": "square", "problem": "regression", "x_hide": "true"},
        {"dataset": "square", "problem": "regression", "learningRate_hide": "true"},
        {"dataset": "multigauss", "problem": "regression", "x_hide": "true"},
        {"dataset": "sine", "problem": "regression", "batchSize": "5"},
    ],
)
def test_a_tf_link_keeps_this_pages_dataset(url):
    assert ready(tab(url))["state"]["dataset"] == url["dataset"]


def test_tfs_own_regression_link_still_reads_reg_dataset():
    url = {"dataset": "circle", "problem": "regression", "regDataset": "reg-gauss"}
    assert ready(tab({**url, "learningRate": "0.1"}))["state"]["dataset"] == "multigauss"


def test_this_pages_hide_form_does_not_make_a_tf_link():
    alone = ready(tab({"seed": "abc"}))["notes"]
    hidden = ready(tab({"seed": "abc", "problem_hide": "true"}))["notes"]
    seed = [n for n in alone if "seed" in n]
    assert seed and [n for n in hidden if "seed" in n] == seed, (alone, hidden)
    assert not [n for n in hidden if "TensorFlow" in n], hidden


# -- item 4: empty link values get set's rule and a note -----------------------------------------
@pytest.mark.parametrize(
    ("url", "name"),
    [
        ({"features": ""}, "features"),
        ({"features": ",,"}, "features"),
        ({"features": "%20"}, "features"),
        ({"activation": ""}, "activation"),
        ({"activation": " , "}, "activation"),
    ],
)
def test_an_empty_link_list_is_ignored_with_sets_rule(url, name):
    from backprop.playground.fields import NOT_EMPTY

    notes = ready(tab(url))["notes"]
    assert [n for n in notes if n.startswith(f"link: ignored {name}=") and NOT_EMPTY[name] in n]
    if name == "features":  # the same rule a set is refused with
        refused = errors(send(tab({}), "set", changes={"features": []}))
        assert NOT_EMPTY["features"] in refused[0]["message"]


def test_a_tf_link_with_every_feature_off_says_so():
    from backprop.playground.fields import NOT_EMPTY

    notes = ready(tab({"x": "false", "y": "false"}))["notes"]
    assert [n for n in notes if NOT_EMPTY["features"] in n], notes


# -- item 5: every note quoting a link's text escapes bidi and invisible characters -------------
def invisible(text: str) -> list[str]:
    return [c for c in text if unicodedata.category(c) in ("Cf", "Cc", "Zl", "Zp")]


BIDI = "\u202eevil\u2066x\u200b"


@pytest.mark.parametrize(
    "url",
    [
        {"collectStats": BIDI},
        {"learningRate": "0.1", "seed": BIDI},
        {"problem": "regression", "regDataset": BIDI},
        {"tutorial": BIDI},
        {BIDI: "1"},
        {**{f"k{i}": "1" for i in range(64)}, BIDI + "a": "1", BIDI + "b": "1"},
    ],
)
def test_link_notes_escape_bidi_and_invisible_text(url):
    notes = ready(tab(url))["notes"]
    assert notes and not invisible("".join(notes)), notes


def test_the_repeated_key_notes_escape_bidi_text():
    from backprop.playground.lessons import MAX_REPEATS, repeated

    _, notes = repeated({BIDI: ["a", "b"], BIDI + "2": ["a"] * (MAX_REPEATS + 1)})
    assert len(notes) == 2 and not invisible("".join(notes)), notes
    _, plain = repeated({"task": ["a", "b"]})
    assert plain[0].startswith("link: ignored task: given 2 times"), plain


# -- item 6: TF's _hide texts read as ours; the cos switches hide nothing here ------------------
@pytest.mark.parametrize("text", ["true", "TRUE", "1", " True "])
def test_a_tf_hide_is_read_with_this_pages_truthiness(text):
    lesson = ready(tab({"learningRate": "0.1", "learningRate_hide": text}))["lesson"]
    assert "lr" in lesson["hide"], lesson


@pytest.mark.parametrize("key", ["cosX_hide", "cosY_hide"])
def test_tfs_cos_hide_does_not_hide_the_features_row(key):
    r = ready(tab({"learningRate": "0.1", key: "true"}))
    assert "features" not in r["lesson"]["hide"], r["lesson"]
    assert [n for n in r["notes"] if key in n and "Not on this page" in n], r["notes"]


# -- item 8: TF seeds are five decimals as written ---------------------------------------------
def test_tf_seeds_that_differ_as_text_open_different_data():
    seeds = {t: ready(tab({"learningRate": "0.1", "seed": t}))["state"]["seed"]
             for t in ("0.5", "0.05", "0.50000", "0.05000", "0.00005")}  # fmt: skip
    assert seeds["0.50000"] == 50000 and seeds["0.05000"] == 5000 and seeds["0.00005"] == 5
    assert len(set(seeds.values())) == len(seeds), seeds


# -- item 3: an upload that changes the loss in effect goes through set's loss rule ------------
# before: loss=bce_with_logits, a 3-class upload: the state, menu and link said bce, training
# ran cross_entropy, no note; and lock=loss let it through
THREE = "a,b,y\n" + "\n".join(f"{i / 10},{(i * 7 % 10) / 10},{i % 3}" for i in range(60)) + "\n"


def test_a_three_class_upload_under_bce_says_and_links_the_loss_that_runs():
    conn = tab({"loss": "bce_with_logits", "seed": "1"})
    answers = send(conn, "upload", name="three.csv", text=THREE)
    state = [m for m in answers if m["type"] == "state"][-1]
    assert state["state"]["loss"] == conn.session.loss_name == "cross_entropy"
    assert "loss=cross_entropy" in state["hash"]
    # the words set's rule gives for the gauss set with 3 classes (the existing path)
    same = send(tab({"loss": "bce_with_logits", "dataset": "gauss"}), "set", changes={"classes": 3})
    rule = next(n for m in same if m["type"] == "state" for n in m["notes"] if "bce_with" in n)
    said = [n for n in state["notes"] if "bce_with_logits" in n]
    assert said and said[0].split(";")[0] == rule.split(";")[0], (said, rule)


def test_a_three_class_upload_is_refused_under_a_locked_bce_loss():
    conn = tab({"loss": "bce_with_logits", "lock": "loss", "seed": "1"})
    answers = errors(send(conn, "upload", name="three.csv", text=THREE))
    assert answers and "locked" in answers[0]["message"], answers
    assert conn.session.state["dataset"] != "csv"
    assert conn.session.loss_name == conn.session.state["loss"] == "bce_with_logits"


def test_bce_chosen_alone_on_a_three_class_upload_is_refused():
    conn = tab({"seed": "1"})
    send(conn, "upload", name="three.csv", text=THREE)
    answers = errors(send(conn, "set", changes={"loss": "bce_with_logits"}))
    assert answers and answers[0]["field"] == "loss", answers
    assert conn.session.state["loss"] != "bce_with_logits"


# -- item 7: an upload name changed in any way is said; one left hidden or empty is renamed -----
# before: folders were dropped, marks cut and invisible characters removed without the "save
# your copy under that name" note; "\u200b.csv" became ".csv", a hidden file on Unix
@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd.csv", "C:\\Users\\a.csv", "a" + "\u0301" * 8 + ".csv", "\u200b.csv",
     "\u202e.csv", "e\u0301.csv", " x.csv", "data\u3164.csv"],
)  # fmt: skip
def test_an_upload_name_changed_in_any_way_is_said(name):
    conn = tab({"seed": "1"})
    answers = send(conn, "upload", name=name, text=THREE)
    kept = conn.session.spec()["data"]["csv"]
    assert kept != name and kept and not kept.startswith(".")
    assert "/" not in kept and "\\" not in kept
    notes = [n for m in answers if m["type"] == "state" for n in m["notes"]]
    said = [n for n in notes if "save your copy under that name" in n and repr(kept) in n]
    assert said and not invisible(said[0]), notes


def test_an_upload_name_kept_as_given_has_no_note():
    conn = tab({"seed": "1"})
    answers = send(conn, "upload", name="three.csv", text=THREE)
    notes = [n for m in answers if m["type"] == "state" for n in m["notes"]]
    assert conn.session.spec()["data"]["csv"] == "three.csv"
    assert not [n for n in notes if "save your copy" in n], notes
