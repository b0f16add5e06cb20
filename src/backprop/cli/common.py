"""Helpers the subcommands share: argument types, output folders, loading model files."""

from __future__ import annotations

import argparse
import math


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


def is_model_file(path: str) -> bool:
    return str(path).endswith(".safetensors")
