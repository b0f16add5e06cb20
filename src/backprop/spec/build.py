"""Turning a spec's parts into the objects a run needs (floor 5): its dataset, model, loss,
optimizer and schedule, each from the name registries, and the size checks made before any
work starts (``check_data``, ``check_size``: bounds in docs/reliability.md).

``runner.prepare``/``runner.run`` call these in order; the playground builds its models and
losses with them too, so a page, the CLI and the library cannot drift apart.
"""

from __future__ import annotations

import itertools

from .schema import fail

# A CSV's default minibatch: Adam's default lr 0.001 with 100 full-batch epochs is only 100
# steps, far too few for a typical tabular file (houses.csv: rmse 17 in price units where
# the noise is 5); minibatches of 32 give ≈ 5 steps per 160 rows and fit it in well under a
# second (rmse ≈ noise). Built-in sets keep their specs' own settings (the lecture's are
# full batch).
CSV_BATCH_SIZE = 32
# A CSV's Adam lr when the spec leaves it out: 0.01, chosen by ``benchmarks/csv_defaults.py``
# over eleven tables of 150-20,000 rows (scikit-learn's bundled sets as CSVs, houses.csv,
# scikit-learn's generators): against Adam's own 0.001 at the same 100 epochs of 32-row
# minibatches it lifted houses' rooms (5 classes) from test accuracy 0.32 to 0.78 (logistic
# regression 0.44), houses' price r² 0.990 -> 0.998, iris 0.947 -> 0.974, and lost on
# diabetes (0.483 -> 0.387; a small noisy set that every longer or faster run overfits).
# docs/cli.md has the table. Each run takes under 3 s, 20,000 rows included.
CSV_LR = 0.01
# A built-in set trained from flags alone (``backprop train --data NAME``, no spec file): the
# spec's defaults (Adam 0.001, 100 full-batch epochs) left square at r² −0.575 and abs at
# −0.82. These fit every built-in set in about a second (docs/cli.md has the table:
# square r² 0.999, spiral test accuracy 0.91, digits 0.94); the CLI fills in the ones the
# user did not give and says so. The lecture's sets train full batch, as the lecture does
# (its --lr 0.1 --epochs 10000 stays the lecture's run); the others in minibatches of 32, as a
# CSV. ``lr`` is Adam's (and AdamW's); other optimizers keep theirs.
BUILTIN_SET_DEFAULTS = {
    "lecture": {"lr": 0.01, "epochs": 2000, "batch_size": None},
    "other": {"lr": 0.01, "epochs": 500, "batch_size": 32},
}


def builtin_set_defaults(name: str) -> dict:
    """The training settings ``BUILTIN_SET_DEFAULTS`` gives the built-in set ``name``."""
    from ..data import DATASETS

    kind = DATASETS[name].kind if name in DATASETS else "other"
    return BUILTIN_SET_DEFAULTS["lecture" if kind == "lecture" else "other"]


def dataset_for(spec: dict):
    """Build (or load) the dataset a normalised spec names."""
    from .. import data as datasets
    from . import targets

    d = spec["data"]
    seed = spec["seed"] if d["seed"] is None else d["seed"]
    # loaded raw, then standardised here on the rows fit trains on (targets.training_rows:
    # a validation fraction's rows must not shape the scaler)
    if d["name"] is not None:
        keys = ("n", "noise", "train_ratio", "test_ratio")
        kwargs = {k: d[k] for k in keys if d[k] is not None}
        options = dict(d["options"])
        wanted = d["standardize"]
        if wanted is None:  # data.options.standardize, else the set's own default
            wanted = options.pop("standardize", None)
        options.pop("standardize", None)
        if wanted is not None and not isinstance(wanted, bool):
            raise fail("data.options.standardize", "must be true or false", wanted)
        dataset = datasets.make(d["name"], seed=seed, **kwargs, **options, standardize=False)
        if wanted is None:
            wanted = datasets.DATASETS[d["name"]].defaults.get("standardize", False)
    else:
        from .schema import MAX_SAMPLES

        # one row past the bound is enough for check_data to refuse: stop reading there
        kwargs = {"test_ratio": d["test_ratio"] or 0.0, "max_rows": MAX_SAMPLES + 1}
        dataset = datasets.from_csv(
            d["csv"], d["target"], features=d["features"], task=d["task"],
            standardize=False, seed=seed, **kwargs,
        )  # fmt: skip
        wanted = d["standardize"] is not False
        # a column with one value on the training rows: said by run, kept in the model file
        rows = targets.training_rows(spec, dataset)
        dataset.constant_columns = targets.constant_columns(dataset, rows)
    if wanted:
        targets.standardize_inputs(dataset, targets.training_rows(spec, dataset))
    return dataset


