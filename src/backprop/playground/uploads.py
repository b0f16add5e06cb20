"""Reading a CSV file uploaded in the page into a dataset the playground can draw.

The page sends the file's text; ``load_csv`` checks its shape (a header, 1 or 2 feature
columns and a target as the last column, at most ``protocol.MAX_CSV_ROWS`` rows) and hands
it to ``backprop.data.from_csv``, whose messages name the line and column of a bad cell.
Every problem becomes a ``ProtocolError`` the page shows next to the data controls.
``standardized_targets`` gives a regression file's targets as the session trains on them.
"""

from __future__ import annotations

import csv as _csv
import io
import math
import os
import re
import tempfile
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .. import textrules
from ..data.csvtable import to_float
from ..errors import BackpropError
from . import drawable, filenames, plaintext, protocol, scratch
from .fields import FIELDS
from .protocol import ProtocolError

FLOAT32_MAX = 3.4028234663852886e38


def classes(data) -> int | None:
    """An uploaded file's classes as the loss rule reads them (None: a regression target)."""
    return data.n_classes if data.task == "classification" else None


def load_csv(csv: tuple | None, train_ratio: int, seed: int, task: str | None = None):
    """(Dataset, target column) from an uploaded CSV: 1 or 2 feature columns and a target.

    ``task`` is the page's problem setting (None: ``from_csv`` decides from the target, as
    on upload); a target that cannot be that problem is refused in words."""
    from ..data import from_csv

    if csv is None:
        raise ProtocolError("dataset csv: upload a CSV file first.")
    name, text = csv[0], csv[1]
    records = _records(text)
    rows = len(records) - 1  # the first record is the header
    if rows < 2:
        found = "no data rows" if rows < 1 else "1 data row"
        raise ProtocolError(
            f"upload {name}: needs a header row and at least two data rows; found {found}."
        )
    if rows > protocol.MAX_CSV_ROWS:
        raise ProtocolError(
            f"upload {name}: {rows:,} data rows; the playground takes up to "
            f"{protocol.MAX_CSV_ROWS:,}. Use a sample, or train it with 'backprop train'."
        )
    columns = [c.strip() for c in records[0]]
    if len(columns) not in (2, 3):
        raise ProtocolError(
            f"upload {name}: the header has {len(columns)} columns ({', '.join(columns)[:80]}); "
            "the playground takes 2 feature columns and a label, or 1 feature and a target "
            "(the last column is the target)."
        )
    target = columns[-1]
    _check_targets(name, records[1:], target)
    fd, path = tempfile.mkstemp(suffix=".csv", prefix="upload-", dir=scratch.folder())
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        try:
            data = from_csv(path, target, test_ratio=round(1 - train_ratio / 100, 6), seed=seed,
                            task=task)  # fmt: skip
        except BackpropError as exc:
            stem = os.path.splitext(os.path.basename(path))[0]  # the temporary file's own name
            text = str(exc).replace(path, name).replace(stem, name)
            if text.startswith("test_ratio"):  # the page's control is the train ratio
                raise ProtocolError(_split_words(name, train_ratio, rows, None),
                                    "train_ratio") from None  # fmt: skip
            if task is not None:
                text = f"as a {task} problem: {text} Choose the other problem for this file."
            raise ProtocolError(f"upload {name}: {text}", "problem" if task else None) from None
    finally:
        os.unlink(path)
    if len(data.x) < 2:  # one row: nothing to standardise by, a fit through one point
        raise ProtocolError(_split_words(name, train_ratio, rows, len(data.x)),
                            "train_ratio")  # fmt: skip
    drawable.check(name, data)  # what the page gets of it: drawn and sent, or refused here
    if data.task == "classification" and not 2 <= data.n_classes <= 5:
        raise ProtocolError(
            f"upload {name}: the label column {target!r} has {data.n_classes} classes; the "
            "playground draws 2 to 5. Merge classes, or train it with 'backprop train'."
        )
    data.name = os.path.splitext(os.path.basename(name))[0] or "data"
    return data, target


@dataclass(frozen=True)
class Parsed:
    """An uploaded file read for a session (``prepare``): its name and text as cleaned, the
    notes of the cleaning, the dataset as read on upload (``task`` None: the file's own
    problem) and ``ready``, what ``Session._build_data`` reads for these settings."""

    name: str
    text: str
    cleaned: list
    data: object
    ready: tuple  # ((csv, train_ratio, seed, problem), (dataset, target column))
    renamed: tuple = ()  # (the file's column name, the name cleaned) of each one cleaned


def prepare(name: str, text: str, train_ratio: int, seed: int) -> Parsed:
    """Everything an upload reads from the file, without touching a session: the server
    runs it on a thread, off the event loop (a 1 MB file took ≈ 0.2 s of the loop, and
    every tab waited for it). Raises ``ProtocolError`` as ``load_csv`` does."""
    name, text, cleaned, renamed = clean_upload(name, text)
    data, _ = load_csv((name, text, 0), train_ratio, seed)
    csv = (name, text, data.x.shape[1])
    raw = load_csv(csv, train_ratio, seed, data.task)  # as the session's rebuild reads it
    ready = ((csv, train_ratio, seed, data.task), raw)
    return Parsed(name, text, cleaned, data, ready, renamed)


