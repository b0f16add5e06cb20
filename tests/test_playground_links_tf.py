"""Links from outside and links on the edge of a rule (issue 16, seventh teacher 4, seventh
attacker 6 and 9).

TensorFlow Playground's own links were not read: of a link its page writes (src/state.ts,
``State.serialize``: every property ``name=value``, booleans ``true``/``false``, the network
shape comma-separated, then one ``<control>_hide`` per hideable control) only activation,
dataset, noise and problem carried over, with ~20 notes "ignored the unknown setting". The
reference here is TF Playground's vocabulary as its source names it (``State.PROPS`` and
``HIDABLE_CONTROLS``) and its meaning (``x`` is the input X₁, ``y`` X₂, ``xTimesY`` X₁X₂;
``regDataset`` is the data set when ``problem`` is regression; only ``"false"`` switches a
boolean off). Link numbers were judged after float rounding: lr=0.0000099999… (below the
1e-5 minimum) was taken as 1e-05; the reference is Python's ``decimal`` on the text. A task
of 150 emoji joined by ZWJ (one grapheme cluster) was cut to "…".
"""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import quote

import pytest

from backprop.playground import fields, lessons

# TF Playground's link as its State.serialize writes it (names and order of State.PROPS),
# for a spiral at lr 0.01, a 8-8-5 ReLU network with L2, five of its input features on
TF_LINK = (
    "activation=relu&regularization=L2&batchSize=20&dataset=spiral&regDataset=reg-plane"
    "&learningRate=0.01&regularizationRate=0.003&noise=15&networkShape=8,8,5&seed=0.27263"
    "&showTestData=true&discretize=true&percTrainData=70&x=true&y=false&xTimesY=true"
    "&xSquared=false&ySquared=true&cosX=false&sinX=true&cosY=false&sinY=false"
    "&collectStats=false&problem=classification&initZero=false&hideText=false"
    "&learningRate_hide=true&numHiddenLayers_hide=true&percTrainData_hide=false"
)


def pairs(link: str) -> dict:
    return dict(p.split("=", 1) for p in link.split("&"))


def test_a_tensorflow_playground_link_opens_with_its_settings_and_one_note():
    chosen, lesson, notes = lessons.start(pairs(TF_LINK))
    assert chosen["lr"] == 0.01 and chosen["reg_rate"] == 0.003
    assert chosen["batch_size"] == 20 and chosen["train_ratio"] == 70
    assert chosen["hidden"] == [8, 8, 5] and chosen["activation"] == ["relu"]
    assert chosen["regularization"] == "l2" and chosen["noise"] == 15
    assert chosen["dataset"] == "spiral" and chosen["problem"] == "classification"
    assert chosen["show_test"] is True and chosen["discretize"] is True
    # x on, y off, xTimesY, ySquared, sinX on: X₁, X₁X₂, X₂², sin X₁ in this page's order
    assert sorted(chosen["features"]) == sorted(["x1", "x1x2", "x2sq", "sinx1"])
    assert isinstance(chosen["seed"], int)
    assert lesson["hide"] == ["lr", "network"]  # percTrainData_hide=false hides nothing
    assert not any("unknown setting" in n for n in notes), notes
    assert len(notes) == 1 and "TensorFlow Playground" in notes[0]
    again, _, _ = lessons.start(pairs(TF_LINK))
    assert again["seed"] == chosen["seed"]  # one link, one data set


def test_what_has_no_counterpart_is_named_once_and_only_when_asked_for():
    link = TF_LINK.replace("cosX=false", "cosX=true").replace("initZero=false", "initZero=true")
    _, _, notes = lessons.start(pairs(link + "&playButton_hide=true&tutorial=dropout"))
    assert len(notes) == 1
    for asked in ("cosX", "initZero", "playButton_hide", "tutorial"):
        assert notes[0].count(asked) == 1, notes
    for unasked in ("cosY", "collectStats", "hideText"):  # their values ask for nothing
        assert unasked not in notes[0]


@pytest.mark.parametrize(("reg", "ours"), [("reg-plane", "plane"), ("reg-gauss", "multigauss")])
def test_a_regression_link_opens_its_regression_set(reg, ours):
    link = TF_LINK.replace("problem=classification", "problem=regression")
    chosen, _, _ = lessons.start(pairs(link.replace("regDataset=reg-plane", f"regDataset={reg}")))
    assert chosen["problem"] == "regression" and chosen["dataset"] == ours


def test_this_pages_own_links_are_read_as_before():
    state = fields.defaults()
    state["lr"] = 0.3
    chosen, _, notes = lessons.start(pairs(fields.to_url(state)))
    assert chosen["lr"] == 0.3 and chosen["features"] == ["x1", "x2"] and notes == []


# -- numbers judged on their text ----------------------------------------------------------
@pytest.mark.parametrize(
    ("key", "text"),
    [
        ("lr", "0.000009999999999999999999999999"),
        ("lr", "10.000000000000000001"),
        ("reg_rate", "10.0000000000000000001"),
        ("stop_loss", "1000000.00000000000001"),
        ("learningRate", "0.000009999999999999999999999999"),  # TF's name, the same rule
    ],
)
def test_a_link_number_past_its_range_by_less_than_float_rounding_is_refused(key, text):
    ours = {"learningRate": "lr"}.get(key, key)
    f = fields.FIELDS[ours]
    exact = Decimal(text)  # the reference: the text's exact value against the bounds
    assert not Decimal(repr(f.low)) <= exact <= Decimal(repr(f.high))
    assert f.low <= float(text) <= f.high  # what float rounding made of it: in range
    chosen, _, notes = lessons.start({key: text})
    assert ours not in chosen
    assert any(text in n and "must be between" in n for n in notes), notes


@pytest.mark.parametrize("text", ["1e-5", "0.00001", "10", "10.000", "0.03", "3e0"])
def test_numbers_on_the_bounds_or_inside_are_kept(text):
    chosen, _, notes = lessons.start({"lr": text})
    assert chosen["lr"] == float(text) and notes == []


# -- a task of one long grapheme cluster ------------------------------------------------------
def test_a_task_of_one_long_zwj_chain_keeps_the_emoji_that_fit():
    task = "👩\u200d" * 150  # one grapheme cluster of 300 code points
    _, lesson, notes = lessons.start({"task": quote(task, safe="")})
    kept = lesson["task"]
    assert kept.endswith("…") and len(kept) <= lessons.MAX_TASK
    assert kept.count("👩") >= lessons.MAX_TASK // 2 - 1
    assert not kept[:-1].endswith("\u200d")  # no dangling joiner before the "…"
    assert len(notes) == 1 and "cut to" in notes[0]


def test_a_long_number_is_judged_on_its_whole_text():
    text = "10." + "0" * 60 + "1"  # past 40 characters: a judged prefix would read 10
    assert Decimal(text) > Decimal(repr(fields.FIELDS["lr"].high))
    chosen, _, notes = lessons.start({"lr": text})
    assert "lr" not in chosen and any("must be between" in n for n in notes), notes
