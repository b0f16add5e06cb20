"""Bounds and numbers (issue 12, items 8 and 9): every number the command line takes.

Each numeric flag of every command, and each bounded spec field, gets values just past its
documented bound, absurd ones (10^30, 1..10^12), negative ones, NaN, infinities, 1e999, empty
fields (``1,,2``, ``,1``, ``1,``), text and, in long mode, random values around the bounds.
Judged by the issue's properties, not by our messages: a refused value exits 2 with exactly
one line on stderr naming the flag (or spec field) and the value — and the bound when the
value is out of range — within seconds (no work started: ``vanishing --depths 100000`` ran
without end) and writes nothing. Cheap values at the bounds, negative numbers and exponents
(``--x -1,2 -2e3``) must be accepted and run.
"""

from __future__ import annotations

import contextlib
import json
import random

import pytest

import backprop as bp

from .cli_runner import run_cases

BIG = 10**30
TRAIN = ["train", "--data", "square", "--no-plots", "-q", "--out", "run"]
VANISH = ["vanishing", "--activations", "relu"]
PREDICT = ["predict", "model.safetensors"]
EXPORT = ["export", "model.safetensors", "--to", "onnx", "--out", "m.onnx"]

# (argv before the flag, flag, kind, low, high, names the message may use for the flag)
FLAGS = [
    (VANISH, "--depths", "ints", 1, 1000, ()),
    (VANISH, "--width", "int", 1, 4096, ()),
    (VANISH, "--samples", "int", 1, 100_000, ()),
    (VANISH, "--seed", "int", 0, 2**63 - 1, ()),
    (TRAIN, "--n", "int", 1, 10_000_000, ()),
    (TRAIN, "--noise", "float", 0, 1e6, ("data.noise",)),
    (TRAIN, "--hidden", "ints", 1, 65_536, ()),
    (TRAIN, "--layers", "ints", 1, 65_536, ()),
    (TRAIN, "--lr", "float", 0, 1000, ("optimizer.lr",)),
    (TRAIN, "--epochs", "int", 0, 10_000_000, ()),  # 0: the untrained network (issue 17)
    (TRAIN, "--batch-size", "int", 1, 10_000_000, ()),
    (TRAIN, "--seed", "int", 0, 2**63 - 1, ("spec field seed",)),
    (TRAIN, "--log-every", "int", 1, 10_000_000, ()),
    (TRAIN, "--backup-every", "int", 1, 10_000_000, ()),
    (["explain", "vector"], "--x", "floats", None, None, ()),
    (["explain", "vector", "--x", "1,2"], "--y", "floats", None, None, ()),
    (["explain", "vector"], "--seed", "int", 0, 2**63 - 1, ()),
    (["gradcheck"], "--samples", "int", 1, 10_000, ()),
    (["gradcheck"], "--eps", "float", 1e-12, 0.1, ()),
    (["gradcheck"], "--seed", "int", 0, 2**63 - 1, ()),
    (["playground"], "--port", "int", 0, 65_535, ()),
    (["playground"], "--max-tabs", "int", 1, 64, ()),
    (PREDICT, "--x", "floats", None, None, ()),
    (EXPORT, "--opset", "int", 13, 28, ("opset",)),
]

# spec fields past their bound, alone and in products: (what, spec changes, field named)
SPEC_CASES = [
    ("epochs", {"epochs": 10**7 + 1}, "epochs"),
    ("data.n", {"data": {"name": "square", "n": 10**7 + 1}}, "data.n"),
    ("hidden width", {"model": {"hidden": [65_537]}}, "model.hidden[0]"),
    ("hidden depth", {"model": {"hidden": [1] * 1001}}, "model.hidden"),
    ("sizes width", {"model": {"sizes": [1, 65_537, 1]}}, "model.sizes[1]"),
    ("batch_size", {"batch_size": 10**7 + 1}, "batch_size"),
    ("seed", {"seed": 2**63}, "seed"),
    ("data.seed", {"data": {"name": "square", "seed": 2**63}}, "data.seed"),
    ("noise", {"data": {"name": "square", "noise": 1e7}}, "data.noise"),
    ("lr", {"optimizer": {"name": "sgd", "lr": 1e4}}, "optimizer.lr"),
    ("patience", {"early_stopping": {"patience": 10**7 + 1}}, "early_stopping.patience"),
    ("epochs x samples", {"epochs": 10**7, "data": {"name": "square", "n": 2000}}, "epochs"),
    ("parameters", {"model": {"hidden": [8000, 8000]}}, "model"),
    ("batch activations", {"data": {"name": "square", "n": 10**6}, "model": {"hidden": [300]}},
     "batch_size"),
    ("work", {"epochs": 10**6, "data": {"name": "square", "n": 1000},
              "model": {"hidden": [200, 200]}}, "epochs"),
]  # fmt: skip

