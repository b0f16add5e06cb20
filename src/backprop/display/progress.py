"""The progress bar ``fit`` and ``run`` show in a notebook (``verbose``).

Built on rich, which the library already depends on (the CLI's terminal bar is rich too):
in a Jupyter kernel rich renders the same ``Progress`` as HTML in the cell's output, through
an ipywidgets ``Output`` (the ``notebook`` extra installs ipywidgets; without it rich warns
and shows the bar once, at the end). tqdm.auto would do the same with a second progress
library and the same ipywidgets need, so rich it is.

``verbose="auto"`` (the default of ``fit`` and ``run``) shows the bar only inside a Jupyter
kernel — scripts, tests, the CLI and the playground print nothing from ``fit``, as before;
``True`` shows it anywhere (a terminal gets rich's terminal bar on stderr); ``False`` (or 0)
never. The bar moves on the span runner's progress ticks (about every 0.1 s), so it never
makes ``fit`` stop the engine at an epoch it would not stop at anyway.
"""

from __future__ import annotations

import sys

from ..errors import ConfigError
from ..train.callbacks import Callback

__all__ = ["NotebookProgress", "in_notebook", "progress_callbacks"]


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


class NotebookProgress(Callback):
    """A rich progress bar: epochs done of all, the latest loss, time spent and left."""

    wants_metrics = False
    progress = None

    def close(self) -> None:
        """Stop the bar's display (again is harmless); ``fit`` calls it after any end."""
        if self.progress is not None:
            self.progress.stop()

    def next_epoch(self, state) -> int | None:
        return None  # the ticks move the bar: no epoch needs to stop the engine

    def on_train_begin(self, state) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        console = Console() if in_notebook() else Console(file=sys.stderr)
        self.progress = Progress(
            TextColumn("[bold]training"),
            BarColumn(bar_width=30),
            MofNCompleteColumn(),
            TextColumn("epochs"),
            TextColumn("{task.fields[loss]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self.task = self.progress.add_task("fit", total=state.epochs, loss="")
        self.progress.start()

    def on_progress(self, state) -> None:
        loss = state.batch_loss
        text = "" if loss is None else f"loss {loss:.4g}"
        self.progress.update(self.task, completed=state.epoch - 1, loss=text)

    def on_train_end(self, state) -> None:
        loss = state.history.last("loss") if state.history is not None else None
        text = "" if loss is None else f"loss {loss:.4g}"
        self.progress.update(self.task, completed=state.done, loss=text)
        self.progress.refresh()  # rich's stop() does not redraw in Jupyter: the last frame
        self.close()
