"""The progress bar of ``sweep``, ``resume`` and ``compare``: a bar over the trials.

``progress=`` takes what ``fit``'s ``verbose=`` takes, or a function:

- ``"auto"`` (the default): the bar in a Jupyter kernel (``progress.bar_bundle``: one HTML
  line updated in place, as ``fit``'s), nothing in scripts, tests and the CLI's library
  calls;
- ``True``/1: the bar anywhere (outside a notebook, rich's bar on stderr, as the CLI's);
- ``False``/0/``None``: none;
- a function: called with a ``sweep.Progress`` after each finished trial (the CLI's bar is
  one), as before.

The bar shows trials finished of all (earlier runs of a resumed sweep included), failed
ones, the last trial's configuration and final loss, time spent and left (at this call's
rate). It moves only when a trial finishes: a sweep's trials run in other processes, and the
driver hears of each when it ends.
"""

from __future__ import annotations

import time

from ..errors import ConfigError
from .progress import bar_bundle, in_notebook

__all__ = ["TrialBar", "close", "trial_progress"]


def trial_progress(progress, who: str = "sweep"):
    """``progress`` as what the driver calls: a function, a ``TrialBar`` or None."""
    if progress is None:
        return None
    if isinstance(progress, str):
        if progress == "auto":
            return TrialBar() if in_notebook() else None
    elif isinstance(progress, bool) or (isinstance(progress, int) and progress in (0, 1)):
        return TrialBar() if progress else None
    elif callable(progress):
        return progress
    raise ConfigError(
        f"{who}: progress must be 'auto' (a bar over the trials in a notebook only), True "
        "(a bar anywhere: rich's on stderr outside a notebook), False or None (no bar), or a "
        f"function called with a sweep.Progress after each trial; got {progress!r}."
    )


def close(progress) -> None:
    """End a ``TrialBar`` (its last state stays shown); anything else is left alone."""
    if isinstance(progress, TrialBar):
        progress.close()


class TrialBar:
    """The bar over a sweep's trials; the driver calls it with a ``Progress`` per trial."""

    EVERY = 0.2  # seconds between the notebook bar's updates (the last one always)

    def __init__(self) -> None:
        self.handle = None  # IPython's display handle, in a notebook
        self.rich = None  # rich's terminal bar, elsewhere
        self.last = None  # the latest Progress
        self.shown = 0.0
        self.started = time.monotonic()

    def begin(self, total: int, before: int) -> None:
        """Show the bar at once: ``before`` of ``total`` trials finished by earlier runs."""
        if self.handle is not None or self.rich is not None:
            return
        self.started = time.monotonic()  # the ETA's clock: after a kernel compile (sweep.warm)
        if in_notebook():
            from IPython.display import display

            self.handle = display(self._bundle(before, total), raw=True, display_id=True)
            return
        from .progress import rich_bar

        self.rich = rich_bar("sweep", "trials", markup=False)  # labels may hold [ ]
        self.task = self.rich.add_task("sweep", total=total, completed=before, last="")
        self.rich.start()

    def __call__(self, p) -> None:
        self.last = p
        if self.handle is None and self.rich is None:
            self.begin(p.total, p.done + p.failed - 1)
        self._show()

    def _note(self, p) -> str:
        """``(1 failed; last: model.hidden=8x8, loss 0.0123)``: one group, as HTML folds
        the spaces between the bar's words."""
        loss = f"loss {p.loss:.4g}" if isinstance(p.loss, float | int) else ""
        last = ", ".join(x for x in (p.label, loss) if x)
        parts = [f"{p.failed} failed" if p.failed else "", f"last: {last}" if last else ""]
        words = "; ".join(x for x in parts if x)
        return f"({words})" if words else ""

    def _bundle(self, finished: int, total: int, p=None) -> dict:
        elapsed = time.monotonic() - self.started
        left = None
        if p is not None and p.ran > 0:
            left = (total - finished) * elapsed / p.ran
        note = "" if p is None else self._note(p)
        return bar_bundle(
            finished, total, None, elapsed, left, title="sweep", unit="trials", note=note
        )

    def _show(self, last: bool = False) -> None:
        p = self.last
        if p is None:
            return
        finished = p.done + p.failed
        if self.handle is not None:
            now = time.monotonic()
            if last or now - self.shown >= self.EVERY or finished >= p.total:
                self.shown = now
                self.handle.update(self._bundle(finished, p.total, p), raw=True)
        elif self.rich is not None:
            self.rich.update(self.task, completed=finished, last=self._note(p))

    def close(self) -> None:
        """The last state shown, the terminal bar stopped (again is harmless)."""
        self._show(last=True)
        if self.rich is not None:
            self.rich.refresh()
            self.rich.stop()
            self.rich = None