def clean_upload(name: str, text: str) -> tuple[str, str, list[str], tuple]:
    """The file's name and its header's column names by the rule for all text the page
    shows (``plaintext.clean``, as a lesson's task): a name such as "report\u202egnp.csv"
    (shown as "reportcsv.png") or a column named only a zero-width space (passing as
    named) is cleaned, with a note, before anything reads it. The rows are left as they
    are, byte for byte (their line numbers stay those of the file). Returns the name, the
    text, the notes and the (file's, cleaned) names of the columns renamed."""
    clean_name, notes = filenames.kept(name)  # one rule for the spec's csv entry
    start, header = _header_line(text)
    if header is None:
        return clean_name, text, notes, ()
    sep = max((",", ";", "\t"), key=header.count)
    reader = _csv.reader(io.StringIO(text[start:], newline=""), delimiter=sep)
    try:
        columns = next(reader)
    except (_csv.Error, StopIteration):
        return clean_name, text, notes, ()  # from_csv names what it cannot read, and where
    if reader.line_num > 1:  # a quoted name holds a line break: from_csv refuses it at its
        return clean_name, text, notes, ()  # line; rewriting one line of it broke the file
    cleaned = [plaintext.clean(c)[0] for c in columns]
    if cleaned != [c.strip() for c in columns]:
        out = io.StringIO()
        _csv.writer(out, delimiter=sep, lineterminator="").writerow(cleaned)
        # only the header's own characters change: the rows stay byte for byte the file's
        # (the whole text was re-joined by str.splitlines, which also breaks lines at \x0c,
        # \x85 or U+2028, so a cleaned header turned one row into two; seventh attacker)
        text = text[:start] + out.getvalue() + text[start + len(header) :]
        if any(plaintext.clean(c)[1] for c in columns):
            notes.append(
                f"{clean_name}: removed invisible or direction-changing characters from the "
                "column names."
            )
    renamed = tuple((c, k) for c, k in zip(columns, cleaned) if c.strip() != k)
    return clean_name, text, notes, renamed


_CSV_LINES = re.compile(r"(\r\n|\r|\n)")


def csv_lines(text: str) -> list[str]:
    """The file's lines as CSV reads them (``from_csv``: ends at \\r, \\n or \\r\\n only;
    ``str.splitlines`` also ends a line at \\x0b, \\x0c, \\x1c-\\x1e, \\x85, U+2028, U+2029)."""
    return _CSV_LINES.split(text)[::2]


def _header_line(text: str) -> tuple[int, str | None]:
    """Where the header line starts in ``text`` and its text (first non-blank CSV line)."""
    start = 0
    for part in _CSV_LINES.split(text):
        if not _CSV_LINES.fullmatch(part) and part.strip():
            return start, part
        start += len(part)
    return start, None


def _records(text: str) -> list[list[str]]:
    """The file's records (rows as CSV reads them: a quoted cell may hold a line break, so a
    record is not a line), blank ones left out. A file CSV cannot read is left to
    ``from_csv``, which names the line: its lines stand in for the records here."""
    lines = [ln for ln in csv_lines(text) if ln.strip()]
    sep = max((",", ";", "\t"), key=lines[0].count) if lines else ","
    try:
        return [r for r in _csv.reader(io.StringIO(text), delimiter=sep) if r]
    except _csv.Error:
        return [ln.split(sep) for ln in lines]


def train_rows(rows: int, train_ratio: int) -> int:
    """The training rows ``from_csv`` keeps of ``rows`` at the page's train ratio (its
    ``split_count`` of the test ratio the page sends)."""
    return math.floor(rows * (1.0 - round(1 - train_ratio / 100, 6)) + 1e-9)


def _split_words(name: str, train_ratio: int, rows: int, kept: int | None) -> str:
    """A split that leaves fewer than 2 training rows (or none to test), in the page's words:
    the train ratios that would work for this file, or, when none does, that it has too few
    rows (a 2-row file at 50 % was told "choose a train ratio nearer 50 %")."""
    low, high = FIELDS["train_ratio"].low, FIELDS["train_ratio"].high
    good = [r for r in range(low, high + 1) if 2 <= train_rows(rows, r) <= rows - 1]
    said = "no rows on one side" if kept is None else f"{kept} training row"
    if not good:
        return (
            f"upload {name}: the file has {rows} data rows, too few to split into training "
            f"and test rows (training needs at least 2 rows and testing 1, at any train "
            f"ratio from {low} to {high} %); add rows: 3 data rows or more."
        )
    choose = f"{good[0]} %" if len(good) == 1 else f"{good[0]} % to {good[-1]} %"
    return (
        f"upload {name}: the train ratio {train_ratio} % of the file's {rows} rows leaves "
        f"{said}; training needs at least 2 rows and testing 1. Choose a train ratio of "
        f"{choose}, or use more rows."
    )


