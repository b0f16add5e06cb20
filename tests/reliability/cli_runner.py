"""Run many command lines in one child process: the CLI's ``main()`` in-process, one at a time.

Each case is ``{"argv": [...], "cwd": dir, "timeout": s}``; the child changes into ``cwd``,
runs ``main(argv)`` with stdout and stderr captured, an alarm after ``timeout`` seconds and
the address space capped (4 GB unless ``cap`` says otherwise; so a run that would
allocate without bound fails fast instead of swapping the machine), and writes one JSON
line per case: exit code (or ``"timeout"`` / ``"raised"``), stderr, the end of stdout and
the seconds it took. One child for all cases pays the import once; a case that hangs costs
only its alarm.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import contextlib, glob, io, json, os, resource, signal, sys, time, traceback
cap = int(sys.argv[3]) if len(sys.argv) > 3 else 4 << 30
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
from backprop.cli.app import main

class Timeout(BaseException):
    pass

def alarm(*_):
    raise Timeout()

signal.signal(signal.SIGALRM, alarm)
cases = json.load(open(sys.argv[1]))
with open(sys.argv[2], "w") as results:
    for case in cases:
        os.chdir(case["cwd"])
        argv = []
        for word in case["argv"]:  # what the user's shell would do with a glob
            found = sorted(glob.glob(word)) if "*" in word else []
            argv += found or [word]
        out, err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8"), io.StringIO()
        start = time.perf_counter()
        signal.alarm(case["timeout"])
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        except Timeout:
            code = "timeout"
        except BaseException:
            code = "raised"
            err.write(traceback.format_exc())
        finally:
            signal.alarm(0)
        seconds = time.perf_counter() - start
        out.flush()
        text = out.buffer.getvalue()[-400:].decode("utf-8", "replace")
        row = {"code": code, "stderr": err.getvalue()[-3000:], "stdout": text, "seconds": seconds,
               "stdout_bytes": len(out.buffer.getvalue())}
        results.write(json.dumps(row) + "\n")
        results.flush()
"""


def run_cases(cases: list[dict], work: Path, timeout: int = 900, cap: int = 4 << 30) -> list[dict]:
    """Run ``cases`` in one child under an address-space ``cap`` (bytes); returns one result
    dict per case, in order."""
    spec = work / "cases.json"
    spec.write_text(json.dumps(cases))
    out = work / "results.jsonl"
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(spec), str(out), str(cap)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    rows = [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []
    assert len(rows) == len(cases), (done.returncode, done.stderr[-2000:])
    return rows
