"""``backprop gradcheck``: every parameter's gradient against central differences."""

from __future__ import annotations

import argparse

from ..common import number, seed, whole

HELP = "check a model's gradients numerically (exit 1 if any parameter fails)"
EXAMPLES = """examples:
  backprop gradcheck                  the lecture's 1-8-8-1 network on its data
  backprop gradcheck spec.json        the model and data of a spec
  backprop gradcheck model.safetensors --samples 4"""


EPS_FIX = "below 1e-12 rounding swamps the difference; above 0.1 the step is not small"


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
    p.add_argument(
        "--samples",
        type=whole(1, 10_000, "a check costs two forward passes per parameter on every row"),
        default=8,
        help="data rows to check on, 1 to 10,000 (8)",
    )
    p.add_argument(
        "--eps",
        type=number(1e-12, 0.1, EPS_FIX),
        default=1e-6,
        help="central-difference step, 1e-12 to 0.1 (1e-6; the lecture's slide uses 0.001)",
    )
    p.add_argument(
        "--seed", type=seed, default=0, help="seed for inputs of a bare model file, 0 to 2**63-1"
    )
    p.set_defaults(run=run)


def run(args) -> int:
    import numpy as np

    from ... import check_gradients, io, nn
    from ...spec import builtin, prepare

    kind = _kind(args.target)
    if kind == "model":
        from ...delta import layers

        model = io.load(args.target)
        net = layers(model)
        rng = np.random.default_rng(args.seed)
        x = rng.standard_normal((args.samples, net[0].n_in))
        y = rng.standard_normal((args.samples, net[-1].n_out))
        loss = nn.MSELoss()  # the check is of the model's gradients; any smooth loss will do
    else:
        spec = builtin(args.target) if kind == "builtin" else args.target
        r = prepare(spec)
        model, loss = r.net, r.loss  # r.net takes z, as r.dataset.x holds it
        x = r.dataset.x[: args.samples]
        y = r.dataset.y[: args.samples]
        if r.spec["loss"]["name"] in ("bce", "bce_with_logits"):
            y = y.reshape(-1, 1).astype(np.float64)
    _check_work(model, len(x))
    result = check_gradients(model, loss, x, y, eps=args.eps)
    from ..words import cli_words

    print(cli_words(str(result)))
    return 0 if result.passed else 1


def _kind(target: str) -> str:
    """Which reader: "model" or "spec" (by the file's content), "builtin" (no file)."""
    import os

    from ...errors import ConfigError
    from ...filekind import model_or_spec
    from ...spec import builtin_names

    if os.path.lexists(target) or os.sep in target or "." in target:
        return model_or_spec(target, target)
    if target in builtin_names():
        return "builtin"
    raise ConfigError(
        f"TARGET {target!r}: no such file, and not a built-in spec name ("
        f"{', '.join(builtin_names())}); give a spec .json, a model .safetensors or one of "
        "those names."
    )


MAX_PARAMETERS = 500_000  # two forward passes each: about a minute at ~50 µs a pass
MAX_WORK = 10**11  # multiply-adds: 2 · parameters · (parameters · rows)


def _check_work(model, rows: int) -> None:
    """Refuse a check that would not end in reasonable time, before it starts."""
    from ...errors import ConfigError

    n = sum(p.numel() for p in model.parameters() if p.requires_grad)
    work = 2 * n * n * rows
    if n > MAX_PARAMETERS or work > MAX_WORK:
        raise ConfigError(
            f"--samples: checking {n:,} parameters on {rows:,} rows takes {2 * n:,} forward "
            f"passes and about {work:.2g} multiply-adds, more than the bounds "
            f"{MAX_PARAMETERS:,} parameters and {MAX_WORK:.0e}; check a smaller model or "
            "fewer --samples."
        )
