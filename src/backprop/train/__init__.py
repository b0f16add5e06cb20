"""Floor 5: training an MLP (or any Module) — the fit loop, its History and callbacks.

``fit(model, data, loss, optimizer, epochs, batch_size, ...)`` runs seeded minibatch
epochs with the δ engine for MLPs and autograd for anything else, checks the data before
the first step, reports loss and metrics per epoch in a ``History``, and stops with a
plain-words reason on early stopping or the first NaN/inf (``NaNGuard``); with
``BackupAndRestore`` a crashed run resumes from its last epoch, bit for bit; Ctrl-C (a
notebook's Kernel ▸ Interrupt) raises ``FitInterrupted``, a ``KeyboardInterrupt`` that keeps
the model's weights and carries the ``History`` so far. It never prints;
``ProgressEvents`` hands progress to whoever draws it (the CLI, the playground). Data sets,
model files and the experiment spec live in their own packages.
"""

from .._lazy import lazy

# name -> the module that holds it, imported on first use: ``from backprop.train import
# History`` or ``Callback`` does not load the loop, the engines or the backups
__getattr__, __dir__ = lazy(
    __name__,
    {
        "BackupAndRestore": ".backup",
        "Callback": ".callbacks",
        "EarlyStopping": ".monitors",
        "FitInterrupted": ".interrupt",
        "History": ".history",
        "ModelCheckpoint": ".monitors",
        "NaNGuard": ".guard",
        "ProgressEvents": ".events",
        "ReduceLROnPlateau": ".monitors",
        "TrainState": ".callbacks",
        "TrainingStopped": ".callbacks",
        "fit": ".fit",
    },
    globals(),
)

__all__ = [
    "BackupAndRestore",
    "Callback",
    "EarlyStopping",
    "FitInterrupted",
    "History",
    "ModelCheckpoint",
    "NaNGuard",
    "ProgressEvents",
    "ReduceLROnPlateau",
    "TrainState",
    "TrainingStopped",
    "fit",
]
