"""``backprop predict``: a saved model's predictions for numbers or a CSV file."""

from __future__ import annotations

import argparse
import csv
import io as _io
import sys
from typing import TYPE_CHECKING

from ...textrules import escape
from ..common import float_list

if TYPE_CHECKING:
    import numpy as np

HELP = "predict with a saved model (.safetensors) for --x values or an --input CSV"
EXAMPLES = """examples:
  backprop demo --out runs/square                            trains a model into runs/square/
  backprop predict runs/square/model.safetensors --x 1.5 -2 3  three samples of it
  backprop predict model.safetensors --x 0.5,1.0 -1,2      two samples of a 2-input model
  backprop predict model.safetensors --input data.csv --output predictions.csv
output: a CSV row per sample: its inputs (with --input, every column of the file, the target's
too), then the prediction, named after the target with " (predicted)" (price (predicted)); a
classifier's predicted class, then p(class) each."""


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
        action="extend",  # --x 1 --x 2 is two samples, as --x 1 2 (not the last one only)
        type=float_list,
        metavar="X",
        help="samples: one number each for a 1-input model, comma-separated values per "
        "sample otherwise; finite numbers like -1, 0.5 or -2e3, no empty field",
    )
    src.add_argument("--input", help="a CSV file with the model's feature columns (header row)")
    p.add_argument(
        "--output",
        help="write predictions to this CSV file instead of the screen ('-': the screen); "
        "a FIFO or device is written to, never replaced; an existing file only if it is a "
        "predictions CSV (or with --overwrite)",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace --output even when it is not a file this command wrote",
    )
    p.set_defaults(run=run)


def _samples(rows: list[list[float]], n_in: int, features=None) -> np.ndarray:
    """The --x samples (already parsed by ``float_list``: finite, no empty field) as X;
    a sample of the wrong length is named with the inputs the model takes."""
    import numpy as np

    from ...errors import ConfigError

    for r in rows:
        if len(r) != n_in:
            given = ",".join(f"{v:g}" for v in r)
            numbers = f"{len(r)} number{'s' if len(r) != 1 else ''}"
            named = f" ({', '.join(features)})" if features else ""
            takes = f"{n_in} input{'s' if n_in != 1 else ''}{named}"
            if n_in == 1:
                fix = "give each sample as one number; several samples with spaces: --x 0.5 1.5"
            else:
                fix = f"give each sample as {n_in} comma-separated numbers, e.g. --x " + ",".join(
                    ["0.5"] * n_in
                )
            raise ConfigError(
                f"--x {given}: a sample of {numbers}, but the model takes {takes}; {fix}"
            )
    return np.asarray(rows, dtype=np.float64)


def _refuse_spec_name(model: str) -> None:
    """MODEL names a built-in spec ('square') and no file: it is a recipe to train, not a
    trained model; say so, with the two commands (it said 'model file not found')."""
    import os
    from importlib import resources

    from ...reading import ModelFilePathError

    name = str(model)
    if os.path.exists(name) or not name.isidentifier():
        return
    if not resources.files("backprop.specs").joinpath(f"{name}.json").is_file():
        return
    raise ModelFilePathError(
        f"MODEL {name!r} is a built-in spec (how to train a network), not a trained model: "
        f"train it first with 'backprop train {name} --out runs/{name}', then predict with "
        f"'backprop predict runs/{name}/model.safetensors'."
    )


