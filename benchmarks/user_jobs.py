"""The jobs of the "user paths" section and one runner per path: what a user calls, what
the kernel does alone (INTERNAL), and the peers (torch eager, scikit-learn), all generic over
a ``Job`` (sizes, loss, optimizer rate, batch, epochs, data).

Every runner takes ``epochs`` and returns ``(final loss, extra)``; extra holds the test
accuracy for classification jobs. The backprop runners that take a model start from the same
initial weights as the torch peer (``_model``) and draw the same row orders (``fit``'s
``np.random.default_rng(seed).permutation`` per epoch); ``backprop.run``, the CLI and the
estimators make their own weights (their seeds), as a user's run would.
The whole-process commands live in ``user_scripts``.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import backprop as bp
from backprop import nn, optim


@dataclass
class Job:
    name: str
    sizes: list[int]
    loss: str  # "mse" or "cross_entropy"
    lr: float
    batch: int | None  # None: full batch
    epochs: int
    x: np.ndarray
    y: np.ndarray
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    spec: dict | None = None  # for backprop.run and `backprop train SPEC`
    cli: list[list[str]] = field(default_factory=list)  # argv after `backprop`: {epochs} {spec}
    notes: list[str] = field(default_factory=list)

    @property
    def steps_per_epoch(self) -> int:
        return 1 if self.batch is None else -(-len(self.x) // self.batch)

    @property
    def classify(self) -> bool:
        return self.loss == "cross_entropy"


# -- the jobs ---------------------------------------------------------------------------
def lecture_job(epochs: int) -> Job:
    bp.manual_seed(0)
    x = 5 * bp.randn(100, 1)
    y = x.square() + bp.randn_like(x)
    spec = {**_spec("square"), "epochs": epochs}
    return Job(
        "lecture",
        [1, 8, 8, 1],
        "mse",
        0.1,
        None,
        epochs,
        x.numpy(),
        y.numpy(),
        spec=spec,
        cli=[
            ["demo", "square", "--no-plots", "--epochs", "{epochs}", "-v"],
            ["train", "{spec}", "--no-plots", "--epochs", "{epochs}", "-v"],
        ],
        notes=[
            "backprop.run and the CLI train on the spec's own square data (100 points, "
            "same sizes, Adam 0.1, full batch); the in-process rows on x = 5·randn."
        ],
    )


def digits_job(epochs: int) -> Job:
    from backprop.spec import prepare

    spec = {**_spec("digits"), "epochs": epochs}
    data = prepare(spec).dataset  # 80/20 split, standardised on the training rows
    f32 = np.float32
    return Job(
        "digits",
        [64, 128, 128, 10],
        "cross_entropy",
        1e-3,
        32,
        epochs,
        data.x.astype(f32),
        data.y,
        data.x_test.astype(f32),
        data.y_test,
        spec=spec,
        cli=[["train", "{spec}", "--no-plots", "--epochs", "{epochs}", "-v"]],
    )


def wide_job(epochs: int, rows: int) -> Job:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((rows, 784)).astype(np.float32)
    y = rng.integers(0, 10, rows).astype(np.int64)
    return Job("wide", [784, 512, 512, 10], "cross_entropy", 1e-3, 256, epochs, x, y)


def _spec(name: str) -> dict:
    import json

    import backprop.specs

    return json.loads((Path(backprop.specs.__file__).parent / f"{name}.json").read_text())


# -- helpers ----------------------------------------------------------------------------
def _model(job: Job):
    bp.manual_seed(1)
    return nn.MLP(job.sizes, activation="relu")


def _loss(job: Job):
    return nn.MSELoss() if job.loss == "mse" else nn.CrossEntropyLoss()


def _batches(job: Job, epochs: int):
    """Yield (epoch-end?, rows) in fit's order: one permutation per epoch, seed 0."""
    n = len(job.x)
    rng = np.random.default_rng(0)
    for _ in range(epochs):
        if job.batch is None:
            yield True, slice(None)
            continue
        order = rng.permutation(n)
        for lo in range(0, n, job.batch):
            yield lo + job.batch >= n, order[lo : lo + job.batch]


def _extra(job: Job, predict) -> dict:
    if not job.classify or job.x_test is None:
        return {}
    return {"accuracy": float(np.mean(np.asarray(predict(job.x_test)).argmax(1) == job.y_test))}


def _ours(job: Job, model) -> dict:
    def predict(x):
        with bp.no_grad():
            return model(bp.tensor(x)).numpy()

    return _extra(job, predict)


# -- public paths -------------------------------------------------------------------------
def fit_path(engine: str):
    def run(job: Job, epochs: int):
        from backprop.train import fit

        model = _model(job)
        adam = optim.Adam(model.parameters(), lr=job.lr)
        history = fit(model, (job.x, job.y), _loss(job), adam, epochs, job.batch, engine=engine)
        extra = {**_ours(job, model), "engine": getattr(history, "engine", "?")}
        return float(history["loss"][-1]), extra

    return run


