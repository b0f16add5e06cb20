"""Issue 12, item 3: lying files — a structured fuzzer over a model file's embedded JSON.

Byte mutations live in ``test_hostile_files.py``; here the container stays valid and only
what it *says* lies. Three honest model files (a multi-class classifier, a binary one with a
single logit, a regression with a fitted input scaler from a CSV file) are written by
``backprop.run(...).save``. For every field of their metadata — each metadata value, every
key path of the stored experiment spec and of the model spec, every list element up to the
third — the value is replaced by each wrong value (None, 0, -1, 1.5, NaN, "", a word, [],
[1], a list of seven words, {}, {"lie": 1}, True, False, 10^30, a 100 000-character
string, a 10 000-element list; lists also one element short and one too long; the field
removed), and the file is saved again with ``safetensors.numpy.save`` and the original
tensors. Each lie then goes to ``backprop.load`` and ``io.read`` and, on a sample (all in
long mode), to ``backprop predict --x``, ``summary``, ``explain`` and ``export`` through
``cli.main`` in-process, a few through real subprocesses.

Judged by the issue's rule: a lie is refused with ``ModelFileError`` (CLI: exit 2, one line,
naming the field or its metadata key), or it is harmless: the file loads and predicts
exactly what the honest file predicts (CLI: exit 0, the same predicted numbers). Any other
exception, exit 1 or a traceback is a failure. Replacements that are valid values (see
``_in_domain``: no spec at all, no scaler, any string as a name, a finite scaler mean) make a
different valid file; they only need to be read without an error and are counted apart.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import random
import subprocess
import sys

import numpy as np
import pytest
import safetensors
import safetensors.numpy

import backprop
from backprop.cli import main
from backprop.errors import ModelFileError

REMOVE = object()
WRONG = [None, 0, -1, 1.5, math.nan, "", "lie", [], [1], ["a", "b", "c", "d", "e", "f", "g"],
         {}, {"lie": 1}, True, False, 10**30, "x" * 100_000, [0] * 10_000, REMOVE]  # fmt: skip
HONEST = {
    "classes": {"data": {"name": "gauss", "n": 60, "options": {"classes": 3}},
                "model": {"hidden": [4]}, "epochs": 2},
    "binary": {"data": {"name": "xor", "n": 40}, "model": {"hidden": [3]},
               "loss": "bce_with_logits", "epochs": 2},
}  # fmt: skip
X = {"classes": "0.5,-1", "binary": "0.5,-1", "csv": "0.5,-1"}


@pytest.fixture(scope="module")
def honest(tmp_path_factory):
    """name -> (tensors, metadata, path of the honest file)."""
    folder = tmp_path_factory.mktemp("lying")
    specs = dict(HONEST)
    rows = "\n".join(f"{a},{b},{a * 2 - b + 5}" for a in range(-3, 4) for b in range(0, 30, 7))
    (folder / "table.csv").write_text("a,b,y\n" + rows + "\n")
    specs["csv"] = {"data": {"csv": str(folder / "table.csv"), "target": "y"},
                    "model": {"hidden": [3]}, "epochs": 2}  # fmt: skip
    out = {}
    for name, spec in specs.items():
        path = backprop.run(spec).save(folder / f"{name}.safetensors")
        tensors = safetensors.numpy.load_file(str(path))
        with safetensors.safe_open(str(path), "np") as handle:
            metadata = handle.metadata()
        out[name] = (tensors, metadata, path)
    return out


def _walk(value, path=()):
    """Every key path into a JSON value (list elements up to the third)."""
    yield path
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _walk(inner, (*path, key))
    elif isinstance(value, list):
        for i, inner in enumerate(value[:3]):
            yield from _walk(inner, (*path, i))


def _replaced(doc, path, new):
    doc = json.loads(json.dumps(doc))
    if not path:
        return new
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    if new is REMOVE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = new
    return doc


def lies(metadata: dict):
    """(field, metadata with one lie, the lie) for every field and wrong value."""
    for key, text in metadata.items():
        for new in WRONG:
            if new is REMOVE:
                yield (key,), {k: v for k, v in metadata.items() if k != key}, new
            else:
                yield (key,), {**metadata, key: json.dumps(new)}, new
        if key not in ("spec", "model"):
            continue
        doc = json.loads(text)
        for path in _walk(doc):
            if not path:
                continue
            here = doc
            for part in path:
                here = here[part]
            values = list(WRONG)
            if isinstance(here, list) and here:
                values += [here[:-1], [*here, here[-1]]]
            for new in values:
                if isinstance(path[-1], int) and new is REMOVE:
                    continue
                changed = json.dumps(_replaced(doc, path, new), allow_nan=True)
                yield (key, *path), {**metadata, key: changed}, new


def _in_domain(field: tuple, new) -> bool:
    """A valid value, not a lie: a different file that may predict differently.

    The spec removed or empty (a bare model file, as ``io.save`` without ``spec=`` writes);
    ``data.scaler`` null or removed (a run without standardisation); any string as one
    feature or target name; a finite number as a scaler mean, a positive one as a std.
    """
    if field == ("spec",):
        return new is REMOVE or new == {}
    if field == ("spec", "data", "scaler"):
        return new is None or new is REMOVE
    if len(field) == 4 and field[2] in ("feature_names", "target_names"):
        return isinstance(new, str)
    if len(field) == 5 and field[2:4] in (("scaler", "mean"), ("scaler", "std")):
        number = isinstance(new, int | float) and not isinstance(new, bool)
        return number and math.isfinite(new) and (field[3] == "mean" or new > 0)
    return False


def _names_field(message: str, field: tuple) -> bool:
    keys = [k for k in field if isinstance(k, str)]
    dotted = {".".join(keys[i:j]) for i in range(len(keys)) for j in range(i + 1, len(keys) + 1)}
    dotted.discard("spec") if len(keys) > 1 else None
    return any(d in message for d in dotted) or f"'{keys[0]}'" in message


def _predict_numbers(stdout: str) -> list[float]:
    numbers = []
    for line in stdout.strip().splitlines()[1:]:  # the header names may differ
        for cell in line.split(","):
            with contextlib.suppress(ValueError):
                numbers.append(float(cell))
    return numbers


def _cli(argv):
    err, out = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            code = main(argv)
    except BaseException as error:  # noqa: BLE001 - judged below
        return "raw", f"{type(error).__name__}: {str(error)[:200]}", ""
    return code, err.getvalue(), out.getvalue()


def _judge_library(field, path, honest_out, x, in_domain) -> str | None:
    """None when the lie is refused or harmless; else what went wrong."""
    try:
        file = backprop.io.read(path)
        model = backprop.load(path)
    except ModelFileError as error:
        message = str(error)
        if "\n" in message or len(message) > 2000:
            return f"message of {len(message)} chars / several lines"
        if not _names_field(message, field):
            return f"refused without naming {'.'.join(map(str, field))}: {message[:200]}"
        return None
    except Exception as error:  # noqa: BLE001 - the failure this test looks for
        return f"raised {type(error).__name__}: {str(error)[:160]}"
    got = [m(backprop.tensor(x)).detach().numpy() for m in (file.model, model)]
    # io.read's model as stored, load's with the inputs' scaling folded in: each its own
    if not in_domain and not all(np.array_equal(g, h) for g, h in zip(got, honest_out)):
        return "accepted, but predicts differently from the honest file"
    return None


def _judge_cli(field, path, name, honest_numbers, in_domain) -> list[str]:
    found = []
    commands = {
        "predict": ["predict", str(path), "--x", X[name]],
        "summary": ["summary", str(path)],
        "explain": ["explain", str(path), "--x", X[name]],
        "export": ["export", str(path), "--to", "torch", "--out", str(path) + ".torch"],
    }
    for command, argv in commands.items():
        code, err, out = _cli(argv)
        lines = err.strip().splitlines()
        if code == 2:
            ok = len(lines) == 1 and lines[0].startswith(f"backprop {command}: error: ")
            if not ok or not _names_field(lines[0], field):
                found.append(f"{command}: exit 2 but stderr {err[:200]!r}")
        elif code != 0:
            found.append(f"{command}: exit {code}: {err[-200:]!r}")
        elif command == "predict" and not in_domain and _predict_numbers(out) != honest_numbers:
            found.append("predict: accepted, but prints other predictions")
    return found


def test_lying_metadata(honest, count, tmp_path):
    rng = random.Random(12)
    tried = refused = harmless = in_domain_n = cli_cases = 0
    bad = []
    lib_budget, cli_budget = count(150, 10**6), count(25, 10**6)
    for name, (tensors, metadata, honest_path) in honest.items():
        all_lies = list(lies(metadata))
        picked = all_lies if lib_budget >= len(all_lies) else rng.sample(all_lies, lib_budget)
        cli_pick = set(rng.sample(range(len(picked)), min(cli_budget, len(picked))))
        n_in = backprop.io.read(honest_path).spec["sizes"][0]
        x = np.linspace(-1, 1, 3 * n_in).reshape(3, n_in).astype(np.float32)
        honest_out = [
            m(backprop.tensor(x)).detach().numpy()
            for m in (backprop.io.read(honest_path).model, backprop.load(honest_path))
        ]
        code, _, out = _cli(["predict", str(honest_path), "--x", X[name]])
        assert code == 0
        honest_numbers = _predict_numbers(out)
        path = tmp_path / f"{name}-lie.safetensors"
        for i, (field, lied, new) in enumerate(picked):
            safetensors.numpy.save_file(tensors, str(path), metadata=lied)
            in_domain = _in_domain(field, new)
            tried += 1
            in_domain_n += in_domain
            where = f"{name} {'.'.join(map(str, field))}"
            problem = _judge_library(field, path, honest_out, x, in_domain)
            if problem:
                bad.append(f"{where}: {problem}")
            if i in cli_pick:
                cli_cases += 1
                bad += [f"{where}: {p}" for p in _judge_cli(field, path, name, honest_numbers,
                                                            in_domain)]  # fmt: skip
            try:
                backprop.io.read(path)
                harmless += not in_domain
            except ModelFileError:
                refused += 1
    print(
        f"lying files: {tried} lies over 3 honest files ({cli_cases} also through predict, "
        f"summary, explain, export): {refused} refused naming the field, {harmless} harmless "
        f"(same predictions), {in_domain_n} valid values (read, not compared); {len(bad)} wrong"
    )
    for line in bad[:20]:
        print(f"  {line}")
    assert not bad


def test_lying_files_in_real_subprocesses(honest, count, tmp_path):
    """A few lies through ``python -m backprop``: exit 2, one line, no traceback."""
    tensors, metadata, _ = honest["classes"]
    spec = json.loads(metadata["spec"])
    cases = [
        ("data", [1, 2]),
        ("data", {**spec["data"], "feature_names": 5}),
        ("data", {**spec["data"], "target_names": ["only one"]}),
        ("data", {**spec["data"], "scaler": {"mean": 1.0, "std": 1.0}}),
        ("data", {**spec["data"], "task": ["classification"]}),
    ][: count(2, 5)]
    bad = []
    for i, (key, value) in enumerate(cases):
        path = tmp_path / f"lie{i}.safetensors"
        lied = {**metadata, "spec": json.dumps({**spec, key: value})}
        safetensors.numpy.save_file(tensors, str(path), metadata=lied)
        for command in (["predict", str(path), "--x", "0.5,-1"], ["summary", str(path)]):
            done = subprocess.run([sys.executable, "-m", "backprop", *command],
                                  capture_output=True, text=True, timeout=60)  # fmt: skip
            lines = done.stderr.strip().splitlines()
            if done.returncode != 2 or len(lines) != 1 or "data" not in lines[0]:
                bad.append(f"{command[0]} {value!r:.60}: exit {done.returncode}, {lines[-3:]}")
    print(f"lying files (subprocesses): {len(cases) * 2} runs, {len(bad)} wrong")
    assert not bad, bad