def run(args) -> int:
    import numpy as np

    import backprop as bp

    from ... import io
    from ...data.checks import check_finite
    from ...delta import layers
    from ...files import atomic_write_text, write_stdout
    from ...train.engines import eval_rows
    from ..overlap import foreign_output_guard, refuse_foreign_output, refuse_output_over_input

    refuse_output_over_input(
        args.output,
        "--output",
        [
            (args.model, "the model file given as MODEL"),
            (args.input, "the CSV file given as --input"),
        ],
    )
    refuse_foreign_output(args.output, "--output", "csv", overwrite=args.overwrite)
    _refuse_spec_name(args.model)
    f = io.read(args.model)
    model, part = f.model, (f.full_spec or {}).get("data") or {}
    n_in = layers(model)[0].n_in
    features = part.get("feature_names") or [f"x{i + 1}" for i in range(n_in)]
    if args.x is not None:
        raw, source = _samples(args.x, n_in, part.get("feature_names")), "--x"
    else:
        from ...data.csvfile import read_columns

        raw = read_columns(args.input, features, "the model was trained on")
        source = "--input"
    x, name = raw, "x"
    if part.get("scaler"):
        from ...data.dataset import Standardizer

        x, name = Standardizer.from_dict(part["scaler"]).transform(x), "standardised x"
        constant = part.get("constant_inputs") or []  # one value in training: no std
        _far_note(raw, x, features, part["scaler"], constant)
        _constant_note(raw, features, part["scaler"], constant)
    dtype = next(iter(model.parameters()))._data.dtype
    with np.errstate(over="ignore"):  # check_finite says which value overflowed
        x_model = x.astype(dtype)
    check_finite(x_model, name, source, original=x)
    del x
    task = part.get("task", "regression")
    names = part.get("target_names") or []
    header = [cell(n) for n in features]
    n_out = layers(model)[-1].n_out
    # an output column never carries the bare target's name: "price" beside the inputs
    # reads as the true price (second first-hour trial); it is "price (predicted)"
    if task == "classification":
        labels = names or [str(i) for i in range(max(2, n_out))]
        target = part.get("target")
        predicted = f"{target} (predicted)" if isinstance(target, str) and target else "prediction"
        header += [cell(predicted)] + [f"p({escape(str(c))})" for c in labels]
    else:
        header += [cell(f"{n} (predicted)") for n in names] or [
            f"y{i + 1} (predicted)" if n_out > 1 else "prediction" for i in range(n_out)
        ]
    records = None
    if args.input is not None:  # the user's own columns (a target too) beside the prediction
        records = _records(args.input)
        header = [*next(records), *header[len(features) :]]
    buffer = _io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(header)
    parts, bad, first_bad = [buffer.getvalue()], 0, None
    # rows × layer widths bounded as in fit, and rows formatted a block at a time
    step = min(eval_rows(layers(model), len(raw)), 65_536)
    for lo in range(0, len(raw), step):
        with bp.no_grad(), np.errstate(all="ignore"):  # said below in words, once
            out = model(bp.tensor(x_model[lo : lo + step])).numpy().astype(np.float64)
        rows_bad = (~np.isfinite(out)).any(axis=1)
        if first_bad is None and rows_bad.any():
            first_bad = lo + int(rows_bad.argmax())
        bad += int(rows_bad.sum())
        shown = raw[lo : lo + step] if records is None else raw[lo : lo + step, :0]
        text = _rows(shown, out, task, labels if task == "classification" else None)
        if records is not None:  # each input record as read, then its prediction
            text = _beside(records, text)
        parts.append(text)
    if bad:
        why = _why_not_finite(model, x_model[first_bad], raw[first_bad], features, dtype)
        print(
            f"backprop predict: warning: {bad} of {len(raw)} predictions are not finite; {why}",
            file=sys.stderr,
        )
    text = "".join(parts)
    del parts
    if args.output and args.output != "-":
        guard = foreign_output_guard(args.output, "--output", "csv", overwrite=args.overwrite)
        path = atomic_write_text(args.output, text, who="--output", guard=guard)
        print(f"wrote {len(raw)} predictions to {path}")
    else:
        write_stdout(text)
    return 0


