"""The lecture's slides "Back Propagation: Vector Example", "A Closer Look at δ" and
"Exploiting Diagonal Matrix", computed and printed.

A three-layer network with two perceptrons in each hidden layer (n[l] = 2 as on the slides,
so W[1] and W[2] are 2 × 2 and W[3] is 2 × 1): g[1] = g[2] = sigmoid, g[3] = identity. The
δ engine's trace shows every quantity; then the slide's table is checked line by line,

    ŷ'(W[3]) = a[2] δ[3]ᵀ     δ[3] = ∂g[3]/∂f[3]
    ŷ'(W[2]) = a[1] δ[2]ᵀ     δ[2] = g'[2](f[2]) W[3] δ[3]
    ŷ'(W[1]) = a[0] δ[1]ᵀ     δ[1] = g'[1](f[1]) W[2] δ[2]

against autograd (``ŷ.backward()``), and δ[1] is computed both ways the slides show: with the
full n[l] × n[l] diagonal matrix g'(f[l]) and with the Hadamard product g'(f[l]) ∘ (W δ).
Last, a few gradient-descent steps on E = ½(ŷ − y)².

    python examples/vector_backprop.py [--steps N] [--lr ETA] [--seed S]
"""

import argparse

import numpy as np

import backprop as bp
import backprop.nn as nn
import backprop.optim as optim
from backprop import delta


def matrix(m, indent):
    rows = [" ".join(f"{v: .5f}" for v in row) for row in np.atleast_2d(m)]
    return ("\n" + " " * indent).join(f"[{r} ]" for r in rows)


def main(steps=30, lr=0.1, seed=0):
    bp.manual_seed(seed)
    model = nn.Sequential(
        nn.Linear(2, 2, bias=False),  # the slides' f[l] = W[l]ᵀ a[l−1] has no bias
        nn.Sigmoid(),
        nn.Linear(2, 2, bias=False),
        nn.Sigmoid(),
        nn.Linear(2, 1, bias=False),
    ).double()
    x = np.array([[0.7, -1.2]])  # a[0], one sample
    t = delta.trace(model, x)
    print(t)

    print("\nThe slide's table, ŷ'(W[l]) = a[l−1] δ[l]ᵀ (an n[l−1] × n[l] matrix, like W[l]):")
    y_hat = model(bp.tensor(x))
    y_hat.backward()  # autograd's ∂ŷ/∂(every weight), in PyTorch's (out, in) layout
    linears = [m for m in model.children() if isinstance(m, nn.Linear)]
    a_prev = {1: x[0], 2: t[1].a[0], 3: t[2].a[0]}
    for l in (3, 2, 1):
        outer = np.outer(a_prev[l], t[l].delta[0])
        gap = np.max(np.abs(outer - linears[l - 1].weight.grad.numpy().T))
        head = f"  ŷ'(W[{l}]) = a[{l - 1}] δ[{l}]ᵀ = "
        print(head + matrix(outer, len(head)))
        print(
            f"  {'':{len(head) - 2}}{outer.shape[0]}×{outer.shape[1]}, autograd differs by "
            f"{gap:.1e}"
        )

    print("\nA closer look at δ[1] = g'[1](f[1]) W[2] δ[2]:")
    gp = t[1].g_prime[0]
    back = t[1].back[0]  # W[2] δ[2], n[1] × 1
    diag = np.diag(gp)
    head = "  ∂g[1]/∂f[1], a diagonal matrix (n[1] × n[1]) = "
    print(head + matrix(diag, len(head)))
    print(f"  W[2] δ[2]  (n[1] × 1)                        = {matrix(back, 0)}ᵀ")
    print(f"  diag(g'[1](f[1])) · (W[2] δ[2])              = {matrix(diag @ back, 0)}ᵀ")
    print(f"  g'[1](f[1]) ∘ (W[2] δ[2])   (Hadamard)       = {matrix(gp * back, 0)}ᵀ")
    gap = np.max(np.abs(diag @ back - gp * back))
    print(f"  The two differ by {gap:.1e}: the off-diagonal zeros do no work, so the engine")
    print("  multiplies g' and W δ elementwise instead of building the matrix.")

    y = np.array([[1.0]])
    print(f"\nGradient descent on E = ½(ŷ − y)², y = {y.item()}, η = {lr}, {steps} steps:")
    sgd = optim.SGD(model.parameters(), lr=lr)
    loss = nn.HalfMSELoss(reduction="sum")
    every = max(1, steps // 5)
    for step in range(steps + 1):
        sgd.zero_grad()
        grads = delta.backward(model, x, y, loss)
        if step % every == 0 or step == steps:
            print(f"  step {step:>4}: ŷ = {grads.cache.output.item(): .5f}   E = {grads.loss:.3e}")
        if step < steps:
            sgd.step()
    return grads.loss


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30, help="gradient-descent steps")
    parser.add_argument("--lr", type=float, default=0.1, help="learning rate η")
    parser.add_argument("--seed", type=int, default=0, help="seed of the initial weights")
    args = parser.parse_args()
    main(args.steps, args.lr, args.seed)
