"""The trace in the lecture's notation: the slides' scalar and vector examples, a golden
hand-worked net, and the loss conventions (½(ŷ − y)² against PyTorch's mean MSE).

References: derivatives multiplied out by hand with ``math``, numbers computed beforehand
with a calculator-style script (plain floats, every sum written out) and pasted in as
literals, autograd's gradients of ŷ, central differences, and PyTorch's MSELoss.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import backprop as bp
import backprop.nn as nn
from backprop import delta


def _sigmoid(t):
    return 1.0 / (1.0 + math.exp(-t))


def _set(linear, weight, bias=None):
    """Set a Linear's parameters from PyTorch-layout (out, in) numbers."""
    linear.weight._data[...] = np.asarray(weight, dtype=np.float64)
    if bias is not None:
        linear.bias._data[...] = np.asarray(bias, dtype=np.float64)


def _line(text: str, start: str) -> str:
    """The one line of ``text`` that starts with ``start``."""
    found = [line for line in text.splitlines() if line.startswith(start)]
    assert len(found) == 1, (start, found)
    return found[0]


# -- the scalar example: three layers, one unit each, no bias -------------------------------
SCALAR_G = {
    "sigmoid": (_sigmoid, lambda f, a: a * (1 - a), nn.Sigmoid),
    "tanh": (math.tanh, lambda f, a: 1 - a * a, nn.Tanh),
    "identity": (lambda f: f, lambda f, a: 1.0, nn.Identity),
}


def scalar_net(gs, ws):
    modules = []
    for g, w in zip(gs, ws):
        lin = nn.Linear(1, 1, bias=False, dtype=bp.float64)
        _set(lin, [[w]])
        modules += [lin, SCALAR_G[g][2]()]
    return nn.Sequential(*modules)


@pytest.mark.parametrize("gs", [("sigmoid", "tanh", "identity"), ("tanh", "sigmoid", "sigmoid")])
def test_scalar_example_delta_is_the_slides_product_of_derivatives(gs):
    ws = (0.8, -1.3, 0.7)
    x = 0.5
    t = delta.trace(scalar_net(gs, ws), np.array([[x]]))
    # forward by hand: f[l] = W[l] a[l−1], a[l] = g[l](f[l])
    a, f, gp = [x], [None], [None]
    for g, w in zip(gs, ws):
        f.append(w * a[-1])
        a.append(SCALAR_G[g][0](f[-1]))
        gp.append(SCALAR_G[g][1](f[-1], a[-1]))
    # the slide: δ[3] = ∂g3/∂f3; δ[2] = δ[3] W[3] ∂g2/∂f2; δ[1] = δ[2] W[2] ∂g1/∂f1
    d3 = gp[3]
    d2 = d3 * ws[2] * gp[2]
    d1 = d2 * ws[1] * gp[1]
    hand = {1: d1, 2: d2, 3: d3}
    text = str(t)
    for l in (1, 2, 3):
        assert t[l].f.item() == pytest.approx(f[l], rel=1e-15)
        assert t[l].a.item() == pytest.approx(a[l], rel=1e-15)
        assert t[l].delta.item() == pytest.approx(hand[l], rel=1e-14)
        # ∂ŷ/∂W[l] = δ[l] a[l−1]
        assert t[l].dW.item() == pytest.approx(hand[l] * a[l - 1], rel=1e-14)
        # and the printed δ[l] is that number
        assert f"{hand[l]: .4f}" in _line(text, f"  δ[{l}]")
    assert t.y_hat.item() == pytest.approx(a[3], rel=1e-15)
    # the lecture's E = ½(ŷ − y)²: ∂E/∂W[l] = (ŷ − y) ∂ŷ/∂W[l]
    y = 0.1
    te = delta.trace(scalar_net(gs, ws), np.array([[x]]), np.array([[y]]), nn.HalfMSELoss())
    for l in (1, 2, 3):
        assert te[l].dW.item() == pytest.approx((a[3] - y) * hand[l] * a[l - 1], rel=1e-14)
    assert te.loss == pytest.approx(0.5 * (a[3] - y) ** 2, rel=1e-15)