def _check_targets(name: str, rows: list[list[str]], target: str) -> None:
    """Refuse what the target column's text says and float64 would hide (sixth attacker):
    a label with a control or invisible character (P3: the page took it and the model
    file it exported refused it; one rule, ``textrules``, for labels and names), and two
    different numbers that float64 reads as one (P2: 100000000000000000 and
    100000000000000001 are one class; classes were counted after float64)."""
    exact: dict[Decimal, str] = {}
    read: dict[float, str] = {}
    for i, row in enumerate(rows, start=1):
        text = row[-1].strip() if row else ""
        if any(textrules.control(c) or textrules.invisible(c) for c in text):
            raise ProtocolError(
                f"upload {name}: data row {i}: the label {textrules.escape(text)[:60]!r} in "
                f"{target!r} holds a control or invisible character; labels are names the "
                "page shows and the model file stores, which refuse them. Remove it and "
                "upload the file again.",
                "dataset",
            )
        if to_float(text) is None:
            continue
        try:
            value = Decimal(text)
        except InvalidOperation:
            continue
        if value.is_finite() and value not in exact:
            exact[value] = text
            same = read.setdefault(float(value), text)
            if Decimal(same) != value:
                raise ProtocolError(
                    f"upload {name}: the target {target!r} has {same} and {text}, which "
                    "differ but are the same float64 number (it holds about 16 digits; "
                    "whole numbers exactly only up to 2^53 = 9007199254740992), so they "
                    "would be merged silently. Subtract a common offset, or use labels "
                    "with fewer digits, and upload the file again.",
                    "dataset",
                )


def standardized_targets(data):
    """A CSV's regression targets as the session trains on them: z = (y − mean) / std,
    fitted on the training rows, as ``backprop train`` does for a CSV (``spec.targets``).

    In float32 a target such as 1e9 + x keeps nothing of x (float32 numbers near 1e9 are
    64 apart), so training on y itself learned nothing; z is computed in float64 before
    the network's float32. Returns the ``TargetScaling`` with ``z`` and ``z_test`` added;
    ``data`` keeps its targets in the file's units (the page draws them)."""
    import copy

    import numpy as np

    from ..spec import targets

    shadow = copy.copy(data)
    scaling = targets.standardize(shadow)
    big = float(np.max(np.abs(scaling.mean) + np.abs(scaling.std)))
    if not big < FLOAT32_MAX / 1e3:  # the exported model holds y = mean + std·z in float32
        raise ProtocolError(
            f"the target {data.target_names[0]!r} reaches {big:.3g}; a model's float32 numbers "
            f"stop at {FLOAT32_MAX:.3g}. Divide the target by a power of ten (and say so) "
            "and upload it again.",
            "dataset",
        )
    drawable.check_targets(data, shadow.y_test)  # a test row's outlier, in the page's words
    scaling.z, scaling.z_test = shadow.y, shadow.y_test
    return scaling


def constant_notes(name: str, data) -> list[str]:
    """Notes on columns holding one value in every row: such a feature carries nothing (its
    standardised input is 0), and such a target leaves nothing to learn."""
    import numpy as np

    notes = []
    x = data.x if data.x_test is None else np.concatenate([data.x, data.x_test])
    raw = x if data.scaler is None else data.scaler.inverse_transform(x)
    for j, column in enumerate(data.feature_names):
        if np.all(raw[:, j] == raw[0, j]):
            notes.append(
                f"{name}: the column {column!r} is {raw[0, j]:g} in every row; it tells the "
                "network nothing (its input is 0 once standardised)."
            )
    y = data.y if data.y_test is None else np.concatenate([data.y, data.y_test])
    if data.task == "regression" and np.all(y == y[0]):  # one class is refused on upload
        notes.append(
            f"{name}: the target {data.target_names[0]!r} is {y[0][0]:g} in every row, so "
            "there is nothing to learn (read as a regression to one number; classification "
            "needs 2 to 5 different labels)."
        )
    return notes


def standardised_note(target: str, scaling) -> str:
    """The note that a regression CSV's target trains standardised, z = (y − mean) / std, in
    plain text (the page shows no Markdown), mean and std to one precision."""
    mean, std = float(scaling.mean[0]), float(scaling.std[0])
    near = (d for d in range(6, 18) if abs(float(f"{mean:.{d}g}") - mean) <= std / 1e4)
    digits = next(near, 17)
    return (
        f"The target is trained standardised, as backprop train does for a CSV: "
        f"{target} = {mean:.{digits}g} + {std:.6g}·z. The loss is in units of z, the RMSE in "
        f"{target}'s units; an exported model predicts {target}."
    )
