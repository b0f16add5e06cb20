"""Shared by the model-file tests (test_io_round_trip.py, test_io_refusals.py): the
architectures they save, a seeded model of each, its predictions, and a small valid file."""

from collections import OrderedDict

import numpy as np

import backprop
from backprop import io, nn

ARCHITECTURES = {
    "lecture 1-8-8-1 relu": lambda: nn.MLP([1, 8, 8, 1], "relu"),
    "tanh, leaky 0.2, sigmoid out": lambda: nn.MLP(
        [3, 5, 4, 2], ["tanh", nn.LeakyReLU(0.2)], output_activation="sigmoid"
    ),
    "elu 0.5, softmax dim 1": lambda: nn.MLP(
        [4, 6, 3], nn.ELU(0.5), output_activation=nn.Softmax(dim=1)
    ),
    "gelu tanh, softplus, silu, no bias": lambda: nn.MLP(
        [2, 5, 5, 5, 1], [nn.GELU("tanh"), nn.Softplus(2.0, 10.0), "silu"], bias=False
    ),
    "sequential, log-softmax": lambda: nn.Sequential(
        nn.Linear(3, 7), nn.Tanh(), nn.Linear(7, 4), nn.LogSoftmax(dim=-1)
    ),
    "nested, named, no activation": lambda: nn.Sequential(
        OrderedDict(
            body=nn.Sequential(nn.Linear(2, 6), nn.Sigmoid()),
            mid=nn.Linear(6, 3),
            head=nn.Linear(3, 2),
        )
    ),
    "single layer, step, gelu": lambda: nn.Sequential(
        nn.Linear(3, 4), nn.Step(), nn.Linear(4, 2), nn.GELU()
    ),
}


def _model(name, dtype=backprop.float32):
    backprop.manual_seed(7)
    return ARCHITECTURES[name]().to(dtype)


def _predict(model, x) -> np.ndarray:
    with backprop.no_grad():
        return model(x).numpy()


def save_small_model(folder):
    """A small valid file in ``folder`` and the model it holds: (path, model)."""
    model = _model("tanh, leaky 0.2, sigmoid out")
    path = io.save(model, folder / "model.safetensors", metadata={"epochs": 5})
    return path, model
