"""Helpers the subcommands share: argument types, output folders, loading model files."""

from __future__ import annotations

import argparse
import math

# -- numbers -------------------------------------------------------------------------------
# Every number the command line takes has a bound, checked while the arguments are parsed,
# before any work starts; argparse puts the flag in front of the message ("argument
# --depths: …"). The bounds sit far above any real use and low enough that the work or the
# memory they ask for stays finite; docs/reliability.md ("Bounds") lists them and says why.
# Flags that become spec fields are checked again by the spec schema (spec files too).
MAX_ITEMS = 1000  # values in one comma list or range (layers, depths)
MAX_SEED = 2**63 - 1  # the spec's bound; NumPy takes any size, a backup stores it as JSON
MAX_WHOLE = 10_000_000  # epochs, samples, batch size, --log-every, --backup-every


def _fail(message: str):
    return argparse.ArgumentTypeError(message)


def _fields(text: str, example: str) -> list[str]:
    """The comma-separated fields of ``text``; an empty one is an error, never skipped."""
    fields = [v.strip() for v in text.split(",")]
    if any(not v for v in fields):
        where = "is empty" if not text.strip() else "has an empty field (',,' or a comma at an end)"
        raise _fail(f"{text!r} {where}; give comma-separated values like {example}")
    return fields


# The files' rule for numbers (data.csvtable.to_float) holds on the command line too: ASCII
# decimal forms only. Python's int() and float() also read 1_000 as 1000, '５' (full-width)
# as 5 and '١٢' (Arabic-Indic) as 12; a flag refuses them in words, with the ASCII spelling.
NUMBER_RULE = (
    "numbers on the command line follow the files' rule: ASCII digits 0-9 with a sign, '.' "
    "and an exponent (1000, -0.5, 1e3), no '_' between digits, no other script's digits"
)


def plain_number(field: str, text: str | None = None) -> str:
    """``field`` itself when it keeps the files' rule (or is no number at all, for the
    caller's own refusal); otherwise the refusal, as ``argparse.ArgumentTypeError`` (argparse
    puts the flag in front), naming the value, the rule and the ASCII spelling to give."""
    if field.isascii() and "_" not in field:
        return field
    try:
        meant = repr(float(field))  # what Python would have read: the spelling to give
    except ValueError:
        return field  # not a number in any script: the caller says "not a number"
    if meant.endswith(".0") and "." not in field and "e" not in field.lower():
        meant = meant[:-2]
    inside = "" if text is None or field == text.strip() else f" in {text!r}"
    raise _fail(
        f"{field!r}{inside}: {NUMBER_RULE}; it reads as {meant}: write {meant} if you meant that"
    )


def _int(field: str, text: str, example: str) -> int:
    """A whole number, also written with an exponent or a zero fraction: 1e4, 10000.0."""
    plain_number(field, text)
    try:
        return int(field)
    except ValueError:
        pass
    try:
        value = float(field)
    except ValueError:
        value = math.nan
    if math.isfinite(value) and value.is_integer():
        return int(value)
    inside = "" if field == text.strip() else f" in {text!r}"
    raise _fail(f"{field!r}{inside} is not a whole number; e.g. {example}")


def _in_range(value, low, high, text: str, fix: str):
    if not low <= value <= high:
        inside = "" if str(value) == text.strip() else f" (in {text!r})"
        # a value spelt with an exponent (1e30) is shown short; its spelling follows
        spelt = str(value) in text or abs(value) < 10**15
        shown = f"{value:,}" if spelt else f"{value:.3g}"
        raise _fail(f"must be between {low:,} and {high:,}, got {shown}{inside}; {fix}")
    return value


def ints(low: int, high: int, fix: str, example: str = "1,8,8,1", ranges: bool = True):
    """An argparse type: comma list of whole numbers in [low, high], or a range 2..20[:2]."""

    def parse(text: str) -> list[int]:
        if ranges and ".." in text:
            head, colon, step_text = text.partition(":")
            lo_text, _, hi_text = head.partition("..")
            if not lo_text.strip() or not hi_text.strip() or (colon and not step_text.strip()):
                raise _fail(f"{text!r} is not a range; write it like 2..20 or 2..20:2")
            lo, hi = _int(lo_text, text, "2..20"), _int(hi_text, text, "2..20")
            step = _int(step_text, text, "2..20:2") if colon else 1
            if step < 1 or lo > hi:
                raise _fail(f"{text!r} is an empty range; write it like 2..20 or 2..20:2")
            _in_range(lo, low, high, text, fix)
            _in_range(hi, low, high, text, fix)
            count = (hi - lo) // step + 1
            if count > MAX_ITEMS:
                raise _fail(f"{text!r} holds {count:,} values, more than {MAX_ITEMS}; {fix}")
            return list(range(lo, hi + 1, step))
        fields = _fields(text, example)
        if len(fields) > MAX_ITEMS:
            raise _fail(f"{len(fields):,} values, more than {MAX_ITEMS}; {fix}")
        return [_in_range(_int(v, text, example), low, high, text, fix) for v in fields]

    parse.__name__ = "int_list"
    return parse


# layer sizes: the spec's bound (spec.schema.MAX_WIDTH)
int_list = ints(1, 65_536, "a layer has 1 to 65,536 units")
# hidden sizes only: its example must not be every size (1,8,8,1 is --layers' value)
hidden_list = ints(1, 65_536, "a layer has 1 to 65,536 units", "8,8")


def name_list(text: str) -> list[str]:
    """'relu,tanh' → ['relu', 'tanh']; at least one name, no empty field."""
    return _fields(text, "relu,tanh")


