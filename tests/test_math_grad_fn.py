"""The grad_fn audit: ``type(out.grad_fn).__name__`` of composite ops and layers against
PyTorch 2.13's, one row per expression. A row either matches torch or is listed in
``DIFFERENCES`` with the reason (the deliberate differences; ``docs/ops.md`` repeats them);
a listed difference that disappears fails too, so the list stays true. The op tables
(``tests/test_ops.py``, ``tests/test_math_*.py``) check the names of the primitive ops.
"""

from __future__ import annotations

import numpy as np
import pytest

import backprop

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(3)
X = RNG.standard_normal((4, 3))
P = RNG.uniform(0.1, 0.9, (4, 3))
T = np.array([0, 2, 1, 2])


def rows(m):
    F = m.nn.functional
    x = m.tensor(X, requires_grad=True)
    p = m.tensor(P, requires_grad=True)
    t = m.tensor(T)
    probs = m.tensor(P / P.sum(1, keepdims=True))
    lin = m.nn.Linear(3, 2).double()
    return {
        "cross_entropy": lambda: F.cross_entropy(x, t),
        "cross_entropy_sum": lambda: F.cross_entropy(x, t, reduction="sum"),
        "cross_entropy_none": lambda: F.cross_entropy(x, t, reduction="none"),
        "cross_entropy_probabilities": lambda: F.cross_entropy(x, probs),
        "cross_entropy_smoothing": lambda: F.cross_entropy(x, t, label_smoothing=0.1),
        "CrossEntropyLoss": lambda: m.nn.CrossEntropyLoss()(x, t),
        "nll_loss": lambda: F.nll_loss(F.log_softmax(x, 1), t),
        "mse_loss": lambda: F.mse_loss(x, p),
        "MSELoss_sum": lambda: m.nn.MSELoss(reduction="sum")(x, p),
        "l1_loss": lambda: F.l1_loss(x, p),
        "binary_cross_entropy": lambda: F.binary_cross_entropy(p, p.detach()),
        "bce_with_logits": lambda: F.binary_cross_entropy_with_logits(x, p.detach()),
        "huber_loss": lambda: F.huber_loss(x, p),
        "softmax": lambda: F.softmax(x, dim=1),
        "log_softmax": lambda: x.log_softmax(-1),
        "linear_layer": lambda: lin(x),
        "linear_no_bias": lambda: F.linear(x, p),
        "relu_layer": lambda: m.nn.ReLU()(x),
        "sigmoid_function": lambda: m.sigmoid(x),
        "tanh_method": lambda: x.tanh(),
        "mean": lambda: x.mean(),
        "mean_dim": lambda: x.mean(0),
        "sum_dim_keepdims": lambda: x.sum(1, keepdims=True),
        "view": lambda: x.view(-1),
        "reshape": lambda: x.reshape(3, 4),
        "flatten": lambda: x.flatten(),
        "row": lambda: x[0],
        "rows_slice": lambda: x[1:3],
        "fancy_rows": lambda: x[t],
        "mask": lambda: x[x > 0],
        "transpose_T": lambda: x.T,
        "matmul_2d": lambda: x @ p.T,
        "matmul_vector": lambda: x @ p[0],
        "pow": lambda: x**2,
        "square": lambda: x.square(),
        "sqrt": lambda: p.sqrt(),
        "exp_log": lambda: p.log().exp(),
        "sin": lambda: m.sin(x),
        "var_keepdim": lambda: x.var(1, keepdim=True),
        "std_unbiased_false": lambda: x.std(unbiased=False),
        "norm": lambda: x.norm(),
        "clamp": lambda: x.clamp(-0.5, 0.5),
        "clamp_min": lambda: x.clamp(min=0),
        "max_dim_values": lambda: x.max(1).values,
        "amax": lambda: x.amax(1),
        "cat": lambda: m.cat([x, p]),
        "stack": lambda: m.stack([x, p], 1),
        "where": lambda: m.where(x > 0, x, p),
        "clone": lambda: x.clone(),
        "to_float32": lambda: x.float(),
        "rsub_number": lambda: 1 - x,
        "div_number_by_tensor": lambda: 1 / p,
        "detach_then_grad": lambda: x.detach().requires_grad_() * 2,
    }


DIFFERENCES = {
    "cross_entropy_probabilities": "one fused loss node (NllLossBackward0); torch composes "
    "log_softmax, mul, sum and div (DivBackward1)",
    "cross_entropy_smoothing": "one fused loss node (NllLossBackward0); torch adds the "
    "smoothing term last (AddBackward0)",
    "l1_loss": "one loss node (L1LossBackward0); torch 2.13 composes |x − y| and mean "
    "(MeanBackward0)",
    "rsub_number": "torch records number − tensor as RsubBackward1; we run SubBackward0",
    "div_number_by_tensor": "torch records number / tensor as reciprocal then "
    "MulBackward0; we run DivBackward0",
}


def _name(out):
    out = out[0] if isinstance(out, tuple) else out
    return type(out.grad_fn).__name__ if out.grad_fn is not None else None


@pytest.mark.parametrize("row", list(rows(torch)))
def test_grad_fn_name_matches_torch(row):
    ours = _name(rows(backprop)[row]())
    theirs = _name(rows(torch)[row]())
    if row in DIFFERENCES:
        assert ours != theirs, f"{row}: names now coincide ({ours}); drop it from DIFFERENCES"
    else:
        assert ours == theirs, f"{row}: grad_fn {ours} != torch's {theirs}"


def test_the_differences_are_documented():
    from pathlib import Path

    text = Path(__file__).resolve().parents[1].joinpath("docs", "ops.md").read_text()
    for row in DIFFERENCES:
        assert f"`{row}`" in text, f"docs/ops.md does not list the grad_fn difference {row}"
