"""Argument parsing, dispatch and the one place where user errors become exit code 2.

Also where the command meets its process: standard streams that are closed or fail
(``_SafeStream``: printing stops, a run goes on) and SIGTERM/SIGHUP, which unwind like
Ctrl+C so run folders and backups clean up (exit 128 + the signal).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys

from ..errors import BackpropError
from . import commands
from .parser import Parser
from .signals import SIGNALS, Terminated, catch_signals, restore_signals

EPILOG = """examples:
  backprop demo                      the lecture's y = x² run: table, plots, model file
  backprop demo --out runs/square    the same, its files in runs/square/
  backprop demo spiral --epochs 200  TensorFlow Playground's spiral
  backprop train spec.json           run an experiment spec
  backprop train --data square --layers 1,8,8,1 --activation relu --lr 0.1 --epochs 2000
  backprop predict runs/square/model.safetensors --x 1.5 -2
  backprop summary model.safetensors
  backprop explain scalar            the δ recursion of the lecture's scalar example
  backprop vanishing --depths 2..20  the vanishing-gradient experiment
  backprop gradcheck spec.json       check every parameter's gradient numerically

exit status: 0 done; 1 gradcheck found a wrong gradient; 2 a user error (one line on
stderr); 3 training diverged (train, demo: the files hold the last good weights); 130
Ctrl+C, 143 SIGTERM, 129 SIGHUP (what the run had half-written is removed first).

Run 'backprop COMMAND --help' for a command's options."""


_EVERY = "every command"


