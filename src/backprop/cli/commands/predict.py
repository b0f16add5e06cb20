"""``backprop predict``: a saved model's predictions for numbers or a CSV file."""

from __future__ import annotations

import argparse
import csv
import io as _io
import sys

import numpy as np

from ..common import float_list

HELP = "predict with a saved model (.safetensors) for --x values or an --input CSV"
EXAMPLES = """examples:
  backprop predict runs/square-*/model.safetensors --x 1.5 -2 3
  backprop predict model.safetensors --x 0.5,1.0 -1,2      two samples of a 2-input model
  backprop predict model.safetensors --input data.csv --output predictions.csv"""


def add_parser(sub) -> None:
    p = sub.add_parser(
        "predict",
        help=HELP,
        description=HELP + ".",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("model", help="a .safetensors model file written by backprop")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument(
        "--x",
        nargs="+",
        type=float_list,
        metavar="X",
        help="samples: one number each for a 1-input model, comma-separated values per "
        "sample otherwise; finite numbers like -1, 0.5 or -2e3, no empty field",
    )
    src.add_argument("--input", help="a CSV file with the model's feature columns (header row)")
    p.add_argument(
        "--output",
        help="write predictions to this CSV file instead of the screen ('-': the screen); "
        "a FIFO or device is written to, never replaced",
    )
    p.set_defaults(run=run)


def _samples(rows: list[list[float]], n_in: int) -> np.ndarray:
    """The --x samples (already parsed by ``float_list``: finite, no empty field) as X."""
    from ...errors import ConfigError

    for r in rows:
        if len(r) != n_in:
            raise ConfigError(
                f"--x: X has {len(r)} features, but the model expects {n_in}; give each sample "
                f"as {n_in} comma-separated numbers, e.g. --x " + ",".join(["0.5"] * n_in)
            )
    return np.asarray(rows, dtype=np.float64)


def run(args) -> int:
    import backprop as bp

    from ... import io
    from ...data import Standardizer
    from ...data.checks import check_finite
    from ...data.csvfile import read_columns
    from ...delta import layers
    from ...files import atomic_write_text, write_stdout
    from ..overlap import refuse_output_over_input

    refuse_output_over_input(
        args.output,
        "--output",
        [
            (args.model, "the model file given as MODEL"),
            (args.input, "the CSV file given as --input"),
        ],
    )
    f = io.read(args.model)
    model, part = f.model, (f.full_spec or {}).get("data") or {}
    n_in = layers(model)[0].n_in
    features = part.get("feature_names") or [f"x{i + 1}" for i in range(n_in)]
    if args.x is not None:
        raw, source = _samples(args.x, n_in), "--x"
    else:
        raw = read_columns(args.input, features, "the model was trained on")
        source = "--input"
    x, name = raw, "x"
    if part.get("scaler"):
        x, name = Standardizer.from_dict(part["scaler"]).transform(x), "standardised x"
    dtype = next(iter(model.parameters()))._data.dtype
    with np.errstate(over="ignore"):  # check_finite says which value overflowed
        x_model = x.astype(dtype)
    check_finite(x_model, name, source, original=x)
    with bp.no_grad(), np.errstate(all="ignore"):  # said below in words, once
        out = model(bp.tensor(x_model)).numpy()
    out = out.astype(np.float64)
    bad = int((~np.isfinite(out)).any(axis=1).sum())
    if bad:
        print(
            f"backprop predict: warning: {bad} of {len(out)} predictions are not finite "
            f"(the model's outputs overflowed {dtype.name}); its weights may come from a run "
            "that diverged: see 'backprop summary MODEL'",
            file=sys.stderr,
        )
    task = part.get("task", "regression")
    names = part.get("target_names") or []
    header = list(features)
    rows = []
    if task == "classification":
        if out.shape[1] == 1:
            p1 = 1 / (1 + np.exp(-out[:, 0]))
            probs = np.stack([1 - p1, p1], axis=1)
        else:
            e = np.exp(out - out.max(axis=1, keepdims=True))
            probs = e / e.sum(axis=1, keepdims=True)
        labels = names or [str(i) for i in range(probs.shape[1])]
        header += ["prediction"] + [f"p({c})" for c in labels]
        for xi, pi in zip(raw, probs):
            rows.append([*map(_num, xi), labels[int(pi.argmax())], *(f"{v:.4f}" for v in pi)])
    else:
        targets = names or [
            f"y{i + 1}" if out.shape[1] > 1 else "prediction" for i in range(out.shape[1])
        ]
        header += targets
        for xi, yi in zip(raw, out):
            rows.append([*map(_num, xi), *map(_num, yi)])
    buffer = _io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    if args.output and args.output != "-":
        path = atomic_write_text(args.output, buffer.getvalue(), who="--output")
        print(f"wrote {len(rows)} predictions to {path}")
    else:
        write_stdout(buffer.getvalue())
    return 0


def _num(v) -> str:
    return f"{float(v):.6g}"
