"""Losses against PyTorch 2.13: values, input and target gradients and every option of
the regression losses, binary cross-entropy, cross-entropy and NLL, functions and
nn modules."""

import numpy as np
import pytest

import backprop as bp
import backprop.nn as nn
import backprop.nn.functional as F
from backprop.nn import losses

torch = pytest.importorskip("torch")
TF = torch.nn.functional

TOL = 1e-10
REDUCTIONS = ["mean", "sum", "none"]


def run_both(ours_fn, theirs_fn, arrays, grad_of, rng, rtol=TOL):
    """Call both loss functions on the same float64 arrays, backpropagate the same upstream
    gradient, and compare the value and the gradient of every array in ``grad_of``."""
    ours = [
        bp.tensor(a, requires_grad=i in grad_of and a.dtype.kind == "f")
        for i, a in enumerate(arrays)
    ]
    theirs = [
        torch.tensor(a, requires_grad=i in grad_of and a.dtype.kind == "f")
        for i, a in enumerate(arrays)
    ]
    out, ref = ours_fn(*ours), theirs_fn(*theirs)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=TOL, atol=TOL)
    upstream = rng.normal(size=tuple(ref.shape))
    out.backward(bp.tensor(upstream))
    ref.backward(torch.tensor(upstream))
    for i in grad_of:
        np.testing.assert_allclose(
            ours[i].grad.numpy(), theirs[i].grad.numpy(), rtol=rtol, atol=TOL, err_msg=f"grad {i}"
        )
    return out, ref


def _bp(a):
    return None if a is None else bp.tensor(a)


def _torch(a):
    return None if a is None else torch.tensor(a)


# -- regression losses -------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(5,), (4, 3), (2, 3, 4)])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "ours, theirs",
    [
        (F.mse_loss, TF.mse_loss),
        (F.l1_loss, TF.l1_loss),
        (
            lambda x, y, reduction: F.huber_loss(x, y, reduction=reduction, delta=0.6),
            lambda x, y, reduction: TF.huber_loss(x, y, reduction=reduction, delta=0.6),
        ),
        (
            lambda x, y, reduction: F.huber_loss(x, y, reduction=reduction, delta=2.5),
            lambda x, y, reduction: TF.huber_loss(x, y, reduction=reduction, delta=2.5),
        ),
        (
            F.half_mse_loss,
            lambda x, y, reduction: 0.5 * TF.mse_loss(x, y, reduction=reduction),
        ),
    ],
    ids=["mse", "l1", "huber0.6", "huber2.5", "half_mse"],
)
def test_regression_losses_match_torch(ours, theirs, reduction, shape, rng):
    x, y = rng.normal(size=shape) * 2, rng.normal(size=shape) * 2
    x.flat[0] = y.flat[0]  # a zero residual: sign(0) = 0 in both
    run_both(
        lambda a, b: ours(a, b, reduction=reduction),
        lambda a, b: theirs(a, b, reduction=reduction),
        [x, y],
        grad_of=(0, 1),
        rng=rng,
    )


@pytest.mark.parametrize("name", ["mse", "huber"])
def test_grad_fn_names_match_torch(name, rng):
    x, y = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    fn = {"mse": (F.mse_loss, TF.mse_loss), "huber": (F.huber_loss, TF.huber_loss)}[name]
    ours = fn[0](bp.tensor(x, requires_grad=True), bp.tensor(y))
    ref = fn[1](torch.tensor(x, requires_grad=True), torch.tensor(y))
    assert ours.grad_fn.name() == type(ref.grad_fn).__name__


def test_half_mse_is_the_lectures_error_by_hand():
    # ŷ = [1, 2], y = [0, 0]: E = ½·1 + ½·4 = 2.5 (sum), 1.25 (mean); ∂E/∂ŷ = ŷ − y (sum).
    y_hat = bp.tensor([1.0, 2.0], requires_grad=True)
    target = bp.tensor([0.0, 0.0])
    loss = nn.HalfMSELoss(reduction="sum")(y_hat, target)
    assert loss.item() == 2.5
    loss.backward()
    assert y_hat.grad.tolist() == [1.0, 2.0]
    y_hat.grad = None
    mean = nn.HalfMSELoss()(y_hat, target)
    assert mean.item() == 1.25
    mean.backward()
    assert y_hat.grad.tolist() == [0.5, 1.0]
    # PyTorch's MSELoss (no ½) on the same numbers: 2.5 with gradient 2(ŷ − y)/N = [1, 2].
    y_hat.grad = None
    mse = nn.MSELoss()(y_hat, target)
    mse.backward()
    assert mse.item() == 2.5 and y_hat.grad.tolist() == [1.0, 2.0]


# -- binary cross-entropy ------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight_shape", [None, (3,), (4, 3)])
def test_bce_matches_torch(reduction, weight_shape, rng):
    p = rng.uniform(0.02, 0.98, size=(4, 3))
    t = rng.uniform(size=(4, 3))
    w = None if weight_shape is None else rng.uniform(0.5, 2, size=weight_shape)
    run_both(
        lambda a, b: F.binary_cross_entropy(a, b, _bp(w), reduction=reduction),
        lambda a, b: TF.binary_cross_entropy(a, b, _torch(w), reduction=reduction),
        [p, t],
        grad_of=(0, 1),
        rng=rng,
    )


