"""One browser tab's training session: settings, data, network, the step loop, exports.

A ``Session`` turns the playground's settings (``fields.FIELDS``) into an experiment spec
and builds every part from it with the same functions ``backprop.run`` uses (the data
registry, ``spec.runner.model_for``, the loss and optimizer registries), so an exported
spec trains to the same numbers with ``backprop train``. Training is the δ engine's fast
path (``delta.Plan`` on flat parameters) in the same order as ``train.fit``: a seeded
permutation per epoch, minibatches, ``zero_grad``/``step``, the loss and metrics measured on
the whole training and test sets after each epoch. What the page draws is computed in
``views``; this module never touches the network connection.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from ..errors import BackpropError
from . import features as feats
from . import fields, settings, uploads
from .protocol import ProtocolError

HISTORY_MAX = 400  # points kept per curve (older ones thinned out)


@dataclass
class Status:
    running: bool = False
    stopped: str = ""  # why training stopped on its own ("" if it did not)
    diverged: bool = False


class Series:
    """A bounded time series: keeps at most ``limit`` points by halving its resolution."""

    def __init__(self, limit: int = HISTORY_MAX) -> None:
        self.limit, self.stride = limit, 1
        self.x: list[int] = []
        self.rows: list = []

    def add(self, x: int, row) -> None:
        if x % self.stride:
            return
        self.x.append(x)
        self.rows.append(row)
        if len(self.x) > self.limit:
            self.stride *= 2
            keep = [i for i, v in enumerate(self.x) if v % self.stride == 0]
            self.x = [self.x[i] for i in keep]
            self.rows = [self.rows[i] for i in keep]


class Session:
    """The state of one tab: call ``apply`` with settings, ``train`` to run, ``views``."""

    def __init__(self, settings: dict | None = None) -> None:
        self.state = fields.defaults()
        self.csv: tuple[str, str, int] | None = None  # uploaded CSV: (name, text, columns)
        self.status = Status()
        self.seq = 0
        self.notes: list[str] = []
        self.apply(settings or {}, rebuild=True)

    # -- settings ------------------------------------------------------------------------
    def apply(self, changes: dict, rebuild: bool = False) -> list[str]:
        """Merge checked ``changes`` into the settings; rebuild what they touch.

        Data settings regenerate the data and the network, network settings rebuild the
        network (reset to epoch 0), the optimizer is rebuilt in place, and learning rate,
        regularisation, batch size and stop conditions change the running training.
        """
        new = {**self.state, **changes}
        notes = settings.reconcile(new, changes, self.csv_dims)
        changed = {k for k in new if new[k] != self.state.get(k)} | set(changes)
        if "lr" in changed and getattr(self, "epoch", 0) > 0:
            self.lr_changed = True
        old = self.state
        self.state = new
        try:
            if rebuild or changed & set(settings.DATA_KEYS):
                self._build_data()
                self._build_network()
            elif changed & set(settings.NET_KEYS):
                self._build_network()
            elif "optimizer" in changed:
                self._build_optimizer()
            elif "lr" in changed:
                for group in self.optimizer.param_groups:
                    group["lr"] = new["lr"]
        except (BackpropError, ProtocolError) as exc:
            self.state = old  # back to the settings that worked, rebuilt from scratch
            if rebuild or changed & set(settings.DATA_KEYS):
                self._build_data()
            self._build_network()
            raise ProtocolError(str(exc), getattr(exc, "field", None)) from None
        if changed & {"stop_epochs", "stop_loss"} and self.status.stopped:
            self.status.stopped = ""
        self.notes = notes
        return notes

    @property
    def n_inputs(self) -> int:
        return self.raw.x.shape[1]

    @property
    def csv_dims(self) -> int | None:
        """Feature columns of the uploaded CSV (1 or 2), or None without one."""
        return None if self.csv is None else self.csv[2]

    def upload(self, name: str, text: str) -> list[str]:
        """Use an uploaded CSV (checked first; a bad file leaves the session as it was)."""
        data, _ = uploads.load_csv((name, text, 0), self.state["train_ratio"], self.state["seed"])
        old = self.csv
        self.csv = (name, text, data.x.shape[1])
        problem = data.task
        try:
            return self.apply({"dataset": "csv", "problem": problem}, rebuild=True)
        except ProtocolError:
            self.csv = old
            raise

    @property
    def loss_name(self) -> str:
        return settings.resolve_loss(self.state, self.raw)

    def spec(self, epochs: int | None = None, csv_path: str | None = None) -> dict:
        """The experiment spec of the current settings (``backprop train`` runs it)."""
        s = self.state
        ds = s["dataset"]
        data = self._data_spec(csv_path)
        opt_name, options = settings.OPTIMIZER_SPECS[s["optimizer"]]
        n_train = self.x.shape[0] if hasattr(self, "x") else None
        batch = None if n_train is not None and s["batch_size"] >= n_train else s["batch_size"]
        return {
            "version": 1,
            "name": f"playground-{ds if ds != 'csv' else 'csv'}",
            "seed": s["seed"],
            "data": data,
            "model": {
                "hidden": list(s["hidden"]),
                "activation": [settings.registry_activation(a) for a in s["activation"]],
            },
            "loss": {"name": self.loss_name},
            "optimizer": {"name": opt_name, "lr": s["lr"], "options": dict(options)},
            "epochs": max(1, epochs if epochs is not None else self.epoch),
            "batch_size": batch,
            "validation": "test" if self.raw.x_test is not None else None,
            # the page trained on the NumPy δ engine; naming it keeps the numbers identical
            # (the compiled loop agrees only to rounding)
            "engine": "delta",
        }

    def _data_spec(self, csv_path: str | None = None) -> dict:
        s = self.state
        ds = s["dataset"]
        if ds == "csv":
            return {
                "csv": csv_path or self.csv[0],
                "target": self.target_col,
                "test_ratio": round(1 - s["train_ratio"] / 100, 6),
            }
        noise = s["noise"] * settings.SCALE_1D[ds] / 100 if ds in settings.SCALE_1D else s["noise"]
        data = {"name": ds, "n": s["n"], "noise": noise, "train_ratio": s["train_ratio"] / 100}
        if ds in ("gauss", "spiral"):
            data["options"] = {"classes": s["classes"]}
        return data

    def spec_gaps(self) -> list[str]:
        """What the spec cannot say about this session (so ``backprop train`` differs)."""
        s, gaps = self.state, []
        if not feats.is_identity(s["features"], self.n_inputs):
            gaps.append("input features other than the raw inputs (the spec has no feature maps)")
        if s["regularization"] != "none" and s["reg_rate"] > 0:
            gaps.append(f"{s['regularization'].upper()} regularisation (not in the spec)")
        if self.edited:
            gaps.append("weights or biases typed in by hand")
        if self.lr_changed:
            gaps.append("learning-rate changes made during the run (the spec has the last one)")
        return gaps

    # -- building --------------------------------------------------------------------------
    def _build_data(self) -> None:
        from .. import data as datasets

        s = self.state
        if s["dataset"] == "csv":
            self.raw, self.target_col = uploads.load_csv(self.csv, s["train_ratio"], s["seed"])
            return
        d = self._data_spec()
        extra = d.get("options", {})
        self.raw = datasets.make(d["name"], n=d["n"], noise=d["noise"], seed=s["seed"],
                                 train_ratio=d["train_ratio"], **extra)  # fmt: skip
        self.target_col = None

    def _build_network(self) -> None:
        """Model, plan, optimizer, shuffling stream and counters, as ``fit`` would set them."""
        import backprop

        from ..data import Dataset
        from ..delta import Plan, flatten_parameters
        from ..spec import normalize
        from ..spec.runner import loss_for, model_for
        from ..train.inputs import loss_kind, prepare

        s, raw = self.state, self.raw
        names = s["features"]
        mapped = Dataset(
            name=raw.name,
            task=raw.task,
            x=feats.transform(raw.x, names),
            y=raw.y,
            x_test=None if raw.x_test is None else feats.transform(raw.x_test, names),
            y_test=raw.y_test,
            feature_names=[feats.label(f, self.n_inputs) for f in names],
            target_names=raw.target_names,
        )
        self.epoch, self.steps, self.cursor, self.order = 0, 0, 0, None
        self.edited = self.lr_changed = False
        spec = self.spec(epochs=1)
        loss_spec = {"name": spec["loss"]["name"], "reduction": "mean", "options": {}}
        model = model_for(normalize(spec), mapped, loss_spec["name"])
        self.model, self.loss = model, loss_for(loss_spec)
        kind = loss_kind(loss_spec["name"])
        self.plan = Plan(model, self.loss)
        n_out = self.plan.net[-1].n_out
        prep = prepare(mapped, "test" if mapped.x_test is not None else None, kind=kind,
                       n_in=len(names), n_out=n_out, dtype=np.dtype(np.float32),
                       seed=s["seed"])  # fmt: skip
        self.x, self.y, self.x_test, self.y_test = prep.x, prep.y, prep.x_val, prep.y_val
        self.plan.compute(self.x[:2], self.y[:2])
        self._build_optimizer()
        self.flat = flatten_parameters(model)
        self.weights = [layer.weight._data for layer in self.plan.net]
        self.good = self.flat.copy()
        self.rng = np.random.default_rng(s["seed"])
        self.history = Series()
        self.grad_history = Series()
        self.status = Status()
        self.metrics = self._evaluate()
        self._record()
        backprop.manual_seed(s["seed"])  # leave the global stream as model_for left it

    def _build_optimizer(self) -> None:
        from ..optim import OPTIMIZERS

        name, options = settings.OPTIMIZER_SPECS[self.state["optimizer"]]
        self.optimizer = OPTIMIZERS[name](self.model.parameters(), lr=self.state["lr"], **options)

    def reset(self) -> None:
        """Back to epoch 0: the same data and the same initial weights (same seed)."""
        self._build_network()

    # -- training ------------------------------------------------------------------------
    @property
    def batch_size(self) -> int:
        return min(self.state["batch_size"], self.x.shape[0])

    def step_batch(self) -> float | None:
        """One minibatch: zero_grad, δ-engine backward, optimizer step, regularisation."""
        if self.status.diverged:
            return None
        n, size = self.x.shape[0], self.batch_size
        if self.cursor == 0:
            self.order = self.rng.permutation(n) if size < n else None
        lo = self.cursor
        if self.order is not None:
            rows = self.order[lo : lo + size]
            xb, yb = self.x[rows], self.y[rows]
        else:
            xb, yb = self.x, self.y
        self.optimizer.zero_grad()
        with np.errstate(all="ignore"):  # overflow is caught below, as divergence
            value = self.plan.step(xb, yb)
            if math.isfinite(value):
                self.optimizer.step()
                self._regularize()
        if not math.isfinite(value) or not np.isfinite(self.flat).all():
            self._diverged(value)
            return None
        self.steps += 1
        self.cursor = lo + size
        if self.cursor >= n:
            self.cursor = 0
            self.epoch += 1
            self.metrics = self._evaluate()
            self._record()
            self._check_stop()
        return value

    def step_epoch(self) -> None:
        """Minibatches up to the end of the current epoch."""
        start = self.epoch
        while self.epoch == start and not self.status.diverged:
            self.step_batch()

    def steps_per_epoch(self) -> int:
        return math.ceil(self.x.shape[0] / self.batch_size)

    def train(self, seconds: float, max_epochs: float | None = None, max_steps=None) -> int:
        """Train for about ``seconds``, at most ``max_epochs`` / ``max_steps``; returns steps."""
        end = time.perf_counter() + seconds
        limit = max_steps
        if max_epochs is not None:
            limit = max(1, round(max_epochs * self.steps_per_epoch()))
        done = 0
        while not self.status.stopped and (limit is None or done < limit):
            self.step_batch()
            done += 1
            if self.status.stopped or time.perf_counter() >= end:
                break
        return done

    def _regularize(self) -> None:
        """TF Playground's weight penalty, on weights only, after the optimizer's update.

        L2 shrinks every weight by lr·rate·w; L1 moves it lr·rate towards 0 and stops at 0
        (a proximal step), which is how L1 makes weights exactly zero.
        """
        kind, rate = self.state["regularization"], self.state["reg_rate"]
        if kind == "none" or rate == 0:
            return
        shrink = self.state["lr"] * rate
        for w in self.weights:
            if kind == "l2":
                w *= max(0.0, 1.0 - shrink)
            else:
                np.copysign(np.maximum(np.abs(w) - shrink, 0.0), w, out=w)

    def _diverged(self, value: float) -> None:
        self.flat[...] = self.good  # back to the last finite weights
        what = "NaN" if math.isnan(value) else ("infinite" if math.isinf(value) else "overflowed")
        self.status.running = False
        self.status.diverged = True
        self.status.stopped = (
            f"Training diverged in epoch {self.epoch + 1}: the loss became {what} with "
            f"learning rate {self.state['lr']:g}. The weights shown are those of epoch "
            f"{self.epoch}. Lower the learning rate and press Reset."
        )

    def _check_stop(self) -> None:
        s = self.state
        self.good[...] = self.flat
        if s["stop_epochs"] and self.epoch >= s["stop_epochs"]:
            self.status.stopped = f"Stopped: reached {s['stop_epochs']} epochs."
        watched = self.metrics.get("test_loss", self.metrics["loss"])
        if s["stop_loss"] and watched is not None and watched <= s["stop_loss"]:
            which = "test" if "test_loss" in self.metrics else "training"
            self.status.stopped = (
                f"Stopped: the {which} loss {watched:.4g} reached the target {s['stop_loss']:g} "
                f"in epoch {self.epoch}."
            )
        if self.status.stopped:
            self.status.running = False

    def _evaluate(self) -> dict:
        """Loss and accuracy / RMSE on the training and test sets, as ``fit`` reports them."""
        from ..delta import forward
        from ..nn.losses import loss_value
        from ..train import metrics

        entry, reduction, options = self.plan.resolved
        out = {}
        pairs = [("", self.x, self.y)]
        if self.x_test is not None:
            pairs.append(("test_", self.x_test, self.y_test))
        for prefix, x, y in pairs:
            with np.errstate(all="ignore"):
                pred = forward(self.model, x, self.plan.net).output
                value = float(loss_value(entry.name, pred, y, reduction, **options))
            out[prefix + "loss"] = value if math.isfinite(value) else None
            if self.raw.task == "classification":
                out[prefix + "accuracy"] = metrics.accuracy(pred, y, entry.name)
            else:
                rmse, _ = metrics.regression_scores(pred.reshape(y.shape), y)
                out[prefix + "rmse"] = rmse if math.isfinite(rmse) else None
        return out

    def _record(self) -> None:
        m = self.metrics
        self.history.add(self.epoch, (m["loss"], m.get("test_loss")))

    def edit(self, kind: str, layer: int, row: int, col: int | None, value: float) -> None:
        """Set one weight W (PyTorch's [row = to, col = from]) or bias of layer ``layer`` ≥ 1."""
        net = self.plan.net
        if not 1 <= layer <= len(net):
            raise ProtocolError(f"edit: layer must be 1 to {len(net)}; got {layer}.")
        lin = net[layer - 1]
        if kind == "bias":
            if lin.bias is None or row >= lin.n_out:
                raise ProtocolError(f"edit: layer {layer} has biases 0 to {lin.n_out - 1}.")
            lin.bias._data[row] = value
        else:
            if row >= lin.n_out or col >= lin.n_in:
                raise ProtocolError(
                    f"edit: layer {layer}'s weights go from {lin.n_in} to {lin.n_out} neurons; "
                    f"got to={row}, from={col}."
                )
            lin.weight._data[row, col] = value
        self.edited = True
        self.good[...] = self.flat
        self.metrics = self._evaluate()
