"""A sweep's worker process: ``python -m backprop.sweep.worker TASK_FD RESULT_FD PARENT``.

It reads chunks of trials (lists of (id, spec JSON)) from the task pipe and writes one
event per trial to the result pipe (``local.run_chunk``), until it reads None, the pipe ends
or its parent is gone. It dies with its parent (Linux ``PR_SET_PDEATHSIG``; elsewhere it
notices between trials) and ignores Ctrl+C, which the parent handles.
"""

from __future__ import annotations

import os
import signal
import sys


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


def main(argv: list[str]) -> int:
    from multiprocessing.connection import Connection

    from .local import run_chunk

    task_fd, result_fd, parent = (int(a) for a in argv[:3])
    _die_with_parent()
    if os.getppid() != parent:  # the parent died before the line above took effect
        return 0
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the parent's to handle
    tasks = Connection(task_fd, writable=False)
    results = Connection(result_fd, readable=False)
    while True:
        if not tasks.poll(1.0):
            if os.getppid() != parent:
                return 0
            continue
        try:
            chunk = tasks.recv()
        except EOFError:
            return 0
        if chunk is None:
            return 0
        for event in run_chunk(chunk):
            if os.getppid() != parent:  # the sweep is gone: nobody would write the result
                return 0
            try:
                results.send(event)
            except (BrokenPipeError, OSError):
                return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
