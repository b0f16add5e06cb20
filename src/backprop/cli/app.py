"""Argument parsing, dispatch and the one place where user errors become exit code 2."""

from __future__ import annotations

import argparse
import re
import sys

from ..errors import BackpropError
from . import commands

EPILOG = """examples:
  backprop demo                      the lecture's y = x² run: table, plots, model file
  backprop demo spiral --epochs 200  TensorFlow Playground's spiral
  backprop train spec.json           run an experiment spec
  backprop train --data square --layers 1,8,8,1 --activation relu --lr 0.1 --epochs 2000
  backprop predict runs/square-*/model.safetensors --x 1.5 -2
  backprop summary model.safetensors
  backprop explain scalar            the δ recursion of the lecture's scalar example
  backprop vanishing --depths 2..20  the vanishing-gradient experiment
  backprop gradcheck spec.json       check every parameter's gradient numerically

exit status: 0 done; 1 gradcheck found a wrong gradient; 2 a user error (one line on
stderr); 3 training diverged (train, demo: the files hold the last finite weights).

Run 'backprop COMMAND --help' for a command's options."""


_NEGATIVE_VALUE = re.compile(r"^-(\.?\d|inf|nan)", re.IGNORECASE)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line, 'backprop COMMAND: error: …', exit status 2.

    (argparse itself prints the whole usage block first; the one line points to --help.)
    A word that starts with '-' and then a digit, '.digit', 'inf' or 'nan' is a value, not
    an option: '--x -1,2', '--x -2e3', '--x -.5' (argparse alone knows only -1 and -1.5).
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = _NEGATIVE_VALUE  # argparse reads this attribute

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="backprop",
        description="Multi-layer perceptrons and backpropagation: train, inspect and explain.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"backprop {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in commands.ALL:
        module.add_parser(sub)
    return parser


class _PipeSafe:
    """stdout that keeps the command running when its reader goes away (``| head``).

    The run's files (model, history, plots) still get written; only the printing stops.
    """

    def __init__(self, stream) -> None:
        self._stream = stream
        self._closed = False

    def write(self, text: str) -> int:
        if not self._closed:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self._close()
        return len(text)

    def flush(self) -> None:
        if not self._closed:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._close()

    def _close(self) -> None:
        import os

        self._closed = True
        # point the descriptor at /dev/null so the interpreter's final flush is quiet too
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, self._stream.fileno())
        os.close(devnull)

    def __getattr__(self, name):
        return getattr(self._stream, name)


def main(argv: list[str] | None = None) -> int:
    if not isinstance(sys.stdout, _PipeSafe):
        sys.stdout = _PipeSafe(sys.stdout)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
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
        print("backprop: interrupted", file=sys.stderr)
        return 130


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
    print(f"backprop {command}: error: {message}", file=sys.stderr)
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
