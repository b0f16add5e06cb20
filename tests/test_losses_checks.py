"""The losses' checks where values enter: shapes (no broadcasting), class targets,
probability ranges, options and reductions, dtypes, and a target changed in place."""

import numpy as np
import pytest

import backprop as bp
import backprop.nn as nn
import backprop.nn.functional as F
from backprop.errors import ConfigError, DTypeError, ShapeError
from backprop.nn import losses

torch = pytest.importorskip("torch")
TF = torch.nn.functional


# -- checks where values enter ---------------------------------------------------------------
def test_shape_mismatch_n_vs_n1_is_a_shape_error_naming_both():
    pred, target = bp.zeros(5, 1), bp.zeros(5)
    with pytest.raises(ShapeError) as info:
        nn.MSELoss()(pred, target)
    message = str(info.value)
    assert "[5, 1]" in message and "[5]" in message and "reshape(-1, 1)" in message
    with pytest.raises(ShapeError, match=r"\[5\].*\[5, 1\]"):
        F.l1_loss(target, pred)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    "fn",
    [F.huber_loss, F.half_mse_loss, F.binary_cross_entropy_with_logits],
)
def test_every_elementwise_loss_refuses_broadcasting(fn):
    with pytest.raises(ShapeError):
        fn(bp.zeros(4, 1), bp.zeros(1, 4))


def test_cross_entropy_target_errors():
    logits = bp.zeros(3, 4)
    with pytest.raises(DTypeError, match=r"int64.*target\.long"):
        F.cross_entropy(logits, bp.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(ConfigError, match=r"Target 7 is out of bounds.*\[0, 3\]"):
        F.cross_entropy(logits, bp.tensor([0, 7, 1]))
    with pytest.raises(ConfigError, match="out of bounds"):
        F.nll_loss(logits, bp.tensor([0, -1, 1]))
    with pytest.raises(ShapeError, match=r"\[3, 4\].*\[3\].*\[3, 1\]"):
        F.cross_entropy(logits, bp.tensor([[0], [1], [2]]))
    with pytest.raises(DTypeError, match="probabilities"):
        F.cross_entropy(logits, bp.zeros(3, 4, dtype=bp.int64))
    with pytest.raises(ShapeError, match="one value per class"):
        F.cross_entropy(logits, bp.tensor([0, 1, 2]), bp.ones(3))
    with pytest.raises(ConfigError, match="label_smoothing"):
        F.cross_entropy(logits, bp.tensor([0, 1, 2]), label_smoothing=1.5)
    # ignore_index may lie outside [0, C) without being an error
    F.cross_entropy(logits, bp.tensor([0, -100, 1]))


def test_bce_range_errors_point_to_the_logits_version():
    with pytest.raises(ConfigError, match=r"between 0 and 1.*with_logits"):
        F.binary_cross_entropy(bp.tensor([0.5, 1.2]), bp.tensor([1.0, 0.0]))
    with pytest.raises(ConfigError, match="target should be between 0 and 1"):
        F.binary_cross_entropy(bp.tensor([0.5, 0.2]), bp.tensor([1.0, 2.0]))


def test_option_and_reduction_errors():
    x = bp.zeros(3)
    with pytest.raises(ConfigError, match="'avg' is not a valid value"):
        F.mse_loss(x, x, reduction="avg")
    with pytest.raises(ConfigError, match="reduction"):
        nn.L1Loss(reduction="avg")
    with pytest.raises(ConfigError, match="delta must be positive"):
        F.huber_loss(x, x, delta=0.0)
    for bad in ("1.0", [1.0], True, float("nan")):  # "1.0" and [1.0] were a TypeError
        with pytest.raises(ConfigError, match="delta must be positive"):
            F.huber_loss(x, x, delta=bad)
    with pytest.raises(DTypeError, match="floating point"):
        F.mse_loss(bp.tensor([1, 2]), bp.tensor([1, 2]))
    with pytest.raises(ConfigError, match="unknown name"):
        losses.get_loss("hinge")


def test_integer_target_is_promoted_like_torch():
    x = np.array([0.5, 1.5, 2.0], dtype=np.float32)
    ours = F.mse_loss(bp.tensor(x), bp.tensor([0, 1, 2]))
    ref = TF.mse_loss(torch.tensor(x), torch.tensor([0, 1, 2]))
    assert ours.dtype == bp.float32 and ours.item() == pytest.approx(ref.item(), rel=1e-7)


def test_target_modified_in_place_after_forward_is_caught():
    pred = bp.tensor([1.0, 2.0], requires_grad=True)
    target = bp.tensor([0.0, 0.0])
    loss = F.mse_loss(pred, target)
    target.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()
