"""Optimizers and learning-rate schedulers with PyTorch's API and formulas (floor 2).

``SGD``, ``Adam``, ``AdamW``, ``RMSprop`` and ``Adagrad`` update parameters in place from
their ``.grad``, following PyTorch's documented algorithms so trajectories agree to rounding;
``lr_scheduler`` (loaded on first use) changes their learning rates between epochs.
``OPTIMIZERS`` maps the names the CLI, the spec and the playground use to the classes. This
package holds no training loop and no stopping rule; the update arithmetic itself lives in
``_functional``.
"""

from __future__ import annotations

from backprop.optim.adagrad import Adagrad
from backprop.optim.adam import Adam, AdamW
from backprop.optim.optimizer import Optimizer
from backprop.optim.rmsprop import RMSprop
from backprop.optim.sgd import SGD

OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "adam": Adam,
    "adamw": AdamW,
    "rmsprop": RMSprop,
    "adagrad": Adagrad,
}


def __getattr__(name: str):
    # the schedulers load when first used: most runs have none
    if name == "lr_scheduler":
        import importlib

        return importlib.import_module(".lr_scheduler", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | {"lr_scheduler"})


__all__ = ["OPTIMIZERS", "SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
