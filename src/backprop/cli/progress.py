"""Training progress on the terminal: a rich progress bar on a TTY, plain lines in a pipe.

The fit loop never prints; it calls callbacks. ``progress_callback`` returns one that
renders each epoch: on a terminal a rich bar with the loss in it, otherwise (CI, pipes,
files) one clean line per reported epoch with no control characters. ``--quiet`` shows
nothing but the final result.
"""

from __future__ import annotations

import contextlib
import math
import sys

# one format per column in every log line (issue 15, second trial: '.6g' mixed 1316.49 with
# 2.13732e+07 in one column): accuracies as fractions, every other metric in scientific
# notation with 5 significant digits, which shows 1,316 and a 1e-14 exact fit alike
FRACTION = ".4f"
NUMBER = ".4e"


def number(key: str, value: float) -> str:
    """A logged metric as the log prints it (see ``NUMBER``)."""
    return f"{value:{FRACTION if 'accuracy' in key else NUMBER}}"


def _metrics_text(logs: dict) -> str:
    from ..train.metrics import METRIC_NAMES

    parts = []
    for key in METRIC_NAMES[:6]:  # r² is in the final line, not in every progress line
        value = logs.get(key)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        parts.append(f"{key} {number(key, value)}")
    return "  ".join(parts)


_BARS: list = []  # rich progress displays on the screen now


def stop_bars() -> None:
    """Stop every progress display (after Ctrl+C or a signal): the cursor comes back and the
    next line starts on a line of its own."""
    import contextlib

    while _BARS:
        bar = _BARS.pop()
        with contextlib.suppress(Exception):  # a closed terminal: nothing left to restore
            bar.stop()


MEASURES = 100  # full-set metrics (accuracy, r²) about this many times a run


def frame_count(state) -> int:
    """The epochs a progress frame counts as done: the latest batch's epoch when that batch
    was its last (a full-batch run: the loss shown is that epoch's, so the count and the
    loss name one epoch, not 'epoch 2's loss at 1/N'), else the epochs before it."""
    batches = getattr(state, "batches", None)
    batch = getattr(state, "batch", None)
    done = batches is not None and batch is not None and batch >= batches
    return state.epoch if done else state.epoch - 1


