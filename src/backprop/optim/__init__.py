"""Optimizers and learning-rate schedulers with PyTorch's API and formulas (floor 2).

``SGD``, ``Adam``, ``AdamW``, ``RMSprop`` and ``Adagrad`` update parameters in place from
their ``.grad``, following PyTorch's documented algorithms so trajectories agree to rounding;
``lr_scheduler`` changes their learning rates between epochs. ``OPTIMIZERS`` maps the names
the CLI, the spec and the playground use to the classes. This package holds no training
loop and no stopping rule; the update arithmetic itself lives in ``_functional``.
"""

from __future__ import annotations

from backprop.optim import lr_scheduler
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

__all__ = ["OPTIMIZERS", "SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