def test_bce_at_zero_and_one_is_finite_like_torch(rng):
    p = np.array([0.0, 1.0, 1e-30, 1 - 1e-16, 0.5])
    t = np.array([1.0, 0.0, 1.0, 0.0, 1.0])
    out, _ = run_both(
        lambda a, b: F.binary_cross_entropy(a, b, reduction="none"),
        lambda a, b: TF.binary_cross_entropy(a, b, reduction="none"),
        [p, t],
        grad_of=(0,),
        rng=rng,
        rtol=1e-8,  # gradients of order 1e12 (the 1e-12 floor), summed in another order
    )
    assert np.isfinite(out.detach().numpy()).all()
    assert out.detach().numpy()[0] == 100.0  # log clamped at −100, as PyTorch documents


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("use_weight", [False, True])
@pytest.mark.parametrize("use_pos_weight", [False, True])
def test_bce_with_logits_matches_torch(reduction, use_weight, use_pos_weight, rng):
    x = rng.normal(size=(5, 3)) * 3
    t = rng.uniform(size=(5, 3))
    w = rng.uniform(0.5, 2, size=(5, 3)) if use_weight else None
    pw = rng.uniform(0.5, 3, size=(3,)) if use_pos_weight else None
    run_both(
        lambda a, b: F.binary_cross_entropy_with_logits(
            a, b, _bp(w), reduction=reduction, pos_weight=_bp(pw)
        ),
        lambda a, b: TF.binary_cross_entropy_with_logits(
            a, b, _torch(w), reduction=reduction, pos_weight=_torch(pw)
        ),
        [x, t],
        grad_of=(0, 1),
        rng=rng,
    )


@pytest.mark.parametrize("use_pos_weight", [False, True])
def test_bce_with_logits_extreme_logits_are_finite(use_pos_weight, rng):
    x = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 30.0]])
    t = np.array([[1.0, 0.0, 1.0], [1.0, 0.0, 0.5]])
    pw = np.array([2.0, 0.5, 1.5]) if use_pos_weight else None
    out, _ = run_both(
        lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction="none", pos_weight=_bp(pw)),
        lambda a, b: TF.binary_cross_entropy_with_logits(
            a, b, reduction="none", pos_weight=_torch(pw)
        ),
        [x, t],
        grad_of=(0,),
        rng=rng,
    )
    assert np.isfinite(out.detach().numpy()).all()
    assert out.detach().numpy()[1, 0] == pytest.approx((2.0 if use_pos_weight else 1.0) * 1e4)


# -- cross-entropy and NLL -----------------------------------------------------------------
CLASS_SHAPES = [((6, 4), (6,)), ((4,), ()), ((3, 4, 5), (3, 5)), ((2, 4, 3, 2), (2, 3, 2))]


def _class_targets(rng, target_shape, ignore_index):
    t = rng.integers(0, 4, size=target_shape)
    if t.ndim and ignore_index is not None:
        t.flat[0] = ignore_index
    return np.asarray(t, dtype=np.int64)


@pytest.mark.parametrize("shapes", CLASS_SHAPES, ids=lambda s: str(s[0]))
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("label_smoothing", [0.0, 0.15])
@pytest.mark.parametrize("use_weight", [False, True])
@pytest.mark.parametrize("ignore_index", [-100, 2])
def test_cross_entropy_class_indices_match_torch(
    shapes, reduction, label_smoothing, use_weight, ignore_index, rng
):
    input_shape, target_shape = shapes
    x = rng.normal(size=input_shape) * 2
    t = _class_targets(rng, target_shape, ignore_index)
    w = rng.uniform(0.3, 2.0, size=4) if use_weight else None
    options = {"ignore_index": ignore_index, "reduction": reduction}
    options["label_smoothing"] = label_smoothing
    run_both(
        lambda a, b: F.cross_entropy(a, b, _bp(w), **options),
        lambda a, b: TF.cross_entropy(a, b, _torch(w), **options),
        [x, t],
        grad_of=(0,),
        rng=rng,
    )


@pytest.mark.parametrize("shapes", CLASS_SHAPES[:3], ids=lambda s: str(s[0]))
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("label_smoothing", [0.0, 0.3])
@pytest.mark.parametrize("use_weight", [False, True])
def test_cross_entropy_probability_targets_match_torch(
    shapes, reduction, label_smoothing, use_weight, rng
):
    input_shape, _ = shapes
    x = rng.normal(size=input_shape)
    logits = rng.normal(size=input_shape)
    axis = 0 if len(input_shape) == 1 else 1
    probs = np.exp(logits) / np.exp(logits).sum(axis=axis, keepdims=True)
    w = rng.uniform(0.3, 2.0, size=4) if use_weight else None
    options = {"reduction": reduction, "label_smoothing": label_smoothing}
    run_both(
        lambda a, b: F.cross_entropy(a, b, _bp(w), **options),
        lambda a, b: TF.cross_entropy(a, b, _torch(w), **options),
        [x, probs],
        grad_of=(0, 1),
        rng=rng,
    )