def measure_every(epochs: int, log_every: int | None = None) -> int:
    """About ``epochs / MEASURES``; with ``log_every`` (the command's default log interval
    for this many epochs) the largest divisor of it not above that, so every default log
    line has its rmse/accuracy (200 epochs: lines every 5, measures every 2 put rmse on
    every other line; now every epoch)."""
    every = max(1, -(-epochs // MEASURES))
    if log_every:
        every = max(d for d in range(1, min(every, log_every) + 1) if log_every % d == 0)
    return every


def measure_callback(epochs: int, log_every: int | None = None):
    """The epochs whose full-set metrics the run folder's history holds: the first, every
    ``measure_every(epochs, log_every)``-th and the last — the same whatever the display (a
    pipe, a terminal, ``--quiet``, ``--log-every``: the caller passes the default interval,
    never the flag), so the files do not depend on how the run was watched. The printers
    read the metrics where they are (``wants_metrics`` False)."""
    from ..train import Callback

    every = measure_every(epochs, log_every)

    class Measure(Callback):
        def next_epoch(self, state):
            if state.done == 0:
                return 1
            return min((state.done // every + 1) * every, epochs)

    return Measure()


def interrupt_callback():
    """A callback that raises a Ctrl+C again if it was swallowed (``common.check_interrupt``):
    fit asks it about every ``spans.TICK`` seconds while it trains, and at the epoch ends it
    stops at anyway; it adds no stop of its own."""
    from ..train import Callback
    from .common import check_interrupt

    class InterruptCheck(Callback):
        def next_epoch(self, state):
            return None

        def on_train_begin(self, state) -> None:
            check_interrupt()

        def on_progress(self, state) -> None:
            check_interrupt()

    return InterruptCheck()


# the log's loss and its other metrics are of different weights (rmse² ≠ loss): say so once
LEGEND = (
    "(loss: the mean of the epoch's batch losses, each before its update, as history.csv "
    "has it; rmse, r2, accuracy and val_: the weights after the epoch)"
)


def progress_callback(
    epochs: int,
    *,
    quiet: bool = False,
    log_every: int = 1,
    stream=None,
    tty: bool | None = None,
    line_format=None,
    zero_based: bool = False,
):
    """A ``backprop.train`` callback that shows progress (or nothing when ``quiet``).

    Lines (not a terminal): the first epoch, every ``log_every``-th and the last; the bar (a
    terminal) moves by the clock. ``zero_based``: lines at epochs 1, log_every + 1, … — a
    loop that counts from 0 and prints ``if epoch % log_every == 0``, as the lecture's does
    (``line_format`` then decides each line). Between them the engine runs uninterrupted;
    ``quiet`` asks ``fit`` for nothing, so nothing cuts the run into spans."""
    from ..train import Callback

    if quiet:
        return Callback()
    stream = stream or sys.stdout
    tty = stream.isatty() if tty is None else tty

    def log_epoch(self, state):
        """The first epoch and every ``log_every``-th (and the last): the engine runs
        uninterrupted between the lines."""
        if state.done == 0:
            return 1
        shift = 1 if zero_based else 0
        return min(((state.done - shift) // log_every + 1) * log_every + shift, epochs)

    def compiling_note(state) -> None:
        """A cold compile of the kernel takes seconds before the first step: say so, or the
        first long run looks like a hang."""
        reason = getattr(state.history, "engine_reason", "") or ""
        if "cold compile" in reason:
            print(
                "compiling the training kernel once (≈ 6 s; later runs load it in ≈ 0.5 s)…",
                file=stream,
                flush=True,
            )

    class Lines(Callback):
        next_epoch = log_epoch
        wants_metrics = False  # the files' metrics come from measure_callback, not the display

        def on_train_begin(self, state) -> None:
            compiling_note(state)

        def on_epoch_end(self, state) -> None:
            epoch = state.epoch
            if (epoch - zero_based) % log_every and epoch not in (1, epochs):
                return
            if line_format is not None:
                text = line_format(epoch, state.logs)
                if text is None:
                    return
            else:
                text = f"epoch {epoch}/{epochs}  {_metrics_text(state.logs)}"
                if not getattr(self, "said", False) and set(state.logs) - {"loss", "lr", "time"}:
                    self.said = True  # once, above the first line that mixes the two kinds
                    text = LEGEND + "\n" + text
            print(text, file=stream, flush=True)

    class Bar(Callback):
        next_epoch = log_epoch
        wants_metrics = False

        def on_progress(self, state) -> None:  # about every 0.1 s: the bar moves
            loss = state.batch_loss
            text = "" if loss is None else f"loss {loss:{NUMBER}}"  # the latest batch's
            self.progress.update(self.task, completed=frame_count(state), metrics=text)

        def on_train_begin(self, state) -> None:
            compiling_note(state)
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self.progress = Progress(
                TextColumn("[bold]training"),
                BarColumn(bar_width=20),  # the whole line fits 80 columns
                MofNCompleteColumn(),
                TextColumn("{task.fields[metrics]}"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=Console(file=stream),
                transient=False,
            )
            self.progress.start()
            _BARS.append(self.progress)
            self.task = self.progress.add_task("train", total=epochs, metrics="")

        def on_epoch_end(self, state) -> None:
            loss = state.logs.get("loss")
            text = "" if loss is None else f"loss {loss:{NUMBER}}"  # the same field as the ticks
            if state.epoch >= self.progress.tasks[0].completed:  # never an older frame
                self.progress.update(self.task, completed=state.epoch, metrics=text)
            if line_format is not None:
                text = line_format(state.epoch, state.logs)
                if text is not None:  # the bar redrawn under the line is this frame, not
                    self.progress.refresh()  # the last one rich's clock drew
                    self.progress.console.print(text, highlight=False, markup=False)

        def on_train_end(self, state) -> None:
            self.progress.stop()
            if self.progress in _BARS:
                _BARS.remove(self.progress)

    return Bar() if tty else Lines()


def say_folder_if_cut(command: str, folder) -> bool:
    """After a run: when stdout stopped taking its log — its reader went away
    (``train … | head -2``: EPIPE) or it failed (a full device) — say once on stderr that
    the run went on to its end and where its folder is, the line the log no longer carries.
    stdout is flushed first, so a reader gone before the last lines is noticed. True if
    said."""
    out = sys.stdout
    with contextlib.suppress(OSError, ValueError):
        out.flush()
    cut, failed = getattr(out, "cut", False), getattr(out, "failed", None)
    if not (cut is True or failed is not None):
        return False
    # a failed stdout has said its 'printing stopped' line already (app._SafeStream)
    why = "stdout: its reader closed the pipe, so printing stopped there; " if cut else ""
    print(
        f"backprop {command}: {why}the run went on to its end: run folder: {folder}",
        file=sys.stderr,
        flush=True,
    )
    return True
