"""The models and losses the δ engine refuses, refused with messages that say what to do
instead (name the layer, suggest loss.backward(), reshape a column target)."""

from __future__ import annotations

import numpy as np
import pytest

import backprop as bp
import backprop.nn as nn
from backprop import delta
from backprop.delta import DeltaEngineError


# -- 3. what the engine refuses, and how it says so ------------------------------------------
class Doubler(nn.Module):
    def forward(self, x):
        return 2 * x


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(2, 3)
        self.out = nn.Linear(3, 1)

    def forward(self, x):
        return self.out(bp.relu(self.hidden(x)))


@pytest.mark.parametrize(
    ("model", "named"),
    [
        (lambda: nn.Sequential(nn.Linear(2, 3), nn.Softmax(dim=1), nn.Linear(3, 1)), "Softmax"),
        (lambda: nn.Sequential(nn.Linear(2, 3), Doubler(), nn.Linear(3, 1)), "Doubler"),
        (lambda: TwoLayer(), "TwoLayer"),
        (lambda: nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Tanh(), nn.Linear(3, 1)), "Tanh"),
    ],
)
def test_unsupported_model_names_the_layer_and_suggests_autograd(model, named):
    x = np.zeros((3, 2))
    y = np.zeros((3, 1))
    with pytest.raises(DeltaEngineError) as info:
        delta.backward(model(), x, y, nn.MSELoss())
    message = str(info.value)
    assert named in message
    assert "loss.backward()" in message
    assert isinstance(info.value, bp.BackpropError)


def test_cross_entropy_after_sigmoid_is_refused():
    model = nn.Sequential(nn.Linear(2, 3), nn.Sigmoid())
    x = np.zeros((4, 2))
    y = np.array([0, 1, 2, 0])
    with pytest.raises(DeltaEngineError, match="logits") as info:
        delta.backward(model, x, y, nn.CrossEntropyLoss())
    assert "sigmoid" in str(info.value)
    with pytest.raises(DeltaEngineError, match="logits"):
        delta.backward(model, x, np.ones((4, 3)) / 2, nn.BCEWithLogitsLoss())


def test_column_vs_flat_target_is_a_shape_error():
    model = nn.MLP([2, 3, 1]).double()
    x = np.zeros((5, 2))
    with pytest.raises(bp.ShapeError, match=r"reshape\(-1, 1\)"):
        delta.backward(model, x, np.zeros(5), nn.MSELoss())
    with pytest.raises(bp.ShapeError):
        delta.trace(model, x, np.zeros(5), nn.HalfMSELoss())
    assert all(p.grad is None for p in model.parameters())


def test_wrong_input_width_is_a_shape_error():
    model = nn.MLP([2, 3, 1]).double()
    with pytest.raises(bp.ShapeError, match="2 features"):
        delta.backward(model, np.zeros((5, 3)), np.zeros((5, 1)), nn.MSELoss())


def test_custom_loss_and_reduction_none_are_refused():
    model = nn.MLP([2, 3, 1]).double()
    x, y = np.zeros((5, 2)), np.zeros((5, 1))
    with pytest.raises(DeltaEngineError, match="loss"):
        delta.backward(model, x, y, lambda a, b: ((a - b) ** 2).sum())
    with pytest.raises(DeltaEngineError, match="reduction"):
        delta.backward(model, x, y, nn.MSELoss(reduction="none"))
