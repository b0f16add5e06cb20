"""A CSV file's header and rows, read and parsed compactly (floor 5; ``csvfile`` uses it).

``Table.read`` opens a checked regular file (``reading``), decodes it line by line, parses
every cell as it is read into one float64 array and remembers the first bad cell of each
column; ``cell_problem`` turns a bad cell into the ``DataError`` that names its line and
column. ``csvfile.from_csv`` builds a ``Dataset`` from a ``Table``; ``csvfile.read_columns``
reads the columns ``predict --input`` needs with the same cell rules.
"""

from __future__ import annotations

import array
import codecs
import csv
import io
import math
import os

import numpy as np

from ..errors import DataError, did_you_mean
from ..filekind import CSV_LIKE, HEAD, of_bytes, wrong_kind
from ..reading import CSV_LIMIT, DataPathError, check_path, read_bytes
from .checks import config_error

MAX_INFERRED_CLASSES = 20
MISSING = {"", "nan"}
BLOCK = 65_536  # rows turned into one array at a time by read_columns


class Table:
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
    def read(cls, path, max_rows: int | None, text: list[str] = ()) -> Table:
        if not isinstance(path, str | os.PathLike):
            raise config_error("path", "a file name (str or os.PathLike)", path)
        where, reader = open_csv(path)
        header, header_line, n = None, 0, 0
        lines, blocks, values, problems, texts = array.array("q"), [], [], {}, {}
        for cells in csv_lines(reader, where):
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
                try:  # the one rule for a file's numbers (to_float), inline for speed
                    value = float(cell) if cell.isascii() and "_" not in cell else math.nan
                except ValueError:
                    value = math.nan
                if not math.isfinite(value) and j not in problems:
                    problems[j] = (n, cell)
                values.append(value)
            for j, kept in texts.items():
                kept.append(cells[j])
            lines.append(reader.line_num)
            n += 1
            if len(values) >= BLOCK:
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
        if all(is_number(name) for name in header):
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
                f"Available columns: {', '.join(self.header)}.{did_you_mean(name, self.header)}",
            )
        return self.header.index(name)

    def numbers(self, cols: list[int], fix: str) -> np.ndarray:
        """The cells of ``cols`` as float64 ``(N, len(cols))``. A bad cell is an error: one
        column's first bad cell alone, or every bad column's first bad cell in one message
        (a text column, a constant text column and a missing value were three runs)."""
        bad = [(self.problems[j][0], k) for k, j in enumerate(cols) if j in self.problems]
        if len(bad) == 1:
            i, k = bad[0]
            self._bad_cell(i, [cols[k]], fix)
        if bad:
            self._bad_columns([cols[k] for _, k in sorted(bad, key=lambda b: b[1])], cols, fix)
        return self.values[:, cols]

    def _bad_columns(self, cols: list[int], asked: list[int], fix: str):
        """One DataError naming the first bad cell of each of ``cols`` (in their order), each
        kind of fix once, and which of the ``asked`` columns hold no text."""
        said, kinds, text = [], [], []
        for j in cols:
            i = self.problems[j][0]
            cell = self._cell(i, j).strip(SPACE)
            value = None if cell.lower() in MISSING else to_float(cell)
            if cell.lower() in MISSING:
                what = f"{'is empty' if not cell else f'is {cell!r}'} (a missing value)"
                kind = "missing"
            elif value is None:
                what, kind = f"holds {cell!r}", "text"
                text.append(j)
            else:
                what, kind = f"is {cell!r} (not finite)", "infinite"
            said.append(f"line {self.lines[i]}, column {self.header[j]!r} {what}")
            kinds += [kind] if kind not in kinds else []
        numeric = [self.header[j] for j in asked if j not in text]
        kept = f" (the columns left then: {', '.join(numeric)})" if text and numeric else ""
        fixes = {
            "text": f"a cell that is no number: {fix}{kept}",
            "missing": "a missing value: fill it in or drop the row",
            "infinite": "an infinite value: replace it with a finite number or drop the row",
        }
        raise DataError(
            f"{self.where}: {len(cols)} columns cannot be read as numbers (each one's first "
            f"bad cell): {'; '.join(said)}. For {'; for '.join(fixes[k] for k in kinds)}."
        )

    def labels(self, col: int, task: str | None) -> tuple[np.ndarray, list[str], str]:
        """Class indices ``(N,)``, class names and task for one target column."""
        cells = [cell.strip() for cell in self.text[col]]
        for i, cell in enumerate(cells):
            if cell.lower() in MISSING:
                self._bad_cell(i, [col], "")
        values = [to_float(c) for c in cells]
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
            self._continuous_classes(col, values, distinct, whole)
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

    def _continuous_classes(self, col: int, values, distinct, whole: bool) -> None:
        """Refuse a numeric target asked to be classes when it looks continuous: more than
        two values, and more distinct values than half the rows (most classes would hold one
        row) or more than ``MAX_INFERRED_CLASSES`` values that are not whole numbers."""
        rows, count = len(values), len(distinct)
        if count <= 2:  # two values are two classes, however few the rows (never continuous)
            return
        if count <= rows // 2 and (whole or count <= MAX_INFERRED_CLASSES):
            return
        shown = ", ".join(f"{v:g}" for v in distinct[:3])
        kind = "whole numbers" if whole else "numbers that are not whole"
        raise DataError(
            f"{self.where}: target column {self.header[col]!r} holds {count:,} distinct "
            f"{kind} in {rows:,} rows ({shown}, …): as classes that is {count:,} classes, "
            f"{_rows_each(rows / count)} each on average, too few to learn any of them. It "
            "looks continuous: use task='regression' for a continuous target, or make "
            "classes from it first (e.g. a column that is 1 where it is above a threshold)."
        )

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
            cell_problem(f"{self.where}: line {self.lines[i]}, column {self.header[j]!r}",
                          self._cell(i, j).strip(SPACE), fix)  # fmt: skip
        raise AssertionError("no bad cell found")  # pragma: no cover - callers found one