# -- the vector example: two units per hidden layer ----------------------------------------
def vector_net(n_in, seed=3):
    bp.manual_seed(seed)
    return nn.Sequential(
        nn.Linear(n_in, 2, dtype=bp.float64),
        nn.Sigmoid(),
        nn.Linear(2, 2, dtype=bp.float64),
        nn.Tanh(),
        nn.Linear(2, 1, dtype=bp.float64),
        nn.Sigmoid(),
    )


def y_hat_from_f(model, l, f_row):
    """ŷ as a function of f[l]: run the modules after the l-th Linear on ``f_row``."""
    modules = list(model.children())
    positions = [i for i, m in enumerate(modules) if isinstance(m, nn.Linear)]
    out = bp.tensor(f_row.reshape(1, -1))
    with bp.no_grad():
        for m in modules[positions[l - 1] + 1 :]:
            out = m(out)
    return out.item()


@pytest.mark.parametrize("n_in", [1, 2])
def test_vector_example_gradient_is_a_outer_delta(n_in):
    model = vector_net(n_in)
    x = np.array([[0.7, -1.2][:n_in]])
    t = delta.trace(model, x)
    # autograd's ∂ŷ/∂W (in PyTorch's layout: transpose to the lecture's n[l−1] × n[l])
    model(bp.tensor(x)).sum().backward()
    lins = [m for m in model.children() if isinstance(m, nn.Linear)]
    a_prev = [x[0], t[1].a[0], t[2].a[0]]
    for l in (3, 2, 1):
        lt = t[l]
        np.testing.assert_allclose(lt.dW, np.outer(a_prev[l - 1], lt.delta[0]), rtol=1e-15)
        np.testing.assert_allclose(lt.dW, lins[l - 1].weight.grad._data.T, rtol=1e-13)
        np.testing.assert_allclose(lt.db, lins[l - 1].bias.grad._data, rtol=1e-13)
        assert lt.W.shape == (lt.n_prev, lt.n)
        assert lins[l - 1].weight.shape == (lt.n, lt.n_prev)
        # δ[l] = ∂ŷ/∂f[l], by central differences in f[l]
        eps = 1e-6
        numeric = []
        for i in range(lt.n):
            e = np.zeros(lt.n)
            e[i] = eps
            up = y_hat_from_f(model, l, lt.f[0] + e)
            down = y_hat_from_f(model, l, lt.f[0] - e)
            numeric.append((up - down) / (2 * eps))
        np.testing.assert_allclose(lt.delta[0], numeric, rtol=1e-6, atol=1e-9)
    for l in (1, 2):
        assert t[l].diag_vs_hadamard < 1e-15
        assert t[l].shapes["W"] == (t[l].n_prev, 2)
    assert t[3].diag_vs_hadamard is None


# -- the golden hand-worked net: 2-2-1, sigmoid hidden, identity output, E = ½(ŷ − y)² ------
# Lecture orientation: W[1][i][j] joins input i to hidden unit j.
GOLDEN_W1 = [[0.1, -0.2], [0.3, 0.4]]
GOLDEN_B1 = [0.05, -0.1]
GOLDEN_W2 = [[0.6], [-0.5]]
GOLDEN_B2 = [0.2]
GOLDEN_X = [[1.0, 0.5]]
GOLDEN_Y = [[0.25]]
# Computed by hand (plain floats, each sum written out), 7 significant digits.
F1 = [0.3, -0.1]
A1 = [0.5744425, 0.4750208]
G1 = [0.2444583, 0.2493760]  # σ'(f[1]) = a(1 − a)
F2 = [0.3071551]  # = ŷ (identity output)
E = 0.001633353
D2 = [0.05715510]  # δ[2] = ŷ − y
BACK1 = [0.03429306, -0.02857755]  # W[2] δ[2]
D1 = [0.008383224, -0.007126557]
DW2 = [[0.03283232], [0.02714986]]
DB2 = [0.05715510]
DW1 = [[0.008383224, -0.007126557], [0.004191612, -0.003563278]]
DB1 = [0.008383224, -0.007126557]


