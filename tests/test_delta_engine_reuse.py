"""What ``delta/engine.py`` keeps between calls, held to the engine's unbuffered recursion.

``delta.backward`` remembers a model's layers and a loss's resolution per object; every
change to the model (an activation's option, a part or a Parameter replaced) or to the loss
(its reduction) must be seen, checked against autograd. ``Plan.step`` runs the span loop's
buffered step (``numpy_step.Step``, buffers per batch size) and must give the hand-written
step's numbers bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest

import backprop as bp
import backprop.nn as nn
import backprop.optim as optim
from backprop import delta
from backprop.delta import Plan
from numpy_loop_helpers import LOSSES, N, _assert_identical, _data, _model, _snapshot


def _autograd_grads(model, loss_fn, x, y):
    for p in model.parameters():
        p.grad = None
    loss_fn(model(bp.tensor(x)), bp.tensor(y)).backward()
    return [p.grad._data.copy() for p in model.parameters()]


def test_backward_sees_every_change_to_the_model_and_the_loss():
    x, y = _data("mse", np.float64)
    model, loss_fn = _model("mse", np.float64, act=lambda: nn.LeakyReLU(0.1)), nn.MSELoss()

    def check():
        want = _autograd_grads(model, loss_fn, x, y)
        for p in model.parameters():
            p.grad = None
        delta.backward(model, x, y, loss_fn)
        for p, w in zip(model.parameters(), want):
            np.testing.assert_allclose(p.grad._data, w, rtol=1e-12, atol=1e-14)

    check()
    check()  # the remembered layers
    model[1].negative_slope = 0.3  # an activation's option
    check()
    model[2] = nn.Linear(8, 6).double()  # a part replaced
    check()
    model[4].weight = nn.Parameter(bp.tensor(model[4].weight._data * 2))  # a Parameter replaced
    check()
    model[3] = nn.Tanh()
    check()
    loss_fn.reduction = "sum"  # the loss's reduction
    check()


@pytest.mark.parametrize("loss", ["mse", "cross_entropy", "bce_with_logits", "log_softmax_nll"])
def test_plan_step_equals_the_hand_written_step(loss):
    """Plan.step (buffers per batch size) against delta.backward, bit for bit, with batches
    of changing sizes, Tensor and 1-D-free inputs, and targets of the wrong dtype."""
    x, y = _data(loss, np.float64)
    runs = []
    for use_plan in (False, True):
        model = _model(loss, np.float64)
        opt = optim.Adam(list(model.parameters()), lr=0.01)
        plan, losses = Plan(model, LOSSES[loss][0]()), []
        for s in range(30):
            lo, hi = (s * 7) % N, (s * 7) % N + 5 + s % 11
            xb, yb = x[lo:hi], y[lo:hi]
            if s % 3 == 0:
                xb, yb = bp.tensor(xb), bp.tensor(yb)
            elif s % 3 == 1 and yb.dtype.kind == "f":
                yb = yb.astype(np.float32)  # cast by the loss, as the engine does
            opt.zero_grad()
            if use_plan:
                losses.append(float(plan.step(xb, yb)))
            else:
                losses.append(float(delta.backward(model, xb, yb, plan.loss).loss))
            opt.step()
        runs.append((losses, _snapshot(model, opt)))
    assert runs[0][0] == runs[1][0]
    _assert_identical(runs[1][1], runs[0][1], f"Plan.step/{loss}")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # inf · 0 in the products: NaN rows
@pytest.mark.parametrize("act", ["relu", "tanh", "sigmoid", "identity", "leaky_relu"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_output_rows_gives_forward_s_output_bit_for_bit(act, dtype):
    """delta.engine.output_rows (the full-set metrics pass: buffers kept per chunk size,
    ReLU/tanh in place) gives delta.forward's ŷ, NaN and ±inf rows included, chunk by chunk
    through one scratch; and its answer is a buffer the next call of that size overwrites."""
    from backprop.delta import forward, layers
    from backprop.delta.engine import output_rows

    bp.manual_seed(4)
    model = nn.MLP([3, 7, 5, 2], activation=act)
    if dtype == np.float64:
        model.double()
    net = layers(model)
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((23, 3)) * 3).astype(dtype)
    x[4] = [np.nan, 0.0, 1.0]
    x[9] = [np.inf, -np.inf, 0.0]
    want = forward(model, x, net).output
    scratch: dict = {}
    for lo in range(0, 23, 5):
        got = output_rows(net, x[lo : lo + 5], scratch)
        assert np.array_equal(got, want[lo : lo + 5], equal_nan=True), lo
    first = output_rows(net, x[:5], scratch)
    kept = first.copy()
    output_rows(net, x[5:10], scratch)
    assert not np.array_equal(first, kept, equal_nan=True)  # overwritten: callers copy
