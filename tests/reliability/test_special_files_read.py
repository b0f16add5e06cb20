"""Issue 12, item 6: special files as INPUT — every path argument that reads.

Every reader (``io.read``, ``backprop.load``, ``spec.load``, ``data.from_csv``,
``backup_file.read`` and the CLI's ``predict MODEL``, ``summary``, ``explain``,
``gradcheck MODEL|SPEC``, ``export``, ``train SPEC``, ``train --csv``, ``predict --input``)
gets a regular file, a symlink to one, a missing path, a folder, a FIFO, ``/dev/zero`` and
``/dev/null`` through symlinks, ``mknod`` copies of them (root), a socket, a dangling
symlink, a symlink loop and a path under a file. Judged against the issue's rules: a regular
file works; anything else is refused promptly (no hang: an alarm per case, a subprocess
timeout) with our ``PathError`` (library) or exit 2 and one line naming the path (CLI), the
message saying what the path is; peak memory grows by less than 512 MiB (``/dev/zero`` read
whole would take GiBs; the child runs under an address-space limit so it cannot). The cases
run in one child process, in-process (``cli.main``); a sample (all in long mode) runs again
as real ``python -m backprop`` subprocesses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .special_read_harness import KINDS, READERS, ROOT, make_inputs

HARNESS = Path(__file__).with_name("special_read_harness.py")
MAX_GROWTH_KIB = 512 * 1024  # torch and a 2-epoch training take ~170 MiB


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("special-read")
    return folder, make_inputs(folder / "in")


def _cases(folder: Path, paths: dict) -> list[dict]:
    cases = []
    for reader, (what, template) in READERS.items():
        for kind, path in paths[what].items():
            case_id = f"{reader} | {kind}"
            out = folder / "out" / f"{len(cases)}"
            argv = None
            if template != "lib":
                model = paths["model"]["regular"]
                argv = [a.format(P=path, MODEL=model, OUT=out) for a in template]
            cases.append({"id": case_id, "reader": reader, "kind": kind, "path": path,
                          "argv": argv})  # fmt: skip
    return cases


def _problems(case: dict, result: dict) -> list[str]:
    """What is wrong with one result (empty: as the issue requires)."""
    words = KINDS[case["kind"]]
    outcome = result.get("outcome")
    if outcome == "hang":
        return ["hung (no answer within the alarm)"]
    if outcome == "raw":
        return [f"raised {result['type']}: {result['message'][:120]}"]
    if case["argv"] is None:  # library
        if words is None:
            return [] if outcome == "ok" else [f"refused a regular file: {result.get('message')}"]
        if outcome != "error":
            return ["accepted it"]
        message = result["message"]
        found = []
        if not result["path_error"]:
            found.append(f"{result['type']} is not a PathError")
        if not any(w in message.lower() for w in words):
            found.append(f"message does not say {words[0]!r}: {message[:160]}")
        if case["path"] not in message:
            found.append(f"message does not name the path: {message[:160]}")
        return found
    code, stderr = result["code"], result["stderr"]
    if words is None:
        return [] if code == 0 else [f"exit {code} on a regular file: {stderr.strip()[:160]}"]
    found = []
    lines = stderr.strip().splitlines()
    command = case["argv"][0]
    if code != 2:
        found.append(f"exit {code}, expected 2")
    if len(lines) != 1 or not lines[0].startswith(f"backprop {command}: error: "):
        found.append(f"stderr is not one 'backprop {command}: error:' line: {stderr[:200]!r}")
    elif not any(w in lines[0].lower() for w in words):
        found.append(f"the line does not say {words[0]!r}: {lines[0][:160]}")
    elif case["path"] not in lines[0]:
        found.append(f"the line does not name the path: {lines[0][:160]}")
    return found


def _run_child(folder: Path, cases: list[dict], timeout: float) -> tuple[dict, dict]:
    cases_file = folder / "cases.json"
    cases_file.write_text(json.dumps(cases))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [
        str(HARNESS.parent), os.environ.get("PYTHONPATH")]))}  # fmt: skip
    try:
        done = subprocess.run(
            [sys.executable, str(HARNESS), str(cases_file)],
            capture_output=True, text=True, timeout=timeout, cwd=folder, env=env,
        )  # fmt: skip
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"the child did not finish in {timeout} s: {str(error.stdout)[-500:]}")
    results, tail = {}, {}
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            item = json.loads(line)
            if "id" in item:
                results[item["id"]] = item
            else:
                tail = item
    assert tail, f"the child died (exit {done.returncode}): {done.stderr[-1500:]}"
    return results, tail


def test_every_reader_on_every_special_file(inputs, count):
    folder, paths = inputs
    cases = _cases(folder, paths)
    results, tail = _run_child(folder, cases, timeout=300)
    bad = {}
    for case in cases:
        result = results.get(case["id"], {"outcome": "hang"})  # missing: the child stopped
        for problem in _problems(case, result):
            bad.setdefault(case["id"], []).append(problem)
    readers = len(READERS)
    kinds = len(paths["model"])
    refused = sum(1 for c in cases if KINDS[c["kind"]] is not None and c["id"] not in bad)
    worked = sum(1 for c in cases if KINDS[c["kind"]] is None and c["id"] not in bad)
    growth = tail["rss_growth_kib"] / 1024
    skipped = "" if ROOT else " (mknod devices skipped: not root)"
    print(
        f"special files (read): {len(cases)} cases ({readers} readers x {kinds} kinds"
        f"{skipped}), {worked} regular read, {refused} refused with the path named, "
        f"{len(bad)} wrong; peak RSS growth {growth:.0f} MiB"
    )
    for case_id, problems in list(bad.items())[:25]:
        print(f"  {case_id}: {'; '.join(problems)}")
    assert not bad, f"{len(bad)} cases wrong, first: {next(iter(bad.items()))}"
    assert tail["rss_growth_kib"] < MAX_GROWTH_KIB, f"peak RSS grew by {growth:.0f} MiB"


def _limit_memory() -> None:
    """In the child before exec: at most 4 GiB of address space (a reader that swallows
    /dev/zero fails there instead of taking the machine's memory)."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (4 * 1024**3, resource.RLIM_INFINITY))


def test_real_subprocesses_return_promptly(inputs, count):
    folder, paths = inputs
    cases = [c for c in _cases(folder, paths) if c["argv"] is not None]
    cases = [c for c in cases if KINDS[c["kind"]] is not None]
    sample = ["fifo", "zero-link", "link-fifo", "directory", "socket"]
    if count(1, 0) == 1:  # fast: a few commands on the kinds that hung or blew up
        cases = [c for c in cases if c["kind"] in sample[:2]]
        cases = [c for c in cases if c["reader"] in ("predict MODEL", "train SPEC")]
    env = {**os.environ, "COLUMNS": "200"}
    bad = []
    for case in cases:
        try:
            done = subprocess.run(
                [sys.executable, "-m", "backprop", *case["argv"]],
                capture_output=True, text=True, timeout=20, cwd=folder, env=env,
                preexec_fn=_limit_memory,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            bad.append(f"{case['id']}: no answer in 20 s")
            continue
        result = {"outcome": "exit", "code": done.returncode, "stderr": done.stderr}
        bad += [f"{case['id']}: {p}" for p in _problems(case, result)]
    print(f"special files (read, subprocesses): {len(cases)} cases, {len(bad)} wrong")
    for line in bad[:10]:
        print(f"  {line}")
    assert not bad