def golden_net():
    first = nn.Linear(2, 2, dtype=bp.float64)
    second = nn.Linear(2, 1, dtype=bp.float64)
    _set(first, np.array(GOLDEN_W1).T, GOLDEN_B1)  # Linear.weight is W[1]ᵀ
    _set(second, np.array(GOLDEN_W2).T, GOLDEN_B2)
    return nn.Sequential(first, nn.Sigmoid(), second)


def test_golden_hand_worked_net():
    model = golden_net()
    t = delta.trace(model, np.array(GOLDEN_X), np.array(GOLDEN_Y), nn.HalfMSELoss("sum"))

    def close(actual, expected):
        np.testing.assert_allclose(np.ravel(actual), np.ravel(expected), rtol=1e-6, atol=0)

    close(t[1].W, GOLDEN_W1)
    close(t[2].W, GOLDEN_W2)
    close(t[1].f, F1)
    close(t[1].a, A1)
    close(t[1].g_prime, G1)
    close(t[2].f, F2)
    close(t[2].a, F2)
    close(t.y_hat, F2)
    close(t.loss, E)
    close(t[2].delta, D2)
    close(t[1].back, BACK1)
    close(t[1].delta, D1)
    close(t[2].dW, DW2)
    close(t[2].db, DB2)
    close(t[1].dW, DW1)
    close(t[1].db, DB1)
    assert t[1].diag_vs_hadamard < 1e-15
    # the lecture's W[l] is n[l−1] × n[l]; the Parameter keeps PyTorch's (out, in)
    assert t[1].W.shape == (2, 2) and t[2].W.shape == (2, 1)
    assert model[2].weight.shape == (1, 2)
    assert t[2].dW.shape == (2, 1)
    # backward writes the same numbers into .grad, in PyTorch's layout
    delta.backward(model, np.array(GOLDEN_X), np.array(GOLDEN_Y), nn.HalfMSELoss("sum"))
    close(model[2].weight.grad._data, np.array(DW2).T)
    close(model[0].weight.grad._data, np.array(DW1).T)
    close(model[0].bias.grad._data, DB1)


def test_trace_prints_the_lectures_symbols():
    model = golden_net()
    t = delta.trace(model, np.array(GOLDEN_X), np.array(GOLDEN_Y), nn.HalfMSELoss("sum"))
    text = str(t)
    for symbol in ("δ[1]", "δ[2]", "a[0]", "f[1]", "∂E/∂W[2]", "∂E/∂b[1]", "∘", "diag", "2×1"):
        assert symbol in text, symbol
    assert "W[2]      = [[ 0.6000]," in text  # W[2] printed as the lecture's 2 × 1 column
    assert f"{D1[0]: .4f}" in _line(text, "  δ[1]")
    assert "2-2-1 MLP" in repr(t)
    with pytest.raises(IndexError, match="1 … 2"):
        t[3]


def test_trace_leaves_grad_alone_and_works_on_a_batch():
    bp.manual_seed(0)
    model = nn.MLP([3, 4, 4, 2], activation="relu").double()
    x = np.random.default_rng(0).standard_normal((6, 3))
    y = np.random.default_rng(1).standard_normal((6, 2))
    t = delta.trace(model, x, y, nn.MSELoss())
    assert all(p.grad is None for p in model.parameters())
    for l in (1, 2, 3):
        assert t[l].f.shape == t[l].a.shape == t[l].delta.shape == (6, t[l].n)
        # a batch's ∂E/∂W[l] is the sum over samples of a[l−1] δ[l]ᵀ
        a_prev = x if l == 1 else t[l - 1].a
        outer_sum = sum(np.outer(a_prev[i], t[l].delta[i]) for i in range(6))
        np.testing.assert_allclose(t[l].dW, outer_sum, rtol=1e-13)
    for l in (1, 2):
        assert t[l].diag_vs_hadamard < 1e-15
    assert "summed over samples" in str(t)
    assert "2 more samples" in str(t)


