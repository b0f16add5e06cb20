"""Loss modules: ``nn.MSELoss()``, ``nn.CrossEntropyLoss()``, … and the lecture's ``HalfMSELoss``.

Each module stores its options (``reduction``, class ``weight`` …; the deprecated
``size_average``/``reduce`` pair is turned into ``reduction`` with torch's warning, and the
arguments take torch's positions) and calls the matching
function of ``backprop.nn.functional``, whose value and gradient come from the loss
registry (``backprop.nn.losses``); the class attribute ``loss`` names the registry entry,
so the δ engine can ask that entry for the output delta ∂E/∂ŷ. ``weight`` and
``pos_weight`` are buffers (in the state dict), as in PyTorch. Call as ``loss_fn(input,
target)``: prediction first.
"""

from __future__ import annotations

from ..autograd.tensor import Tensor, as_tensor_operand
from . import functional as F
from .losses import check_reduction, get_loss
from .module import Module

__all__ = [
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "HalfMSELoss",
    "HuberLoss",
    "L1Loss",
    "MSELoss",
    "NLLLoss",
    "loss_class",
]


class _Loss(Module):
    """Base: ``reduction`` is 'mean' (default), 'sum' or 'none'; ``loss`` is the registry key."""

    loss = ""

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__()
        who = type(self).__name__
        self.reduction = check_reduction(F.legacy_reduction(size_average, reduce, reduction, who))

    @property
    def options(self) -> dict:
        """The registry options this module passes (``weight``, ``delta`` …) as arrays/numbers."""
        return {}

    def output_delta(self, input, target):  # noqa: A002
        """∂E/∂input as a NumPy array, from the registry (what the δ engine starts from)."""
        from .losses import output_delta

        return output_delta(self.loss, _raw(input), _raw(target), self.reduction, **self.options)


def _raw(x):
    return x._data if isinstance(x, Tensor) else x


def _buffer(value):
    return None if value is None else as_tensor_operand(value)


class MSELoss(_Loss):
    """Mean squared error ℓ = (ŷ − y)² (no ½); 'mean' gives (1/N)Σ(ŷ − y)², δ = 2(ŷ − y)/N.

    Shapes: input and target equal (any shape); output scalar, or the input's shape for
    ``reduction='none'``.

    Examples:
        >>> import backprop as bp
        >>> from backprop import nn
        >>> y_hat = bp.tensor([[3.0], [1.0]], requires_grad=True)
        >>> loss = nn.MSELoss()(y_hat, bp.tensor([[1.0], [1.0]]))
        >>> loss.backward()
        >>> loss.item(), y_hat.grad.flatten().tolist()  # ((3−1)² + 0)/2 = 2; 2(ŷ − y)/N
        (2.0, [2.0, 0.0])
    """

    loss = "mse"

    def forward(self, input, target):  # noqa: A002
        return F.mse_loss(input, target, reduction=self.reduction)


