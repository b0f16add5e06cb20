"""Issue 8, item 3 (continued): bad CSV files, bad specs and bad command lines.

``from_csv`` gets tables with NaN/inf/empty/text cells, ragged rows, no rows, binary bytes,
over-long cells and unclosed quotes (and the harmless variants: a BOM, CRLF, semicolons,
blank lines, one row, one feature). The spec's ``normalize``/``prepare`` get one field at a
time set to a wrong type or an out-of-range value, and ``load`` gets JSON-ish garbage. The
CLI's ``main()`` runs in-process with bad ``--x`` values, bad ``--input`` files and bad
flags: it must exit 0, or 2 with exactly one line on stderr and no traceback.
"""

from __future__ import annotations

import contextlib
import copy
import io
import math
import warnings

import numpy as np
import pytest
from hypothesis import strategies as st

import backprop.spec
from backprop.cli import main
from backprop.data import from_csv
from backprop.errors import ConfigError, DataError

from .bad_input_harness import SEEDS, Tally, run

# -- CSV files ---------------------------------------------------------------------------------
CSV_CASES = {  # case: (expected, words one of which the message names)
    "valid": ("ok", ()),
    "one row": ("ok", ()),
    "one feature": ("ok", ()),
    "BOM and CRLF": ("ok", ()),
    "semicolons": ("ok", ()),
    "blank lines": ("ok", ()),
    "quoted numbers": ("ok", ()),
    "1e300": ("ok", ()),
    "NaN cell": (DataError, ("line",)),
    "inf cell": (DataError, ("line",)),
    "1e400 cell": (DataError, ("line",)),
    "empty cell": (DataError, ("line",)),
    "word cell": (DataError, ("line",)),
    "extra cell": (DataError, ("line",)),
    "missing cell": (DataError, ("line",)),
    "header only": (DataError, ("header",)),
    "empty file": (DataError, ("empty",)),
    "duplicate column": (DataError, ("header",)),
    "no target column": (ConfigError, ("target",)),
    "binary": (DataError, ("UTF-8",)),
    "huge cell": (DataError, ("line",)),
    "unclosed quote": (DataError, ("line",)),
}


def csv_bytes(case: str, rows: int, cols: int, labels: bool, rng, names=None) -> bytes:
    """A CSV file with header ``x1..xd,y`` (or ``names``), then ``case``'s mutation."""
    names = names or [f"x{j + 1}" for j in range(cols)] + ["y"]
    rows = 1 if case == "one row" else rows
    cols = len(names) - 1
    table = [[f"{v:.6g}" for v in rng.normal(size=cols)] for _ in range(rows)]
    for i, row in enumerate(table):
        row.append(["a", "b"][i % 2] if labels else f"{rng.normal() + 0.01 * i:.6f}")
    i, j = int(rng.integers(0, rows)), int(rng.integers(0, cols))
    cell = {"NaN cell": "nan", "inf cell": "inf", "1e400 cell": "1e400", "empty cell": "",
            "word cell": "abc", "1e300": "1e300", "huge cell": "1" * 200_000}  # fmt: skip
    if case in cell:
        table[i][j] = cell[case]
    elif case == "extra cell":
        table[i].append("1")
    elif case == "missing cell":
        table[i].pop()
    elif case == "quoted numbers":
        table[i][j] = f'"{table[i][j]}"'
    elif case == "unclosed quote":
        table[i][j] = '"' + table[i][j]
    header = list(names)
    if case == "duplicate column":
        header[0] = header[-1]
    elif case == "no target column":
        header[-1] = "z"
    sep, end = (";" if case == "semicolons" else ","), ("\r\n" if "CRLF" in case else "\n")
    lines = [sep.join(header)] + ([] if case == "header only" else [sep.join(r) for r in table])
    if case == "blank lines":
        lines = ["", *lines[:1], "", *lines[1:], ""]
    text = "" if case == "empty file" else end.join(lines) + end
    data = text.encode()
    if case == "BOM and CRLF":
        data = b"\xef\xbb\xbf" + data
    if case == "binary":
        data = bytes(rng.integers(128, 256, 64).astype(np.uint8))
    return data


def test_csv_loader(count, tmp_path):
    tally = Tally("backprop.data.from_csv")
    path = tmp_path / "data.csv"

    @run(count, 80, 1000, list(CSV_CASES), st.integers(2, 6), st.integers(1, 3), st.booleans(),
         SEEDS)  # fmt: skip
    def body(case, rows, cols, labels, seed):
        if case == "one feature":
            cols = 1
        path.write_bytes(csv_bytes(case, rows, cols, labels, np.random.default_rng(seed)))
        expect, names = CSV_CASES[case]
        if case == "one row" and labels:
            expect, names = DataError, ("class",)  # one label is one class: not a classifier
        got = tally.check("from_csv", expect, lambda: from_csv(path, "y"), names, case)
        if expect == "ok":
            n = 1 if case == "one row" else rows
            assert got.x.shape == (n, 1 if case == "one feature" else cols) and len(got.y) == n

    body()
    tally.report()