def run_spec(job: Job, epochs: int):
    r = bp.run({**job.spec, "epochs": epochs})
    extra = {"engine": getattr(r.history, "engine", "?")}
    if job.classify:
        extra.update(_ours(job, r.net))
    return float(r.history["loss"][-1]), extra


def estimator(job: Job, epochs: int):
    from backprop.sklearn import MLPClassifier, MLPRegressor

    cls = MLPClassifier if job.classify else MLPRegressor
    est = cls(
        hidden_layer_sizes=tuple(job.sizes[1:-1]),
        learning_rate_init=job.lr,
        batch_size=job.batch or len(job.x),
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=epochs,
        alpha=0.0,  # as the scikit-learn peer (its default 1e-4 adds an L2 term)
        random_state=0,
        dtype="float32",
    )
    y = job.y if job.classify else job.y.ravel()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: max_iter epochs, on purpose
        est.fit(job.x, y)
    extra = {"engine": getattr(est.history_, "engine", "?")}
    if job.classify and job.x_test is not None:
        extra["accuracy"] = float(est.score(job.x_test, job.y_test))
    return float(est.loss_curve_[-1] * (1 if job.classify else 2)), extra  # ½ MSE, as sklearn


def hand_autograd(job: Job, epochs: int):
    """The lecture's loop on backprop's autograd (``import backprop as torch``)."""
    model = _model(job)
    adam = optim.Adam(model.parameters(), lr=job.lr)
    loss_function = _loss(job)
    x, y = bp.tensor(job.x), bp.tensor(job.y)
    loss = None
    for _, rows in _batches(job, epochs):
        adam.zero_grad()
        loss = loss_function(model(x[rows]), y[rows])
        loss.backward()
        adam.step()
    return loss.item(), _ours(job, model)


def hand_delta(job: Job, epochs: int):
    """The lecture's δ loop by hand: ``delta.backward(model, x, y, loss)`` + ``Adam.step()``."""
    from backprop import delta

    model = _model(job)
    adam = optim.Adam(model.parameters(), lr=job.lr)
    loss_function = _loss(job)
    x, y = bp.tensor(job.x), bp.tensor(job.y)
    loss = float("nan")
    for _, rows in _batches(job, epochs):
        adam.zero_grad()
        loss = delta.backward(model, x[rows], y[rows], loss_function).loss
        adam.step()
    return float(loss), _ours(job, model)


# -- INTERNAL: the engines called directly ------------------------------------------------
def internal_kernel(job: Job, epochs: int):
    from backprop.delta import fused

    model = _model(job)
    adam = optim.Adam(model.parameters(), lr=job.lr)
    seed = None if job.batch is None else 0
    result = fused.train(
        model, _loss(job), adam, job.x, job.y, epochs, job.batch, shuffle_seed=seed
    )
    return float(result.epoch_losses[-1]), _ours(job, model)


def internal_plan(job: Job, epochs: int):
    from backprop import delta

    model = _model(job)
    delta.flatten_parameters(model)
    adam = optim.Adam(model.parameters(), lr=job.lr)
    plan = delta.Plan(model, _loss(job))
    loss = float("nan")
    for _, rows in _batches(job, epochs):
        adam.zero_grad()
        loss = plan.step(job.x[rows], job.y[rows])
        adam.step()
    return float(loss), _ours(job, model)


# -- peers ----------------------------------------------------------------------------------
def torch_eager(job: Job, epochs: int):
    import torch

    ours = _model(job)
    layers = []
    for a, b in itertools.pairwise(job.sizes):
        layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    model.load_state_dict(
        {k: torch.from_numpy(v.numpy(force=True).copy()) for k, v in ours.state_dict().items()}
    )
    adam = torch.optim.Adam(model.parameters(), lr=job.lr)
    loss_function = torch.nn.MSELoss() if job.loss == "mse" else torch.nn.CrossEntropyLoss()
    x, y = torch.from_numpy(job.x), torch.from_numpy(job.y)
    loss = None
    for _, rows in _batches(job, epochs):
        if not isinstance(rows, slice):
            rows = torch.from_numpy(rows)
        adam.zero_grad()
        loss = loss_function(model(x[rows]), y[rows])
        loss.backward()
        adam.step()

    def predict(a):
        with torch.no_grad():
            return model(torch.from_numpy(a)).numpy()

    return loss.item(), _extra(job, predict)


def sklearn_peer(job: Job, epochs: int):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    cls = MLPClassifier if job.classify else MLPRegressor
    est = cls(
        hidden_layer_sizes=tuple(job.sizes[1:-1]),
        activation="relu",
        solver="adam",
        learning_rate_init=job.lr,
        batch_size=job.batch or len(job.x),
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=epochs + 1,
        alpha=0.0,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(job.x, job.y if job.classify else job.y.ravel())
    extra = {}
    if job.classify and job.x_test is not None:
        extra["accuracy"] = float(est.score(job.x_test, job.y_test))
    return float(est.loss_ * (1 if job.classify else 2)), extra  # its MSE loss is ½ MSE
