"""Links under attack (issue 16, the attacker's report, items 3, 9, 10, 11 and 16).

A task in Russian that the dialog allowed (190 of its 200 characters) was dropped because
the server measured it percent-encoded (1,032 characters against 800); invisible and
direction-changing characters survived in the task; numbers were written with ``%g`` (six
digits: lr=0.0123456789 came back as 0.0123457); entries past a limit vanished without a
note; Python's ``int`` read Arabic-Indic and full-width digits and ``1_000``. References:
``urllib.parse.quote`` (what the page's ``encodeURIComponent`` writes for these texts) and
Python's own ``float(repr(x)) == x``.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from backprop.playground import fields, lessons


@pytest.mark.parametrize(
    "task",
    [
        ("Найдите такие веса, чтобы ошибка стала нулевой. " * 4)[:190],
        ("请找到使损失为零的权重。" * 10)[:100],
        "😀" * lessons.MAX_TASK,  # 4 UTF-8 bytes each: 12 characters encoded
    ],
    ids=["russian-190", "chinese-100", "emoji-200"],
)
def test_a_task_the_dialog_allows_is_kept_whole_whatever_its_script(task):
    _, lesson, notes = lessons.start({"task": quote(task, safe="")})
    assert lesson["task"] == task and notes == []


def test_invisible_and_direction_changing_characters_leave_the_task_with_a_note():
    hostile = "abc\u2067evil\u2069 \u200f\u061c\u200b\ufeff x\u202e"
    _, lesson, notes = lessons.start({"task": quote(hostile, safe="")})
    assert lesson["task"] == "abcevil x"
    assert len(notes) == 1 and "invisible or direction-changing" in notes[0]
    _, lesson, notes = lessons.start({"task": quote("مرحبا\u200cبك 👩\u200d🏫", safe="")})
    assert lesson["task"] == "مرحبا\u200cبك 👩\u200d🏫" and notes == []  # joiners stay


@pytest.mark.parametrize("key", ["lr", "reg_rate", "stop_loss"])
@pytest.mark.parametrize("value", [0.0123456789, 1e-5, 0.1 + 0.2, 3.0, 0.000123456789])
def test_a_link_carries_every_number_exactly(key, value):
    state = fields.defaults()
    state[key] = value
    pairs = dict(p.split("=", 1) for p in fields.to_url(state).split("&"))
    chosen, notes = fields.from_url(pairs)
    if fields.FIELDS[key].low <= value <= fields.FIELDS[key].high:
        assert chosen[key] == value and notes == []


def test_entries_past_the_limits_are_dropped_with_a_note():
    url = {f"k{i}": "1" for i in range(70)}
    _, notes = fields.from_url(url)
    assert any("ignored 6 entries past the first 64" in n for n in notes)
    _, lesson, notes = lessons.start({"hide": ",".join(["lr"] * 100)})
    assert lesson["hide"] == ["lr"] and any("past the first 96" in n for n in notes)
    tf = {f"c{i}_hide": "true" for i in range(30)}
    _, _, notes = lessons.start(tf)
    assert any("'_hide' entries past the first 24" in n for n in notes)


@pytest.mark.parametrize(
    ("key", "text"), [("seed", "١٢٣"), ("noise", "５"), ("n", "1_000"), ("hidden", "４,2")]
)
def test_numbers_in_a_link_are_plain_ascii(key, text):
    chosen, notes = fields.from_url({key: text})
    assert key not in chosen and len(notes) == 1 and "in ASCII digits" in notes[0]