def build_parser(command: str | None = _EVERY) -> argparse.ArgumentParser:
    """The parser of every command (the default), or of ``command`` only: the others get a
    stub that carries their one-line help, enough for ``backprop --help`` and for naming
    them, so a command does not pay for building (and importing) what it does not use.
    ``command=None``: stubs only (no command was named)."""
    parser = Parser(
        prog="backprop",
        description="Multi-layer perceptrons and backpropagation: train, inspect and explain.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"backprop {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for module in commands.ALL:
        name = module.__name__.rpartition(".")[2]
        if command in (_EVERY, name):
            module.add_parser(sub)
        else:
            sub.add_parser(name, help=module.HELP)
    parser.commands = dict(sub.choices)  # name -> its parser, for errors that name it
    return parser


def _command_named(argv: list[str] | None) -> str | None:
    """The command in ``argv``: the first word that is not an option (the top-level options,
    --help and --version, take no value). None when there is none or it is not a command."""
    words = sys.argv[1:] if argv is None else argv
    first = next((w for w in words if not w.startswith("-")), None)
    return first if first in commands.NAMES else None


class _SafeStream:
    """stdout or stderr that never crashes the command: its failure ends the printing.

    A stream closed before the start (``>&-``) is /dev/null. A reader that goes away
    (``| head``: EPIPE) ends the printing quietly, the reader's choice. Any other failure of
    stdout (ENOSPC, EIO) also ends the printing, then depends on what stdout is for: the
    log of a run (``log``: train, demo, playground) — one line on stderr says that printing
    stopped, the run goes on, its files are written and the exit status is the run's; the
    command's product (predictions, a summary, ``--out -``) — ``failed`` holds the error and
    ``main`` turns it into one error line and exit status 2, as a failed write of a file
    would. A failing stderr is silenced.
    """

    def __init__(self, stream, name: str) -> None:
        self._stream = stream
        self._name = name
        self._closed = stream is None
        self.command = "backprop"  # the prefix of the line that says printing stopped
        self.log = False
        self.failed: OSError | None = None
        self.cut = False  # stdout's reader went away (EPIPE): progress.say_folder_if_cut

    def write(self, text: str) -> int:
        if not self._closed:
            try:
                return self._stream.write(text)
            except (OSError, ValueError) as exc:  # ValueError: the file object was closed
                self._stop(exc)
        return len(text)

    def flush(self) -> None:
        if not self._closed:
            try:
                self._stream.flush()
            except (OSError, ValueError) as exc:
                self._stop(exc)

    def isatty(self) -> bool:
        try:
            return not self._closed and self._stream.isatty()
        except (OSError, ValueError):
            return False

    def _stop(self, exc: Exception) -> None:
        import errno
        import os

        self._closed = True
        # point the descriptor at /dev/null so the interpreter's final flush is quiet too
        try:
            fd = self._stream.fileno()
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, fd)
            os.close(devnull)
        except (OSError, ValueError, AttributeError):  # no descriptor (a StringIO, a test)
            pass
        if self._name != "stdout":
            return
        if getattr(exc, "errno", None) == errno.EPIPE:
            self.cut = True  # quiet now; a run's log says its folder on stderr at the end
            return
        self.failed = exc if isinstance(exc, OSError) else OSError(str(exc))
        if self.log:
            print(
                f"{self.command}: stdout: {_os_cause(self.failed)}; printing stopped, the run "
                "goes on",
                file=sys.stderr,
                flush=True,
            )

    def __getattr__(self, name):
        if self._stream is None:
            raise AttributeError(f"{self._name} is closed, it has no {name}")
        return getattr(self._stream, name)


def _os_cause(exc: OSError) -> str:
    from ..files import explain

    return explain(exc)[0]


LOG_COMMANDS = ("train", "demo", "playground")  # stdout is a log; the product is elsewhere


def _reserve_standard_descriptors() -> None:
    """Open /dev/null on a closed descriptor 0, 1 or 2 (``>&-``), so that no file the
    command opens later (a lock, a model) gets that number and receives its printing."""
    import os

    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            try:
                opened = os.open(os.devnull, os.O_RDWR)
            except OSError:
                return
            if opened != fd:
                os.dup2(opened, fd)
                os.close(opened)


def main(argv: list[str] | None = None) -> int:
    _reserve_standard_descriptors()
    saved = sys.stdout, sys.stderr
    opened: list = []  # /dev/null for a stream closed before the start (>&-)
    out, err = (_safe(stream, name, opened) for stream, name in zip(saved, ("stdout", "stderr")))
    sys.stdout, sys.stderr = out, err
    previous = catch_signals()
    try:
        exiting = None
        try:
            from ..apinames import cli_names

            with cli_names():  # the library's messages keep the flags (apinames.python_api)
                code = _main(argv, out)
        except SystemExit as exc:  # argparse: --help, --version, a usage error
            exiting, code = exc, exc.code
        out.flush()
        if out.failed is not None and not out.log and code in (0, 1, None):
            # the command's product did not reach stdout: an error, like a failed file write
            prefix = out.command.replace("backprop", "", 1).strip()
            from ..files import explain

            cause, fix = explain(out.failed)
            code = _user_error(prefix, f"stdout: {cause}, the output is incomplete; {fix}.")
            exiting = exiting and SystemExit(code)
        if exiting is not None:
            raise exiting
        return code
    except Terminated as exc:
        import signal

        from .progress import stop_bars

        stop_bars()  # the cursor back, the prompt on its own line
        print(f"backprop: {SIGNALS[signal.Signals(exc.signum).name]}", file=sys.stderr)
        return 128 + exc.signum
    finally:
        restore_signals(previous)
        from .common import INTERRUPTED

        INTERRUPTED.clear()
        out.flush()
        err.flush()
        sys.stdout, sys.stderr = saved
        for stream in opened:
            stream.close()
        if argv is None:  # the process's own command: it ends when this returns
            _leave_heap_to_exit()


def _leave_heap_to_exit() -> None:
    """Freeze the garbage collector's heap (``gc.freeze``) as the command returns to the
    console script (``sys.exit(main())``): the objects of the run die with the process, and
    the interpreter's exit no longer traces them through its final collections (measured,
    demo square --no-plots under load 6: 48 -> 15 ms from main's return to the process's end,
    median of 7). atexit handlers still run, files are already closed, and streams are still
    flushed by the interpreter. Only when ``argv`` is None: a caller that passes its argv (a
    test, a notebook) keeps a collectable heap."""
    import gc

    gc.freeze()


def _safe(stream, name: str, opened: list) -> _SafeStream:
    """``stream`` wrapped once; a closed one (None) becomes /dev/null, data output included
    (``--output -`` with stdout closed is written nowhere, as with ``> /dev/null``)."""
    if isinstance(stream, _SafeStream):
        return stream
    if stream is None:
        import os

        try:
            stream = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 (closed in main)
            opened.append(stream)
        except OSError:
            pass
    return _SafeStream(stream, name)


def _main(argv: list[str] | None, out: _SafeStream) -> int:
    parser = build_parser(_command_named(argv))
    args, extra = parser.parse_known_args(argv)
    if extra:  # the command's own parser names itself and its --help, and the nearest flag
        own = parser.commands.get(getattr(args, "command", None), parser)
        from .manyfiles import several_files

        words = sys.argv[1:] if argv is None else [str(w) for w in argv]
        several = several_files(own, args, extra, words)
        if several:
            own.error(several)
        own.command_words = words  # a hint may need the command's other words (demo's name)
        own.unrecognized(extra)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    out.command = f"backprop {args.command}"
    out.log = args.command in LOG_COMMANDS
    try:
        with _warnings_as_lines(args.command):
            getattr(parser, "commands", {}).get(args.command, parser).refuse_empty_paths(args)
            return int(args.run(args) or 0)
    except BackpropError as exc:
        return _user_error(args.command, str(exc))
    except OSError as exc:  # on a path the user chose: one line, never a traceback
        return _user_error(args.command, _os_error(exc))
    except MemoryError as exc:
        detail = f" ({exc})" if str(exc) else ""
        return _user_error(
            args.command,
            f"out of memory{detail}; ask for a smaller dataset, model or batch.",
        )
    except KeyboardInterrupt:
        from .progress import stop_bars

        stop_bars()  # the cursor back, the prompt on its own line
        lost = " (nothing saved; --backup DIR makes a run resumable)" if _training(argv) else ""
        kept = _backup_folder(argv)
        if kept and os.path.isdir(kept) and os.listdir(kept):  # a backup was written: it stays
            lost = f" (the backup in {kept} is kept: run the same command again to resume)"
        print(f"backprop: interrupted{lost}", file=sys.stderr)
        return 130


@contextlib.contextmanager
def _warnings_as_lines(command: str):
    """backprop's own warnings (``errors.BackpropWarning``) as one line each on stderr,
    ``backprop train: warning: ...``, once per message, instead of Python's
    ``file:line: Category: message`` with a source line."""
    import warnings

    from ..errors import BackpropWarning
    from .words import cli_words

    shown: set = set()
    previous = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if not issubclass(category, BackpropWarning):
            return previous(message, category, filename, lineno, file, line)
        text = cli_words(str(message))
        if text not in shown:
            shown.add(text)
            print(f"backprop {command}: warning: {text}", file=sys.stderr)

    with warnings.catch_warnings():
        warnings.simplefilter("always", BackpropWarning)
        warnings.showwarning = show
        yield


def _training(argv) -> bool:
    """Whether the command was a training without --backup (its work ends with it)."""
    words = sys.argv[1:] if argv is None else [str(w) for w in argv]
    command = next((w for w in words if not w.startswith("-")), None)
    return command in ("train", "demo") and "--backup" not in words


def _backup_folder(argv) -> str | None:
    """The --backup folder of a train/demo command line, or None."""
    words = sys.argv[1:] if argv is None else [str(w) for w in argv]
    command = next((w for w in words if not w.startswith("-")), None)
    if command not in ("train", "demo"):
        return None
    for i, word in enumerate(words):
        if word == "--backup" and i + 1 < len(words):
            return words[i + 1]
        if word.startswith("--backup="):
            return word.split("=", 1)[1]
    return None


_PLAIN = (FileNotFoundError, IsADirectoryError, PermissionError, NotADirectoryError)


def _os_error(exc: OSError) -> str:
    """One line for an OSError: what went wrong, on which path(s), and the fix."""
    paths = [p for p in (exc.filename, exc.filename2) if p is not None]
    where = ": " + " -> ".join(str(p) for p in paths) if paths else ""
    if isinstance(exc, _PLAIN):
        return f"{exc.strerror or exc}{where}"
    from ..files import explain

    cause, fix = explain(exc)
    return f"{cause}{where}; {fix}."


def _user_error(command: str, message: str) -> int:
    from ..textrules import escape
    from .words import cli_words

    message = escape(cli_words(message), keep="\n\t")  # no bidi override turns the line
    print(f"backprop{' ' if command else ''}{command}: error: {message}", file=sys.stderr)
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
