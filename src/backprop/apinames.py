"""The Python API's words for its own arguments: one rule for its keyword errors, and Python's
names in the messages its calls raise.

``python_api(where)`` wraps a public function (``backprop.sweep``, ``sweep.resume``,
``sweep.load``, ``backprop.compare``):

- an unknown keyword is a ``ConfigError`` naming the function, the keyword, a did-you-mean and
  the keywords it takes, plus the function's own hint (``sweep(lr=0.1)``: a spec's setting
  is varied in the grid, ``{"optimizer.lr": [0.1]}``); a wrong count of positional
  arguments too (Python's bare ``TypeError`` named no fix);
- a project error raised inside names the arguments as the caller typed them: the sweep's
  rooms word their messages for the command line (``--success``, ``--no-plots``, ``--db``),
  and ``PYTHON_NAMES`` turns each flag into its keyword (``success=``, ``plots=False``,
  ``db=``) when the call came from Python. The command line runs inside ``cli_names()``
  (cli/app.py), which keeps the flags.

Floor 0: imports only ``errors``.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import inspect
import re

from .errors import BackpropError, ConfigError, did_you_mean

__all__ = ["PYTHON_NAMES", "cli_names", "in_cli", "python_api", "python_words"]

_CLI = contextvars.ContextVar("backprop_cli_names", default=False)


@contextlib.contextmanager
def cli_names():
    """Inside it, messages keep the command line's flags (``backprop`` runs in it)."""
    token = _CLI.set(True)
    try:
        yield
    finally:
        _CLI.reset(token)


def in_cli() -> bool:
    """True inside ``cli_names()`` (the command line): messages name its commands and flags;
    else a Python call, whose messages name Python's (``backprop.run``, not ``backprop train``)."""
    return _CLI.get()


def _resume(match: re.Match) -> str:
    return f"backprop.sweep.resume({match.group(1).strip(chr(39))!r})"


# a command-line flag in a message -> what a Python caller typed; first match wins
PYTHON_NAMES: list[tuple[str, object]] = [
    (r"--no-plots(?: \(plots=False in Python\))?", "plots=False"),
    (r"--success ", "success="),
    (r"--success\b", "success="),
    (r"--seeds ", "seeds="),
    (r"--epochs (\S+) --seeds (\S+) \(--quick\)", r"epochs=\1, seeds=\2 (quick=True)"),
    (r"--epochs ", "epochs="),
    (r"--quick\b", "quick=True"),
    (r"--resume (\S+?)(?=[ ,;:)]|\.(?:\s|$)|$)", _resume),
    (r"a new --db file", "a new db= file"),
    (r"the --db file", "the db= file"),
    (r"--db FILE", "db=FILE"),
    (r"to --db\b", "as db="),
    (r"--db\b", "db="),
    (r"another --out folder", "another out= folder"),
    (r"--out\b", "out="),
    (r"--overwrite\b", "overwrite=True"),
]


# a whole command a message offers ("or run it with backprop train --epochs 0"): kept as typed
COMMAND = re.compile(r"backprop (?:train|sweep|compare|demo|predict|play\w*)\b[^;,()]*")


def python_words(text: str) -> str:
    """``text`` with each command-line flag of ``PYTHON_NAMES`` in its Python form, except in
    a whole command it offers (``backprop train --epochs 0`` stays one)."""
    kept = COMMAND.findall(text)
    parts = COMMAND.split(text)
    for pattern, python in PYTHON_NAMES:
        parts = [re.sub(pattern, python, part) for part in parts]
    return "".join(p + (kept[i] if i < len(kept) else "") for i, p in enumerate(parts))


def _reworded(exc: BackpropError) -> None:
    if exc.args and isinstance(exc.args[0], str):
        exc.args = (python_words(exc.args[0]), *exc.args[1:])
    if isinstance(getattr(exc, "msg", None), str):  # an ImportError's str() is its msg
        exc.msg = python_words(exc.msg)


def python_api(where: str, hint=None):
    """Wrap a public function: keyword and argument errors in the project's words, messages in
    Python's names (see the module). ``hint(keyword)``: a sentence for an unknown keyword."""

    def wrap(func):
        sig = inspect.signature(func).replace(return_annotation=inspect.Signature.empty)
        kinds = inspect.Parameter
        named = [
            n
            for n, p in sig.parameters.items()
            if p.kind in (kinds.POSITIONAL_OR_KEYWORD, kinds.KEYWORD_ONLY)
        ]

        @functools.wraps(func)
        def call(*args, **kwargs):
            for key in kwargs:
                if key not in named:
                    said = hint(key) if hint is not None else ""
                    raise ConfigError(
                        f"{where}({key}=...): not a keyword of {where}.{did_you_mean(key, named)}"
                        f"{said} Its keywords: {', '.join(named)}."
                    )
            try:
                sig.bind(*args, **kwargs)
            except TypeError as exc:
                raise ConfigError(f"{where}: {exc}; call it as {where}{sig}.") from None
            if _CLI.get():
                return func(*args, **kwargs)
            try:
                return func(*args, **kwargs)
            except BackpropError as exc:
                _reworded(exc)
                raise

        return call

    return wrap
