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

import array
import codecs
import csv
import io
import math
import os
from pathlib import Path

import numpy as np

from ..errors import DataError
from ..filekind import CSV_LIKE, HEAD, of_bytes, wrong_kind
from ..reading import CSV_LIMIT, DataPathError, check_path, read_bytes
from .checks import check_int, check_number, check_task, config_error
from .dataset import Dataset, Standardizer, split_count, split_indices, split_rng

MAX_INFERRED_CLASSES = 20
_MISSING = {"", "nan"}


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

    table = _Table.read(path, max_rows, text=targets)
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

    x = table.numbers(feature_cols, "features must be numeric — leave the column out with "
                      "features=[...] or encode it as numbers")  # fmt: skip
    if task == "classification" and len(target_cols) > 1:
        raise config_error(
            "task", "'regression' when there are several targets", task, f"Targets: {targets}."
        )
    if len(target_cols) > 1 or task == "regression":
        task = "regression"
        y = table.numbers(target_cols, "a regression target must be numeric — for class "
                          "labels pass task='classification'")  # fmt: skip
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


class _Table:
    """The header and the data rows of a CSV file, held compactly.

    Every cell is parsed as it is read: the numbers of all columns go into one float64
    array (NaN where a cell is no number), the first problem cell of each column (not a
    number, missing, not finite) is remembered with its text, and only the ``text``
    columns (the targets, which may be class labels) keep their cells as strings. Rows of
    strings took about 14× the file's size (a 45 MB CSV: 630 MB).
    """

    def __init__(self, where: str, header: list[str], lines, values, problems, text):
        self.where = where
        self.header = header
        self.lines = lines  # line number of each data row
        self.values = values  # (N, columns) float64
        self.problems = problems  # column -> (row, cell text) of its first bad cell
        self.text = text  # column -> the cells of that column, for text columns

    @classmethod
    def read(cls, path, max_rows: int | None, text: list[str] = ()) -> _Table:
        if not isinstance(path, str | os.PathLike):
            raise config_error("path", "a file name (str or os.PathLike)", path)
        where, reader = _open(path)
        header, header_line, n = None, 0, 0
        lines, blocks, values, problems, texts = array.array("q"), [], [], {}, {}
        for cells in _lines(reader, where):
            if not cells:
                continue
            if header is None:
                header, header_line = [c.strip() for c in cells], reader.line_num
                cls._check_header(where, header, header_line)
                texts = {j: [] for j, name in enumerate(header) if name in text}
                continue
            if len(cells) != len(header):
                raise DataError(
                    f"{where}: line {reader.line_num} has {len(cells)} values but the header "
                    f"(line {header_line}) names {len(header)} columns; fix the row's commas or "
                    "quote values that contain the separator."
                )
            for j, cell in enumerate(cells):
                try:
                    value = float(cell)
                except ValueError:
                    value = math.nan
                if not math.isfinite(value) and j not in problems:
                    problems[j] = (n, cell)
                values.append(value)
            for j, kept in texts.items():
                kept.append(cells[j])
            lines.append(reader.line_num)
            n += 1
            if len(values) >= _BLOCK:
                blocks.append(np.array(values, dtype=np.float64))
                values = []
            if max_rows is not None and n >= max_rows:
                break
        if not n:
            raise DataError(
                f"{where}: only a header (line {header_line}), no data rows; add at least one "
                "row of values."
            )
        blocks.append(np.array(values, dtype=np.float64))
        table = np.concatenate(blocks).reshape(n, len(header))
        return cls(where, header, lines, table, problems, texts)

    @staticmethod
    def _check_header(where: str, header: list[str], line: int) -> None:
        from ..io.filespec import control

        for j, name in enumerate(header):
            if not name:
                raise DataError(
                    f"{where}: the header (line {line}) leaves column {j + 1} unnamed; give "
                    "every column a name."
                )
            if control(name):
                raise DataError(
                    f"{where}: the header (line {line}) names column {j + 1} {name[:60]!r}, "
                    "which holds a control character (a line break, tab or NUL); rename the "
                    "column (the names go into model files and prediction CSVs)."
                )
        if all(_is_number(name) for name in header):
            raise DataError(
                f"{where}: line {line} looks like data ({','.join(header)}), not a header; the "
                "first line must name the columns, e.g. x1,x2,y."
            )
        seen = set()
        for name in header:
            if name in seen:
                raise DataError(
                    f"{where}: the header (line {line}) names column {name!r} twice; column "
                    "names must be unique."
                )
            seen.add(name)

    def column(self, name: str, param: str) -> int:
        if name not in self.header:
            raise config_error(
                param,
                f"a column of {self.where}",
                name,
                f"Available columns: {', '.join(self.header)}.",
            )
        return self.header.index(name)

    def numbers(self, cols: list[int], fix: str) -> np.ndarray:
        """The cells of ``cols`` as float64 ``(N, len(cols))``; the first bad cell (by row,
        then by position in ``cols``) is an error."""
        bad = [(self.problems[j][0], k) for k, j in enumerate(cols) if j in self.problems]
        if bad:
            i, k = min(bad)
            self._bad_cell(i, [cols[k]], fix)
        return self.values[:, cols]

    def labels(self, col: int, task: str | None) -> tuple[np.ndarray, list[str], str]:
        """Class indices ``(N,)``, class names and task for one target column."""
        cells = [cell.strip() for cell in self.text[col]]
        for i, cell in enumerate(cells):
            if cell.lower() in _MISSING:
                self._bad_cell(i, [col], "")
        values = [_to_float(c) for c in cells]
        if all(v is not None for v in values):
            values = np.array(values)
            self._first_nonfinite(values[:, None], [col])
            distinct = np.unique(values)
            whole = bool(np.all(distinct == np.round(distinct)))
            few = 2 <= len(distinct) <= min(MAX_INFERRED_CLASSES, max(2, len(values) // 2))
            if task is None:
                task = "classification" if whole and few else "regression"
            if task == "regression":
                return values[:, None], [self.header[col]], task
            names = [str(int(v)) if v == round(v) else repr(float(v)) for v in distinct]
            y = np.searchsorted(distinct, values)
        else:
            task = "classification"
            distinct = sorted(set(cells))
            names = list(distinct)
            index = {name: k for k, name in enumerate(distinct)}
            y = np.array([index[c] for c in cells])
        if len(names) < 2:
            raise DataError(
                f"{self.where}: target column {self.header[col]!r} has one class only "
                f"({names[0]!r}); a classifier needs at least two (or use task='regression')."
            )
        return y.astype(np.int64), names, "classification"

    def _first_nonfinite(self, block: np.ndarray, cols: list[int]) -> None:
        bad = np.argwhere(~np.isfinite(block))
        if len(bad):
            i, k = (int(v) for v in bad[0])
            self._bad_cell(i, [cols[k]], "")

    def _cell(self, i: int, j: int) -> str:
        if j in self.text:
            return self.text[j][i]
        if j in self.problems and self.problems[j][0] == i:
            return self.problems[j][1]
        return repr(float(self.values[i, j]))

    def _bad_cell(self, i: int, cols: list[int], fix: str):
        """Raise the DataError for the first bad cell of row ``i`` among ``cols``."""
        for j in cols:
            _cell_problem(f"{self.where}: line {self.lines[i]}, column {self.header[j]!r}",
                          self._cell(i, j).strip(), fix)  # fmt: skip
        raise AssertionError("no bad cell found")  # pragma: no cover - callers found one


def _cell_problem(at: str, cell: str, fix: str) -> None:
    """Raise the DataError for ``cell`` at ``at`` if it is missing, no number or not finite."""
    if cell.lower() in _MISSING:
        kind = "is empty" if not cell else f"is {cell!r}"
        raise DataError(f"{at} {kind} (a missing value); fill it in or drop the row.")
    value = _to_float(cell)
    if value is None:
        raise DataError(f"{at} holds {cell!r}, which is not a number; {fix}.")
    if not math.isfinite(value):
        raise DataError(
            f"{at} is {cell!r} (not finite); replace it with a finite number or drop the row."
        )


def _open(path) -> tuple[str, object]:
    """``(where, csv.reader)`` over a checked CSV file, decoded as it is read.

    The file's bytes are held once (at most ``CSV_LIMIT``); the text is decoded line by line
    from them (no second copy of the whole file as ``str``, no list of every line), so a
    reader that keeps only numbers (``read_columns``) needs about the file's size plus its
    numbers.
    """
    name = check_path(path, "CSV file", DataPathError)
    where = f"CSV file {name!r}"
    data = read_bytes(name, label=where, limit=CSV_LIMIT, what="CSV file",
                      error=DataPathError)  # fmt: skip
    kind = of_bytes(data[:HEAD], name)  # a model, spec, ONNX file, ... named as such
    if kind.name not in CSV_LIKE:
        raise DataError(wrong_kind(kind, where, "csv"))
    if not data.isascii():  # ASCII is UTF-8; otherwise check the whole file once, up front
        try:
            codecs.decode(data, "utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DataError(
                f"{where}: not UTF-8 text (bad byte at offset {exc.start}); save it as UTF-8 CSV."
            ) from None
    first = next((ln for ln in io.BytesIO(data) if ln.strip()), b"")
    first = first.decode("utf-8-sig", "replace")
    if not first.strip():
        raise DataError(
            f"{where}: the file is empty; a CSV needs a header line naming the columns "
            "and at least one data row."
        )
    delimiter = max(",;\t", key=first.count) if any(d in first for d in ",;\t") else ","
    text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")
    return where, csv.reader(text, delimiter=delimiter)


def _lines(reader, where: str):
    """The rows of a ``csv.reader``; its errors (a cell over the size limit, a NUL byte in
    a quoted cell, …) become a ``DataError`` naming the line."""
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise DataError(
                f"{where}: line {reader.line_num} cannot be read as CSV ({exc}); check that "
                "quotes are closed and the file is a text table."
            ) from None
        yield cells


def read_columns(path, names: list[str], purpose: str) -> np.ndarray:
    """The columns ``names`` of a CSV file as float64 ``(N, len(names))``.

    The file gets the checks of ``from_csv`` (UTF-8, a header, every row as wide as the
    header, numbers, finite), so ``backprop predict --input`` reads files as training did.
    ``purpose`` ends the message for a missing column (who needs them). Rows are turned into
    numbers as they are read, in blocks, and not kept as text: the memory is the file's
    bytes plus 8 bytes per number (a 180 MB one-column CSV took 5.2 GB as rows of strings).
    """
    where, reader = _open(path)
    header = header_line = None
    cols: list[int] = []
    blocks, values, lines = [], [], []
    for cells in _lines(reader, where):
        if not cells:
            continue
        if header is None:
            header, header_line = [c.strip() for c in cells], reader.line_num
            _Table._check_header(where, header, header_line)
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
        try:
            values.extend([float(cells[j]) for j in cols])
        except ValueError:
            for j in cols:
                _cell_problem(f"{where}: line {reader.line_num}, column {header[j]!r}",
                              cells[j].strip(), "the inputs must be numbers")  # fmt: skip
        lines.append(reader.line_num)
        if len(lines) == _BLOCK:
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


_BLOCK = 65_536  # rows turned into one array at a time by read_columns


def _block(where, header, cols, values, lines) -> np.ndarray:
    """One block of ``read_columns``: the numbers as an array, NaN/inf named by line."""
    block = np.array(values, dtype=np.float64).reshape(len(lines), len(cols))
    bad = np.argwhere(~np.isfinite(block))
    if len(bad):
        i, k = (int(v) for v in bad[0])
        _cell_problem(f"{where}: line {lines[i]}, column {header[cols[k]]!r}",
                      repr(float(block[i, k])), "")  # fmt: skip
    return block


def _width_message(where, line, got, header, header_line) -> str:
    return (
        f"{where}: line {line} has {got} values but the header (line {header_line}) names "
        f"{len(header)} columns; fix the row's commas or quote values that contain the separator."
    )


def _to_float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _is_number(text: str) -> bool:
    return _to_float(text) is not None
