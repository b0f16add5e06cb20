"""The lecture's step unit sgn(x) and its "Caution": backprop cannot train it; the perceptron
rule can (one layer of them, on linearly separable data).

The slide "Neural Network for ŷ = |x − 1|" lists the step function

    sgn(x) = +1 if x > 0,  −1 if x ≤ 0

among the candidate activations. Its derivative is 0 wherever it exists, so every δ that
passes through a step unit is 0. Part 1 shows it: a 2-4-1 MLP with step hidden units gets
exactly zero gradients for W[1] and b[1], and the δ engine says why in its notes. Part 2
trains one step unit with Rosenblatt's perceptron rule, w ← w + η·y·x on each mistake, which
needs no derivative and stops on a linearly separable set. Part 3: on XOR, which no line
separates, it never stops.

    python examples/perceptron_step.py [--epochs N] [--samples N] [--seed S]
"""

import argparse
import textwrap

import numpy as np

import backprop as bp
import backprop.nn as nn
from backprop import delta
from backprop.delta.perceptron import perceptron


def separable(samples, seed):
    """Points in the square [−3, 3]², labelled by the line x₁ − 2x₂ + 0.5 = 0 (margin 0.3)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, (4 * samples, 2))
    score = x @ np.array([1.0, -2.0]) + 0.5
    keep = np.abs(score) > 0.3
    return x[keep][:samples], np.where(score[keep][:samples] > 0, 1.0, -1.0)


def main(epochs=100, samples=100, seed=0):
    x, y = separable(samples, seed)

    print("Part 1: backprop through step units (2-4-1 MLP, g[1] = sgn, MSE)")
    bp.manual_seed(seed)
    model = nn.MLP([2, 4, 1], activation="step").double()
    t = delta.trace(model, x, y.reshape(-1, 1), nn.MSELoss())
    print(f"  a[1] = sgn(f[1]) takes only the values {np.unique(t[1].a).tolist()}")
    print(f"  g'[1](f[1]) takes only the values {np.unique(t[1].g_prime).tolist()}")
    for l in (2, 1):
        print(
            f"  ‖δ[{l}]‖ = {np.linalg.norm(t[l].delta):.3e}   ‖∂E/∂W[{l}]‖ = "
            f"{np.linalg.norm(t[l].dW):.3e}   ‖∂E/∂b[{l}]‖ = {np.linalg.norm(t[l].db):.3e}"
        )
    print("  (the output layer still gets a gradient; everything below the step units is 0)")
    for note in t.notes:  # the engine's own words (also in delta.backward(...).notes)
        print(textwrap.fill("  note: " + note, width=96, subsequent_indent="        "))

    print(
        f"\nPart 2: the perceptron rule on {len(y)} linearly separable points (max {epochs} epochs)"
    )
    result = perceptron(x, y, lr=1.0, max_epochs=epochs, seed=seed)
    accuracy = np.mean(result.predict(x) == y)
    print(f"  mistakes per epoch: {result.mistakes}")
    print(
        f"  converged: {result.converged} after {result.epochs} epoch(s); "
        f"training accuracy {accuracy:.0%}"
    )
    w, b = result.weight, result.bias
    w2, c = w[1] / w[0], b / w[0]  # scaled so that x₁ has coefficient 1
    print(
        f"  learned boundary: x₁ {'+' if w2 >= 0 else '−'} {abs(w2):.2f}·x₂ "
        f"{'+' if c >= 0 else '−'} {abs(c):.2f} = 0   (the data's: x₁ − 2·x₂ + 0.5 = 0)"
    )

    print(f"\nPart 3: the perceptron rule on XOR (max {epochs} epochs)")
    xor_x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    xor_y = np.array([-1.0, 1.0, 1.0, -1.0])
    xor = perceptron(xor_x, xor_y, lr=1.0, max_epochs=epochs, seed=seed)
    print(f"  mistakes in the last epochs: {xor.mistakes[-5:]}")
    print(
        f"  converged: {xor.converged} after {xor.epochs} epoch(s); training accuracy "
        f"{np.mean(xor.predict(xor_x) == xor_y):.0%} — no single line separates XOR"
    )
    return result, xor


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100, help="perceptron epochs at most")
    parser.add_argument("--samples", type=int, default=100, help="points in the separable set")
    parser.add_argument("--seed", type=int, default=0, help="seed of data, weights and order")
    args = parser.parse_args()
    main(args.epochs, args.samples, args.seed)
