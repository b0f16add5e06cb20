"""The lecture's slide "Back Propagation: Scalar Example", computed and printed.

A three-layer network with a single perceptron in each layer and no biases:
f[l] = W[l] a[l−1], a[l] = g[l](f[l]), with g[1] = g[2] = sigmoid and g[3] = identity, and
the loss E = ½(ŷ − y)². The δ engine's trace shows every f[l], a[l], δ[l] and ∂ŷ/∂W[l]; then
each δ is multiplied out by hand exactly as on the slides,

    δ[3] = ∂g[3]/∂f[3],   δ[2] = δ[3] W[3] ∂g[2]/∂f[2],   δ[1] = δ[2] W[2] ∂g[1]/∂f[1],
    ∂ŷ/∂W[l] = δ[l] a[l−1],   ∂E/∂W[l] = (ŷ − y) ∂ŷ/∂W[l],

and finally W[l] := W[l] − η ∂E/∂W[l] is run for a few steps.

    python examples/scalar_backprop.py [--steps N] [--lr ETA] [--x X] [--y Y]
"""

import argparse

import numpy as np

import backprop.nn as nn
import backprop.optim as optim
from backprop import delta
from backprop.delta import lecture

WEIGHTS = (0.8, -1.3, 0.7)  # W[1], W[2], W[3]


def n(v):
    """A number for a printed product: 4 decimals, negatives in parentheses."""
    return f"({v:.4f})" if v < 0 else f"{v:.4f}"


def build():
    return lecture.scalar_network(WEIGHTS)


def main(steps=50, lr=0.5, x=0.5, y=1.0):
    model = build()
    a0 = np.array([[x]])
    t = delta.trace(model, a0)
    print(t)

    print("\nThe slide's products of derivatives, multiplied out by hand:")
    W = {l: t[l].W.item() for l in (1, 2, 3)}
    gp = {l: t[l].g_prime.item() for l in (1, 2, 3)}
    a = {0: x, 1: t[1].a.item(), 2: t[2].a.item(), 3: t[3].a.item()}
    d3 = gp[3]
    d2 = d3 * W[3] * gp[2]
    d1 = d2 * W[2] * gp[1]
    print(f"  δ[3] = ∂g[3]/∂f[3]           = {d3:.6f}   (trace: {t[3].delta.item():.6f})")
    print(
        f"  δ[2] = δ[3]·W[3]·∂g[2]/∂f[2] = {n(d3)}·{n(W[3])}·{n(gp[2])} = {d2:.6f}"
        f"   (trace: {t[2].delta.item():.6f})"
    )
    print(
        f"  δ[1] = δ[2]·W[2]·∂g[1]/∂f[1] = {n(d2)}·{n(W[2])}·{n(gp[1])} = {d1:.6f}"
        f"   (trace: {t[1].delta.item():.6f})"
    )
    for l, d in ((3, d3), (2, d2), (1, d1)):
        print(
            f"  ∂ŷ/∂W[{l}] = δ[{l}]·a[{l - 1}] = {n(d)}·{n(a[l - 1])} = {d * a[l - 1]:.6f}"
            f"   (trace: {t[l].dW.item():.6f})"
        )

    y_hat = a[3]
    print(f"\nWith the loss E = ½(ŷ − y)² and y = {y}: ∂E/∂W[l] = (ŷ − y)·∂ŷ/∂W[l]")
    loss = nn.HalfMSELoss(reduction="sum")  # the lecture's E; nn.MSELoss would double it
    te = delta.trace(model, a0, np.array([[y]]), loss)
    for l in (3, 2, 1):
        by_hand = (y_hat - y) * t[l].dW.item()
        print(
            f"  ∂E/∂W[{l}] = {n(y_hat - y)}·{n(t[l].dW.item())} = {by_hand:.6f}"
            f"   (trace with the loss: {te[l].dW.item():.6f})"
        )

    print(f"\nGradient descent W[l] := W[l] − η ∂E/∂W[l], η = {lr}, {steps} steps:")
    linears = [m for m in model.children() if isinstance(m, nn.Linear)]
    sgd = optim.SGD(model.parameters(), lr=lr)  # plain SGD is exactly the slide's update
    every = max(1, steps // 5)
    for step in range(steps + 1):
        sgd.zero_grad()
        grads = delta.backward(model, a0, np.array([[y]]), loss)  # δ recursion → .grad
        if step % every == 0 or step == steps:
            ws = ", ".join(f"{lin.weight.item(): .4f}" for lin in linears)
            print(f"  step {step:>4}: E = {grads.loss:.3e}   W[1], W[2], W[3] = {ws}")
        if step < steps:
            sgd.step()
    return grads.loss


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50, help="gradient-descent steps")
    parser.add_argument("--lr", type=float, default=0.5, help="learning rate η")
    parser.add_argument("--x", type=float, default=0.5, help="the input a[0]")
    parser.add_argument("--y", type=float, default=1.0, help="the target y")
    args = parser.parse_args()
    main(args.steps, args.lr, args.x, args.y)