def _float(field: str, text: str) -> float:
    plain_number(field, text)
    try:
        value = float(field)
    except ValueError:
        inside = "" if field == text.strip() else f" in {text!r}"
        raise _fail(f"{field!r}{inside} is not a number; e.g. 0.5, -2 or 1e-3") from None
    if math.isnan(value):
        raise _fail(f"{field!r} is NaN, not a number; give finite numbers")
    if math.isinf(value):
        why = "is infinite" if "inf" in field.lower() else "overflows to infinity (|x| > 1.8e308)"
        raise _fail(f"{field!r} {why}; give finite numbers")
    if value == 0 and any(c in "123456789" for c in field.lower().partition("e")[0]):
        raise _fail(
            f"{field!r} underflows to 0 (no float is nonzero and smaller in size than about "
            "4.9e-324); give a larger number, or 0 if you meant zero"
        )
    return value


def real(text: str) -> float:
    """An argparse type: one finite number; the flag's range is checked by the spec."""
    return _float(text.strip(), text)


def float_list(text: str) -> list[float]:
    """'0.7,-1.2' → [0.7, -1.2]; empty fields, NaN and infinities (1e999) are refused."""
    return [_float(v, text) for v in _fields(text, "0.7,-1.2")]


def number(low: float, high: float, fix: str, *, above: bool = False):
    """An argparse type: one finite number in [low, high] (or (low, high] with ``above``)."""

    def parse(text: str) -> float:
        value = _float(text.strip(), text)
        if value < low or (above and value == low) or value > high:
            left = "(" if above else "["
            raise _fail(f"must be in {left}{low:g}, {high:g}], got {value!r}; {fix}")
        return value

    parse.__name__ = "number"
    return parse


def whole(low: int, high: int, fix: str):
    """An argparse type: one whole number in [low, high]."""

    def parse(text: str) -> int:
        return _in_range(_int(text.strip(), text, str(low)), low, high, text, fix)

    parse.__name__ = "whole"
    return parse


positive_int = whole(1, MAX_WHOLE, "a bound far above real use that keeps every run finite")
epoch_count = whole(0, MAX_WHOLE, "0: the initial weights, untrained; the top keeps runs finite")
seed = whole(0, MAX_SEED, "a seed is a whole number from 0 to 2**63 - 1")
port = whole(0, 65_535, "TCP ports run from 1 to 65535; 0 picks a free one")


def out_dir(requested: str | None, name: str, *, overwrite: bool = False):
    """The run folder to write: ``--out`` or ``runs/<name>-<timestamp>/`` (a ``RunFolder``).

    Nothing is created yet: ``with folder as staging:`` checks it (a non-empty ``--out`` is
    refused unless ``--overwrite``), locks it, and puts the run in place when it ends well.
    """
    from ..spec.runfolder import RunFolder, slug

    if requested is not None:
        return RunFolder(requested, overwrite=overwrite, param="--out",
                         overwrite_flag="--overwrite")  # fmt: skip
    return RunFolder.new(slug(name), "runs", param="name")


VERBOSE_HELP = "also say which engine computed the gradients, and why that one"


def engine_line(history) -> str:
    """'engine: fused: the compiled kernel …' (``--verbose``): the engine that ran and why."""
    engine = getattr(history, "engine", "") or "unknown"
    reason = getattr(history, "engine_reason", None)
    if not reason:
        return f"engine: {engine}"
    return f"engine: {reason}" if reason.startswith(engine) else f"engine: {engine}: {reason}"


# Ctrl+C seen by the CLI's SIGINT handler (signals.catch_signals) and not yet acted on. Numba's
# compiler calls Python through ctypes callbacks (llvmlite's object-cache notify), and ctypes
# drops an exception raised inside one ("Exception ignored on calling ctypes callback"): a
# Ctrl+C during a cold compile vanished and the run trained on (the second trial's "Ctrl+C
# ignored once"). The handler records each one; check_interrupt raises it again.
INTERRUPTED: list = []


def check_interrupt() -> None:
    """Raise ``KeyboardInterrupt`` for a Ctrl+C that was swallowed on its way (see above)."""
    if INTERRUPTED:
        raise KeyboardInterrupt


DIVERGED = 3  # exit status of a run stopped by the NaN guard (2: user error, 1: gradcheck)


def exit_status(command: str, run, advice: str | None = None) -> int:
    """0 for a finished run; ``DIVERGED`` (3), with one line on stderr, if it diverged.
    ``advice`` replaces the line's generic advice (a checked learning rate, ``lrcheck``)."""
    if not run.diverged:
        return 0
    import sys

    h = run.history
    print(
        f"backprop {command}: training diverged in epoch {h.stopped_epoch}, batch "
        f"{h.stopped_batch}; the files hold the {run.kept_weights().split(';')[0]} "
        f"(exit status {DIVERGED}); {advice or _advice(h.stop_reason or '')}.",
        file=sys.stderr,
    )
    return DIVERGED


def _advice(reason: str) -> str:
    """The exit line's advice, taken from the NaN guard's reason so the two never disagree."""
    from ..train.guard import LR_SCHEDULE, LR_TOO_HIGH

    if LR_SCHEDULE in reason:
        return "fix the learning-rate schedule (see 'stopped:' above)"
    if LR_TOO_HIGH in reason:
        return "lower the learning rate"
    return "the likely causes are in the 'stopped:' line above"


class LazyHelp(str):
    """A flag's help computed when --help is shown (``HelpFormatter``), from the rule it
    states: it may import what a run's startup avoids (the optimizers, the data sets)."""

    def __new__(cls, make):
        text = super().__new__(cls, "(computed when shown)")
        text.make = make
        return text


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """``RawDescriptionHelpFormatter`` that computes a ``LazyHelp`` when it is shown."""

    def _get_help_string(self, action):
        text = action.help
        return text.make() if isinstance(text, LazyHelp) else text