def _rows_each(mean: float) -> str:
    return "1 row" if mean < 1.05 else f"{mean:.2g} rows"


def cell_problem(at: str, cell: str, fix: str) -> None:
    """Raise the DataError for ``cell`` at ``at`` if it is missing, no number or not finite."""
    if cell.lower() in MISSING:
        kind = "is empty" if not cell else f"is {cell!r}"
        raise DataError(f"{at} {kind} (a missing value); fill it in or drop the row.")
    value = to_float(cell)
    if value is None and _python_float(cell):
        raise DataError(
            f"{at} holds {cell!r}, which is not a number as a CSV file writes one: ASCII "
            "digits 0-9 with a sign, '.' and an exponent (1000, -0.5, 1e3), no '_' between "
            "digits and no other script's digits; write it that way."
        )
    if value is None:
        raise DataError(f"{at} holds {cell!r}, which is not a number; {fix}.")
    if not math.isfinite(value):
        raise DataError(
            f"{at} is {cell!r} (not finite); replace it with a finite number or drop the row."
        )


def open_csv(path) -> tuple[str, object]:
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
    return where, Records(csv.reader(text, delimiter=delimiter))


class Records:
    """A ``csv.reader`` whose ``line_num`` is the line the last record STARTS on.

    A quoted cell may hold line breaks; ``csv.reader.line_num`` counts the lines read so
    far, so a record spanning lines 1–2 (a header "x,\"y\nz\"") was reported at line 2.
    Messages name the line a reader of the file finds the record on: where it starts."""

    def __init__(self, reader) -> None:
        self.reader, self.line_num = reader, 0

    def __iter__(self):
        return self

    def __next__(self) -> list[str]:
        self.line_num = self.reader.line_num + 1  # set first: a csv.Error names it too
        cells = next(self.reader)
        if not cells:  # a blank line: the next record starts after it
            self.line_num = self.reader.line_num
        return cells


def csv_lines(reader, where: str):
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


SPACE = " \t\n\r\x0b\x0c"  # what a cell's number may have around it (ASCII white space)


def to_float(text: str) -> float | None:
    """A cell's number, or None: the one rule for numbers from files (CSV tables for
    training, uploads, predict): ASCII decimal forms only, as a link's numbers are read
    (``1000``, ``-0.5``, ``1e3``, ``inf``/``nan``: refused later as not finite). Python's
    ``float`` also reads ``1_000`` as 1000, ``'١٢'`` as 12 and ``'５'`` as 5: refused here,
    in words (``cell_problem``)."""
    if not text.isascii() or "_" in text:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _python_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def is_number(text: str) -> bool:
    return to_float(text) is not None
