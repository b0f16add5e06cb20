"""The playground offers the lecture's step unit and shows its Caution (issue 15): choosing
it gives a note naming the highest step layer, and training leaves every weight below it
unchanged — the gradients there are zero, as the note says."""

import warnings

import numpy as np

from backprop.errors import StepUnitWarning
from backprop.playground import fields
from backprop.playground.session import Session


def test_step_is_offered_and_its_caution_is_a_note():
    assert "step" in fields.ACTIVATIONS
    s = Session({"dataset": "circle", "optimizer": "adam", "lr": 0.05, "batch_size": 2000,
                 "seed": 3, "hidden": [4, 4]})  # fmt: skip
    assert not any("Caution" in note for note in s.notes)
    notes = s.apply({"activation": ["step", "tanh"]})
    caution = [note for note in notes if note.startswith("Caution: ")]
    assert len(caution) == 1 and "layer 1 uses the step function" in caution[0]
    below = [layer.weight._data.copy() for layer in s.plan.net[:1]]
    above = [layer.weight._data.copy() for layer in s.plan.net[1:]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StepUnitWarning)
        s.train(None, max_epochs=3)
    for before, layer in zip(below, s.plan.net[:1]):
        np.testing.assert_array_equal(layer.weight._data, before)  # no gradient reaches W[1]
    assert any(not np.array_equal(b, layer.weight._data)
               for b, layer in zip(above, s.plan.net[1:]))  # fmt: skip
    notes = s.apply({"activation": ["tanh", "tanh"]})
    assert not any("Caution" in note for note in notes)
