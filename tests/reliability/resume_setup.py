"""The training runs of test_crash_and_resume.py: one setup for the test process and its
children, and the uninterrupted reference runs they are compared with.

``SETUP`` is Python source, executed here (``NS``) and at the top of every child process
(``CHILD``), so both train exactly the same model on the same data with the same callbacks:
an MLP (optionally with a noise layer drawing from backprop's global generator), Adam with a
StepLR schedule, EarlyStopping (best weights), ReduceLROnPlateau, validation and shuffled
minibatches; with a folder, ModelCheckpoint every epoch and BackupAndRestore.
"""

import numpy as np

SETUP = r"""
import hashlib
import numpy as np
import backprop as bp
from backprop import nn, optim
from backprop.train import (BackupAndRestore, Callback, EarlyStopping, ModelCheckpoint,
                            ReduceLROnPlateau, fit)

EPOCHS, BATCH, SIZES = 40, 32, [8, 128, 128, 4]


class Noise(nn.Module):
    # adds N(0, 0.05^2) while training, drawn from backprop's global generator
    def forward(self, x):
        return x + 0.05 * bp.randn(*x.shape) if self.training else x


def data():
    rng = np.random.default_rng(11)
    x = rng.normal(size=(200, SIZES[0])).astype(np.float32)
    w = rng.normal(size=(SIZES[0], SIZES[-1])).astype(np.float32)
    return x, np.tanh(x @ w) + 0.1 * x[:, : SIZES[-1]] ** 2


def build(noise=False):
    bp.manual_seed(4)
    model = nn.MLP(SIZES, "tanh")
    if noise:
        layers = list(model.children())
        model = nn.Sequential(layers[0], Noise(), *layers[1:])
    adam = optim.Adam(model.parameters(), lr=3e-3)
    return model, adam, optim.lr_scheduler.StepLR(adam, 5, 0.7)


def train(engine, folder=None, extra=(), noise=False, checkpoint=True):
    model, adam, schedule = build(noise)
    callbacks = [EarlyStopping("val_loss", patience=10), ReduceLROnPlateau("val_loss", 0.5, 3),
                 *extra]
    if folder is not None:
        if checkpoint:
            callbacks.append(ModelCheckpoint(folder / "model.safetensors", save_best_only=False))
        callbacks.append(BackupAndRestore(folder / "backup", every=1))
    history = fit(model, data(), "mse", adam, EPOCHS, BATCH, validation=0.2, seed=5,
                  engine=engine, scheduler=schedule, callbacks=callbacks)
    return model, history


def digest(arrays):
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name} {a.dtype} {a.shape}".encode() + a.tobytes())
    return h.hexdigest()


def weights(model):
    return {k: t.numpy() for k, t in model.state_dict().items()}


def record(history):
    return {"epochs": history.epochs, "stop_reason": history.stop_reason,
            "stopped_epoch": history.stopped_epoch, "best_epoch": history.best_epoch,
            "history": {k: v for k, v in history.history.items() if k != "time"},
            "at": {k: list(history.epochs_of(k)) for k in history.history if k != "time"}}
"""

CHILD = (
    SETUP
    + r"""
import json, sys
from pathlib import Path
from backprop.files import atomic_write_text


class Ready(Callback):  # one line once this process has finished an epoch
    said = False
    wants_metrics = False  # it reads none: the run measures what it would without it

    def on_epoch_end(self, state):
        if not self.said:
            self.said = True
            print("ready", flush=True)


folder = Path(sys.argv[1])
model, history = train(sys.argv[2], folder, extra=[Ready()])
result = {"weights": digest(weights(model)), **record(history)}
atomic_write_text(folder / "result.json", json.dumps(result))
print("done", flush=True)
"""
)


def setup_namespace() -> dict:
    namespace: dict = {}
    exec(compile(SETUP, "<crash-and-resume setup>", "exec"), namespace)
    return namespace


NS = setup_namespace()


class Reference:
    """An uninterrupted run: weight digests at every epoch's end, the final result."""

    def __init__(self, engine: str, noise: bool = False) -> None:
        ns = NS
        per_epoch = {}

        class Record(ns["Callback"]):
            wants_metrics = False  # it reads none: the run measures what it would without it

            def on_epoch_end(self, state):
                per_epoch[state.epoch] = ns["digest"](ns["weights"](state.model))

        model, history = ns["train"](engine, extra=[Record()], noise=noise)
        self.epoch_weights = per_epoch
        self.model = model
        self.weights = ns["weights"](model)
        self.record = ns["record"](history)
        self.last_epoch = history.epochs[-1]


_REFERENCES: dict = {}


def reference(engine: str, noise: bool = False) -> Reference:
    if (engine, noise) not in _REFERENCES:
        _REFERENCES[engine, noise] = Reference(engine, noise)
    return _REFERENCES[engine, noise]


def same_as(ref: Reference, model, history) -> bool:
    w = NS["weights"](model)
    same_weights = w.keys() == ref.weights.keys() and all(
        np.array_equal(w[k], ref.weights[k]) for k in w
    )
    return same_weights and NS["record"](history) == ref.record
