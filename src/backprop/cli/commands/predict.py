"""``backprop predict``: a saved model's predictions for numbers or a CSV file."""

from __future__ import annotations

import argparse
import csv
import io as _io
import sys

import numpy as np

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
        help="samples: one number each for a 1-input model, "
        "comma-separated values per sample otherwise",
    )
    src.add_argument("--input", help="a CSV file with the model's feature columns (header row)")
    p.add_argument("--output", help="write predictions to this CSV file instead of the screen")
    p.set_defaults(run=run)


def _samples(values: list[str], n_in: int) -> np.ndarray:
    from ...errors import ConfigError

    rows = []
    for text in values:
        try:
            row = [float(v) for v in text.split(",") if v.strip()]
        except ValueError:
            raise ConfigError(
                f"--x: {text!r} is not a number (or comma-separated numbers)"
            ) from None
        rows.append(row)
    if n_in == 1 and all(len(r) == 1 for r in rows):
        return np.asarray(rows, dtype=np.float64)
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
    from ...delta import layers
    from ...files import atomic_write_text

    f = io.read(args.model)
    model, part = f.model, (f.full_spec or {}).get("data") or {}
    n_in = layers(model)[0].n_in
    features = part.get("feature_names") or [f"x{i + 1}" for i in range(n_in)]
    if args.x is not None:
        x = _samples(args.x, n_in)
        raw = x
    else:
        raw = _read_csv(args.input, features)
        x = raw
    if part.get("scaler"):
        x = Standardizer.from_dict(part["scaler"]).transform(x)
    with bp.no_grad():
        out = model(bp.tensor(x, dtype=next(iter(model.parameters())).dtype)).numpy()
    out = out.astype(np.float64)
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
    if args.output:
        path = atomic_write_text(args.output, buffer.getvalue())
        print(f"wrote {len(rows)} predictions to {path}")
    else:
        sys.stdout.write(buffer.getvalue())
    return 0


def _num(v) -> str:
    return f"{float(v):.6g}"


def _read_csv(path: str, features: list[str]) -> np.ndarray:
    from ...errors import DataError

    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        try:
            header = next(reader)
        except StopIteration:
            raise DataError(
                f"{path}: the file is empty; expected a header row with {', '.join(features)}"
            ) from None
        missing = [f for f in features if f not in header]
        if missing:
            raise DataError(
                f"{path}: missing column(s) {', '.join(missing)}; the model was trained on "
                f"{', '.join(features)} and the file has {', '.join(header)}."
            )
        cols = [header.index(f) for f in features]
        rows = []
        for line_no, row in enumerate(reader, start=2):
            if not row:
                continue
            values = []
            for c, name in zip(cols, features):
                cell = row[c] if c < len(row) else ""
                try:
                    v = float(cell)
                except ValueError:
                    raise DataError(
                        f"{path}: line {line_no}, column {name!r}: {cell!r} is not a number."
                    ) from None
                if not np.isfinite(v):
                    raise DataError(
                        f"{path}: line {line_no}, column {name!r}: {cell} is not a finite number."
                    )
                values.append(v)
            rows.append(values)
    if not rows:
        raise DataError(f"{path}: no data rows after the header.")
    return np.asarray(rows, dtype=np.float64)