# -- experiment specs --------------------------------------------------------------------------
BASE_SPEC = {
    "name": "t",
    "data": {"name": "square", "n": 8},
    "model": {"hidden": [3]},
    "loss": {"name": "mse"},
    "optimizer": {"name": "sgd", "lr": 0.1},
    "epochs": 1,
}
SPEC_FIELDS = [
    "name", "seed", "epochs", "batch_size", "validation", "engine", "version",
    "data.name", "data.n", "data.noise", "data.train_ratio", "data.test_ratio", "data.seed",
    "data.options", "data.standardize", "model.sizes", "model.hidden", "model.activation",
    "model.output_activation", "model.bias", "model.init", "model.dtype",
    "model.activation_options", "loss.name", "loss.reduction", "loss.options",
    "optimizer.name", "optimizer.lr", "optimizer.options", "schedule.name",
    "early_stopping.monitor", "early_stopping.patience", "early_stopping.min_delta",
]  # fmt: skip
SPEC_VALUES = [
    None, True, -1, 0, 3, 2.5, float("nan"), float("inf"), 1e308, 10**30, "", "x", "relu",
    [], [0], [1, -1], ["x"], {}, {"a": 1}, {"lr": "x"}, [{"negative_slope": "x"}],
]  # fmt: skip


def test_spec_loader(count, tmp_path):
    tally = Tally("backprop.spec (normalize, prepare, load)")

    @run(count, 100, 1200, SPEC_FIELDS, st.sampled_from(range(len(SPEC_VALUES))))
    def fields(path, which):
        spec = copy.deepcopy(BASE_SPEC)
        *parents, key = path.split(".")
        section = spec
        for part in parents:
            section = section.setdefault(part, {})
        section[key] = copy.deepcopy(SPEC_VALUES[which])
        names = (path, ".".join(parents) or path)
        checked = tally.check("spec.normalize", "any", lambda: backprop.spec.normalize(spec),
                              names, f"{path} = {SPEC_VALUES[which]!r}")  # fmt: skip
        if isinstance(checked, dict):  # a valid spec: building its parts must work or explain
            tally.check("spec.prepare", "any", lambda: backprop.spec.prepare(spec), (), path)

    tokens = ['{', '}', '[', ']', '"data"', '"square"', ':', ',', '1', '-1e999', 'NaN',
              'Infinity', 'null', 'true', '"epochs"', '"\\ud800"', '9' * 5000,
              '[' * 3000]  # fmt: skip
    path = tmp_path / "spec.json"

    @run(count, 40, 500, st.lists(st.sampled_from(tokens), max_size=12))
    def files(parts):
        path.write_text("".join(parts), encoding="utf-8", errors="surrogatepass")
        tally.check("spec.load", "any", lambda: backprop.spec.load(path), ("spec",), str(parts))

    fields()
    files()
    tally.report()


# -- the command line, in-process ------------------------------------------------------------
def cli(tally: Tally, entry: str, argv: list[str], codes=(0, 2), why="") -> int:
    """Run ``main(argv)``; the exit code must be in ``codes``, and 2 means one stderr line."""
    out, err = io.StringIO(), io.StringIO()
    try:
        with (
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
            warnings.catch_warnings(),
            np.errstate(all="ignore"),
        ):
            warnings.simplefilter("ignore")
            try:
                code = main(argv)
            except SystemExit as exc:  # argparse's usage errors
                code = exc.code
    except Exception as exc:
        tally.seen[entry]["unhandled " + type(exc).__name__] += 1
        raise AssertionError(f"{entry} {argv}: unhandled {type(exc).__name__}: {exc}") from exc
    tally.seen[entry][f"exit {code}"] += 1
    lines = [line for line in err.getvalue().splitlines() if line.strip()]
    assert code in codes, f"{entry} ({why}) {argv}: exit {code}; stderr {err.getvalue()!r}"
    if code == 2:
        assert len(lines) == 1 and "Traceback" not in err.getvalue(), (argv, err.getvalue())
    return code


X_TOKENS = ["1.5", "-2", "0", " 3 ", "1_000", "1e30", "1e300", "nan", "-inf", "1e400", "abc",
            "", ",", "1,2", "0x10", "1,,", "--", "½"]  # fmt: skip
FLOAT32_MAX = float(np.finfo(np.float32).max)


