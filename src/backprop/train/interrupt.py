"""Ctrl-C (a notebook's Kernel ▸ Interrupt) during ``fit``: stop, keep, say so in one line.

Python's ``KeyboardInterrupt`` raised inside the engine showed a notebook nine of backprop's
frames (``fit`` → the span runner → the engine's loop → ``np.dot``) and lost the history.
``fit`` catches it, writes the loop's work back to the model and the optimizer (``settle``),
records the epochs finished so far and raises ``FitInterrupted`` instead: still a
``KeyboardInterrupt`` (a script stops, the CLI exits 130 and keeps its files, a sweep stops
as before, as Keras' ``model.fit`` lets Ctrl-C through), whose message says where it stopped
and that the model keeps its weights, and which carries the ``History`` so far. In IPython
it shows without backprop's frames (``_tracebacks.render``; ``%xmode verbose`` shows them).
"""

from __future__ import annotations

__all__ = ["FitInterrupted"]


class FitInterrupted(KeyboardInterrupt):
    """``fit`` stopped by Ctrl-C / Kernel ▸ Interrupt; ``history`` holds the epochs finished.

    The model keeps the weights it had when interrupted (the optimizer its state): running
    ``fit`` again goes on from them. In a notebook the error of the last cell is
    ``sys.last_value``, so ``sys.last_value.history`` is the run so far.

    Examples:
        >>> import backprop as bp
        >>> from backprop import fit, nn, optim
        >>> from backprop.train import Callback
        >>> class CtrlC(Callback):  # what Ctrl-C does after epoch 3
        ...     def on_epoch_end(self, state):
        ...         if state.epoch == 3:
        ...             raise KeyboardInterrupt
        >>> _ = bp.manual_seed(0)
        >>> x = bp.linspace(-1, 1, 20).reshape(20, 1)
        >>> model = nn.MLP([1, 8, 1])
        >>> sgd = optim.SGD(model.parameters(), lr=0.1)
        >>> try:
        ...     fit(model, (x, x**2), nn.MSELoss(), sgd, epochs=100, callbacks=[CtrlC()])
        ... except KeyboardInterrupt as stop:
        ...     print(str(stop).split(". ")[0])
        ...     print(len(stop.history))
        fit: interrupted after epoch 3 of 100
        3
    """

    def __init__(self, message: str, history) -> None:
        super().__init__(message)
        self.history = history

    def _render_traceback_(self) -> list[str]:
        """IPython's hook: the user's frames and the message (``_tracebacks``)."""
        from .._tracebacks import render

        return render(self)


def interrupted(history, epochs: int) -> FitInterrupted:
    """The error ``fit`` raises for Ctrl-C, after ``history``'s finished epochs."""
    done = len(history.epochs)
    return FitInterrupted(
        f"fit: interrupted after epoch {done:,} of {epochs:,}. The model keeps its weights as "
        "the interrupt left them (run fit again to go on from them); the history so far is "
        "this error's .history (in a notebook, until the next error: sys.last_value.history).",
        history,
    )
