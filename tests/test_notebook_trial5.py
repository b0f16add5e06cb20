"""The fifth Jupyter student's findings (issue 17): an empty run's bar, chained tracebacks,
the widget's spec after a mid-run change, and which numbers the run display took when."""

from __future__ import annotations

import backprop
from backprop.display.progress import bar_bundle


def test_zero_epochs_bar_shows_nothing_done_in_the_notebook_text():
    bundle = bar_bundle(0, 0, None, 0.0)
    assert "0/0 epochs" in bundle["text/plain"]
    assert "#" not in bundle["text/plain"]  # was drawn full: 30 of 30 marks
    assert 'value="0"' in bundle["text/html"]


def test_zero_epochs_bar_on_a_terminal_is_not_full(capsys):
    spec = backprop.spec.builtin("square")
    spec["epochs"] = 0
    backprop.run(spec, verbose=True)
    err = capsys.readouterr().err
    assert "0/0 epochs" in err
    assert "\u2501" not in err  # rich drew a 0-of-0 task as finished: a full bar
