"""Documented examples work (issue 12, item 9): every example line of every ``--help``.

``backprop predict M --x 0.5,1.0 -1,2`` — the help text's own example — failed: argparse
read ``-1,2`` as an option. The class: every line ``backprop …`` in the epilog of
``backprop --help`` and of each command's ``--help`` is parsed out of the help text (not
copied here) and run in a temp folder that holds what the examples name: ``model.safetensors``
(a 2-input model where the line says so), ``runs/square-…/model.safetensors``,
``runs/square/model.safetensors`` (what ``demo --out runs/square`` leaves), ``spec.json``,
``data.csv``, ``houses.csv``, ``iris.safetensors`` (an iris classifier). Each must exit 0
with no traceback. Fast mode caps training at 3 epochs without plots (``--epochs 3
--no-plots`` appended to train and demo lines); long mode runs every line as written.
``playground`` lines run in a subprocess on a free port until the server says it serves,
then get SIGTERM.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import backprop as bp
from backprop.cli.app import build_parser

from .cli_runner import run_cases


def documented_examples() -> list[tuple[str, str]]:
    """(command line, its description) for every example line of every help text."""
    parser = build_parser()
    texts = [parser.epilog]
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    texts += [p.epilog or "" for p in sub.choices.values()]
    found = []
    for text in texts:
        for line in text.splitlines():
            if not line.startswith("  backprop"):
                continue
            parts = re.split(r"\s{2,}", line.strip(), maxsplit=1)
            command = parts[0].split(" | ")[0]
            description = parts[1] if len(parts) > 1 else ""
            found.append((command, description))
    return found


def _model(folder, name, data, inputs):
    spec = {"name": name, "data": {"name": data, "n": 60}, "model": {"hidden": [4]}, "epochs": 3}
    r = bp.run(spec)
    assert r.dataset.n_features == inputs
    return r.save(folder / "model.safetensors"), r.dataset.feature_names


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory):
    base = tmp_path_factory.mktemp("fixtures")
    one, two, iris = base / "one", base / "two", base / "iris"
    one.mkdir()
    two.mkdir()
    iris.mkdir()
    _, features = _model(one, "square", "square", 1)
    _model(two, "xor", "xor", 2)
    _model(iris, "iris", "iris", 4)  # a classifier whose class names are words
    rng = np.random.default_rng(0)
    csv = ",".join(features) + "\n" + "\n".join(f"{v:.3f}" for v in rng.normal(size=5)) + "\n"
    sizes, rooms = rng.uniform(50, 200, 60), rng.integers(1, 6, 60)
    rows = [f"{s:.1f},{r},{100 * s + 7 * r:.1f}" for s, r in zip(sizes, rooms)]
    houses = "size,rooms,price\n" + "\n".join(rows) + "\n"
    spec = {"name": "example", "data": {"name": "square", "n": 60}, "model": {"hidden": [4]},
            "epochs": 20}  # fmt: skip
    files = {"data.csv": csv, "houses.csv": houses, "spec": spec}
    return {"one": one, "two": two, "iris": iris, **files}


def _folder(base, i: int, fx, description: str, command: str = ""):
    import json

    d = base / f"example{i}"
    (d / "runs" / "square-20261128-120000").mkdir(parents=True)
    model = fx["two"] if "2-input" in description else fx["one"]
    shutil.copy(model / "model.safetensors", d / "model.safetensors")
    shutil.copy(fx["one"] / "model.safetensors", d / "runs/square-20261128-120000")
    if "--out runs/square" not in command:  # what `backprop demo --out runs/square` leaves
        (d / "runs" / "square").mkdir()
        shutil.copy(fx["one"] / "model.safetensors", d / "runs/square")
    if "iris.safetensors" in command:
        shutil.copy(fx["iris"] / "model.safetensors", d / "iris.safetensors")
    (d / "data.csv").write_text(fx["data.csv"])
    (d / "houses.csv").write_text(fx["houses.csv"])
    (d / "spec.json").write_text(json.dumps(fx["spec"]))
    if "sweep --resume" in command or "sweep --show" in command:  # a sweep to go on with
        import backprop

        db = shlex.split(command)[3]
        (d / db).parent.mkdir(parents=True, exist_ok=True)
        grid = {"model.activation": ["relu", "tanh"], "epochs": [20]}
        backprop.sweep("square", grid, seeds=10, db=str(d / db), workers=1)
    return d


def test_the_help_texts_hold_examples_of_every_command():
    examples = documented_examples()
    commands = {shlex.split(c)[1] for c, _ in examples if len(shlex.split(c)) > 1}
    sub = next(a for a in build_parser()._actions if a.__class__.__name__ == "_SubParsersAction")
    print(f"\ndocumented examples: {len(examples)} lines over {len(commands)} commands")
    assert commands == set(sub.choices)


def test_every_documented_example_runs(tmp_path, fixtures, long_mode):
    examples = [(c, d) for c, d in documented_examples() if " playground" not in f" {c}"]
    cases = []
    for i, (command, description) in enumerate(examples):
        argv = shlex.split(command)[1:]
        if not long_mode and argv and argv[0] in ("train", "demo"):
            argv += ["--epochs", "3", "--no-plots"]
        d = _folder(tmp_path, i, fixtures, description, command)
        cases.append({"argv": argv, "cwd": str(d), "timeout": 300})
    start = time.perf_counter()
    rows = run_cases(cases, tmp_path, timeout=1800)
    failed = [
        f"{c}: exit {r['code']}: {r['stderr'][-400:]!r}"
        for (c, _), r in zip(examples, rows)
        if r["code"] != 0 or "Traceback" in r["stderr"]
    ]
    mode = "as written" if long_mode else "training capped at 3 epochs, no plots"
    print(f"\ndocumented examples ({mode}): {len(cases)} run, {len(cases) - len(failed)} exit 0 "
          f"in {time.perf_counter() - start:.1f} s")  # fmt: skip
    for f in failed:
        print("  ", f)
    assert not failed


def test_every_documented_playground_example_serves(tmp_path):
    pytest.importorskip("starlette")
    lines = [c for c, _ in documented_examples() if " playground" in f" {c}"]
    served = []
    env = {**os.environ, "BROWSER": "true"}  # --open: a browser that does nothing
    for command in lines:
        argv = shlex.split(command)[1:]
        if "--port" not in argv:
            argv += ["--port", "0"]  # the default 8000 may be taken on a shared machine
        proc = subprocess.Popen(
            [sys.executable, "-m", "backprop", *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
            env=env,
        )
        try:
            line = proc.stdout.readline()  # "backprop playground: serving on http://…"
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if "serving on http://127.0.0.1:" in line:
            served.append(command)
        else:
            print(f"   {command}: {line!r} {proc.stderr.read()[-400:]!r}")
    print(f"\ndocumented playground examples: {len(lines)} started, {len(served)} served")
    assert lines and served == lines
