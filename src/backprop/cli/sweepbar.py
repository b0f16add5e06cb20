"""A sweep's progress on the command line (``backprop sweep``, ``backprop compare``).

On a terminal a rich bar over the trials; through a pipe a line about every tenth of the
trials (rate and time left); with ``--quiet`` nothing.
"""

from __future__ import annotations

import sys


class _Lines:
    """Progress through a pipe: one line about every tenth of the trials, and the last."""

    def __init__(self, total: int, before: int) -> None:
        self.total, self.before = total, before
        self.every = max(1, (total - before) // 10)

    def __call__(self, p) -> None:
        if p.ran % self.every and p.done + p.failed < self.total:
            return
        rate = p.ran / p.elapsed if p.elapsed > 0 else 0.0
        left = (self.total - p.done - p.failed) / rate if rate else 0.0
        print(
            f"trials {p.done}/{self.total}  {p.elapsed:.1f} s  ({rate:.1f} trials/s, "
            f"≈ {left:.0f} s left)  last: {p.label} loss {_loss(p.loss)}",
            flush=True,
        )

    def stop(self) -> None:
        pass


class _Quiet:
    def __call__(self, p) -> None:
        pass

    def stop(self) -> None:
        pass


class _Bar:
    """Progress on a terminal: a rich bar over the trials."""

    def __init__(self, total: int, before: int) -> None:
        from ..display.progress import rich_bar
        from .progress import _BARS

        self.progress = rich_bar("sweep", "trials", width=20, file=sys.stdout)
        self.progress.start()
        _BARS.append(self.progress)
        self.task = self.progress.add_task("sweep", total=total, completed=before, last="")

    def __call__(self, p) -> None:
        self.progress.update(self.task, completed=p.done + p.failed, last=f"loss {_loss(p.loss)}")

    def stop(self) -> None:
        from .progress import _BARS

        self.progress.stop()
        if self.progress in _BARS:
            _BARS.remove(self.progress)


def _loss(value) -> str:
    return "-" if value is None else f"{value:.4g}"


def progress(total: int, before: int, quiet: bool):
    """What shows a sweep's progress: nothing (quiet), a bar on a terminal, else lines."""
    if quiet:
        return _Quiet()
    return _Bar(total, before) if sys.stdout.isatty() else _Lines(total, before)