def _why_not_finite(model, x_row, raw_row, features, dtype) -> str:
    """Why a prediction came out inf or NaN, in words (``--x 3e38`` was blamed on the
    weights): the weights, when they are not finite or overflow even on the same sample
    scaled down to size 1 (a diverged run); else the input's size, with the float64 value
    of the same sample when that is finite."""
    import copy

    import numpy as np

    import backprop as bp

    params = [p._data for p in model.parameters()]
    size = float(np.max(np.abs(x_row)))
    small = x_row / size if size > 1 else x_row
    with bp.no_grad(), np.errstate(all="ignore"):
        fine = np.isfinite(model(bp.tensor(small[None, :])).numpy()).all()
    if not fine or not all(np.isfinite(p).all() for p in params):
        largest = max(float(np.max(np.abs(p))) for p in params)
        return (
            f"the model's weights (largest |w| = {largest:.3g}) overflow {dtype.name} even on "
            "inputs of size 1: they may come from a run that diverged; see 'backprop "
            "summary MODEL'"
        )
    j = int(np.argmax(np.abs(raw_row)))
    value = f"{features[j]} = {raw_row[j]:g}"
    limit = f"{float(np.finfo(dtype).max):.2g}".replace("+", "")
    with bp.no_grad(), np.errstate(all="ignore"):
        wide = copy.deepcopy(model).double()
        again = wide(bp.tensor(np.asarray(x_row, dtype=np.float64)[None, :])).numpy()
    if np.isfinite(again).all():
        return (
            f"the input (e.g. {value}) is so large that the network's layers overflowed "
            f"{dtype.name}, whose range is ±{limit} (in float64 the same sample gives "
            f"{float(again.ravel()[0]):.6g}); the weights are finite and give finite outputs on "
            "inputs of size 1: give inputs nearer the data the model was trained on"
        )
    return (
        f"the input (e.g. {value}) is so large that the network's layers overflow even in "
        "float64 (range ±1.8e308); the weights are finite: give inputs nearer the data the "
        "model was trained on"
    )


FAR = 5.0  # standard deviations from the training mean: well outside what the model saw


def _pair(value: float, mean: float, std: float) -> tuple[str, str]:
    """The value and the mean to the fewest significant digits (4 at least) that tell them
    apart and keep the mean within 1/20 of ``std`` (both read 1.235e+08 at 4 digits for
    123500000 and 123456793.5: sixth attacker P4)."""
    for digits in range(4, 18):
        shown = f"{value:.{digits}g}", f"{mean:.{digits}g}"
        if shown[0] != shown[1] and abs(float(shown[1]) - mean) <= std / 20:
            break
    return shown


def _constant_note(raw, features, scaler: dict, constant) -> None:
    """Warn (stderr) when a sample gives a column that was constant in training
    (``constant_inputs``) another value: the weights from it never learnt (its z was 0 on
    every training row), so what the value changes in the output is untrained."""
    import numpy as np

    for j in constant:
        value = float(scaler["mean"][j])
        other = ~np.isclose(raw[:, j], value, rtol=1e-12, atol=0.0)  # the mean of n copies
        rows = int(np.count_nonzero(other))
        if not rows:
            continue
        seen = float(raw[int(np.argmax(other)), j])
        print(
            f"backprop predict: warning: {rows} of {len(raw)} sample{'s' if len(raw) != 1 else ''}"
            f" {'gives' if rows == 1 else 'give'} {features[j]} a value it never had in "
            f"training (e.g. {seen:g}; it was {value:g} on every training row): the weights "
            f"from {features[j]} never learnt, so the prediction's change is untrained, a "
            f"guess; retrain without {features[j]} (--features), so that no value of it "
            "moves the prediction",
            file=sys.stderr,
        )


