"""Running an experiment spec: data, model, loss, optimizer, schedule, fit (floor 5).

``run(spec)`` is the one place where a spec turns into a training run; the library, the
CLI (``backprop train spec.json``) and the playground all call it, so the same spec and seed
give the same numbers everywhere. It builds each part from the name registries (datasets,
activations, losses, optimizers) and hands them to ``backprop.train.fit``. It prints
nothing: pass callbacks to watch the run.
"""

from __future__ import annotations

import itertools
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import SpecError
from . import targets
from .schema import fail, normalize


@dataclass
class Run:
    """Everything a finished run produced; ``spec`` is the normalised spec that ran."""

    spec: dict
    model: Any
    dataset: Any
    loss: Any
    optimizer: Any
    history: Any
    scheduler: Any = None
    extra: dict = field(default_factory=dict)
    target_scaling: Any = None  # targets.TargetScaling while training on standardised y

    def file_spec(self) -> dict:
        """The spec as saved with the model: ``data`` gains what predicting needs.

        ``data.scaler`` (the input standardisation fitted on the training rows), ``data.task``,
        ``data.feature_names`` and ``data.target_names`` — so the file alone turns raw inputs
        into predictions with their names (``backprop predict``).
        """
        from .effective import effective_spec

        ds = self.dataset
        scaler = getattr(ds, "scaler", None)
        spec = effective_spec(self)  # the defaults it used written in, as in spec.json
        data = {
            **spec["data"],
            "task": ds.task,
            "feature_names": list(ds.feature_names),
            "target_names": list(ds.target_names),
            "scaler": None if scaler is None else scaler.to_dict(),
        }
        if self.target_scaling is not None:  # for the reader; the weights already undo it
            data["target_scaler"] = self.target_scaling.to_dict()
        return {**spec, "data": data}

    @property
    def diverged(self) -> bool:
        """True when training stopped on a non-finite loss or gradient (the NaN guard)."""
        return bool(getattr(self.history, "diverged", False))

    def file_metadata(self) -> dict:
        """What the model file says about how training ended, besides the spec.

        After a divergence: ``stopped`` (where and why, the guard's sentence) and ``weights``
        (which weights the file holds: ``kept_weights()``). ``backprop summary`` shows both.
        """
        if not self.diverged:
            return {}
        meta = {"stopped": f"diverged: {self.history.stop_reason}", "weights": self.kept_weights()}
        if "kept" in self.extra:
            epoch, loss = self.extra["kept"]
            meta["weights_epoch"] = epoch
            meta["weights_loss"] = loss if math.isfinite(loss) else None
        return meta

    def kept_weights(self) -> str:
        """After a divergence, which weights the model holds, in words.

        ``run`` puts back the weights of the epoch with the lowest training loss before the
        run diverged (the guard stops on NaN/inf only, so the last finite weights may be
        finite and useless: a learning rate of 1000 left weights that predict 1e18).
        """
        h = self.history
        where = f"epoch {h.stopped_epoch}, batch {h.stopped_batch}"
        kept = self.extra.get("kept")
        if kept is None:  # a Run made by hand
            return f"last finite weights, from before the step that diverged ({where})"
        epoch, loss = kept
        if not math.isfinite(loss):
            return (
                f"weights training started from (epoch {epoch}); the run diverged in {where} "
                "before any epoch ended with a finite loss"
            )
        which = "weights training started from" if epoch == 0 else f"weights of epoch {epoch}"
        return (
            f"{which}, the lowest training loss before the divergence ({loss:.6g}); the run "
            f"diverged in {where}"
        )

    def __repr__(self) -> str:
        """One line: the spec's name, the network, the data, epochs run and the last loss."""
        from ..summary import summary

        sizes = summary(self.model).sizes
        net = "-".join(map(str, sizes)) + " MLP" if sizes else type(self.model).__name__
        data = self.spec.get("data", {}).get("name") or "CSV"
        h = self.history
        done = "not trained" if h is None else f"{len(h)} epoch(s), loss={h.last('loss'):.6g}"
        stop = "" if h is None or not h.stop_reason else "; stopped early"
        return f"<Run {self.spec.get('name')!r}: {net} on {data}, {done}{stop}>"

    def _repr_html_(self) -> str:
        """In a notebook: what ran, the final metrics, the loss curve and the model."""
        from ..display import run_html

        return run_html(self)

    def plot(self, path=None, **kwargs):
        """The run's loss curves, its loss named (``plots.loss_curves``): the Figure, or
        the path when one is given."""
        from ..plots import loss_curves

        kwargs.setdefault("loss", self.spec.get("loss", {}).get("name"))
        kwargs.setdefault("validation", self.spec.get("validation"))
        return loss_curves(self.history, path, **kwargs)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the trained model with its spec (and how training ended) to one file."""
        from .. import io

        meta = self.file_metadata()
        return io.save(self.model, path, spec=self.file_spec(), metadata=meta or None)


def load(path: str | os.PathLike) -> dict:
    """Read and check a spec file; returns the normalised spec.

    The file must be a regular file of at most ``reading.SPEC_LIMIT`` (4 MiB) of UTF-8
    JSON; a folder, FIFO or device is refused before a byte is read (``SpecError``, also a
    ``PathError``).
    """
    from ..filekind import HEAD, of_bytes, wrong_kind
    from ..reading import SPEC_LIMIT, SpecPathError, check_path, read_bytes
    from . import builtin, builtin_for, builtin_names, near_builtin

    name = builtin_for(path)
    if name is not None:  # "square": the spec shipped with the package
        return normalize(builtin(name))
    text_path = check_path(path, "spec file", SpecPathError)
    label = f"spec file {text_path!r}"
    try:
        data = read_bytes(text_path, label=label, limit=SPEC_LIMIT, what="spec file",
                          error=SpecPathError)  # fmt: skip
    except SpecPathError as exc:
        near = None if os.path.lexists(text_path) else near_builtin(text_path)
        if near is None:
            raise
        raise SpecPathError(
            f"{exc} Did you mean the built-in spec {near!r}? (built-in: "
            f"{', '.join(builtin_names())})"
        ) from None
    kind = of_bytes(data[:HEAD], text_path)  # a model, history, CSV, ... named as such
    if kind.name not in ("spec", "json", "text", "binary"):
        raise SpecError(wrong_kind(kind, label, "spec"))
    try:
        raw = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise SpecError(f"{label}: not UTF-8 text; a spec is a JSON document.") from None
    except json.JSONDecodeError as exc:
        raise SpecError(
            f"{label}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}."
        ) from None
    except (RecursionError, ValueError) as exc:  # nesting too deep, an integer too long
        deep = isinstance(exc, RecursionError)
        why = "it nests too deeply" if deep else "it holds an integer of over 4300 digits"
        raise SpecError(f"{label}: not a spec: {why}; a spec is a small JSON object.") from None
    return normalize(raw)


def dataset_for(spec: dict):
    """Build (or load) the dataset a normalised spec names."""
    from .. import data as datasets

    d = spec["data"]
    seed = spec["seed"] if d["seed"] is None else d["seed"]
    if d["name"] is not None:
        kwargs = {k: d[k] for k in ("n", "noise", "train_ratio", "test_ratio") if d[k] is not None}
        return datasets.make(d["name"], seed=seed, **kwargs, **d["options"])
    from .schema import MAX_SAMPLES

    # one row past the bound is enough for check_data to refuse: stop reading there
    kwargs = {"test_ratio": d["test_ratio"] or 0.0, "max_rows": MAX_SAMPLES + 1}
    return datasets.from_csv(
        d["csv"], d["target"], features=d["features"], task=d["task"],
        standardize=d["standardize"], seed=seed, **kwargs,
    )  # fmt: skip


def _default_loss(dataset) -> dict:
    if dataset.task == "regression":
        return {"name": "mse", "reduction": "mean", "options": {}}
    name = "bce_with_logits" if dataset.n_classes == 2 else "cross_entropy"
    return {"name": name, "reduction": "mean", "options": {}}


def _outputs(dataset, loss_name: str) -> int:
    if dataset.task == "regression":
        return dataset.y.shape[1] if dataset.y.ndim == 2 else 1
    if loss_name in ("bce", "bce_with_logits"):
        if dataset.n_classes != 2:
            raise fail(
                "loss.name",
                f"{loss_name} is for two classes; this dataset has {dataset.n_classes} — use "
                "cross_entropy",
                loss_name,
            )
        return 1
    return dataset.n_classes


def model_for(spec: dict, dataset, loss_name: str):
    """Build the network the spec describes, sized to the data, initialised from the seed."""
    import backprop

    from .. import io
    from ..nn import Linear, init

    m = spec["model"]
    n_in, n_out = dataset.n_features, _outputs(dataset, loss_name)
    check_data(dataset, n_in, n_out)
    if m["sizes"] is not None:
        sizes = list(m["sizes"])
        if sizes[0] != n_in or sizes[-1] != n_out:
            raise fail(
                "model.sizes",
                f"must start with the data's {n_in} input feature(s) and end with {n_out} "
                f"output(s) for {loss_name}",
                sizes,
            )
    else:
        sizes = [n_in, *m["hidden"], n_out]
    check_size(spec, len(dataset.x), sizes)
    backprop.manual_seed(spec["seed"])
    part = {
        "sizes": sizes,
        "activation": m["activation"],
        "output_activation": m["output_activation"],
        "bias": m["bias"],
        "dtype": m["dtype"],
    }
    if m["activation_options"] is not None:
        part["activation_options"] = m["activation_options"]
    model = io.build_model(part)
    if m["init"] != "default":
        layers = [mod for mod in model.modules() if isinstance(mod, Linear)]
        for i, lin in enumerate(layers):
            act = m["activation"][i] if i < len(m["activation"]) else "identity"
            gain_name = act if act in ("sigmoid", "tanh", "relu", "leaky_relu") else "linear"
            if m["init"] == "zeros":
                init.zeros_(lin.weight)
            elif m["init"].startswith("kaiming"):
                getattr(init, m["init"] + "_")(lin.weight, nonlinearity="relu")
            else:
                getattr(init, m["init"] + "_")(lin.weight, gain=init.calculate_gain(gain_name))
            if lin.bias is not None:
                init.zeros_(lin.bias)
    return model


MAX_SAMPLE_EPOCHS = 10**10  # epochs × training samples
MAX_PARAMETERS = 50_000_000  # 200 MB of float32 weights, under 1 GB with Adam's state
MAX_BATCH_NUMBERS = 250_000_000  # one batch's activations: rows × Σ layer sizes (1 GB)
MAX_WORK = 10**14  # 3 multiply-adds per parameter, sample and epoch: a day at 10^9 a second


def check_data(dataset, n_in: int, n_out: int) -> None:
    """The sizes that come from the data meet the bounds of the same sizes given as flags.

    A CSV decides the input layer (one unit per feature column), the output layer (one unit
    per class) and the number of rows; each is held to ``MAX_WIDTH`` units and
    ``MAX_SAMPLES`` rows, as ``--layers`` and ``--n`` are (a CSV of 100,000 columns trained
    a 100000-4-1 model).
    """
    from .schema import MAX_SAMPLES, MAX_WIDTH

    rows = len(dataset.x) + (0 if dataset.x_test is None else len(dataset.x_test))
    if n_in > MAX_WIDTH:
        raise fail(
            "data.features",
            f"the data has {n_in:,} feature columns, and the input layer has one unit per "
            f"feature: at most {MAX_WIDTH:,} (the bound on a layer); choose fewer columns "
            "(data.features)",
            n_in,
        )
    if n_out > MAX_WIDTH:
        raise fail(
            "data.target",
            f"the target has {n_out:,} classes (or columns), and the output layer has one "
            f"unit each: at most {MAX_WIDTH:,} (the bound on a layer); group the labels or "
            "use task 'regression' for a numeric target",
            n_out,
        )
    if rows > MAX_SAMPLES:
        raise fail(
            "data",
            f"the data has {rows:,} rows, more than {MAX_SAMPLES:,} (the bound on --n); use "
            "a sample of the rows",
            rows,
        )


def check_size(spec: dict, samples: int, sizes: list[int]) -> None:
    """Refuse a run too large to end or to fit in memory, before the model is built.

    The spec schema bounds each number; these bound their products, known once the data
    (``samples`` training rows) and the layer ``sizes`` are. docs/reliability.md says why.
    """
    epochs = spec["epochs"]
    params = sum((a + 1) * b for a, b in itertools.pairwise(sizes))
    batch = min(spec["batch_size"] or samples, samples)
    if epochs * samples > MAX_SAMPLE_EPOCHS:
        raise fail(
            "epochs",
            f"epochs × training samples must be at most {MAX_SAMPLE_EPOCHS:.0e}, and "
            f"{epochs:,} × {samples:,} is {epochs * samples:.2g}; ask for fewer epochs or "
            "samples (--epochs, --n)",
            epochs,
        )
    if params > MAX_PARAMETERS:
        raise fail(
            "model",
            f"layer sizes {_brief(sizes)} make {params:,} parameters, more than "
            f"{MAX_PARAMETERS:,}; use fewer or narrower layers",
            spec["model"]["sizes"] or spec["model"]["hidden"],
        )
    if batch * sum(sizes) > MAX_BATCH_NUMBERS:
        raise fail(
            "batch_size",
            f"one batch of {batch:,} rows through layers {_brief(sizes)} holds "
            f"{batch * sum(sizes):.2g} activations, more than {MAX_BATCH_NUMBERS:.2g} (1 GB); "
            "give a smaller batch_size (--batch-size) or narrower layers",
            spec["batch_size"],
        )
    work = 3 * params * samples * epochs
    if work > MAX_WORK:
        raise fail(
            "epochs",
            f"{epochs:,} epochs × {samples:,} samples × {params:,} parameters is about "
            f"{work:.2g} multiply-adds, more than {MAX_WORK:.0e} (a day at 10^9 a second); "
            "ask for fewer epochs or samples, or a smaller model",
            epochs,
        )


def _brief(sizes: list[int]) -> str:
    text = "-".join(map(str, sizes))
    return text if len(sizes) <= 12 else f"{sizes[0]}-…-{sizes[-1]} ({len(sizes)} layers)"


def loss_for(loss_spec: dict):
    from ..nn.loss_modules import loss_class

    cls = loss_class(loss_spec["name"])
    try:
        return cls(reduction=loss_spec["reduction"], **loss_spec["options"])
    except TypeError as exc:
        raise fail(
            "loss.options", f"not accepted by {cls.__name__}: {exc}", loss_spec["options"]
        ) from None


def optimizer_for(opt_spec: dict, model):
    from ..errors import ConfigError
    from ..optim import OPTIMIZERS

    cls = OPTIMIZERS[opt_spec["name"]]
    kwargs = dict(opt_spec["options"])
    if opt_spec["lr"] is not None:
        kwargs["lr"] = opt_spec["lr"]
    try:
        return cls(model.parameters(), **kwargs)
    except TypeError as exc:
        raise fail(
            "optimizer.options", f"not accepted by {cls.__name__}: {exc}", opt_spec["options"]
        ) from None
    except ConfigError as exc:
        raise fail("optimizer", str(exc), opt_spec) from None


def scheduler_for(schedule: dict | None, optimizer):
    if schedule is None:
        return None
    from ..optim import lr_scheduler as ls

    classes = {
        "step": ls.StepLR,
        "multistep": ls.MultiStepLR,
        "exponential": ls.ExponentialLR,
        "cosine": ls.CosineAnnealingLR,
        "plateau": ls.ReduceLROnPlateau,
    }
    cls = classes[schedule["name"]]
    try:
        return cls(optimizer, **schedule["options"])
    except TypeError as exc:
        raise fail(
            "schedule.options", f"not accepted by {cls.__name__}: {exc}", schedule["options"]
        ) from None


def prepare(spec) -> Run:
    """Build every part of a run without training (``run`` = ``prepare`` + ``fit``)."""
    spec = load(spec) if isinstance(spec, str | os.PathLike) else normalize(spec)
    dataset = dataset_for(spec)
    loss_spec = spec["loss"] or _default_loss(dataset)
    spec["loss"] = loss_spec
    model = model_for(spec, dataset, loss_spec["name"])
    loss = loss_for(loss_spec)
    optimizer = optimizer_for(spec["optimizer"], model)
    scheduler = scheduler_for(spec["schedule"], optimizer)
    scaling = None
    if targets.wanted(spec, dataset):
        targets.check_foldable(model)
        scaling = targets.standardize(dataset)
    return Run(spec, model, dataset, loss, optimizer, None, scheduler, target_scaling=scaling)


def run(spec, *, callbacks=(), verbose="auto") -> Run:
    """Train what ``spec`` describes — a dict, a path to a JSON file, or a built-in spec's
    name (``"square"``, used when no file of that name exists; the run's ``spec["name"]``
    says which) — and return the Run. ``verbose`` is ``fit``'s: ``"auto"`` shows a
    progress bar in a notebook only, True always, False or 0 never.

    Examples:
        >>> import backprop
        >>> run = backprop.run("square")  # the lecture's 1-8-8-1 ReLU, Adam 0.1, 10,000 epochs
        >>> run.spec["model"]["sizes"], run.spec["optimizer"]["lr"], run.spec["epochs"]
        ([1, 8, 8, 1], 0.1, 10000)
        >>> run.history.history["loss"][-1] < 2.5  # near the noise's variance, 1
        True
    """
    from ..train import EarlyStopping, fit
    from ..train.guard import NaNGuard

    r = prepare(spec)
    s = r.spec
    cbs = list(callbacks)
    if s["early_stopping"] is not None:
        e = s["early_stopping"]
        cbs.insert(0, EarlyStopping(monitor=e["monitor"], patience=e["patience"],
                                    min_delta=e["min_delta"],
                                    restore_best_weights=e["restore_best_weights"]))  # fmt: skip
    guard = next((cb for cb in cbs if isinstance(cb, NaNGuard)), None)
    if guard is None:
        guard = NaNGuard()
        cbs.append(guard)
    r.history = fit(
        r.model, r.dataset, r.loss, r.optimizer, epochs=s["epochs"], batch_size=s["batch_size"],
        validation=s["validation"], callbacks=cbs, seed=s["seed"], engine=s["engine"],
        scheduler=r.scheduler, verbose=verbose,
    )  # fmt: skip
    if r.diverged:  # a run's result is its best weights, not the last finite ones
        r.extra["kept"] = guard.restore_best()
        r.history.stop_reason += f" The run then put back the {r.kept_weights().split(';')[0]}."
    if r.target_scaling is not None:  # the model predicts y's own units from here on
        targets.fold(r.model, r.dataset, r.target_scaling)
    return r
