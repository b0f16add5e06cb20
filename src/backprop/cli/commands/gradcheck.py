"""``backprop gradcheck``: every parameter's gradient against central differences."""

from __future__ import annotations

import argparse

import numpy as np

from ..common import is_model_file, positive_int, seed

HELP = "check a model's gradients numerically (exit 1 if any parameter fails)"
EXAMPLES = """examples:
  backprop gradcheck                  the lecture's 1-8-8-1 network on its data
  backprop gradcheck spec.json        the model and data of a spec
  backprop gradcheck model.safetensors --samples 4"""


def add_parser(sub) -> None:
    p = sub.add_parser(
        "gradcheck",
        help=HELP,
        description=HELP + ".",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "target",
        nargs="?",
        default="square",
        help="a spec .json, a .safetensors model, or a built-in spec name (square)",
    )
    p.add_argument("--samples", type=positive_int, default=8, help="data rows to check on (8)")
    p.add_argument("--eps", type=float, default=1e-6, help="central-difference step (1e-6)")
    p.add_argument("--seed", type=seed, default=0, help="seed for inputs of a bare model file")
    p.set_defaults(run=run)


def run(args) -> int:
    from ... import check_gradients, io, nn
    from ...spec import builtin, prepare

    if is_model_file(args.target):
        from ...delta import layers

        model = io.load(args.target)
        net = layers(model)
        rng = np.random.default_rng(args.seed)
        x = rng.standard_normal((args.samples, net[0].n_in))
        y = rng.standard_normal((args.samples, net[-1].n_out))
        loss = nn.MSELoss()  # the check is of the model's gradients; any smooth loss will do
    else:
        spec = args.target if args.target.endswith(".json") else builtin(args.target)
        r = prepare(spec)
        model, loss = r.model, r.loss
        x = r.dataset.x[: args.samples]
        y = r.dataset.y[: args.samples]
        if r.spec["loss"]["name"] in ("bce", "bce_with_logits"):
            y = y.reshape(-1, 1).astype(np.float64)
    result = check_gradients(model, loss, x, y, eps=args.eps)
    print(result)
    return 0 if result.passed else 1
