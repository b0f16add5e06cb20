"""A sweep's success criterion: read ``"loss<1e-3"``, refuse one no trial can meet, mark a trial.

``parse_success`` turns the text of ``--success`` (``success=`` in Python) into (metric,
comparison, number), refusing a metric ``train.metrics`` does not record (did-you-mean), a
number not written in ASCII decimal digits and a threshold outside the metric's range;
``_mark`` says whether a finished trial meets it. Whether the trials record that metric at
all is ``criteria``'s check; the success column is ``results``'.
"""

from __future__ import annotations

import math
import operator
import re

from ..errors import ConfigError

_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_CRITERION = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(<=|>=|<|>)\s*(\S+)\s*$", re.ASCII)


def _ascii_number(text: str, number: str, form: str) -> float:
    """The criterion's threshold by the files' rule for numbers (``csvtable.to_float``, as
    every number flag reads since the command line took it): ASCII decimal forms only.
    Python's float reads '１' (full-width) and '1_0' too; those are refused with the ASCII
    spelling meant. NaN for no number at all (the caller says so)."""
    from ..data.csvtable import to_float

    value = to_float(number)
    if value is not None:
        return value
    try:
        meant = repr(float(number))
    except ValueError:
        return math.nan
    raise ConfigError(
        f"--success {text!r}: {number!r} is not written in ASCII decimal digits (numbers "
        "follow the files' rule: digits 0-9 with a sign, '.' and an exponent, no '_', no "
        f"other script's digits); it reads as {meant}: write that if you meant it."
    )


def parse_success(text: str | None):
    """'loss<1e-3' → ('loss', '<', 0.001); None stays None. A bad criterion says the form."""
    if text is None:
        return None
    from ..train.metrics import METRIC_NAMES

    form = "write it as METRIC<NUMBER, e.g. 'loss<1e-3' or 'r2>=0.99'"
    match = _CRITERION.match(text) if isinstance(text, str) else None
    if match is None:
        raise ConfigError(f"--success {text!r}: not a criterion; {form}.")
    name, op, number = match.groups()
    if name not in METRIC_NAMES:
        from ..errors import did_you_mean

        hint = did_you_mean(name, METRIC_NAMES)
        starts = [m for m in METRIC_NAMES if m.startswith(name.lower())] if len(name) > 1 else []
        if not hint and starts:  # 'acc' for accuracy, 'val_acc' for val_accuracy
            hint = f" Did you mean {starts[0]!r}?"
        raise ConfigError(
            f"--success {text!r}: {name!r} is not a metric; one of {', '.join(METRIC_NAMES)}.{hint}"
        )
    value = _ascii_number(text, number, form)
    mantissa = number.lower().split("e")[0]  # judged on the text, as --grid's numbers are
    if math.isinf(value) or (value == 0.0 and any(d in mantissa for d in "123456789")):
        size = "large" if math.isinf(value) else "small"
        raise ConfigError(
            f"--success {text!r}: {number!r} is too {size} for a float (it would read as "
            f"{value}); a float holds sizes from about 5e-324 to 1.8e308."
        )
    if not math.isfinite(value):
        raise ConfigError(f"--success {text!r}: {number!r} is not a finite number; {form}.")
    _reachable(text, name, op, value)
    return name, op, value


# each metric's range: (lowest, highest) it can take (None: unbounded on that side)
_RANGES = {"loss": (0.0, None), "accuracy": (0.0, 1.0), "rmse": (0.0, None), "r2": (None, 1.0)}


def _reachable(text: str, name: str, op: str, value: float) -> None:
    """Refuse a criterion no trial can meet (``accuracy>90``: accuracy is 0 to 1;
    ``loss<-1``: a loss is never negative), naming the metric's range."""
    lo, hi = _RANGES[name.removeprefix("val_")]
    never = (
        (op == ">" and hi is not None and value >= hi)
        or (op == ">=" and hi is not None and value > hi)
        or (op == "<" and lo is not None and value <= lo)
        or (op == "<=" and lo is not None and value < lo)
    )
    if not never:
        return
    span = (
        f"from {lo:g} to {hi:g}"
        if lo is not None and hi is not None
        else f"{lo:g} or more"
        if lo is not None
        else f"at most {hi:g}"
    )
    fix = (
        f"a fraction: for 90 % write '{name}>0.9'"
        if name.endswith("accuracy") and value > 1
        else f"give a threshold inside that range, e.g. '{_example(name)}'"
    )
    raise ConfigError(f"--success {text!r}: no trial can meet it: {name} is {span}; {fix}.")


def _example(name: str) -> str:
    base = name.removeprefix("val_")
    return name + {"loss": "<1e-3", "accuracy": ">0.9", "rmse": "<1e-3", "r2": ">=0.99"}[base]


def _mark(trial: dict, criterion) -> bool | None:
    """Whether a finished trial meets ``criterion`` (a diverged one never does)."""
    if criterion is None:
        return None
    name, op, value = criterion
    metrics = trial.get("metrics") or {}
    got = metrics.get(name)
    if got is None or metrics.get("diverged") or not math.isfinite(got):
        return False
    return bool(_OPS[op](got, value))