def x_ok(token: str) -> bool:
    """Whether ``backprop predict --x`` takes ``token`` for a one-input float32 model."""
    fields = token.split(",")
    if not token.isascii() or "_" in token:
        return False  # the files' rule, on the command line too: ASCII digits, no '_' (issue 15)
    if any(not v.strip() for v in fields):
        return False  # an empty field ('1,,', ',') is an error, never skipped (issue 12)
    try:
        values = [float(v) for v in fields]
    except ValueError:
        return False
    return len(values) == 1 and math.isfinite(values[0]) and abs(values[0]) <= FLOAT32_MAX


TRAIN_FLAGS = {
    "--n": ["0", "-1", "x", "1", "3", "1e3", "99999999999"],
    "--noise": ["nan", "inf", "-1", "x", "0", "1e308"],
    "--lr": ["nan", "-0.1", "0", "x", "1e9", "0.01"],
    "--epochs": ["0", "-1", "x", "2"],
    "--batch-size": ["0", "x", "1", "100"],
    "--validation": ["x", "nan", "1", "0", "1.5", "0.5", "test"],
    "--seed": ["-1", "x", "1e3", "99999999999999999999999", "7"],
    "--layers": ["a,b", "1,0,1", "1,-3,1", "1..", "1..5:0", "2,4,1", "1,4,1", ","],
    "--hidden": ["x", "0", "-1", "", "3,3"],
    "--activation": ["foo", ",", "relu,tanh", "sigmoid"],
    "--loss": ["foo", "cross_entropy", "huber", ""],
    "--optimizer": ["foo", "adam", ""],
    "--init": ["foo", "zeros", ""],
    "--engine": ["gpu", "autograd"],
    "--data": ["foo", "", "xor"],
}


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    argv = ["train", "--data", "square", "--n", "8", "--epochs", "1", "--no-plots", "-q"]
    with contextlib.redirect_stdout(io.StringIO()):
        assert main([*argv, "--out", str(out)]) == 0
    return str(out / "model.safetensors")


def test_cli(count, tmp_path, model_file):
    tally = Tally("backprop CLI (main, in-process)")

    @run(count, 60, 800, st.lists(st.sampled_from(X_TOKENS), min_size=1, max_size=3))
    def predict_x(tokens):
        want = 0 if all(x_ok(t) for t in tokens) else 2
        cli(tally, "predict --x", ["predict", model_file, "--x", *tokens], (want,), str(tokens))

    source = tmp_path / "in.csv"

    @run(count, 40, 500, list(CSV_CASES), st.integers(1, 4), SEEDS)
    def predict_input(case, rows, seed):
        rng = np.random.default_rng(seed)
        source.write_bytes(csv_bytes(case, rows, 1, False, rng, names=["x", "y"]))
        want = 0 if CSV_CASES[case][0] == "ok" or case == "no target column" else 2
        if case in ("duplicate column", "1e300"):
            want = 2  # the header names 'y' twice; 1e300 overflows the float32 model
        cli(tally, "predict --input", ["predict", model_file, "--input", str(source)], (want,),
            case)  # fmt: skip

    base = ["train", "--data", "square", "--n", "6", "--epochs", "1", "--no-plots", "-q"]

    @run(count, 60, 700, list(TRAIN_FLAGS), st.integers(0, 8), SEEDS)
    def train_flags(flag, which, seed):
        values = TRAIN_FLAGS[flag]
        argv = [*base, flag, values[which % len(values)], "--out", str(tmp_path / "run"),
                "--overwrite"]  # fmt: skip
        cli(tally, "train", argv, (0, 2), f"{flag} {values[which % len(values)]}")

    others = [
        ["summary", str(source)], ["summary", model_file + ".missing"], ["summary", str(tmp_path)],
        ["export", model_file, "--to", "onnx", "--opset", "1"],
        ["export", str(source), "--to", "torch"],
        ["gradcheck", "--eps", "0"], ["gradcheck", "--eps", "nan"], ["gradcheck", "--samples", "0"],
        ["gradcheck", model_file, "--seed", "-1"], ["explain", "vector", "--x", "nan,1"],
        ["explain", "vector", "--x", "1,2,3"], ["explain", "scalar", "--y", "x"],
        ["vanishing", "--depths", "0"], ["vanishing", "--depths", "a..b"],
        ["vanishing", "--seed", "-1"], ["vanishing", "--activations", "softmax"],
        ["predict", model_file], ["predict", model_file, "--x", "1", "--output", str(tmp_path)],
        ["nonsense"], ["train", "--epochs"], ["demo", "nonsense"],
    ]  # fmt: skip

    @run(count, len(others), len(others), others)  # one each: nothing to vary
    def other_commands(argv):
        cli(tally, argv[0], argv, (2,), " ".join(argv))

    for part in (predict_x, predict_input, train_flags, other_commands):
        part()
    tally.report()