# cheap values at the bounds and the number forms of item 9: each must run (exit 0; 1 for
# a gradient check that fails is fine)
ACCEPTED = [
    [*VANISH, "--depths", "1000", "--width", "1", "--samples", "1"],
    [*VANISH, "--depths", "1", "--width", "2", "--samples", "100000"],
    ["explain", "vector", "--x", "-0.7,1.2e-3", "--seed", str(2**63 - 1)],
    ["explain", "abs", "--x", "-2.5", "--y", "-1e2", "--loss", "half_mse"],
    [*PREDICT, "--x", "1.5", "-2", "-2e3", "-.5", "1E1", "+3"],
    [*TRAIN, "--epochs", "1", "--n", "10", "--seed", str(2**63 - 1), "--lr", "1000",
     "--optimizer", "sgd", "--batch-size", "10000000", "--log-every", "10000000"],
    ["gradcheck", "--eps", "0.1", "--samples", "1", "--seed", "0"],
    ["gradcheck", "--eps", "1e-12", "--samples", "10000"],
    [*EXPORT, "--opset", "13"],
]  # fmt: skip


def bad_values(kind: str, low, high) -> list[tuple[str, bool]]:
    """(text, out of range?) for one flag: past the bounds, absurd, malformed."""
    words = [("nan", False), ("inf", False), ("-inf", False), ("1e999", False), ("", False),
             ("abc", False), ("1,,2", False), (",1", False), ("1,", False)]  # fmt: skip
    if kind == "int":
        words += [(str(low - 1), True), (str(high + 1), True), (str(BIG), True)]
        words += [(str(-BIG), True), ("1.5", False), ("0x10", False)]
    elif kind == "float":
        words += [(repr(low - 1 if low else -1.0), True), (repr(high * 10), True)]
        words += [("-1e300", True), ("1e300", True)]
    elif kind == "ints":
        words += [(str(high + 1), True), (f"1,{high + 1},1", True), (str(low - 1), True)]
        words += [("1..1000000000000", True), ("5..2", False), ("2..", False)]
        words += [(",".join(["1"] * 1001), False), ("1.5", False), ("-3", True)]
    else:  # floats: the finite numbers go through; only malformed ones are refused
        words += [("1,nan", False), ("-1e999,1", False), ("1;2", False)]
    return words


def fuzz_values(kind: str, low, high, rng: random.Random) -> list[tuple[str, bool]]:
    """Random values past the bounds (long mode)."""
    if kind in ("int", "ints"):
        past = high + rng.choice([1, 2, 10, 1000, 10**6, 10 ** rng.randint(7, 40)])
        below = low - rng.choice([1, 2, 10 ** rng.randint(1, 30)])
        return [(str(past), True), (str(below), True)]
    if kind == "float":
        return [(repr(high * rng.uniform(1.01, 1e6)), True),
                (f"{rng.uniform(1, 9):.3f}e{rng.randint(309, 400)}", False)]  # fmt: skip
    return [(f"{rng.uniform(-9, 9):.2f}e{rng.randint(309, 999)}", False)]


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("model")
    spec = {"name": "tiny", "data": {"name": "square", "n": 40}, "model": {"hidden": [4]},
            "epochs": 2}  # fmt: skip
    return bp.run(spec).save(folder / "model.safetensors").read_bytes()


def _case_dir(base, i: int, model: bytes):
    d = base / f"case{i}"
    d.mkdir()
    (d / "model.safetensors").write_bytes(model)
    return d


def _judge(row: dict, names: tuple, value: str, bound, out_of_range: bool) -> str | None:
    """None if the refusal is right, else what is wrong."""
    err = row["stderr"]
    lines = [line for line in err.splitlines() if line.strip()]
    if row["code"] != 2:
        return f"exit {row['code']}"
    if len(lines) != 1 or "Traceback" in err:
        return f"{len(lines)} lines on stderr"
    flat = lines[0].replace(",", "").lower()
    if not any(n.lower() in lines[0].lower() for n in names):
        return f"does not name {names[0]}"
    shown = value.replace(",", "").lower()
    forms = {shown, shown.strip()}
    with contextlib.suppress(ValueError):
        forms.add(repr(float(value)).lower())
    if (
        value.strip()
        and "," not in value
        and ".." not in value
        and not any(w in flat for w in forms)
    ):
        return "does not show the value"
    if out_of_range and bound is not None:
        text = f"{bound:g}" if isinstance(bound, float) else str(bound)
        if text not in flat and str(bound) not in flat:
            return f"does not state the bound {bound}"
    if row["seconds"] > 5:
        return f"took {row['seconds']:.1f} s (work started before the check)"
    return None


