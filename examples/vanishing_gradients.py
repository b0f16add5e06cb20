"""The lecture's slide "Vanishing Gradient Problem", run as an experiment.

The slide: ∂ŷ/∂W[1] is a product with one factor ∂g[l]/∂f[l] per layer, and for the sigmoid
each factor is < 0.25, so "the gradients approach zero as the number of layers increases".
Here MLPs of growing depth (same data, same seed, width 32, one linear output, MSE) are built
with sigmoid, tanh and ReLU hidden layers (Xavier init for sigmoid/tanh, He init for ReLU),
and the δ engine reports, for every layer l, ‖∂E/∂W[l]‖ and the mean ‖δ[l]‖.

Printed: the ratio ‖∂E/∂W[1]‖ / ‖∂E/∂W[L]‖ (how much of the gradient reaches the first layer)
per depth; the per-layer norms of the deepest networks; and the slide's bound checked layer by
layer: ‖δ[l]‖ ≤ 0.25 · ‖W[l+1]‖₂ · ‖δ[l+1]‖ for the sigmoid (largest ratio must be ≤ 1).

    python examples/vanishing_gradients.py [--depths 2 5 10 20] [--width N] [--seed S]
"""

import argparse

from backprop.diagnostics import vanishing_gradients


def main(depths=(2, 5, 10, 20), width=32, samples=64, seed=0):
    result = vanishing_gradients(depths=depths, width=width, samples=samples, seed=seed)
    print(result)

    deepest = max(depths)
    print(
        f"\nPer layer at depth {deepest} ({deepest} hidden layers + the linear output layer "
        f"L = {deepest + 1}): ‖∂E/∂W[l]‖, l = 1 next to the input"
    )
    print("    l      sigmoid         tanh         relu")
    norms = {act: result.grad_norms[(act, deepest)] for act in ("sigmoid", "tanh", "relu")}
    n_layers = len(norms["sigmoid"])
    shown = sorted({1, 2, 3, n_layers // 2, n_layers - 2, n_layers - 1, n_layers})
    for l in shown:
        if l < 1:
            continue
        cells = "  ".join(f"{norms[act][l - 1]:11.3e}" for act in norms)
        print(f"  {l:>3}  {cells}")

    print("\nThe slide's bound, ‖δ[l]‖ / (max g' · ‖W[l+1]‖₂ · ‖δ[l+1]‖), worst layer and sample:")
    print("  depth    sigmoid (σ' ≤ 0.25)   tanh (≤ 1)   relu (≤ 1)")
    for depth in depths:
        worst = [max(result.bound_ratios[(act, depth)]) for act in ("sigmoid", "tanh", "relu")]
        print(f"  {depth:>5}    {worst[0]:17.3f}   {worst[1]:10.3f}   {worst[2]:10.3f}")
    print("  every entry ≤ 1: each layer passes back at most g'max · ‖W‖₂ of the error above it")

    shallow = min(depths)
    sig = result.first_to_last("sigmoid", deepest) / result.first_to_last("sigmoid", shallow)
    relu = result.first_to_last("relu", deepest) / result.first_to_last("relu", shallow)
    per_layer = result.first_to_last("sigmoid", deepest) ** (1 / deepest)
    print(
        f"\nFrom depth {shallow} to {deepest} the first layer's share of the gradient changes "
        f"by ×{sig:.1e} with sigmoid and by ×{relu:.2f} with ReLU."
    )
    print(
        f"With sigmoid, each layer keeps on average ×{per_layer:.3f} of the gradient above it "
        "(the slide: σ' < 0.25)."
    )
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--depths",
        type=int,
        nargs="+",
        default=[2, 5, 10, 20],
        help="numbers of hidden layers to try",
    )
    parser.add_argument("--width", type=int, default=32, help="units per hidden layer")
    parser.add_argument("--samples", type=int, default=64, help="samples in the batch")
    parser.add_argument("--seed", type=int, default=0, help="seed of data and weights")
    args = parser.parse_args()
    main(args.depths, args.width, args.samples, args.seed)
