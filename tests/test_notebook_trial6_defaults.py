"""The fifth Jupyter student's item 7 (issue 17): ``backprop.run({"data": "square"})`` fills
in the settings that fit square in about a second (Adam lr 0.01, 2,000 epochs: the rule
``backprop train --data square`` follows too), not the lecture's lr 0.1 and 10,000 epochs.
In a notebook the run's display said neither; now it says what was filled in and names the
set's own run (``backprop.run('square')``) with the shipped spec's settings."""

from __future__ import annotations

import html
import json
import warnings
from pathlib import Path

import pytest

import backprop

SPECS = Path(backprop.__file__).parent / "specs"


def _shown(spec) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one epoch fits nothing: PoorFitWarning
        run = backprop.run(spec, verbose=False)
    return run, html.unescape(run._repr_html_())


@pytest.mark.parametrize("name", ["square", "abs"])
def test_a_dict_spec_of_a_lecture_set_shows_what_was_filled_and_the_lectures_run(name):
    pytest.importorskip("matplotlib")
    run, shown = _shown({"data": name, "epochs": 1})
    shipped = json.loads((SPECS / f"{name}.json").read_text())  # the lecture's run, as shipped
    assert f"lr {run.spec['optimizer']['lr']:g}" in shown  # what was filled, said
    assert run.spec["optimizer"]["lr"] != shipped["optimizer"]["lr"]  # the student's surprise
    assert f"The lecture's run of {name} is backprop.run('{name}')" in shown
    said = f"Adam lr {shipped['optimizer']['lr']:g}, {shipped['epochs']:,} epochs, the full batch"
    assert said in shown, shown
    sizes = "-".join(map(str, shipped["model"]["sizes"]))
    assert f"a {sizes} network, seed {shipped['seed']}" in shown

    spec = backprop.spec.builtin(name)  # the shipped spec itself: nothing filled, no note
    spec["epochs"] = 1
    _, shown = _shown(spec)
    assert "about a second" not in shown and "The lecture's run" not in shown
