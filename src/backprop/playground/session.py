"""One browser tab's training session: settings, data, network, the spec it exports.

A ``Session`` turns the playground's settings (``fields.FIELDS``) into an experiment spec
and builds every part from it with the same functions ``backprop.run`` uses (the data
registry, ``spec.runner.model_for``, the loss and optimizer registries), so an exported
spec trains to the same numbers with ``backprop train``. It trains with what it inherits
from ``training.Training``: ``fit``'s span runner on the NumPy δ engine, driven in slices.
What the page draws is computed in ``views``; this module never touches the network
connection.
"""

from __future__ import annotations

import contextlib

import numpy as np

from .. import textrules
from ..errors import BackpropError
from . import features as feats
from . import fields, settings, uploads
from .curves import Status
from .notes import about
from .protocol import ProtocolError
from .training import Training, next_id


class Session(Training):
    """The state of one tab: call ``apply`` with settings, ``train`` to run, ``views``."""

    def __init__(self, settings: dict | None = None) -> None:
        self.state = fields.defaults()
        self.csv: tuple | None = None  # uploaded CSV: (name, text, columns, classes or None)
        self.status = Status()
        self.seq = 0
        self.rev = 0  # the state's id, new on every change (state messages carry it)
        self.notes: list[str] = []
        self.apply(settings or {}, rebuild=True)

    # -- settings ------------------------------------------------------------------------
    def apply(
        self, changes: dict, rebuild: bool = False, csv: tuple | None = None, guard=None
    ) -> list[str]:
        """Merge checked ``changes`` into the settings; rebuild what they touch.

        Data settings regenerate the data and the network, network settings rebuild the
        network (reset to epoch 0), the optimizer is rebuilt in place, and learning rate,
        regularisation, batch size (from the next epoch) and stop conditions change the
        running training (``Training._retune``). ``csv`` (an upload) replaces the uploaded
        file in the same step; ``guard(new, old)`` may refuse the settings the change
        results in (a lesson's locks) or set some of them. A change is all or nothing: what
        it builds replaces the session's parts only when every part was built; a refusal
        leaves the session as it was (``_transaction``).
        """
        with self._transaction():
            if csv is not None:
                self.csv = csv
            new = {**self.state, **changes}
            old = getattr(self, "raw", None)  # the data before the change (None: first build)
            old_dims = None if old is None else old.x.shape[1]
            notes = settings.reconcile(
                new, changes, self.csv_dims, csv is not None, old_dims, self.csv and self.csv[3]
            )
            if guard is not None:  # may refuse, or set some (a locked activation: a note)
                notes += guard(new, self.state) or []
            changed = {k for k in new if new[k] != self.state.get(k)} | set(changes)
            during = getattr(self, "run", None) is not None and self.steps > 0
            before, self.state = self.state, new
            if rebuild or changed & set(settings.DATA_KEYS):
                self._build_data()
                self._build_network()
            elif changed & set(settings.NET_KEYS):
                self._build_network()
            else:
                if during:  # what the spec cannot say about a run changed midway
                    self.lr_changed = self.lr_changed or "lr" in changed
                    self.changed_during |= changed & {
                        "batch_size",
                        "optimizer",
                        "regularization",
                        "reg_rate",
                    }
                    self.change_log = [*self.change_log, *self._logged(before, changed)]
                self._retune(changed)
        self.rev = next_id()  # unique in the process, not per session (P1)
        if self.target_scaling is not None and (csv is not None or "problem" in changed):
            said = uploads.standardised_note(self.target_col, self.target_scaling)
            notes.append(about("data", said))  # it ends with this data (notes.py)
        stop = self.state["stop_epochs"]
        if "stop_epochs" in changed and 0 < stop <= self.epoch:  # said, not silently past
            notes.append(
                f"Stop after {stop} epochs: this run is at epoch {self.epoch} already, so Play "
                f"trains on from here; Reset starts again from epoch 0 and stops at {stop}."
            )
        if changed & {"stop_epochs", "stop_loss"} and self.status.stopped:
            self.status.stopped = ""
        self.notes = notes
        return notes

    @contextlib.contextmanager
    def _transaction(self):
        """Run a change; on any failure put every part of the session back as it was.

        The building methods replace the session's parts (data, model, plan, optimizer,
        runner, curves) with new objects, so the parts kept here are the working ones; a
        ``BackpropError`` becomes the ``ProtocolError`` the page shows.
        """
        saved = dict(self.__dict__)
        during = set(getattr(self, "changed_during", ()))
        try:
            yield
        except BaseException as exc:
            self.__dict__.clear()
            self.__dict__.update(saved)
            if "changed_during" in saved:
                self.changed_during = during
            if isinstance(exc, BackpropError) and not isinstance(exc, ProtocolError):
                raise ProtocolError(str(exc), getattr(exc, "field", None)) from None
            raise

    @property
    def n_inputs(self) -> int:
        return self.raw.x.shape[1]

    @property
    def csv_dims(self) -> int | None:
        """Feature columns of the uploaded CSV (1 or 2), or None without one."""
        return None if self.csv is None else self.csv[2]

    def upload(self, name: str, text: str, guard=None, parsed=None) -> list[str]:
        """Use an uploaded CSV; a file refused at any step leaves the session as it was.
        ``parsed``: the file as ``uploads.prepare`` read it for these settings (the server
        reads it on a thread); None reads it here."""
        s = self.state
        if parsed is None:
            parsed = uploads.prepare(name, text, s["train_ratio"], s["seed"])
        given, (name, text, data) = name, (parsed.name, parsed.text, parsed.data)
        self._csv_ready = parsed.ready
        try:
            notes = self.apply(
                {"dataset": "csv", "problem": data.task},
                rebuild=True,
                csv=(name, text, data.x.shape[1], uploads.classes(data)),
                guard=guard,
            )
        except ProtocolError as exc:
            raise ProtocolError(f"upload {name}: {exc}", exc.field) from None
        finally:
            self._csv_ready = None
        # the spec names the cleaned columns and file (spec_gaps)
        self.csv_renamed = parsed.renamed + (((given, name),) if given != name else ())
        said = parsed.cleaned + uploads.constant_notes(name, self.raw)  # about this file
        self.notes = notes = [about("data", n) for n in said] + notes
        return notes

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
            # epoch 0 is 0: the model as initialised (a spec of 1 epoch trained one more)
            "epochs": epochs if epochs is not None else self.epoch,
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
                "task": s["problem"],
                "test_ratio": round(1 - s["train_ratio"] / 100, 6),
                # what the session trains on (a CSV's regression targets standardised)
                "standardize_target": getattr(self, "target_scaling", None) is not None,
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
            chosen = ", ".join(feats.label(f, self.n_inputs) for f in s["features"])
            raw = ", ".join(
                feats.label(f, self.n_inputs)
                for f in feats.available(self.n_inputs)[: self.n_inputs]
            )
            gaps.append(f"the input features {chosen} (the spec trains on the raw inputs {raw})")
        renamed = getattr(self, "csv_renamed", ()) if s["dataset"] == "csv" else ()
        if renamed:
            said = ", ".join(f"'{textrules.escape(a)}' as '{b}'" for a, b in renamed)
            gaps.append(
                f"the file's name or column names as cleaned on upload ({said}): the spec names "
                "them so; rename them in your copy of the file before 'backprop train' reads it"
            )
        if s["regularization"] != "none" and s["reg_rate"] > 0:
            gaps.append(f"{s['regularization'].upper()} regularisation")  # the note says where
        if self.edited:
            gaps.append("weights or biases typed in by hand")
        if self.lr_changed:
            when = self._said_changes({"lr"})
            gaps.append(
                f"learning-rate changes made during the run ({when}the spec has the last one)"
            )
        during = getattr(self, "changed_during", set())
        for keys, what in (
            ({"batch_size"}, "the batch size"),
            ({"optimizer"}, "the optimizer"),
            ({"regularization", "reg_rate"}, "the regularisation"),
        ):
            if during & keys:
                when = self._said_changes(keys)
                gaps.append(f"{what} changed during the run ({when}the spec has the last setting)")
        left = self.steps_left()
        if self.steps and left != self.steps_per_epoch():
            done = self.steps_per_epoch() - left
            gaps.append(
                f"exported in the middle of an epoch ({done} of {self.steps_per_epoch()} "
                "batches of the next epoch done; the spec counts whole epochs)"
            )
        return gaps

    def _logged(self, before: dict, changed: set) -> list[tuple]:
        """The run's settings changed now, with the epoch they changed at (``spec_gaps``)."""
        mid = self.steps_left() != self.steps_per_epoch()
        keys = ("lr", "batch_size", "optimizer", "regularization", "reg_rate")
        return [(k, before.get(k), self.state[k], self.epoch, mid) for k in keys if k in changed]

    def _said_changes(self, keys: set) -> str:
        """``lr changed from 0.03 to 0.3 after epoch 5; `` for the logged changes of ``keys``."""
        said = ""
        for key, old, new, epoch, mid in getattr(self, "change_log", ()):
            if key in keys:
                old, new = (f"{v:g}" if isinstance(v, float) else v for v in (old, new))
                at = f"during epoch {epoch + 1}" if mid else f"after epoch {epoch}"
                said += f"{key} changed from {old} to {new} {at}; "
        return said

    # -- building --------------------------------------------------------------------------
    def _build_data(self) -> None:
        from .. import data as datasets

        s = self.state
        self.target_scaling = None
        self.data_id = next_id()  # a note about the data ends with it (notes.py)
        if s["dataset"] == "csv":
            ready = getattr(self, "_csv_ready", None)  # read off the loop (``upload``)
            if ready is not None and ready[0] == (self.csv, s["train_ratio"], s["seed"],
                                                  s["problem"]):  # fmt: skip
                self.raw, self.target_col = ready[1]
            else:
                self.raw, self.target_col = uploads.load_csv(
                    self.csv, s["train_ratio"], s["seed"], s["problem"]
                )  # the problem the page says (one truth: data, training, link and export)
            if self.raw.task == "regression":  # as backprop train does for a CSV's targets
                self.target_scaling = uploads.standardized_targets(self.raw)
            return
        d = self._data_spec()
        extra = d.get("options", {})
        self.raw = datasets.make(d["name"], n=d["n"], noise=d["noise"], seed=s["seed"],
                                 train_ratio=d["train_ratio"], **extra)  # fmt: skip
        self.target_col = None

    def _build_network(self) -> None:
        """Model, plan, optimizer and the span runner that trains them, as ``fit`` would."""
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
            y=raw.y if self.target_scaling is None else self.target_scaling.z,
            x_test=None if raw.x_test is None else feats.transform(raw.x_test, names),
            y_test=raw.y_test if self.target_scaling is None else self.target_scaling.z_test,
            feature_names=[feats.label(f, self.n_inputs) for f in names],
            target_names=raw.target_names,
        )
        self.edited = self.lr_changed = False
        self.changed_during: set[str] = set()
        self.change_log: list[tuple] = []  # (key, old, new, epochs done, mid-epoch)
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
        self.task = prep.task
        self.plan.compute(self.x[:2], self.y[:2])
        self._build_optimizer()
        self.flat = flatten_parameters(model)
        self.weights = [layer.weight._data for layer in self.plan.net]
        self._build_training()
        backprop.manual_seed(s["seed"])  # leave the global stream as model_for left it

    def _build_optimizer(self) -> None:
        from ..optim import OPTIMIZERS

        name, options = settings.OPTIMIZER_SPECS[self.state["optimizer"]]
        self.optimizer = OPTIMIZERS[name](self.model.parameters(), lr=self.state["lr"], **options)

    def reset(self) -> None:
        """Back to epoch 0: the same data and the same initial weights (same seed)."""
        self._build_network()

    def edit(self, kind: str, layer: int, row: int, col: int | None, value: float) -> None:
        """Set one weight W (PyTorch's [row = to, col = from]) or bias of layer ``layer`` ≥ 1.

        A value typed by hand starts at rest: its entry of the optimizer's velocity (Adam's
        first moment ``exp_avg``, the momentum buffer) is set to 0, its scale (Adam's
        ``exp_avg_sq``, RMSprop's ``square_avg``) is kept. The velocity was built by the old
        value's gradients; kept, it moved the lecture's exact |x − 1| weights away on the next
        Step (Adam: test loss 4e-15 → 0.011; momentum → 0.71), where the gradient is ≈ 0 and
        a student expects them to stay (fourth teacher trial)."""
        from .protocol import weight_name

        net = self.plan.net
        name = weight_name({"kind": kind, "layer": layer, "row": row, "col": col})
        if not 1 <= layer <= len(net):
            raise ProtocolError(
                f"edit: {name}: this network has layers 1 to {len(net)}; got layer {layer}.",
                "edit.layer",
            )
        lin = net[layer - 1]
        if kind == "bias":
            if lin.bias is None or row >= lin.n_out:
                last = weight_name({"kind": "bias", "layer": layer, "row": lin.n_out - 1})
                raise ProtocolError(
                    f"edit: {name}: layer {layer} has the biases b[{layer}]₁ to {last}.",
                    "edit.row",
                )
            param, at = lin.bias, row
        else:
            if row >= lin.n_out or col >= lin.n_in:
                raise ProtocolError(
                    f"edit: {name}: layer {layer}'s weights go from {lin.n_in} to {lin.n_out} "
                    f"neurons (w[{layer}]ᵢⱼ: i = 1 … {lin.n_in}, j = 1 … {lin.n_out}); got "
                    f"i = {col + 1}, j = {row + 1}.",
                    "edit.row" if row >= lin.n_out else "edit.col",
                )
            param, at = lin.weight, (row, col)
        array = param._data
        if array.dtype.type(value) == array[at]:
            return  # the value it holds (the snapshot's, sent back): nothing changes
        array[at] = value
        self.edited = True
        self.edits += 1  # the numbers shown are measured again
        loop = self.run.loop
        if loop is not None:
            loop.sync()  # the optimizer's state as the loop has it, then changed here
            array[at] = value
        for key in VELOCITY:
            held = self.optimizer.state.get(param, {}).get(key)
            if held is not None:
                held._data[at] = 0
        if loop is not None:
            loop.reload()


VELOCITY = ("exp_avg", "momentum_buffer")  # the optimizer state an edit sets to rest
