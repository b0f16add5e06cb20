"""Issue 17 (close25): ``w.spec``'s warning after a mid-run change names the epoch of each
change ("lr changed from 0.03 to 0.3 after epoch 5"), so a student can tell which epochs
ran at which setting; the playground page's export list says the same (``spec_gaps``)."""

from __future__ import annotations

import warnings

import pytest


def _warned(w) -> str:
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        w.spec  # noqa: B018 - the property warns
    return " ".join(str(g.message) for g in got)


def test_w_spec_names_the_epoch_each_learning_rate_change_was_made_at():
    pytest.importorskip("anywidget")
    from backprop.playground import widget

    w = widget(dataset="spiral", hidden=[8, 8], seed=4)
    first = w.settings["lr"]
    w.train(epochs=5)
    w.set(lr=0.3)
    w.train(epochs=2)
    w.set(lr=first)
    said = _warned(w)
    assert f"lr changed from {first:g} to 0.3 after epoch 5" in said, said
    assert f"lr changed from 0.3 to {first:g} after epoch 7" in said, said
    assert said.index("after epoch 5") < said.index("after epoch 7")  # in the order made


def test_a_change_in_the_middle_of_an_epoch_says_during_which_epoch():
    pytest.importorskip("starlette")
    from backprop.playground.session import Session

    s = Session({"dataset": "circle", "batch_size": 10, "optimizer": "sgd"})
    s.step_epoch()
    s.step_epoch()
    for _ in range(3):
        s.step_batch()  # into the third epoch
    s.apply({"batch_size": 25})
    s.step_epoch()
    s.apply({"optimizer": "adam"})
    gaps = " | ".join(s.spec_gaps())
    assert "batch_size changed from 10 to 25 during epoch 3" in gaps, gaps
    assert f"optimizer changed from sgd to adam after epoch {s.epoch}" in gaps, gaps
    s.reset()
    assert s.spec_gaps() == []  # a new run: nothing changed in it yet
