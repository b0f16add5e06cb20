"""The progress bar ``fit`` and ``run`` show in a notebook (``verbose``).

In a Jupyter kernel the bar is one display output updated in place (IPython's
``display(..., display_id=True)`` and ``update``): an HTML line (a ``<progress>`` bar,
epochs done of all, the latest loss, time spent and left) with the same line as plain text
for front ends without HTML. It needs nothing beyond IPython — no ipywidgets — and leaves
nothing else in the cell. rich's Jupyter support, used before, drew through an ipywidgets
``Output`` (a widget view with blank lines around it, about 80 px) and, without
ipywidgets, printed rich's own 'install "ipywidgets" for Jupyter support' warning into the
cell. Outside a notebook (``verbose=True`` in a script or terminal) the bar is rich's
terminal bar on stderr, as the CLI's. tqdm.auto would need ipywidgets as rich did.

``sweep``/``compare`` show the same bar over their trials (``trials.TrialBar``).
``verbose="auto"`` (the default of ``fit`` and ``run``) shows the bar only inside a Jupyter
kernel — scripts, tests, the CLI and the playground print nothing from ``fit``, as before;
``True`` shows it anywhere; ``False`` (or 0) never. The bar moves on the span runner's
progress ticks (about every 0.1 s), so it never makes ``fit`` stop the engine at an epoch it
would not stop at anyway.
"""

from __future__ import annotations

import sys
import time
from collections import deque

from ..errors import ConfigError
from ..train.callbacks import Callback

__all__ = ["NotebookProgress", "in_notebook", "progress_callbacks", "rich_bar"]


