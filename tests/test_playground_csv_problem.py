"""An uploaded CSV's problem setting is the one the session trains (trial 2, attacker #2).

``set problem=regression`` on a CSV with a 0/1 target was accepted (state, link and page
said regression, MSE) while the data, training and export stayed binary classification with
``bce_with_logits``; a numeric target with few values could never be a regression. Now the
problem setting reloads the file as that problem, or is refused in words naming the file.
"""

from __future__ import annotations

import numpy as np
import pytest

from backprop.playground import fields
from backprop.playground.protocol import ProtocolError
from backprop.playground.session import Session

POINTS = np.random.default_rng(0).uniform(-3, 3, (120, 2))
BINARY = "a,b,label\n" + "\n".join(f"{a:.3f},{b:.3f},{int(a * b > 0)}" for a, b in POINTS)
SMOOTH = "a,b,y\n" + "\n".join(f"{a:.3f},{b:.3f},{a * b + 0.37:.3f}" for a, b in POINTS)


def test_a_csv_trains_the_problem_and_loss_its_settings_say():
    s = Session({"seed": 2})
    s.upload("mine.csv", BINARY)
    assert s.state["problem"] == s.raw.task == "classification"
    s.apply({"problem": "regression"})
    s.apply({"loss": "mse"})
    assert s.state["problem"] == s.raw.task == "regression"
    assert s.loss_name == "mse"
    assert s.raw.y.dtype.kind == "f" and s.raw.y.shape[1:] == (1,)
    assert s.spec()["data"]["task"] == "regression"
    # the targets are the file's 0/1 numbers (standardised or not, two values)
    assert len(np.unique(s.raw.y)) == 2
    s.step_epoch()
    s.apply({"problem": "classification"})
    assert s.state["problem"] == s.raw.task == "classification"
    assert s.loss_name not in fields.REGRESSION_LOSSES


def test_a_target_that_cannot_be_classes_is_refused_in_words():
    s = Session({"seed": 2})
    s.upload("smooth.csv", SMOOTH)
    assert s.state["problem"] == s.raw.task == "regression"
    with pytest.raises(ProtocolError, match=r"smooth\.csv.*classes"):
        s.apply({"problem": "classification"})
    assert s.state["problem"] == s.raw.task == "regression"  # left as it was
