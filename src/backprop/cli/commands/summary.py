"""``backprop summary``: a model file's layers, shapes in both orientations, parameter counts."""

from __future__ import annotations

import argparse

HELP = "layers, shapes (lecture and PyTorch orientation) and parameter counts of a model"
EXAMPLES = """examples:
  backprop summary runs/square-20261128-120000/model.safetensors
  backprop summary spec.json        the model a spec would build (untrained)"""


def add_parser(sub) -> None:
    p = sub.add_parser(
        "summary",
        help=HELP,
        description=HELP + ".",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("model", help="a .safetensors model file or a spec .json file")
    p.set_defaults(run=run)


def run(args) -> int:
    from ... import io
    from ...summary import summary
    from ..common import is_model_file

    if is_model_file(args.model):
        f = io.read(args.model)
        print(summary(f.model, name=args.model))
        scaler = (f.spec or {}).get("scaler")
        if scaler:
            print(f"input standardisation: mean {scaler['mean']}, std {scaler['std']}")
        task = (f.spec or {}).get("task")
        if task:
            names = (f.spec or {}).get("target_names") or []
            print(f"task: {task}" + (f"; targets: {', '.join(map(str, names))}" if names else ""))
        return 0
    from ...spec import prepare

    r = prepare(args.model)
    print(summary(r.model, name=f"{args.model} (untrained, seed {r.spec['seed']})"))
    return 0
