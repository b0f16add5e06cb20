"""Running an experiment spec: data, model, loss, optimizer, schedule, fit (floor 5).

``run(spec)`` is the one place where a spec turns into a training run; the library, the
CLI (``backprop train spec.json``) and the playground all call it, so the same spec and seed
give the same numbers everywhere. It builds each part from the name registries (datasets,
activations, losses, optimizers) and hands them to ``backprop.train.fit``. It prints
nothing: pass callbacks to watch the run.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..apinames import python_api
from ..errors import SpecError
from . import targets
from .build import (  # noqa: F401 - also spec.runner's names, as before
    CSV_BATCH_SIZE,
    MAX_BATCH_NUMBERS,
    MAX_PARAMETERS,
    MAX_SAMPLE_EPOCHS,
    MAX_WORK,
    check_data,
    check_size,
    dataset_for,
    default_loss,
    loss_for,
    model_for,
    optimizer_for,
    scheduler_for,
)
from .schema import normalize

# The network builder ``prepare`` calls: ``model_for``, or for the length of a sweep's trial
# its per-configuration builder (``sweep.prepared.model_for``: the same weights bit for bit)
MODEL_FOR: ContextVar = ContextVar("MODEL_FOR", default=None)


@dataclass
class Run:
    """Everything a finished run produced; ``spec`` is the normalised spec that ran.

    ``model`` takes x in the data's own units (a CSV's columns) and answers in the target's
    units: ``run.model(x) == run.predict(x)`` (a classifier's logits) ``== backprop predict``
    on the saved file, up to float rounding. When the run standardised its inputs (a CSV,
    scikit-learn's sets: ``dataset.scaler`` set), ``model`` is a copy of the trained network
    with z = (x − mean) / std folded exactly into its first layer, as ``backprop.load(saved)``
    returns it (made again when ``net``'s weights change); otherwise it is ``net`` itself.

    ``net`` is the network as it trained, taking z. It pairs with ``dataset``, whose ``x`` and
    ``x_test`` are the standardised rows the run trained on (``dataset.y`` is in the target's
    own units again: the targets' scaling is folded into ``net``'s last layer after
    training). The same rows in the data's own units, for ``model``: ``run.x`` and
    ``run.x_test``. ``run.save`` writes ``net`` with the scaler beside it.

    Examples:
        >>> import backprop
        >>> from backprop import spec
        >>> square = spec.builtin('square')
        >>> square['epochs'] = 200
        >>> run = backprop.run(square)  # a Run
        >>> run.spec['model']['sizes'], len(run.history)
        ([1, 8, 8, 1], 200)
        >>> run.history['loss'][-1] < run.history['loss'][0]
        True
    """

    spec: dict
    net: Any  # the network as it trained (takes z when the inputs were standardised)
    dataset: Any
    loss: Any
    optimizer: Any
    history: Any
    scheduler: Any = None
    extra: dict = field(default_factory=dict)
    target_scaling: Any = None  # targets.TargetScaling while training on standardised y

    @property
    def model(self):
        """The trained network taking x in the data's own units (``net`` with the input
        scaling folded into its first layer; ``net`` itself when there is none)."""
        scaler = getattr(self.dataset, "scaler", None)
        if scaler is None:
            return self.net
        import numpy as np

        params = [p._data for p in self.net.parameters()]
        cached = self.extra.get("_raw_model")  # (net, folded copy, net's weights it was made of)
        same = cached is not None and cached[0] is self.net and len(cached[2]) == len(params)
        if same and all(np.array_equal(a, b, equal_nan=True) for a, b in zip(cached[2], params)):
            return cached[1]
        import copy

        from .predicting import fold_inputs

        folded = copy.deepcopy(self.net)
        fold_inputs(folded, scaler)
        self.extra["_raw_model"] = (self.net, folded, [a.copy() for a in params])
        return folded

    @property
    def x(self):
        """The training inputs in the data's own units (``dataset.x`` is z when the run
        standardised them): the rows to feed ``model``."""
        return self._raw(self.dataset.x)

    @property
    def x_test(self):
        """The held-out inputs in the data's own units, or None (see ``x``)."""
        return self._raw(getattr(self.dataset, "x_test", None))

    def _raw(self, z):
        scaler = getattr(self.dataset, "scaler", None)
        return z if z is None or scaler is None else scaler.inverse_transform(z)

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
        constant = getattr(ds, "constant_columns", None)
        if constant:  # inputs with one value in training: summary and predict say so
            data["constant_inputs"] = [j for j, _ in constant]
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
        if epoch == 0 and h.stopped_epoch is not None and h.stopped_epoch <= 1:
            # no epoch finished: nothing to compare with (a batch loss of the diverging
            # epoch may be lower; its weights went on to diverge)
            return (
                f"weights training started from (training loss {loss:.6g}: no epoch finished "
                f"before the divergence); the run diverged in {where}"
            )
        which = "weights training started from" if epoch == 0 else f"weights of epoch {epoch}"
        return (
            f"{which}, the lowest training loss before the divergence among the finished "
            f"epochs' weights ({loss:.6g}); the run diverged in {where}"
        )

    @property
    def defaults_note(self) -> str | None:
        """Which settings the spec left out and its built-in set filled in, in words
        (``spec.setdefaults``); None when the spec gave them all."""
        from .setdefaults import describe

        filled = self.extra.get("set_defaults")
        data = self.spec["data"]
        return describe(filled, data["name"], data.get("csv")) if filled else None

    def __repr__(self) -> str:
        """One line: the spec's name, the network, the data, epochs run and the last loss."""
        from ..summary import summary

        sizes = summary(self.net).sizes
        net = "-".join(map(str, sizes)) + " MLP" if sizes else type(self.net).__name__
        data = self.spec.get("data", {}).get("name") or "CSV"
        h = self.history
        if h is None or not len(h):
            done = "not trained (0 epochs)" if h is not None else "not trained"
        else:
            done = f"{len(h)} epoch(s), loss={h.last('loss'):.6g}"
        stop = "" if h is None or not h.stop_reason else "; stopped early"
        filled = self.extra.get("set_defaults")
        if filled:
            from .setdefaults import listed

            stop += f"; {data}'s own defaults: {listed(filled)}"
        if getattr(self.dataset, "scaler", None) is not None:  # two networks: say which is which
            stop += (
                "; inputs standardised in training: run.model(x) and run.predict(x) take x in "
                "the data's units (run.x), run.net takes z (run.dataset.x)"
            )
        return f"<Run {self.spec.get('name')!r}: {net} on {data}, {done}{stop}>"

    def _repr_html_(self) -> str:
        """In a notebook: what ran, the final metrics, the loss curve and the model."""
        from ..display import run_html

        return run_html(self)

    def predict(self, x, *, proba: bool = False):
        """Predictions for inputs ``x`` in the data's own units, as ``backprop predict``
        gives them: the run's input scaler applied, then ``net`` (a regression's values are
        ``model(x)``'s; a classifier's are class labels). ``spec.predicting.predict`` says
        more."""
        from .predicting import predict

        return predict(self, x, proba=proba)

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
        return io.save(self.net, path, spec=self.file_spec(), metadata=meta or None)


def load(path: str | os.PathLike) -> dict:
    """Read and check a spec file; returns the normalised spec.

    The file must be a regular file of at most ``reading.SPEC_LIMIT`` (4 MiB) of UTF-8
    JSON; a folder, FIFO or device is refused before a byte is read (``SpecError``, also a
    ``PathError``).

    Examples:
        >>> import json, os, tempfile
        >>> from backprop import spec
        >>> folder = tempfile.TemporaryDirectory()  # deleted with the object
        >>> path = os.path.join(folder.name, 'xor.json')
        >>> with open(path, 'w') as file:
        ...     json.dump({'data': {'name': 'xor'}, 'model': {'sizes': [2, 4, 1]}}, file)
        >>> loaded = spec.load(path)  # checked and normalised
        >>> loaded == spec.normalize({'data': {'name': 'xor'}, 'model': {'sizes': [2, 4, 1]}})
        True
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
        from ..data.registry import DATASETS

        if near is None and not os.path.lexists(text_path) and text_path in DATASETS:
            raise SpecPathError(  # `backprop sweep sine`: a data set where a spec goes
                f"{exc} {text_path!r} is a built-in data set, not a spec; a spec names it "
                f'in its data: a file (in Python, a dict) holding {{"data": "{text_path}"}}, '
                f"or a built-in spec ({', '.join(builtin_names())})."
            ) from None
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


def prepare(spec) -> Run:
    """Build every part of a run without training (``run`` = ``prepare`` + ``fit``).

    Examples:
        >>> from backprop import spec
        >>> ready = spec.prepare(spec.builtin('xor'))  # model, data, loss, optimizer: no training
        >>> type(ready.net).__name__, ready.dataset.name, type(ready.optimizer).__name__
        ('MLP', 'xor', 'Adam')
        >>> ready.history is None  # backprop.run = prepare + fit
        True
    """
    with _callers_stream_kept():
        return _prepare(spec)


@contextlib.contextmanager
def _callers_stream_kept():
    """The global random stream as the caller left it, afterwards (``torch.random.fork_rng``'s
    promise): building a spec's network seeds the stream with the spec's seed, so the
    weights are the seed's, but that was a side effect on the caller's next draws (after
    ``manual_seed(123)``, ``run("square")`` left the stream at seed 0's). Training draws
    nothing from the global stream (``fit`` has its own generator from the seed), so a run's
    numbers are the same with the stream put back."""
    from ..autograd.random import default_generator

    generator = default_generator()
    seed, state = generator.initial_seed(), generator.get_state()
    try:
        yield
    finally:
        generator.manual_seed(seed)
        generator.set_state(state)


def _prepare(spec) -> Run:
    from .setdefaults import open_settings

    filled = {} if isinstance(spec, str | os.PathLike) else open_settings(spec)
    spec = load(spec) if isinstance(spec, str | os.PathLike) else normalize(spec)
    dataset = dataset_for(spec)
    spec["data"]["standardize"] = dataset.scaler is not None  # what was done, never null
    if spec["batch_size"] is None and spec["data"]["csv"] is not None:
        spec["batch_size"] = min(CSV_BATCH_SIZE, max(1, len(dataset.x)))
    loss_spec = spec["loss"] or default_loss(dataset)
    spec["loss"] = loss_spec
    model = (MODEL_FOR.get() or model_for)(spec, dataset, loss_spec["name"])
    loss = loss_for(loss_spec)
    optimizer = optimizer_for(spec["optimizer"], model)
    scheduler = scheduler_for(spec["schedule"], optimizer)
    scaling = None
    if targets.wanted(spec, dataset):
        targets.check_foldable(model)
        scaling = targets.standardize(dataset, targets.training_rows(spec, dataset))
    r = Run(spec, model, dataset, loss, optimizer, None, scheduler, target_scaling=scaling)
    if filled:  # said by the run (Run.defaults_note), as the CLI says it for --data NAME
        r.extra["set_defaults"] = filled
    return r


def _spec_hint(key: str) -> str:
    """A sentence for run(key=...): the setting is the spec's (its place, when known)."""
    places = {
        "lr": "s['optimizer']['lr']",
        "activation": "s['model']['activation']",
        "hidden": "s['model']['sizes']",
        "sizes": "s['model']['sizes']",
        "optimizer": "s['optimizer']['name']",
    }
    places.update({k: f"s[{k!r}]" for k in ("epochs", "seed", "batch_size", "loss", "data")})
    where = places.get(key, "s[...]")
    return (
        " A run's settings are the spec's: s = backprop.spec.builtin('square');"
        f" {where} = ...; backprop.run(s)."
    )


@python_api("run", hint=_spec_hint)
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
    constant = getattr(r.dataset, "constant_columns", None)
    if constant:  # a CSV column with one value on the training rows carries nothing
        import warnings

        from ..errors import BackpropWarning

        warnings.warn(targets.constant_note(r.dataset, constant), BackpropWarning, stacklevel=2)
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
        r.net, r.dataset, r.loss, r.optimizer, epochs=s["epochs"], batch_size=s["batch_size"],
        validation=s["validation"], callbacks=cbs, seed=s["seed"], engine=s["engine"],
        scheduler=r.scheduler, verbose=verbose,
    )  # fmt: skip
    if r.diverged:  # a run's result is its best weights, not the last finite ones
        from ..train.guard import KEPT_BEFORE_BATCH, KEPT_BEFORE_UPDATE

        r.extra["kept"] = guard.restore_best()
        reason = r.history.stop_reason  # one statement of the weights kept: the run's
        for clause in (KEPT_BEFORE_BATCH, KEPT_BEFORE_UPDATE):
            reason = reason.replace(f"; {clause}.", ".")
        r.history.stop_reason = f"{reason} The run put back the {r.kept_weights().split(';')[0]}."
    if r.target_scaling is not None:  # the model predicts y's own units from here on
        targets.fold(r.net, r.dataset, r.target_scaling)
    return r
