"""``backprop vanishing``: the vanishing-gradient experiment, as a table (and a plot)."""

from __future__ import annotations

import argparse

from ..common import ints, name_list, seed, whole

HELP = "per-layer gradient norms of sigmoid/tanh/ReLU networks of growing depth"
EXAMPLES = """examples:
  backprop vanishing
  backprop vanishing --depths 2..20 --activations sigmoid,tanh,relu
  backprop vanishing --depths 2,5,10 --plot vanishing.png"""


def add_parser(sub) -> None:
    from ...diagnostics import DEPTH_WORDS, MAX_DEPTH, MAX_SAMPLES, MAX_WIDTH, MAX_WORK

    p = sub.add_parser(
        "vanishing",
        help=HELP,
        description=HELP + f" (the lecture's slide as an experiment). {DEPTH_WORDS[0].upper()}"
        f"{DEPTH_WORDS[1:]}; --depths 5 builds 6 weight layers.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--depths",
        type=ints(1, MAX_DEPTH, f"a depth is 1 to {MAX_DEPTH} hidden layers", "2,5,10"),
        default=list(range(2, 21, 2)),
        help=f"depths d, each the number of hidden layers (L = d + 1 weight layers): 2..20, "
        f"2..20:2 or 2,5,10; each 1 to {MAX_DEPTH}, at most 1000 of them (default 2..20:2)",
    )
    p.add_argument(
        "--activations",
        type=name_list,
        default=["sigmoid", "tanh", "relu"],
        help="comma-separated: sigmoid, tanh, relu, step (default sigmoid,tanh,relu; step, "
        "the lecture's extreme case, passes no gradient at all)",
    )
    p.add_argument(
        "--width",
        type=whole(1, MAX_WIDTH, f"give 1 to {MAX_WIDTH:,} units"),
        default=32,
        help=f"units per hidden layer, 1 to {MAX_WIDTH:,} (32)",
    )
    p.add_argument(
        "--samples",
        type=whole(1, MAX_SAMPLES, f"give 1 to {MAX_SAMPLES:,} samples"),
        default=64,
        help=f"batch size, 1 to {MAX_SAMPLES:,} (64); in all, activations × Σ depths × "
        f"width² × (samples + width) ≤ {MAX_WORK:.0e} multiply-adds",
    )
    p.add_argument("--seed", type=seed, default=0, help="data and weights seed, 0 to 2**63-1 (0)")
    p.add_argument(
        "--plot",
        help="write the gradient-norm plot to this PNG file (an existing one only if it is "
        "a PNG, or with --overwrite)",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace --plot even when it is not a file this command wrote",
    )
    p.set_defaults(run=run)


def run(args) -> int:
    import difflib

    from ...autograd.activations import get_activation
    from ...diagnostics import DEFAULT_INIT, vanishing_gradients
    from ...errors import ConfigError

    # the experiment knows an initialiser for these only; judge the names against them
    # before the registry does, whose message would list every activation it has
    supported = tuple(DEFAULT_INIT)
    acts = []
    for given in args.activations:
        try:
            name = get_activation(given).name
        except ConfigError:
            name = given
        if name not in supported:
            close = difflib.get_close_matches(given.lower(), supported, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(
                f"--activations: {given!r} is not one of {', '.join(supported)} (the "
                f"activations this experiment has an initialiser for){hint}"
            )
        acts.append(name)
    from ..overlap import refuse_foreign_output

    refuse_foreign_output(args.plot, "--plot", "png", overwrite=args.overwrite)
    result = vanishing_gradients(
        depths=args.depths,
        activations=acts,
        width=args.width,
        samples=args.samples,
        seed=args.seed,
    )
    print(result)
    deepest = max(args.depths)
    print(
        f"\nper-layer ‖∂E/∂W[l]‖ at depth {deepest} ({deepest} hidden layers, L = "
        f"{deepest + 1}: l = 1 is the first layer, l = {deepest + 1} the output layer):"
    )
    for a in acts:
        norms = result.grad_norms[(a, deepest)]
        print(f"  {a:<8} " + " ".join(f"{v:.1e}" for v in norms))
    for line in notes(result, acts, deepest):
        print(line)
    if args.plot:
        from ... import plots
        from ...plots._base import save
        from ..overlap import foreign_output_guard

        guard = foreign_output_guard(args.plot, "--plot", "png", overwrite=args.overwrite)
        figure = plots.gradient_norms(result)
        print(f"\nplot: {save(figure, args.plot, who='--plot', guard=guard)}")
    return 0


def notes(result, acts: list[str], deepest: int) -> list[str]:
    """What the numbers mean where they surprise: step's zeros (the lecture's extreme case),
    and a tanh ratio above 1 (its gradient grows going back instead of vanishing)."""
    out = []
    if "step" in acts:
        hidden = [
            v for (a, _), norms in result.grad_norms.items() if a == "step" for v in norms[:-1]
        ]
        if not any(hidden):
            out.append(
                "\nstep: ‖∂E/∂W[l]‖ is exactly 0 for every hidden layer at every depth, so its "
                "ratio is 0, not small: the step's derivative is 0 wherever it exists, and "
                "δ[l] = g'(f[l]) ∘ (W[l+1] δ[l+1]) = 0 below the output layer, whatever the "
                "weights. Only W[L] gets a gradient; gradient descent cannot train the layers "
                "below (the lecture's Caution), which is why networks use units with a slope "
                "(sigmoid, tanh, ReLU)."
            )
    if "tanh" in acts and deepest > 1:
        ratio = result.first_to_last("tanh", deepest)
        if ratio > 1:
            per_layer = ratio ** (1 / deepest)
            out.append(
                f"\ntanh: the ratio is {ratio:.3g} at depth {deepest}, above 1: the gradient "
                f"grows going back, about ×{per_layer:.3g} a layer, instead of vanishing. "
                "tanh'(0) = 1 where sigmoid's σ' is at most 0.25, and Xavier's init with "
                "tanh's gain 5/3 makes each layer's factor, ‖W[l+1]‖ times the mean tanh'(f[l]), "
                "a little above 1: δ is multiplied by it once a layer (PyTorch's xavier_normal_ "
                "with gain 5/3 drifts the same way; with gain 1 the ratio stays near 1). tanh "
                "gradients vanish when its units saturate (|f| large, tanh' near 0), which this "
                "init avoids."
            )
    return out