def _far_note(raw, z, features, scaler: dict, constant=()) -> None:
    """Warn (stderr) when samples lie more than ``FAR`` training standard deviations from the
    training mean in some feature: the network extrapolates there, and its output is a guess
    (a ReLU net goes on in straight lines, a tanh one flattens out). A column constant in
    training has no standard deviation (its std 1 is the scaler's guard): ``_constant_note``."""
    import numpy as np

    with np.errstate(invalid="ignore"):
        far = np.abs(z) > FAR
    far[:, list(constant)] = False
    rows = int(far.any(axis=1).sum())
    if not rows:
        return
    i, j = np.unravel_index(int(np.nanargmax(np.where(far, np.abs(z), -1.0))), z.shape)
    mean, std = scaler["mean"][j], scaler["std"][j]
    value, mean_text = _pair(float(raw[i, j]), float(mean), float(std))
    print(
        f"backprop predict: warning: {rows} of {len(z)} sample{'s' if len(z) != 1 else ''} "
        f"{'lies' if rows == 1 else 'lie'} far outside the inputs the model was trained on "
        f"(e.g. {features[j]} = "
        f"{value} is {abs(z[i, j]):.3g} standard deviations from the training "
        f"mean {mean_text}, std {std:.4g}; more than {FAR:g} counts as far): a network has "
        "learnt nothing there and extrapolates, so treat those predictions as guesses",
        file=sys.stderr,
    )


def _records(path):
    """The --input file's records as lists of cells, header first, blank lines skipped: read
    a second time (after ``read_columns`` checked it), one at a time, so the output keeps
    every column the user gave — the target's too — without holding the file's rows."""
    from ...data.csvtable import csv_lines, open_csv

    where, reader = open_csv(path)
    for cells in csv_lines(reader, where):
        if cells:
            yield [c.strip() for c in cells]


def _beside(records, text: str) -> str:
    """Each prediction line of ``text`` (',' then its cells) after the next input record."""
    buffer = _io.StringIO()
    writer = csv.writer(buffer, lineterminator="")
    lines = []
    for line in text.splitlines():
        writer.writerow(next(records))
        lines.append(buffer.getvalue() + line + "\n")
        buffer.seek(0)
        buffer.truncate()
    return "".join(lines)


def _rows(raw: np.ndarray, out: np.ndarray, task: str, labels: list[str] | None) -> str:
    """The CSV lines of one chunk: the inputs, then the outputs (or class and probabilities);
    with no input columns (``raw`` of width 0) each line starts with the comma before them."""
    import numpy as np

    if labels is None:
        values = np.concatenate([raw, out], axis=1)
        fmt = ",".join(["%.6g"] * values.shape[1]) + "\n"
        if raw.shape[1] == 0:
            fmt = "," + fmt
        return "".join(fmt % tuple(row) for row in values.tolist())
    if out.shape[1] == 1:
        p1 = 1 / (1 + np.exp(-out[:, 0]))
        probs = np.stack([1 - p1, p1], axis=1)
    else:
        e = np.exp(out - out.max(axis=1, keepdims=True))
        probs = e / e.sum(axis=1, keepdims=True)
    quoted = [_quote(cell(c)) for c in labels]
    fmt_x = ",".join(["%.6g"] * raw.shape[1])
    fmt_p = ",".join(["%.4f"] * probs.shape[1])
    if raw.shape[1] == 0:
        fmt_x = ""
    return "".join(
        f"{fmt_x % tuple(xi)},{quoted[k]},{fmt_p % tuple(pi)}\n"
        for xi, k, pi in zip(raw.tolist(), probs.argmax(axis=1).tolist(), probs.tolist())
    )


def _quote(text: str) -> str:
    """One CSV cell as the ``csv`` module writes it (quoted when it must be)."""
    buffer = _io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([text])
    return buffer.getvalue()[:-1]


def cell(name) -> str:
    """A name (a feature, target or class label from the model file) as a CSV cell that a
    spreadsheet shows as text: one starting with ``=``, ``+``, ``-``, ``@``, a tab or a
    carriage return gets a leading apostrophe (OWASP's advice against CSV formula
    injection). Numbers are written by ``%`` formatting and never pass through here; control
    characters inside names are refused when a model file is read (``io.filespec``), and
    invisible or direction-changing ones (U+202E) are written as ``\\u202e`` (a label
    printed raw turned the rest of the line around: sixth attacker P3)."""
    text = escape(str(name))
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
