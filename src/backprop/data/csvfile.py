"""Loading a CSV file with a header row as a ``Dataset`` (floor 5).

``from_csv`` picks the target column(s) by name, uses the other columns (or the ones named)
as features, infers the task unless told, maps text class labels to indices, splits off a
random (stratified) test part and standardises the features with a scaler fitted on the
training rows. Every bad cell is reported with the file's line number and the column's
name before any training starts. It reads plain text with the standard ``csv`` module, from
a regular file of at most ``reading.CSV_LIMIT`` (512 MiB; a folder, FIFO or device is
refused before a byte is read); it is not a general data-frame library (no type guessing
beyond numbers vs. labels, no missing-value imputation).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import DataError
from .checks import check_int, check_number, check_task, config_error
from .csvtable import BLOCK, SPACE, Table, cell_problem, csv_lines, open_csv
from .dataset import Dataset, Standardizer, split_count, split_indices, split_rng


def from_csv(
    path: str | os.PathLike,
    target: str | list[str],
    *,
    features: list[str] | None = None,
    task: str | None = None,
    standardize: bool = True,
    test_ratio: float = 0.0,
    seed: int = 0,
    max_rows: int | None = None,
) -> Dataset:
    """Load a CSV file whose first line names the columns.

    Args:
        path: the file; comma-, semicolon- or tab-separated (detected from the header), UTF-8.
        target: the target column's name, or a list of names (several targets: regression).
        features: the feature columns' names; default: every column that is not a target.
        task: ``"regression"`` or ``"classification"``; default: classification when the
            target holds text, or whole numbers with 2 to 20 distinct values (and at most
            half as many as there are rows); regression otherwise. Classes are sorted
            (numerically for numbers) and ``target_names[i]`` is class ``i``'s label.
        standardize: standardise the features with a ``Standardizer`` fitted on the
            training rows (stored in ``Dataset.scaler``).
        test_ratio: fraction of rows held out at random (stratified for classes), 0 ≤ r < 1.
        seed: seed of the random split.
        max_rows: read at most this many data rows (the first ones).

    Returns:
        A ``Dataset``: ``x`` float64 ``(N, d)``; ``y`` float64 ``(N, k)`` or int64 ``(N,)``.

    Raises:
        DataError: a missing, empty or header-only file; a row with the wrong number of
            cells; an empty, NaN, infinite or non-numeric cell (naming the line and column).
        ConfigError: an unknown column name (the message lists the columns) or a bad option.

    Examples:
        >>> import os, tempfile
        >>> from backprop.data import from_csv
        >>> folder = tempfile.TemporaryDirectory()  # deleted with the object
        >>> path = os.path.join(folder.name, 'houses.csv')
        >>> rows = ['size,rooms,price', '50,2,150', '80,3,210', '120,4,330', '65,2,180']
        >>> with open(path, 'w') as file:
        ...     for row in rows:
        ...         print(row, file=file)
        >>> data = from_csv(path, target='price', standardize=False)
        >>> data.task, data.feature_names, data.target_names
        ('regression', ['size', 'rooms'], ['price'])
        >>> data.x.shape, data.y.shape
        ((4, 2), (4, 1))
    """
    seed = check_int(seed, "seed", 0)
    if task is not None:
        check_task(task)
    if max_rows is not None:
        max_rows = check_int(max_rows, "max_rows", 1)
    test_ratio = check_number(test_ratio, "test_ratio", 0.0, 1.0)
    if test_ratio >= 1.0:
        raise config_error("test_ratio", "less than 1 (some rows must be left to train on)", 1.0)
    if not isinstance(standardize, bool):
        raise config_error("standardize", "true or false", standardize)
    targets = [target] if isinstance(target, str) else target
    if not isinstance(targets, list | tuple) or not targets:
        raise config_error("target", "a column name or a list of column names", target)
    targets = list(targets)
    if not all(isinstance(t, str) for t in targets):
        raise config_error("target", "a column name or a list of column names", target)

    table = Table.read(path, max_rows, text=targets)
    target_cols = [table.column(name, "target") for name in targets]
    if len(set(target_cols)) != len(target_cols):
        raise config_error("target", "a list of different column names", targets)
    if features is None:
        feature_cols = [j for j in range(len(table.header)) if j not in target_cols]
    else:
        if isinstance(features, str) or not all(isinstance(f, str) for f in features):
            raise config_error("features", "a list of column names", features)
        feature_cols = [table.column(name, "features") for name in features]
        if len(set(feature_cols)) != len(feature_cols):
            raise config_error("features", "a list of different column names", features)
        both = [table.header[j] for j in feature_cols if j in target_cols]
        if both:
            raise config_error(
                "features", "columns other than the target", features, f"Leave out {both}."
            )
    if not feature_cols:
        raise DataError(
            f"{table.where}: no feature columns besides the target {targets}; a dataset needs "
            "at least one input column."
        )

    x = table.numbers(feature_cols, "features must be numeric — leave the column out "
                      "(features=[...] in Python, data.features in a spec, --features on the "
                      "command line) or encode it as numbers")  # fmt: skip
    if task == "classification" and len(target_cols) > 1:
        raise config_error(
            "task", "'regression' when there are several targets", task, f"Targets: {targets}."
        )
    if len(target_cols) > 1 or task == "regression":
        task = "regression"
        y = table.numbers(target_cols, "a regression target must be numeric — for class "
                          "labels pass task='classification' (data.task in a spec, --task "
                          "on the command line)")  # fmt: skip
        target_names = list(targets)
    else:
        y, target_names, task = table.labels(target_cols[0], task)

    n = len(y)
    x_test = y_test = None
    if test_ratio > 0:
        n_train = split_count(n, 1.0 - test_ratio, "test_ratio", shown=test_ratio)
        stratify = y if task == "classification" else None
        train, test = split_indices(stratify, n, 1.0 - test_ratio, split_rng(seed), n_train)
        x, y, x_test, y_test = x[train], y[train], x[test], y[test]
    scaler = Standardizer.fit(x) if standardize else None
    if scaler is not None:
        x = scaler.transform(x)
        x_test = None if x_test is None else scaler.transform(x_test)
    params = {
        "name": "csv",
        "path": str(path),
        "target": target if isinstance(target, str) else list(targets),
        "features": [table.header[j] for j in feature_cols],
        "task": task,
        "standardize": standardize,
        "test_ratio": test_ratio,
        "seed": seed,
        "max_rows": max_rows,
    }
    return Dataset(
        name=Path(path).stem,
        task=task,
        x=x,
        y=y,
        x_test=x_test,
        y_test=y_test,
        feature_names=[table.header[j] for j in feature_cols],
        target_names=target_names,
        scaler=scaler,
        params=params,
    )


def read_columns(path, names: list[str], purpose: str) -> np.ndarray:
    """The columns ``names`` of a CSV file as float64 ``(N, len(names))``.

    The file gets the checks of ``from_csv`` (UTF-8, a header, every row as wide as the
    header, numbers, finite), so ``backprop predict --input`` reads files as training did.
    ``purpose`` ends the message for a missing column (who needs them). Rows are turned into
    numbers as they are read, in blocks, and not kept as text: the memory is the file's
    bytes plus 8 bytes per number (a 180 MB one-column CSV took 5.2 GB as rows of strings).
    """
    where, reader = open_csv(path)
    header = header_line = None
    cols: list[int] = []
    blocks, values, lines = [], [], []
    for cells in csv_lines(reader, where):
        if not cells:
            continue
        if header is None:
            header, header_line = [c.strip() for c in cells], reader.line_num
            Table._check_header(where, header, header_line)
            missing = [name for name in names if name not in header]
            if missing:
                raise DataError(
                    f"{where}: missing column(s) {', '.join(missing)}; {purpose} "
                    f"{', '.join(names)} and the file has {', '.join(header)}."
                )
            cols = [header.index(name) for name in names]
            continue
        if len(cells) != len(header):
            raise DataError(_width_message(where, reader.line_num, len(cells), header,
                                           header_line))  # fmt: skip
        try:  # csvtable.to_float's rule: ASCII decimal forms only
            if not all(cells[j].isascii() and "_" not in cells[j] for j in cols):
                raise ValueError("not an ASCII decimal number")
            values.extend([float(cells[j]) for j in cols])
        except ValueError:
            for j in cols:
                cell_problem(f"{where}: line {reader.line_num}, column {header[j]!r}",
                              cells[j].strip(SPACE), "the inputs must be numbers")  # fmt: skip
        lines.append(reader.line_num)
        if len(lines) == BLOCK:
            blocks.append(_block(where, header, cols, values, lines))
            values, lines = [], []
    if header is None:
        raise DataError(
            f"{where}: the file is empty; a CSV needs a header line naming the columns "
            "and at least one data row."
        )
    if lines:
        blocks.append(_block(where, header, cols, values, lines))
    if not blocks:
        raise DataError(
            f"{where}: only a header (line {header_line}), no data rows; add at least one "
            "row of values."
        )
    return blocks[0] if len(blocks) == 1 else np.concatenate(blocks)


def _block(where, header, cols, values, lines) -> np.ndarray:
    """One block of ``read_columns``: the numbers as an array, NaN/inf named by line."""
    block = np.array(values, dtype=np.float64).reshape(len(lines), len(cols))
    bad = np.argwhere(~np.isfinite(block))
    if len(bad):
        i, k = (int(v) for v in bad[0])
        cell_problem(f"{where}: line {lines[i]}, column {header[cols[k]]!r}",
                      repr(float(block[i, k])), "")  # fmt: skip
    return block


def _width_message(where, line, got, header, header_line) -> str:
    return (
        f"{where}: line {line} has {got} values but the header (line {header_line}) names "
        f"{len(header)} columns; fix the row's commas or quote values that contain the separator."
    )
