"""Helpers the subcommands share: argument types, output folders, loading model files."""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
from pathlib import Path

from ..errors import ConfigError


def int_list(text: str) -> list[int]:
    """'1,8,8,1' → [1, 8, 8, 1]; '2..20' → [2, 3, …, 20]; '2..20:2' → [2, 4, …, 20]."""
    try:
        if ".." in text:
            head, _, step = text.partition(":")
            lo, hi = head.split("..")
            values = list(range(int(lo), int(hi) + 1, int(step) if step else 1))
        else:
            values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        values = []
    if not values:
        raise argparse.ArgumentTypeError(
            f"expected whole numbers like 1,8,8,1 or a range like 2..20, got {text!r}"
        )
    return values


def name_list(text: str) -> list[str]:
    """'relu,tanh' → ['relu', 'tanh']; at least one name."""
    names = [v.strip() for v in text.split(",") if v.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"expected one or more names like relu,tanh, got {text!r}")
    return names


def float_list(text: str) -> list[float]:
    """'0.7,-1.2' → [0.7, -1.2]; NaN and infinities are refused (they would be traced as is)."""
    try:
        values = [float(v) for v in text.replace(",", " ").split()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers, got {text!r}") from None
    if not values:
        raise argparse.ArgumentTypeError(f"expected one or more numbers, got {text!r}")
    if not all(math.isfinite(v) for v in values):
        raise argparse.ArgumentTypeError(f"expected finite numbers, got {text!r}")
    return values


def _whole_number(text: str, low: int, rule: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < low:
        raise argparse.ArgumentTypeError(f"must be {rule}, got {value}")
    return value


def positive_int(text: str) -> int:
    return _whole_number(text, 1, "at least 1")


def seed(text: str) -> int:
    """A seed: a whole number from 0 (NumPy's generators take no negative seeds)."""
    return _whole_number(text, 0, "0 or more")


def out_dir(requested: str | None, name: str) -> Path:
    """``--out`` or ``runs/<name>-<timestamp>/``, created."""
    if requested:
        path = Path(requested)
    else:
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        path = Path("runs") / f"{name}-{stamp}"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise ConfigError(
            f"--out: {str(path)!r} exists and is not a folder; pick another path."
        ) from None
    return path


DIVERGED = 3  # exit status of a run stopped by the NaN guard (2: user error, 1: gradcheck)


def exit_status(command: str, run) -> int:
    """0 for a finished run; ``DIVERGED`` (3), with one line on stderr, if it diverged."""
    if not run.diverged:
        return 0
    import sys

    h = run.history
    print(
        f"backprop {command}: training diverged in epoch {h.stopped_epoch}, batch "
        f"{h.stopped_batch}; the files hold the last finite weights, from before that step "
        f"(exit status {DIVERGED}); lower the learning rate.",
        file=sys.stderr,
    )
    return DIVERGED


def write_json(path: Path, data) -> Path:
    from ..files import atomic_write_text

    return atomic_write_text(path, json.dumps(data, indent=2, default=_jsonable) + "\n")


def _jsonable(value):
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def is_model_file(path: str) -> bool:
    return str(path).endswith(".safetensors")
