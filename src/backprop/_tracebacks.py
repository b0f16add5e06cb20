"""Short tracebacks for user mistakes in Jupyter: the user's frames and the message.

A ``BackpropError`` is a mistake in the call (the message names the parameter, the rule, the
value and the fix), so the frames inside backprop that checked it — four or five in a
notebook before the message: ``widget`` → ``start_settings`` → ``from_name`` → ``raise`` —
are noise to the student who made it. IPython (JupyterLab, Notebook, VS Code's notebooks)
asks an exception for ``_render_traceback_``; ``BackpropError`` answers with IPython's own
formatting of the traceback without backprop's frames and one line saying how many were
left out and how to see them (``%xmode verbose``). Nothing else changes:

- a ``BackpropError`` raised from an ``ImportError`` (matplotlib or torch missing) shows
  without that chained error either: its message already names the module and the
  install line, and the chain showed backprop's frame where the import was tried;
- ``fit``'s Ctrl-C (``train.interrupt.FitInterrupted``, a ``KeyboardInterrupt``) shows the
  same way: where it stopped and what is kept, without the engine's frames;
- only ``BackpropError`` and its subclasses (and that interrupt); any other exception from
  inside backprop (a bug) keeps every frame;
- ``%xmode verbose`` shows every frame; ``%debug`` and ``sys.last_traceback`` keep the whole
  traceback (only the display is shortened);
- plain Python, scripts and the CLI print tracebacks as before (the hook is IPython's);
- if anything here fails, the whole traceback is shown as Python formats it.
"""

from __future__ import annotations

import os
import traceback
import types

PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def inside(tb: types.TracebackType) -> bool:
    """Whether this traceback entry is a frame of backprop's own code."""
    return os.path.abspath(tb.tb_frame.f_code.co_filename).startswith(PACKAGE)


def without_library_frames(tb: types.TracebackType | None) -> tuple:
    """A new traceback chain of the entries outside backprop, and how many were left out."""
    kept, hidden = [], 0
    while tb is not None:
        if inside(tb):
            hidden += 1
        else:
            kept.append(tb)
        tb = tb.tb_next
    chain = None
    for entry in reversed(kept):
        chain = types.TracebackType(chain, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return chain, hidden


def chained_import_error(error: BaseException) -> BaseException | None:
    """The ImportError ``error`` was raised from (``from exc`` or inside its ``except``),
    or None. A project error raised from an ImportError says the missing module and the
    install line in its own message, so the chain (ModuleNotFoundError, with backprop's
    frame where the import was tried) adds nothing a student can act on."""
    chained = error.__cause__
    if chained is None and not error.__suppress_context__:
        chained = error.__context__
    return chained if isinstance(chained, ImportError) else None


def render(error: BaseException) -> list[str]:
    """IPython's structured traceback of ``error`` without backprop's frames (and without
    the ImportError it was raised from, by class: ``chained_import_error``)."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
        formatter = shell.InteractiveTB
        tb = error.__traceback__
        if getattr(formatter, "mode", "") == "Verbose":  # %xmode verbose: every frame
            return formatter.structured_traceback(type(error), error, tb)
        short, hidden = without_library_frames(tb)
        cause = chained_import_error(error)
        if short is None or (hidden == 0 and cause is None):
            return formatter.structured_traceback(type(error), error, tb)
        saved = error.__cause__, error.__context__, error.__suppress_context__
        if cause is not None:  # for this display only; %debug and sys.last_value keep it
            error.__cause__, error.__suppress_context__ = None, True
        try:
            stb = formatter.structured_traceback(type(error), error, short)
        finally:
            error.__cause__, error.__context__, error.__suppress_context__ = saved
        parts = []
        if hidden:
            parts.append(f"{hidden} frame{'s' if hidden != 1 else ''} inside backprop")
        if cause is not None:
            parts.append(f"the {type(cause).__name__} it was raised from")
        said = "" if isinstance(error, KeyboardInterrupt) else ": the message says what to change"
        note = f"({' and '.join(parts)} not shown{said}; %xmode verbose shows them)"
        return [*stb[:-1], note, stb[-1]] if stb else [note]
    except Exception:  # never make a traceback worse than Python's own
        return ["".join(traceback.format_exception(type(error), error, error.__traceback__))]