def default_loss(dataset) -> dict:
    if dataset.task == "regression":
        return {"name": "mse", "reduction": "mean", "options": {}}
    name = "bce_with_logits" if dataset.n_classes == 2 else "cross_entropy"
    return {"name": name, "reduction": "mean", "options": {}}


REGRESSION_LOSSES = ("mse", "half_mse", "l1", "huber")


def _outputs(dataset, loss_name: str) -> int:
    if dataset.task == "regression":
        return dataset.y.shape[1] if dataset.y.ndim == 2 else 1
    if loss_name in REGRESSION_LOSSES:  # fit would only say the targets' shape is wrong
        best = "bce_with_logits" if dataset.n_classes == 2 else "cross_entropy"
        raise fail(
            "loss.name",
            f"{loss_name} is a regression loss, but this dataset is a classification task "
            f"({dataset.n_classes} classes): use {best} (the default here) or cross_entropy",
            loss_name,
        )
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


# losses that read the model's output as (log-)probabilities, and the output that makes it so
_PROBABILITY_LOSSES = {
    "bce": ("sigmoid", "bce_with_logits"),
    "nll": ("log_softmax", "cross_entropy"),
}


def _check_output_for_loss(output: str | None, loss_name: str) -> None:
    """bce needs a sigmoid output, nll a log_softmax one: with the default identity output
    the loss reads raw scores as probabilities (bce fails on the first batch, nll falls
    without limit while accuracy stays at chance)."""
    if loss_name not in _PROBABILITY_LOSSES:
        return
    wanted, raw = _PROBABILITY_LOSSES[loss_name]
    if output != wanted:
        raise fail(
            "loss.name",
            f"{loss_name} reads the model's output as "
            f"{'probabilities' if loss_name == 'bce' else 'log-probabilities'}, but the model "
            f"ends with {output or 'identity'}: use {raw}, which takes the raw outputs (and "
            f"is stable), or set model.output_activation to {wanted}",
            loss_name,
        )


def model_for(spec: dict, dataset, loss_name: str):
    """Build the network the spec describes, sized to the data, initialised from the seed."""
    import backprop

    from .. import io
    from ..nn import Linear, init

    m = spec["model"]
    n_in, n_out = dataset.n_features, _outputs(dataset, loss_name)
    _check_output_for_loss(m["output_activation"], loss_name)
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
        hidden = list(m["hidden"])
        sizes = [n_in, *hidden, n_out]
        if hidden_names_every_size(hidden, n_in, n_out):
            import warnings

            from ..errors import BackpropWarning

            full = ",".join(map(str, hidden))
            warnings.warn(
                f"model.hidden [{full}] starts with the data's {n_in} input(s) and ends with its "
                f"{n_out} output(s), so the network is {'-'.join(map(str, sizes))}, with "
                f"{hidden[0]}-unit hidden layers at both ends; to give every size name them "
                f"all: model.sizes [{', '.join(map(str, hidden))}] in a spec (train's --layers "
                f"{full}; model.sizes={'x'.join(map(str, hidden))} in a sweep's grid).",
                BackpropWarning,
                stacklevel=2,
            )
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


def hidden_names_every_size(hidden: list, n_in: int, n_out: int) -> bool:
    """True when ``model.hidden`` looks like every size (``--hidden 1,8,8,1`` on one input
    and one output): the build warns and names ``model.sizes`` (``--layers``) as the fix,
    and the CLI's advice tries that fix first (``cli.fitcheck``)."""
    return len(hidden) >= 3 and hidden[0] == n_in and hidden[-1] == n_out and n_in <= 2