@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_cross_entropy_extreme_logits_are_finite(label_smoothing, rng):
    x = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 3.0], [0.0, 0.0, -1e4]])
    t = np.array([1, 1, 2])
    out, _ = run_both(
        lambda a, b: F.cross_entropy(a, b, reduction="none", label_smoothing=label_smoothing),
        lambda a, b: TF.cross_entropy(a, b, reduction="none", label_smoothing=label_smoothing),
        [x, t],
        grad_of=(0,),
        rng=rng,
    )
    assert np.isfinite(out.detach().numpy()).all()


def test_cross_entropy_all_ignored_mean_is_nan_like_torch():
    x = bp.tensor(np.zeros((2, 3)))
    t = bp.tensor([-100, -100])
    ref = TF.cross_entropy(torch.zeros(2, 3, dtype=torch.float64), torch.tensor([-100, -100]))
    assert np.isnan(F.cross_entropy(x, t).item()) and torch.isnan(ref)


@pytest.mark.parametrize("shapes", CLASS_SHAPES, ids=lambda s: str(s[0]))
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("use_weight", [False, True])
def test_nll_loss_matches_torch(shapes, reduction, use_weight, rng):
    input_shape, target_shape = shapes
    x = rng.normal(size=input_shape)
    t = _class_targets(rng, target_shape, -100)
    w = rng.uniform(0.3, 2.0, size=4) if use_weight else None
    out, ref = run_both(
        lambda a, b: F.nll_loss(a, b, _bp(w), reduction=reduction),
        lambda a, b: TF.nll_loss(a, b, _torch(w), reduction=reduction),
        [x, t],
        grad_of=(0,),
        rng=rng,
    )
    if not (len(input_shape) == 3 and reduction == "none"):  # torch adds a ViewBackward0 there
        assert out.grad_fn.name() == type(ref.grad_fn).__name__


def test_bce_grad_fn_names_match_torch(rng):
    p, x = rng.uniform(0.1, 0.9, size=3), rng.normal(size=3)
    t = rng.uniform(size=3)
    ours = F.binary_cross_entropy(bp.tensor(p, requires_grad=True), bp.tensor(t))
    ref = TF.binary_cross_entropy(torch.tensor(p, requires_grad=True), torch.tensor(t))
    assert ours.grad_fn.name() == type(ref.grad_fn).__name__
    ours = F.binary_cross_entropy_with_logits(bp.tensor(x, requires_grad=True), bp.tensor(t))
    ref = TF.binary_cross_entropy_with_logits(torch.tensor(x, requires_grad=True), torch.tensor(t))
    assert ours.grad_fn.name() == type(ref.grad_fn).__name__


# -- loss modules ------------------------------------------------------------------------------
def _module_cases(rng):
    w3 = rng.uniform(0.5, 2, size=3)
    x, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    p = rng.uniform(0.05, 0.95, size=(5, 3))
    c = np.array([0, 2, 1, 1, 2])
    return [
        ("MSELoss", {"reduction": "sum"}, [x, y]),
        ("L1Loss", {}, [x, y]),
        ("HuberLoss", {"delta": 0.5, "reduction": "none"}, [x, y]),
        ("BCELoss", {"weight": w3}, [p, y > 0]),
        ("BCEWithLogitsLoss", {"pos_weight": w3, "weight": w3}, [x, p]),
        ("CrossEntropyLoss", {"weight": w3, "label_smoothing": 0.2, "ignore_index": 1}, [x, c]),
        ("NLLLoss", {"weight": w3, "reduction": "sum"}, [x, c]),
    ]


def test_loss_modules_match_torch_modules(rng):
    for name, options, arrays in _module_cases(rng):
        arrays = [a.astype(np.float64) if a.dtype == bool else a for a in arrays]
        ours_opts = {k: _bp(v) if isinstance(v, np.ndarray) else v for k, v in options.items()}
        theirs_opts = {k: _torch(v) if isinstance(v, np.ndarray) else v for k, v in options.items()}
        ours_mod = getattr(nn, name)(**ours_opts)
        theirs_mod = getattr(torch.nn, name)(**theirs_opts)
        assert repr(ours_mod) == repr(theirs_mod)
        assert list(ours_mod.state_dict()) == list(theirs_mod.state_dict())
        run_both(ours_mod, theirs_mod, arrays, grad_of=(0,), rng=rng)


def test_loss_modules_name_registry_entries():
    for cls in (nn.MSELoss, nn.HalfMSELoss, nn.L1Loss, nn.HuberLoss, nn.BCELoss):
        assert losses.get_loss(cls.loss).name == cls.loss
    assert nn.CrossEntropyLoss.loss == "cross_entropy"
    assert losses.get_loss("CrossEntropyLoss") is losses.get_loss("cross_entropy")
