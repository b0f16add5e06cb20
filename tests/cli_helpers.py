"""Running the command line in-process for tests: ``cli(*argv, cwd=...)`` and ``one_line``.

``cli`` calls ``backprop.cli.app.main`` in the given folder with stdout and stderr captured
and returns ``(exit code, stdout, stderr)``: much faster than a subprocess, for tests that do
not need a fresh process (signals, closed streams and memory caps do). ``one_line`` states
the CLI's rule for a user mistake: exit 2 and exactly one line on stderr, naming the phrases.
"""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path


def cli(*argv, cwd: Path):
    from backprop.cli.app import main

    out, err = io.StringIO(), io.StringIO()
    old = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([str(a) for a in argv])
    finally:
        os.chdir(old)
    return code, out.getvalue(), err.getvalue()


def one_line(code, err, *phrases):
    """Exit status 2 and one error line (backprop's warnings, one line each, may precede
    it: a 2-epoch run is warned that it has not learned yet)."""
    assert code == 2, err
    err = "".join(line for line in err.splitlines(True) if ": warning: " not in line)
    assert err.count("\n") == 1 and err.startswith("backprop "), err
    for phrase in phrases:
        assert phrase in err, (phrase, err)