def test_every_numeric_flag_is_bounded_and_parsed_strictly(tmp_path, model_file, count):
    rng = random.Random(12)
    cases, meta = [], []
    rounds = count(0, 3)
    for prefix, flag, kind, low, high, aliases in FLAGS:
        values = bad_values(kind, low, high)
        for _ in range(rounds):
            values += fuzz_values(kind, low, high, rng)
        for value, out_of_range in values:
            d = _case_dir(tmp_path, len(cases), model_file)
            cases.append({"argv": [*prefix, flag, value], "cwd": str(d), "timeout": 20})
            bound = None
            if out_of_range:
                too_low = value.startswith("-") or (low is not None and _num(value) < low)
                bound = low if too_low else high
            meta.append((flag, (flag, *aliases), value, bound, out_of_range, d))
    rows = run_cases(cases, tmp_path)
    failures = []
    for (flag, names, value, bound, out_of_range, d), row in zip(meta, rows):
        wrong = _judge(row, names, value, bound, out_of_range)
        written = sorted(p.name for p in d.iterdir() if p.name != "model.safetensors")
        if written:
            wrong = wrong or f"wrote {written}"
        if wrong:
            failures.append(f"{flag} {value[:40]!r}: {wrong}: {row['stderr'][-300:]!r}")
    slowest = max(r["seconds"] for r in rows)
    print(f"\nnumeric flags: {len(cases)} bad values over {len(FLAGS)} flags, "
          f"{len(cases) - len(failures)} refused with one line naming flag, value and bound, "
          f"slowest refusal {slowest:.2f} s, {len(failures)} wrong")  # fmt: skip
    for f in failures[:15]:
        print("  ", f)
    assert not failures


def _num(text: str) -> float:
    try:
        return float(text.split(",")[0].split("..")[0])
    except ValueError:
        return 0.0


def test_every_bounded_spec_field_is_refused_before_work(tmp_path, model_file):
    cases = []
    for i, (_, changes, _) in enumerate(SPEC_CASES):
        d = _case_dir(tmp_path, i, model_file)
        spec = {"name": "bounds", "data": {"name": "square", "n": 50}, "epochs": 2, **changes}
        (d / "spec.json").write_text(json.dumps(spec))
        argv = ["train", "spec.json", "--out", "run", "--no-plots", "-q"]
        cases.append({"argv": argv, "cwd": str(d), "timeout": 30})
    rows = run_cases(cases, tmp_path)
    failures = []
    for (what, _, field), case, row in zip(SPEC_CASES, cases, rows):
        lines = [line for line in row["stderr"].splitlines() if line.strip()]
        wrong = None
        if row["code"] != 2 or len(lines) != 1:
            wrong = f"exit {row['code']}, {len(lines)} lines"
        elif f"spec field {field}:" not in lines[0]:
            wrong = f"does not name spec field {field}"
        elif row["seconds"] > 5:
            wrong = f"took {row['seconds']:.1f} s"
        elif (tmp_path / case["cwd"] / "run").exists():
            wrong = "wrote the run folder"
        if wrong:
            failures.append(f"{what}: {wrong}: {row['stderr'][-300:]!r}")
    print(f"\nspec fields: {len(cases)} past their bounds (alone and in products), "
          f"{len(cases) - len(failures)} refused naming the field within 5 s, "
          f"slowest {max(r['seconds'] for r in rows):.2f} s")  # fmt: skip
    for f in failures:
        print("  ", f)
    assert not failures


def test_values_at_the_bounds_and_number_forms_are_accepted(tmp_path, model_file):
    cases = []
    for i, argv in enumerate(ACCEPTED):
        d = _case_dir(tmp_path, i, model_file)
        cases.append({"argv": argv, "cwd": str(d), "timeout": 120})
    rows = run_cases(cases, tmp_path)
    bad = [
        f"{' '.join(c['argv'])[:90]}: exit {r['code']}: {r['stderr'][-300:]!r}"
        for c, r in zip(cases, rows)
        if r["code"] not in ((0, 1) if c["argv"][0] == "gradcheck" else (0,))
    ]
    print(f"\naccepted values: {len(cases)} command lines at the bounds or with -1, -2e3, "
          f"-.5, 1E1, +3: {len(cases) - len(bad)} ran")  # fmt: skip
    for b in bad:
        print("  ", b)
    assert not bad


