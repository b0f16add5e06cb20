"""``backprop vanishing``: the vanishing-gradient experiment, as a table (and a plot)."""

from __future__ import annotations

import argparse

from ..common import int_list, name_list, positive_int, seed

HELP = "per-layer gradient norms of sigmoid/tanh/ReLU networks of growing depth"
EXAMPLES = """examples:
  backprop vanishing
  backprop vanishing --depths 2..20 --activations sigmoid,tanh,relu
  backprop vanishing --depths 2,5,10 --plot vanishing.png"""


def add_parser(sub) -> None:
    p = sub.add_parser(
        "vanishing",
        help=HELP,
        description=HELP + " (the lecture's slide as an experiment).",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--depths",
        type=int_list,
        default=list(range(2, 21, 2)),
        help="hidden-layer counts: 2..20, 2..20:2 or 2,5,10 (default 2..20:2)",
    )
    p.add_argument(
        "--activations",
        type=name_list,
        default=["sigmoid", "tanh", "relu"],
        help="comma-separated (default sigmoid,tanh,relu)",
    )
    p.add_argument("--width", type=positive_int, default=32, help="units per hidden layer (32)")
    p.add_argument("--samples", type=positive_int, default=64, help="batch size (64)")
    p.add_argument("--seed", type=seed, default=0, help="data and weights seed (0)")
    p.add_argument("--plot", help="write the gradient-norm plot to this PNG file")
    p.set_defaults(run=run)


def run(args) -> int:
    from ...autograd.activations import get_activation
    from ...diagnostics import vanishing_gradients
    from ...errors import ConfigError

    supported = ("sigmoid", "tanh", "relu")
    acts = [get_activation(a).name for a in args.activations]
    for a in acts:
        if a not in supported:
            raise ConfigError(f"--activations: {a!r} is not one of {', '.join(supported)}")
    if not args.depths or min(args.depths) < 1:
        raise ConfigError(f"--depths: need depths of at least 1, got {args.depths}")
    result = vanishing_gradients(
        depths=args.depths,
        activations=acts,
        width=args.width,
        samples=args.samples,
        seed=args.seed,
    )
    print(result)
    deepest = max(args.depths)
    print(f"\nper-layer ‖∂E/∂W[l]‖ at depth {deepest} (l = 1 is the first layer):")
    for a in acts:
        norms = result.grad_norms[(a, deepest)]
        print(f"  {a:<8} " + " ".join(f"{v:.1e}" for v in norms))
    if args.plot:
        from ... import plots

        print(f"\nplot: {plots.gradient_norms(result, args.plot)}")
    return 0
