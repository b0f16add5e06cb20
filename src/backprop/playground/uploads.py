"""Reading a CSV file uploaded in the page into a dataset the playground can draw.

The page sends the file's text; ``load_csv`` checks its shape (a header, 1 or 2 feature
columns and a target as the last column, at most ``protocol.MAX_CSV_ROWS`` rows) and hands
it to ``backprop.data.from_csv``, whose messages name the line and column of a bad cell.
Every problem becomes a ``ProtocolError`` the page shows next to the data controls.
"""

from __future__ import annotations

import csv as _csv
import os
import tempfile

from ..errors import BackpropError
from . import protocol, scratch
from .protocol import ProtocolError


def load_csv(csv: tuple | None, train_ratio: int, seed: int, task: str | None = None):
    """(Dataset, target column) from an uploaded CSV: 1 or 2 feature columns and a target.

    ``task`` is the page's problem setting (None: ``from_csv`` decides from the target, as
    on upload); a target that cannot be that problem is refused in words."""
    from ..data import from_csv

    if csv is None:
        raise ProtocolError("dataset csv: upload a CSV file first.")
    name, text = csv[0], csv[1]
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(lines) < 3:
        raise ProtocolError(
            f"upload {name}: needs a header row and at least two data rows; found {len(lines)} "
            "line(s)."
        )
    if len(lines) - 1 > protocol.MAX_CSV_ROWS:
        raise ProtocolError(
            f"upload {name}: {len(lines) - 1:,} data rows; the playground takes up to "
            f"{protocol.MAX_CSV_ROWS:,}. Use a sample, or train it with 'backprop train'."
        )
    header = lines[0]
    sep = max((",", ";", "\t"), key=header.count)
    columns = [c.strip() for c in next(_csv.reader([header], delimiter=sep))]
    if len(columns) not in (2, 3):
        raise ProtocolError(
            f"upload {name}: the header has {len(columns)} columns ({', '.join(columns)[:80]}); "
            "the playground takes 2 feature columns and a label, or 1 feature and a target "
            "(the last column is the target)."
        )
    target = columns[-1]
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
            if task is not None:
                text = f"as a {task} problem: {text} Choose the other problem for this file."
            raise ProtocolError(f"upload {name}: {text}", "problem" if task else None) from None
    finally:
        os.unlink(path)
    if data.task == "classification" and not 2 <= data.n_classes <= 5:
        raise ProtocolError(
            f"upload {name}: the label column {target!r} has {data.n_classes} classes; the "
            "playground draws 2 to 5. Merge classes, or train it with 'backprop train'."
        )
    data.name = os.path.splitext(os.path.basename(name))[0] or "data"
    return data, target