def rich_bar(what: str, unit: str, *, width: int = 30, file=None, markup: bool = True):
    """A rich bar on a terminal: ``WHAT [bar] done/total UNIT <field 'last'> elapsed left``.

    The one layout of fit's bar over epochs and the sweeps' bars over trials; the caller
    adds its task with a ``last`` field (a loss, the last trial's label). ``markup=False``
    for fields that may hold ``[ ]`` (layer sizes), which rich would read as markup."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn(f"[bold]{what}"),
        BarColumn(bar_width=width),
        MofNCompleteColumn(),
        TextColumn(unit),
        TextColumn("{task.fields[last]}", markup=markup),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(file=sys.stderr if file is None else file),
    )


def in_notebook() -> bool:
    """True inside a Jupyter kernel (JupyterLab, Notebook, VS Code's notebooks)."""
    if "IPython" not in sys.modules:  # no kernel without it; spares scripts rich's import
        return False
    from rich.console import _is_jupyter

    return _is_jupyter()


def check_verbose(verbose, who: str) -> bool:
    """``verbose`` as a decision: show the bar or not; a ConfigError for anything else."""
    if verbose == "auto":
        return in_notebook()
    if isinstance(verbose, bool) or verbose in (0, 1):
        return bool(verbose)
    raise ConfigError(
        f"{who}: verbose must be 'auto' (a progress bar in a notebook only), True/1 (always) "
        f"or False/0 (never), got {verbose!r}."
    )


def progress_callbacks(verbose, who: str = "fit") -> list:
    """``[NotebookProgress()]`` when ``verbose`` asks for a bar here, else ``[]``."""
    return [NotebookProgress()] if check_verbose(verbose, who) else []


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "-:--:--"
    seconds = round(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def bar_bundle(
    done: int,
    total: int,
    loss: float | None,
    elapsed: float,
    left: float | None = None,
    *,
    title: str = "training",
    unit: str = "epochs",
    note: str = "",
    stopped: str = "",
) -> dict:
    """The notebook bar as a display bundle: ``text/html`` and the same line as text.

    ``left``: the seconds still to go (None: not known yet, shown as -:--:--). ``title`` and
    ``unit`` name what runs ("sweep", "trials"); ``note`` goes after the count (the sweep's
    last trial); ``stopped`` ("interrupted") takes the place of the time left."""
    from html import escape

    loss_text = "" if loss is None else f"loss {loss:.4g}"
    spent, left = f"{_clock(elapsed)} spent", stopped or f"{_clock(left)} left"
    cells = [f"{done}/{total} {unit}", note, loss_text, spent, left]
    words = "  ".join(c for c in cells if c)
    filled = min(30, round(30 * done / total)) if total else 0  # 0 of 0: nothing done
    text = f"{title} [{'#' * filled}{'.' * (30 - filled)}]  {words}"
    html = (
        '<div class="bp-progress" style="font-family:var(--jp-code-font-family,monospace);'
        'font-size:var(--jp-code-font-size,13px);margin:0;padding:0;line-height:1.5">'
        f'<b>{escape(title)}</b> <progress value="{done}" max="{max(total, 1)}" '
        f'style="width:16em;vertical-align:middle"></progress> {escape(words)}</div>'
    )
    return {"text/plain": text, "text/html": html}


class NotebookProgress(Callback):
    """The progress bar: epochs done of all, the latest loss, time spent and left."""

    wants_metrics = False
    progress = None  # rich's terminal bar, outside a notebook
    handle = None  # IPython's display handle, in a notebook
    EVERY = 0.2  # seconds between the notebook bar's updates (the last one always)
    WINDOW = 3.0  # seconds of recent progress the time left is estimated from

    def close(self) -> None:
        """Stop the bar's display (again is harmless); ``fit`` calls it after any end."""
        if self.progress is not None:
            self.progress.stop()

    def next_epoch(self, state) -> int | None:
        return None  # the ticks move the bar: no epoch needs to stop the engine

    def on_train_begin(self, state) -> None:
        self.total, self.started, self.shown = state.epochs, time.monotonic(), 0.0
        self.recent = deque([(self.started, 0)])  # (time, epochs done) of the latest ticks
        if in_notebook():
            from IPython.display import display

            self.handle = display(self._bundle(0, None), raw=True, display_id=True)
            return
        if not state.epochs:  # rich draws a 0-of-0 task's bar full (finished): one line
            print(self._bundle(0, None)["text/plain"], file=sys.stderr)
            return
        self.progress = rich_bar("training", "epochs")
        self.task = self.progress.add_task("fit", total=state.epochs, last="")
        self.progress.start()

    def _bundle(self, done: int, loss) -> dict:
        now = time.monotonic()
        return bar_bundle(done, self.total, loss, now - self.started, self._left(now, done))

    def _left(self, now: float, done: int) -> float | None:
        """Seconds to go at the rate of the last ``WINDOW`` seconds. The average since the
        start ran high when the first epochs were slower (a busy machine, a warm-up): the
        trial saw 1:02 left at 349 of 3,000 epochs after 8 s, and it ended 26 s later."""
        if done >= self.total:
            return 0.0
        recent = self.recent
        if done > recent[-1][1]:
            recent.append((now, done))
        while len(recent) > 2 and now - recent[1][0] >= self.WINDOW:
            recent.popleft()  # keep one tick at least WINDOW old, none older
        then, done_then = recent[0]
        if done <= done_then or now <= then:
            return None
        return (self.total - done) * (now - then) / (done - done_then)

    def _show(self, done: int, loss, last: bool = False) -> None:
        if self.handle is not None:
            now = time.monotonic()
            if last or now - self.shown >= self.EVERY:
                self.shown = now
                self.handle.update(self._bundle(done, loss), raw=True)
        elif self.progress is not None:
            text = "" if loss is None else f"loss {loss:.4g}"
            self.progress.update(self.task, completed=done, last=text)

    def on_progress(self, state) -> None:
        self._show(state.epoch - 1, state.batch_loss)

    def stopped(self, state, why: str) -> None:
        """The bar's last state when the run ends early (``why``: "interrupted"): the epochs
        finished and ``why`` where the time left was, not a clock still counting down."""
        history = state.history
        done = len(history.epochs) if history is not None else 0
        loss = history.last("loss") if done else None
        if self.handle is not None:
            now = time.monotonic()
            bundle = bar_bundle(done, self.total, loss, now - self.started, stopped=why)
            self.handle.update(bundle, raw=True)
        elif self.progress is not None:
            self.progress.update(self.task, completed=done, last=why)

    def on_train_end(self, state) -> None:
        loss = state.history.last("loss") if state.history is not None else None
        self._show(state.done, loss, last=True)
        if self.progress is not None:
            self.progress.refresh()
        self.close()
