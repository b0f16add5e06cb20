"""Names in the CSV files we write (issue 12 round 2, item 14): no formula, no broken row.

Feature names, target names and class labels come from a model file's metadata (and from
the header of the CSV a model was trained on); ``predict`` writes them into its output
CSV as header cells and as ``prediction`` cells. A name like ``=cmd|' /C calc'!A0`` became a
spreadsheet formula and ``a\\nb,c`` a header with a line break. The rule (``predict.cell``,
``io.filespec.control``): a name that starts with ``=``, ``+``, ``-``, ``@``, tab or CR is
written with a leading apostrophe (OWASP), and a name holding a control character is refused
when the model file is read, or when a CSV header names a column so. Judged by reading the
output back with Python's ``csv`` module: every row as wide as the header, one row per
sample, no cell a spreadsheet would evaluate, and each name recoverable (apostrophe off).
"""

from __future__ import annotations

import csv
import itertools

import backprop as bp
from backprop import io, nn

from .cli_runner import run_cases

FORMULA = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", '=HYPERLINK("x")']
PLAIN = ["a,b", 'say "hi"', "x y", "é", "p(1)"]
CONTROL = ["a\nb,c", "a\rb", "\tx", "\rx", "nul\x00", "bell\x07"]
LEADS = ("=", "+", "-", "@", "\t", "\r")


def _model(path, task, features, targets):
    bp.manual_seed(0)
    n_out = len(targets) if task == "regression" or len(targets) > 2 else 1
    model = nn.MLP([len(features), 3, n_out])
    data = {"task": task, "feature_names": features, "target_names": targets}
    io.save(model, path, spec={"data": data})


def _cases(count):
    names = FORMULA + PLAIN
    out = []
    for i, (a, b) in enumerate(itertools.islice(itertools.permutations(names, 2), count)):
        task = "classification" if i % 2 else "regression"
        targets = [b, a, "z"] if task == "classification" else [b]
        out.append((task, [a, "w"], targets, False))
    for i, bad in enumerate(CONTROL):
        task = "classification" if i % 2 else "regression"
        where = i % 3  # a feature name, a target name, both
        features = [bad if where != 1 else "f", "w"]
        targets = [bad if where else "t", "u", "v"] if task == "classification" else ["t"]
        if task == "regression" and where:
            targets = [bad]
        out.append((task, features, targets, True))
    return out


def _judge(text: str, features, targets, task, samples) -> str | None:
    rows = list(csv.reader(text.splitlines(keepends=True)))
    if len(rows) != samples + 1 or any(len(r) != len(rows[0]) for r in rows):
        return f"{len(rows)} rows of widths {sorted({len(r) for r in rows})}"
    outputs = [f"{t} (predicted)" for t in targets]  # never the bare target name (issue 15)
    names = [*features, *(["prediction"] if task == "classification" else outputs)]
    header = rows[0][: len(names)]
    cells = header + ([r[len(features)] for r in rows[1:]] if task == "classification" else [])
    live = [c for c in cells if c[:1] in LEADS]
    if live:
        return f"cells a spreadsheet evaluates: {live[:3]}"
    back = [c[1:] if c[:1] == "'" and c[1:2] in LEADS else c for c in header]
    if back != names:
        return f"header {header} does not give back the names {names}"
    labels = {c[1:] if c[:1] == "'" else c for c in cells[len(header) :]}
    if task == "classification" and not labels <= set(targets):
        return f"prediction cells {labels} are not class labels {targets}"
    return None


def test_names_in_prediction_csvs(tmp_path, count):
    todo = _cases(count(10, 90))
    cases = []
    for i, (task, features, targets, _) in enumerate(todo):
        d = tmp_path / f"c{i}"
        d.mkdir()
        _model(d / "m.safetensors", task, features, targets)
        argv = ["predict", "m.safetensors", "--x", "0.5,1", "-3,2e3", "--output", "p.csv"]
        cases.append({"argv": argv, "cwd": str(d), "timeout": 60})
    rows = run_cases(cases, tmp_path)
    failures, escaped, refused = [], 0, 0
    for i, ((task, features, targets, control), row) in enumerate(zip(todo, rows)):
        lines = [line for line in row["stderr"].splitlines() if line.strip()]
        out = tmp_path / f"c{i}" / "p.csv"
        if control:
            ok = row["code"] == 2 and len(lines) == 1 and "control character" in lines[0]
            if not ok or out.exists():
                failures.append(f"{features}/{targets}: exit {row['code']}, {lines[:2]}")
            refused += ok
            continue
        if row["code"] != 0:
            failures.append(f"{features}/{targets}: exit {row['code']}: {lines[:2]}")
            continue
        text = out.read_text(encoding="utf-8")
        wrong = _judge(text, features, targets, task, 2)
        if wrong:
            failures.append(f"{features}/{targets} ({task}): {wrong}")
        escaped += any(f"'{lead}" in text for lead in LEADS)
    print(f"\nnames in prediction CSVs: {len(todo)} models, {escaped} outputs with escaped "
          f"names, {refused} control-character names refused, {len(failures)} wrong")  # fmt: skip
    for f in failures[:10]:
        print("  ", f)
    assert not failures


def test_csv_headers_with_control_characters_are_refused(tmp_path):
    from backprop.data import from_csv
    from backprop.errors import DataError

    inside = ["a\nb,c", "a\rb", "a\tb", "nul\x00x", "bell\x07x"]  # edges are stripped
    refused = 0
    for i, bad in enumerate(inside):
        path = tmp_path / f"h{i}.csv"
        quoted = '"' + bad.replace('"', '""') + '"'
        path.write_text(f"{quoted},y\n1,2\n3,4\n", newline="")
        try:
            from_csv(path, "y")
        except DataError as err:
            assert "control character" in str(err) and "\n" not in str(err), err
            refused += 1
    print(f"\nCSV headers: {len(inside)} with control characters, {refused} refused")
    assert refused == len(inside)
