"""The command line's signals: SIGTERM and SIGHUP end a command as Ctrl+C does, and no
Ctrl+C is lost.

``catch_signals`` (called by ``app.main``) turns SIGTERM and SIGHUP into ``Terminated`` so
that cleanups run, and records every SIGINT in ``common.INTERRUPTED`` before raising
``KeyboardInterrupt`` as Python's own handler does: numba's compiler runs Python inside
ctypes callbacks (llvmlite's object-cache notify), ctypes drops an exception raised there,
and a Ctrl+C during a cold compile used to vanish (the run trained on to the end). The
training commands call ``common.check_interrupt``, which raises it again.
"""

from __future__ import annotations

import sys


class Terminated(BaseException):
    """SIGTERM or SIGHUP, raised in the main thread so that cleanups run as on Ctrl+C."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


SIGNALS = {"SIGTERM": "terminated", "SIGHUP": "hung up"}


def catch_signals() -> dict:
    """Turn SIGTERM and SIGHUP into ``Terminated`` (once: a second one during the cleanup is
    ignored), and record each SIGINT before raising ``KeyboardInterrupt`` as Python does
    (``common.INTERRUPTED``: a swallowed one is raised again); returns the previous handlers.
    Outside the main thread nothing changes."""
    import signal

    fired = []

    def handler(signum, frame):
        if not fired:
            fired.append(signum)
            raise Terminated(signum)

    previous = {}
    for name in SIGNALS:
        signum = getattr(signal, name, None)
        if signum is None:
            continue
        try:
            previous[signum] = signal.signal(signum, handler)
        except ValueError:  # not the main thread
            return previous
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        from .common import INTERRUPTED

        def interrupt(signum, frame):  # Python's own, and a record a ctypes callback can't eat
            INTERRUPTED.append(signum)
            raise KeyboardInterrupt

        previous[signal.SIGINT] = signal.signal(signal.SIGINT, interrupt)
        previous["unraisablehook"] = sys.unraisablehook
        sys.unraisablehook = _quiet_interrupts(sys.unraisablehook)
    return previous


def _quiet_interrupts(hook):
    """``sys.unraisablehook`` without the traceback of a Ctrl+C a ctypes callback dropped
    ("Exception ignored on calling ctypes callback function"): it is raised again
    (``common.check_interrupt``) and ends in one 'backprop: interrupted' line."""

    def quiet(unraisable) -> None:
        if not isinstance(unraisable.exc_value, KeyboardInterrupt):
            hook(unraisable)

    return quiet


def restore_signals(previous: dict) -> None:
    import signal

    for signum, handler in previous.items():
        if signum == "unraisablehook":
            sys.unraisablehook = handler
            continue
        signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
