"""The lecture's slide "Neural Network for ŷ = |x − 1|", built by hand and then trained.

Part 1 sets the weights of a 1-2-1 network exactly as on the slide: g[1] = ReLU, g[2] = identity,

    ŷ = a₁[1] + a₂[1] = max(0, x − 1) + max(0, 1 − x),

i.e. W[1] = [1, −1] (1 × 2), b[1] = [−1, 1], W[2] = [1, 1]ᵀ (2 × 1), b[2] = 0, and checks it
is exact on a grid of 201 points in [−3, 5].

Part 2 trains the same 1-2-1 shape from random initial weights (the δ engine computes the
gradients, Adam updates them; full batch, 81 points in [−3, 5], MSE) over several seeds and
counts how often it finds the exact solution (max error on the grid < 1e-3). Most exact fits
are the slide's (both kinks at x = 1); on a bounded interval a line plus one hinge at x = 1
is exact too, and the table says which. For each seed that fails, it says why: a hidden unit
that is off (f ≤ 0) at every training point gets no gradient and never recovers (a "dead"
ReLU), or both units slope the same way, so their sum is one hinge and cannot make the V.

    python examples/abs_relu.py [--seeds N] [--epochs N] [--lr ETA]
"""

import argparse

import numpy as np

import backprop as bp
import backprop.nn as nn
import backprop.optim as optim
from backprop import delta
from backprop.delta import lecture

GRID = np.linspace(-3, 5, 201).reshape(-1, 1)


def hand_built():
    # W[1] = [1, −1], b[1] = [−1, 1]; W[2] = [1, 1]ᵀ, b[2] = 0 (the slide's construction)
    return lecture.abs_network()


def diagnose(model, x):
    """Why a trained 1-2-1 network is not |x − 1|, in words."""
    w = model[0].weight._data[:, 0]
    f = x @ model[0].weight._data.T + model[0].bias._data
    dead = [j + 1 for j in range(2) if np.all(f[:, j] <= 0)]
    if dead:
        units = " and ".join(f"unit {j}" for j in dead)
        return f"{units} dead (f ≤ 0 on every training point, so no gradient)"
    if w[0] * w[1] > 0:
        return "both units slope the same way: their sum is one hinge, not a V"
    return "not converged yet (more epochs?)"


def kink_places(model, x):
    """Each hidden unit's kink x = −b/w, where its f[1] = 0, when it lies among the training
    points; "dead" for a unit off at every point (f ≤ 0), "none" for one on at every point
    (a straight line there, no kink). Either way −b/w falls outside the data, often far
    outside as w shrinks towards 0 (−4.5e15 for one seed), a number that means nothing."""
    w, b = model[0].weight._data[:, 0], model[0].bias._data
    f = x @ model[0].weight._data.T + b
    places = []
    for j in range(len(w)):
        if np.all(f[:, j] <= 0):
            places.append("dead")
        elif np.all(f[:, j] > 0):
            places.append("none")
        else:
            places.append(float(-b[j] / w[j]))
    return places


def train(seed, epochs, lr, x, y):
    bp.manual_seed(seed)
    model = nn.Sequential(nn.Linear(1, 2), nn.ReLU(), nn.Linear(2, 1)).double()
    opt = optim.Adam(model.parameters(), lr=lr)
    loss = nn.MSELoss()
    for _ in range(epochs):
        opt.zero_grad()
        delta.backward(model, x, y, loss)  # the δ recursion writes .grad
        opt.step()
    return model


def main(seeds=20, epochs=1500, lr=0.1):
    print("Part 1: the slide's network, weights set by hand")
    model = hand_built()
    t = delta.trace(model, np.array([[-2.0], [1.0], [4.0]]))
    for l in (1, 2):
        bias = "" if t[l].b is None else f",  b[{l}] = {t[l].b.tolist()}"
        print(f"  W[{l}] ({t[l].n_prev}×{t[l].n}) = {t[l].W.tolist()}{bias}")
    out = delta.forward(model, GRID).output
    error = np.max(np.abs(out - np.abs(GRID - 1)))
    print("      x   max(0, x − 1)  max(0, 1 − x)   ŷ      |x − 1|")
    for x in (-3.0, -1.0, 0.0, 1.0, 2.5, 5.0):
        a1 = delta.forward(model, [[x]]).a[1][0]
        y_hat = delta.forward(model, [[x]]).output.item()
        print(f"  {x:6.2f}  {a1[0]:12.4f}  {a1[1]:13.4f}  {y_hat:7.4f}  {abs(x - 1):7.4f}")
    print(f"  max |ŷ − |x − 1|| over 201 grid points in [−3, 5]: {error}")

    print(
        f"\nPart 2: train 1-2-1 ReLU from random init, {seeds} seeds, Adam lr {lr}, "
        f"{epochs} full-batch epochs"
    )
    x = np.linspace(-3, 5, 81).reshape(-1, 1)
    y = np.abs(x - 1)
    print(
        "  kinks x = −b/w (where f[1] = 0) among the points; dead: f ≤ 0 at every point, "
        "none: f > 0 at every point (no kink there)"
    )
    print("  seed  max error   kinks                           verdict")
    successes = 0
    for seed in range(seeds):
        model = train(seed, epochs, lr, x, y)
        err = float(np.max(np.abs(delta.forward(model, GRID).output - np.abs(GRID - 1))))
        kinks = kink_places(model, x)
        ok = err < 1e-3
        successes += ok
        if not ok:
            verdict = diagnose(model, x)
        elif all(not isinstance(k, str) and abs(k - 1) < 1e-2 for k in kinks):
            verdict = "exact: the slide's two hinges at x = 1"
        else:
            verdict = "exact on [−3, 5] another way: a line (one unit on everywhere) + a hinge"
        kink_text = ", ".join(f"{k:>9}" if isinstance(k, str) else f"{k: 9.3f}" for k in kinks)
        print(f"  {seed:>4}  {err:9.2e}   {kink_text:<30}  {verdict}")
    print(f"\nFound the exact solution in {successes} of {seeds} seeds ({successes / seeds:.0%}).")
    return successes


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20, help="how many random inits to train")
    parser.add_argument("--epochs", type=int, default=1500, help="full-batch Adam steps per seed")
    parser.add_argument("--lr", type=float, default=0.1, help="Adam's learning rate")
    args = parser.parse_args()
    main(args.seeds, args.epochs, args.lr)