# -- loss conventions -----------------------------------------------------------------------
torch = pytest.importorskip("torch")


def test_half_mse_sum_and_mse_mean_output_deltas():
    bp.manual_seed(2)
    model = nn.MLP([2, 3, 1], activation="tanh").double()  # identity output
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 2))
    y = rng.standard_normal((4, 1))
    with bp.no_grad():
        y_hat = model(bp.tensor(x)).numpy()
    n = y.size
    half = delta.trace(model, x, y, nn.HalfMSELoss(reduction="sum"))
    mse = delta.trace(model, x, y, nn.MSELoss())
    half_mean = delta.trace(model, x, y, nn.HalfMSELoss())
    # hand formulas: ∂/∂ŷ ½Σ(ŷ − y)² = ŷ − y;  ∂/∂ŷ (1/N)Σ(ŷ − y)² = 2(ŷ − y)/N
    np.testing.assert_allclose(half[2].delta, y_hat - y, rtol=1e-14)
    np.testing.assert_allclose(mse[2].delta, 2 * (y_hat - y) / n, rtol=1e-14)
    np.testing.assert_allclose(half_mean[2].delta, (y_hat - y) / n, rtol=1e-14)
    # PyTorch: MSELoss's gradient and the lecture's E written out
    t = torch.from_numpy(y_hat.copy()).requires_grad_(True)
    torch.nn.MSELoss()(t, torch.from_numpy(y)).backward()
    np.testing.assert_allclose(mse[2].delta, t.grad.numpy(), rtol=1e-14)
    t.grad = None
    (0.5 * ((t - torch.from_numpy(y)) ** 2).sum()).backward()
    np.testing.assert_allclose(half[2].delta, t.grad.numpy(), rtol=1e-14)
    # a factor of 2N between the two conventions all the way down
    np.testing.assert_allclose(half[1].dW, mse[1].dW * n / 2, rtol=1e-13)
    # and the trace says which convention it used
    assert "½(ŷ − y)²" in half.loss_text and "∂E/∂ŷ = ŷ − y" in half.loss_text
    assert "2(ŷ − y)/N" in mse.loss_text and "PyTorch's MSELoss" in mse.loss_text
    assert _line(str(half), "loss:").startswith("loss: half_mse")
    assert "2(ŷ − y)/N" in _line(str(mse), "loss:")


def test_the_trace_reads_in_the_lectures_order():
    """Forward a[0] → f[1] → a[1] → … → ŷ first, then δ[L] → … → δ[1] (issue 15: f[3] was
    printed before a[2] had been shown)."""
    import re

    import backprop
    from backprop import nn
    from backprop.delta import trace

    backprop.manual_seed(0)
    model = nn.MLP([2, 3, 3, 1], activation="tanh")
    text = str(trace(model, np.array([[0.5, -1.0]]), np.array([[0.2]]), "half_mse"))
    lines = text.splitlines()

    def first(pattern):
        return next(i for i, line in enumerate(lines) if re.match(pattern, line.strip()))

    order = [first(r"a\[0\] = x")]
    for l in (1, 2, 3):
        order += [first(rf"f\[{l}\]\s+= W\[{l}\]ᵀ a\[{l - 1}\]"), first(rf"a\[{l}\]\s+= g\(")]
    order.append(first(r"ŷ = a\[3\]"))
    order += [first(rf"δ\[{l}\]\s+=") for l in (3, 2, 1)]
    assert order == sorted(order), order
    assert "column vectors (n[l]×1) of one sample" in text
    batch = str(trace(model, np.array([[0.5, -1.0], [0.1, 0.2]]), np.array([[0.2], [0.1]]),
                      "half_mse"))  # fmt: skip
    assert "the N = 2 rows of F[l] = A[l−1] W[l]" in batch