# sizes that come from the data, not from a flag (round 2, item 12): a CSV's columns make
# the input layer, its labels the output layer; each must meet the flags' 65,536-unit bound
def _csv_cases(d):
    wide = ",".join(f"c{j}" for j in range(65_537)) + ",y\n"
    wide += "".join(",".join(["0.5"] * 65_537) + f",{k}\n" for k in range(2))
    (d / "wide.csv").write_text(wide)
    labels = "x,y\n" + "".join(f"{k % 7},L{k}\n" for k in range(65_537))
    (d / "labels.csv").write_text(labels)
    common = ["--target", "y", "--hidden", "4", "--epochs", "1", "--batch-size", "1",
              "--no-plots", "-q", "--out", "run"]  # fmt: skip
    return [
        ("65,537 feature columns", ["train", "--csv", "wide.csv", *common], "data.features"),
        ("65,537 classes", ["train", "--csv", "labels.csv", *common], "data.target"),
    ]


def test_sizes_from_the_data_meet_the_flags_bounds(tmp_path, model_file):
    d = _case_dir(tmp_path, 0, model_file)
    named = _csv_cases(d)
    cases = [{"argv": argv, "cwd": str(d), "timeout": 60} for _, argv, _ in named]
    rows = run_cases(cases, tmp_path)
    failures = []
    for (what, _, field), row in zip(named, rows):
        lines = [line for line in row["stderr"].splitlines() if line.strip()]
        if row["code"] != 2 or len(lines) != 1 or f"spec field {field}" not in lines[0]:
            failures.append(f"{what}: exit {row['code']}, {row['stderr'][-300:]!r}")
        elif row["seconds"] > 20 or (d / "run").exists():
            failures.append(f"{what}: {row['seconds']:.1f} s, run folder written")
    print(f"\nsizes from data: {len(cases)} CSVs past the layer bound, "
          f"{len(cases) - len(failures)} refused naming the field")  # fmt: skip
    for f in failures:
        print("  ", f)
    assert not failures


def test_rows_from_the_data_meet_the_n_bound(tmp_path, monkeypatch):
    """A CSV of more rows than ``--n`` allows is refused naming ``data`` (the bound lowered
    to 100 here, so the file stays small: the check and the early stop of the reader are the
    same code at 10^7)."""
    from backprop.errors import SpecError
    from backprop.spec import runner, schema

    monkeypatch.setattr(schema, "MAX_SAMPLES", 100)
    for n, refused in ((100, False), (101, True), (5000, True)):
        path = tmp_path / f"rows{n}.csv"
        path.write_text("x,y\n" + "".join(f"{k},{k % 3}.5\n" for k in range(n)))
        spec = {"data": {"csv": str(path), "target": "y"}, "epochs": 1}
        try:
            runner.prepare(spec)
            got = False
        except SpecError as err:
            assert str(err).startswith("spec field data:"), err
            got = True
        assert got == refused, (n, got)
    print("\nrows from data: 3 CSVs around the bound (100 rows): 100 taken, 101 and 5000 refused")


def test_summary_of_a_model_with_100000_names_is_short(tmp_path):
    """A model trained on a CSV of 100,000 columns (made by hand: the runner now refuses
    one) and one whose single name is 100,000 characters: ``summary`` printed every name
    and scaler value (1.39 MB); each list is abbreviated, the output stays a few KB."""
    from backprop import io, nn

    wide = 100_000
    names = [f"column_{j}" for j in range(wide)]
    scaler = {"mean": [0.5] * wide, "std": [2.0] * wide}
    data = {"task": "regression", "feature_names": names, "target_names": ["y"],
            "scaler": scaler}  # fmt: skip
    io.save(nn.MLP([wide, 2, 1]), tmp_path / "wide.safetensors", spec={"data": data})
    data = {"task": "classification", "feature_names": ["x" * wide], "target_names": ["a", "b"]}
    io.save(nn.MLP([1, 2, 1]), tmp_path / "long.safetensors", spec={"data": data})
    cases = [
        {"argv": ["summary", name], "cwd": str(tmp_path), "timeout": 60}
        for name in ("wide.safetensors", "long.safetensors")
    ]
    rows = run_cases(cases, tmp_path)
    sizes = [r["stdout_bytes"] for r in rows]
    print(f"\nsummary of 2 models with 100,000 names / characters: exits "
          f"{[r['code'] for r in rows]}, stdout {sizes} bytes")  # fmt: skip
    for row in rows:
        assert row["code"] == 0, row["stderr"]
        assert row["stdout_bytes"] < 10_000, row["stdout_bytes"]
