"""What a teacher found on the server's side of the playground (issue 16, second trial).

A vanishing gradient reached the page as exactly 0 (the snapshot rounded δ, ∂E/∂W and the
weights to fixed decimals: 1e-7 became 0), and a loss of the other problem type stayed in
the settings and the link (``loss=mse`` after moving from y = x² to a classification
exercise). The numbers are checked against the engine's own δ and ∂E/∂W (the page must show
the same numbers), the loss against the data's own kind.
"""

import numpy as np

from backprop.playground import fields, lessons, views
from backprop.playground.session import Session


def _sigmoid6() -> Session:
    return Session(dict(lessons.PRESETS["sigmoid6"]["settings"]))


def test_a_vanishing_delta_reaches_the_page_as_its_value_not_as_zero():
    s = _sigmoid6()
    snap = views.snapshot(s, full=False)
    grads = s.plan.compute(s.x, s.y)
    first = s.plan.net[0].index
    delta = np.mean(np.abs(grads.delta[first]), axis=0)
    gw = grads.weight_grads[first].T
    assert 0 < delta.max() < 1e-4  # six sigmoid layers: the first layer's δ is tiny
    for sent, true in ((snap["layers"][0]["delta"], delta), (snap["layers"][0]["gw"], gw)):
        sent = np.asarray(sent, dtype=np.float64)
        assert ((sent == 0) == (true == 0)).all()  # only a true zero arrives as 0
        np.testing.assert_allclose(sent, true, rtol=5e-3)  # three significant digits


def test_larger_numbers_keep_their_decimals_and_true_zeros_stay_zero():
    a = np.array([[0.123456, -2.5, 0.0], [3e-8, -4.4444e-9, 1.0]])
    out = views._list(a, 4)
    assert out[0] == [0.1235, -2.5, 0.0]
    assert out[1] == [3e-8, -4.44e-9, 1.0]


def test_a_regression_loss_does_not_follow_the_page_to_a_classification_set():
    square = lessons.PRESETS["square"]["settings"]
    assert square["loss"] in fields.REGRESSION_LOSSES  # the spec's mse
    s = Session(dict(square))
    s.apply(lessons.PRESETS["sigmoid6"]["settings"])
    assert s.state["problem"] == "classification"
    assert s.state["loss"] not in fields.REGRESSION_LOSSES
    assert "loss=mse" not in fields.to_url(s.state)
    assert s.loss_name == "bce_with_logits"  # what trains: the data's own loss
    s.apply({"dataset": "square"})  # and a classification loss does not follow back
    s.apply({"loss": "half_mse"})
    assert s.state["loss"] == "half_mse"
    s.apply({"dataset": "spiral"})
    assert s.state["loss"] == "auto"
