"""Ctrl+C is never lost (issue 15, second trial: "Ctrl+C ignored once"). Numba's compiler
runs Python inside ctypes callbacks (llvmlite's object-cache notify); ctypes drops an
exception raised there, so a Ctrl+C that landed during a cold compile vanished and the run
trained on to the end. Reproduced by sending SIGINT at random moments of a cold compile;
here made exact: the process sends itself SIGINT while Python runs inside a ctypes callback
(libc's qsort calling a Python comparator), just before training starts."""

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import ctypes, os, signal, sys, time
    import backprop.train as train

    real_fit = train.fit

    def swallowed_interrupt():
        libc = ctypes.CDLL(None)
        compare = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)

        def python_in_a_callback(a, b):  # as llvmlite's _raw_object_cache_notify
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.2)  # the handler runs here; ctypes drops its KeyboardInterrupt
            return 0

        items = (ctypes.c_int * 2)(2, 1)
        libc.qsort(items, 2, ctypes.sizeof(ctypes.c_int), compare(python_in_a_callback))

    def fit(*args, **kwargs):
        swallowed_interrupt()
        return real_fit(*args, **kwargs)

    train.fit = fit
    from backprop.cli import main

    sys.exit(main(sys.argv[1:]))
    """
)


def _default_sigint() -> None:
    """The child's Ctrl+C as a terminal gives it: a test run started in the background by a
    non-interactive shell (``pytest &``) inherits SIGINT ignored, and so would the child."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_a_ctrl_c_swallowed_by_a_ctypes_callback_still_stops_the_run(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, "train", "square", "--epochs", "300", "--engine",
         "delta", "--no-plots", "--out", "run"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, preexec_fn=_default_sigint,
    )  # fmt: skip
    assert done.returncode == 130, (done.returncode, done.stdout[-500:], done.stderr[-1500:])
    assert "backprop: interrupted (nothing saved" in done.stderr
    assert "Traceback" not in done.stderr  # the dropped one is not shown as a crash
    assert not (tmp_path / "run").exists()


def test_ctrl_c_with_a_backup_says_it_is_kept_and_how_to_resume(tmp_path):
    """With --backup, Ctrl+C said only "backprop: interrupted" (issue 15, fourth trial): it now
    names the folder and that the same command resumes — and the same command does resume."""
    import signal
    import subprocess
    import sys
    import time

    argv = [sys.executable, "-m", "backprop", "train", "--data", "square", "--epochs",
            "3000000", "--no-plots", "--backup", "bk", "--out", "run"]  # fmt: skip
    proc = subprocess.Popen(argv, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=_default_sigint)  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any((tmp_path / "bk").glob("*")):
        time.sleep(0.2)  # until the first backup is on disk
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "the backup in bk is kept: run the same command again to resume" in err, err
