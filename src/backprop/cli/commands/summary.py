"""``backprop summary``: a model file's layers, shapes in both orientations, parameter counts."""

from __future__ import annotations

import argparse
import os

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
    from ...filekind import model_or_spec
    from ...summary import summary

    if model_or_spec(args.model, args.model) == "model":  # by content, not by suffix
        f = io.read(args.model)
        print(summary(f.model, name=args.model))
        data = (f.full_spec or {}).get("data") or {}
        if data.get("task"):
            names = data.get("target_names") or []
            print(f"task: {data['task']}" + (f"; targets: {_brief(names)}" if names else ""))
        if data.get("feature_names"):
            print(f"inputs: {_brief(data['feature_names'])}")
        if f.scaler:
            mean = _brief([f"{v:.4g}" for v in f.scaler["mean"]])
            constant = set(data.get("constant_inputs") or [])  # std 1 is the scaler's guard
            std = _brief(
                [
                    f"constant in training ({m:.4g})" if j in constant else f"{v:.4g}"
                    for j, (m, v) in enumerate(zip(f.scaler["mean"], f.scaler["std"]))
                ]
            )
            print(f"input standardisation: mean [{mean}], std [{std}]")
        target = data.get("target_scaler")
        if isinstance(target, dict):  # checked by io.read: one mean and std per output
            mean = _brief([f"{v:.4g}" for v in target["mean"]])
            std = _brief([f"{v:.4g}" for v in target["std"]])
            print(
                f"target standardisation: mean [{mean}], std [{std}] (trained on z; folded "
                "into the last layer, so the model predicts the targets' units)"
            )
        from ..words import cli_words  # the file keeps the library's words; we give flags

        for key in ("stopped", "weights"):  # a run that diverged says so (Run.file_metadata)
            if isinstance(f.metadata.get(key), str):
                print(f"{key}: {cli_words(f.metadata[key])}")
        return 0
    from ...spec import prepare

    r = prepare(args.model)
    print(summary(r.net, name=f"{args.model} (untrained, seed {r.spec['seed']})"))
    beside = os.path.join(os.path.dirname(args.model), "model.safetensors")
    if os.path.isfile(beside):  # a run folder: the trained model is there (as predict says)
        print(
            f"the model this spec trained is beside it: backprop summary {beside} shows the "
            "trained one (its inputs and scaling)"
        )
    return 0


def _brief(items, head: int = 10, width: int = 60) -> str:
    """A list for one line of the summary: its first ``head`` entries, each cut to ``width``
    characters, then how many more (a CSV of 100,000 columns printed 1.4 MB of names)."""
    shown = [str(v) if len(str(v)) <= width else str(v)[: width - 1] + "…" for v in items[:head]]
    more = len(items) - len(shown)
    return ", ".join(shown) + (f", … ({more:,} more, {len(items):,} in all)" if more > 0 else "")