class HalfMSELoss(_Loss):
    """The lecture's E = ½(ŷ − y)², whose gradient is exactly ŷ − y per sample.

    ``reduction='mean'`` (default, like every other loss) gives ½·mean(ŷ − y)² = ½·MSELoss,
    with gradient (ŷ − y)/N; ``reduction='sum'`` gives Σ½(ŷ − y)², the lecture's E added
    over the samples, with gradient ŷ − y for each sample (the lecture's δ before g').

    Examples:
        >>> import backprop as bp
        >>> from backprop import nn
        >>> y_hat = bp.tensor([[3.0]], requires_grad=True)
        >>> E = nn.HalfMSELoss()(y_hat, bp.tensor([[1.0]]))
        >>> E.backward()
        >>> E.item(), y_hat.grad.item()  # ½(3 − 1)² = 2 and ∂E/∂ŷ = ŷ − y = 2
        (2.0, 2.0)
    """

    loss = "half_mse"

    def __init__(self, reduction: str = "mean", *, size_average=None, reduce=None) -> None:
        super().__init__(size_average, reduce, reduction)  # backprop's own: reduction first

    def forward(self, input, target):  # noqa: A002
        return F.half_mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error ℓ = |ŷ − y|; δ = sign(ŷ − y) (/N for 'mean').

    Examples:
        >>> import backprop as bp
        >>> from backprop import nn
        >>> y_hat = bp.tensor([1.0, 2.0, 4.0])
        >>> y = bp.tensor([1.0, 3.0, 1.0])
        >>> nn.L1Loss()(y_hat, y)  # (0 + 1 + 3) / 3
        tensor(1.3333)
    """

    loss = "l1"

    def forward(self, input, target):  # noqa: A002
        return F.l1_loss(input, target, reduction=self.reduction)


class HuberLoss(_Loss):
    """ℓ = ½d² where |d| < delta, delta·(|d| − ½delta) elsewhere (d = ŷ − y).

    Examples:
        >>> import backprop as bp
        >>> from backprop import nn
        >>> y_hat = bp.tensor([1.0, 2.0, 4.0])
        >>> y = bp.tensor([1.0, 2.5, 1.0])
        >>> nn.HuberLoss(delta=1.0)(y_hat, y)  # (0 + ½·0.5² + (3 − ½)) / 3
        tensor(0.8750)
    """

    loss = "huber"

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        self.delta = delta

    @property
    def options(self) -> dict:
        return {"delta": self.delta}

    def forward(self, input, target):  # noqa: A002
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class SmoothL1Loss(Module):
    """Huber's loss divided by ``beta``: ½d²/β where |d| < β, |d| − ½β elsewhere (d = ŷ − y).

    Not a registry loss (the δ engine does not take it); use ``HuberLoss`` for that.

    Examples:
        >>> import backprop as bp
        >>> from backprop import nn
        >>> y_hat = bp.tensor([1.0, 2.0, 4.0])
        >>> y = bp.tensor([1.0, 2.5, 1.0])
        >>> nn.SmoothL1Loss(beta=1.0)(y_hat, y)
        tensor(0.8750)
    """

    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0) -> None:
        super().__init__()
        who = "SmoothL1Loss"
        self.reduction = check_reduction(F.legacy_reduction(size_average, reduce, reduction, who))
        self.beta = beta

    def forward(self, input, target):  # noqa: A002
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class BCELoss(_Loss):
    """Binary cross-entropy on probabilities in [0, 1]; prefer ``BCEWithLogitsLoss``.

    ℓ = −w[y·log p + (1 − y)·log(1 − p)]; ``weight`` broadcasts to the input's shape.

    Examples:
        >>> import backprop as bp
        >>> from backprop import nn
        >>> p = bp.tensor([0.9, 0.2])
        >>> y = bp.tensor([1.0, 0.0])
        >>> nn.BCELoss()(p, y)  # −(ln 0.9 + ln 0.8) / 2
        tensor(0.1643)
    """

    loss = "bce"

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", _buffer(weight))

    @property
    def options(self) -> dict:
        return {"weight": self.weight}

    def forward(self, input, target):  # noqa: A002
        return F.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross-entropy on logits x, fused: δ = σ(x) − y, finite for any x.

    ``pos_weight`` (shape (C,), broadcast along the last axis) multiplies the positive
    term; ``weight`` broadcasts to the input's shape.

    Examples:
        >>> import backprop as bp
        >>> from backprop import nn
        >>> f = bp.tensor([2.0, -1.0])
        >>> y = bp.tensor([1.0, 0.0])
        >>> nn.BCEWithLogitsLoss()(f, y)  # BCELoss of σ(f), computed stably
        tensor(0.2201)
    """

    loss = "bce_with_logits"

    def __init__(
        self, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", _buffer(weight))
        self.register_buffer("pos_weight", _buffer(pos_weight))

    @property
    def options(self) -> dict:
        return {"weight": self.weight, "pos_weight": self.pos_weight}

    def forward(self, input, target):  # noqa: A002
        return F.binary_cross_entropy_with_logits(
            input, target, self.weight, reduction=self.reduction, pos_weight=self.pos_weight
        )


class CrossEntropyLoss(_Loss):
    """Softmax + negative log-likelihood on logits, fused: δ = softmax(x) − y.

    Input (N, C) or (N, C, d1, …) or (C,) logits; target class indices (int64, (N, …)) or
    class probabilities (the input's shape). Options: ``weight`` (C,), ``ignore_index``
    (indices only), ``label_smoothing`` ε in [0, 1].

    Examples:
        >>> import backprop as bp
        >>> from backprop import nn
        >>> f = bp.tensor([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0]], requires_grad=True)
        >>> y = bp.tensor([0, 2])  # the class of each sample
        >>> loss = nn.CrossEntropyLoss()(f, y)
        >>> loss
        tensor(0.8606, grad_fn=<NllLossBackward0>)
        >>> loss.backward()
        >>> f.grad  # (softmax(f) − one-hot(y)) / N
        tensor([[-0.0781,  0.0571,  0.0210],
                [ 0.1060,  0.2881, -0.3940]])
    """

    loss = "cross_entropy"

    def __init__(
        self,
        weight=None,
        size_average=None,
        ignore_index: int = -100,
        reduce=None,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", _buffer(weight))
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    @property
    def options(self) -> dict:
        return {
            "weight": self.weight,
            "ignore_index": self.ignore_index,
            "label_smoothing": self.label_smoothing,
        }

    def forward(self, input, target):  # noqa: A002
        return F.cross_entropy(
            input,
            target,
            self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
        )


class NLLLoss(_Loss):
    """Negative log-likelihood on log-probabilities (after ``LogSoftmax``): ℓ = −w_y·x_y.

    Examples:
        >>> import backprop as bp
        >>> from backprop import nn
        >>> log_p = bp.log_softmax(bp.tensor([[2.0, 0.0, -1.0]]), dim=1)
        >>> nn.NLLLoss()(log_p, bp.tensor([0]))  # −log p₀
        tensor(0.1698)
    """

    loss = "nll"

    def __init__(
        self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", _buffer(weight))
        self.ignore_index = ignore_index

    @property
    def options(self) -> dict:
        return {"weight": self.weight, "ignore_index": self.ignore_index}

    def forward(self, input, target):  # noqa: A002
        return F.nll_loss(
            input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction
        )


# Every loss module names a registry entry.
for _cls in (
    MSELoss,
    HalfMSELoss,
    L1Loss,
    HuberLoss,
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    NLLLoss,
):
    get_loss(_cls.loss)


def loss_class(name: str) -> type:
    """The loss module class of registry entry ``name`` (``'mse'`` → ``MSELoss``, …)."""
    entry = get_loss(name)
    for cls_name in __all__[:-1]:
        cls = globals()[cls_name]
        if cls.loss == entry.name:
            return cls
    raise AssertionError(f"loss registry entry {entry.name!r} has no module")  # pragma: no cover
