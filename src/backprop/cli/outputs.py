"""What a finished run leaves in its output folder: model, spec, history, plots.

The files go into the partial folder of a ``spec.runfolder.RunFolder`` (see there: the
folder appears whole when the run is done, or not at all).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def save_run(run, out: Path, *, plots: bool = True) -> dict[str, Path]:
    """Write model.safetensors, spec.json, history.csv/json and the plots that fit the data."""
    from ..spec.runfolder import write_files

    written = write_files(run, out)
    if plots:
        written.update(save_plots(run, out))
    return written


def save_plots(run, out: Path) -> dict[str, Path]:
    """The plots that suit the run's data; skipped (with a note) without matplotlib."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return {}
    import warnings

    with warnings.catch_warnings():  # matplotlib's layout notes are no news to the user
        warnings.filterwarnings("ignore", r".*(constrained_layout|[Tt]ight.?layout)", UserWarning)
        return _plots(run, out)


def _history_in_cli_words(history) -> dict:
    """The history as loss_curves reads it, its stop reason (the plot's caption) in the
    CLI's words, as the terminal printed it: one source, each medium its own spelling."""
    from .words import cli_words

    data = history.to_dict()
    if data.get("stop_reason"):
        data["stop_reason"] = cli_words(data["stop_reason"])
    return data


def _plots(run, out: Path) -> dict[str, Path]:
    from .. import plots

    ds = run.dataset
    written = {}
    if len(run.history):  # a run that diverged in its first epoch has no curve to draw
        written["loss_plot"] = plots.loss_curves(
            _history_in_cli_words(run.history),
            out / "loss.png",
            title=run.spec["name"],
            loss=run.spec["loss"]["name"],
            validation=run.spec["validation"],
            target_z=_target_z(run),
        )
    if ds.task == "regression" and ds.n_features == 1:
        truth = _truth(ds.name)
        names = {}
        if (run.spec.get("data") or {}).get("csv") is not None:  # the CSV's own names
            names = {"x_name": ds.feature_names[0], "y_name": ds.target_names[0]}
        scaler = getattr(ds, "scaler", None)
        if scaler is not None:  # a CSV's, or a built-in set's with data.standardize: true
            mean, std = float(scaler.mean[0]), float(scaler.std[0])
            names["x_scaling"] = (mean, std)
            if truth is not None:  # the true function is of the raw x
                truth = (lambda f: lambda z: f(z * std + mean))(truth)
        written["fit_plot"] = plots.fit_1d(
            run.net, ds.x, ds.y, out / "fit.png", truth=truth, title=run.spec["name"], **names
        )
    elif ds.task == "classification" and ds.n_features == 2:
        written["boundary_plot"] = _boundary(run, out)
    elif ds.task == "classification":
        written.update(_class_plots(run, out))
    if sum(p.numel() for p in run.net.parameters()) <= 2000:
        written["network_plot"] = plots.network_diagram(
            run.net, out / "network.png", title=run.spec["name"], **_diagram_names(run)
        )
    return written


def _diagram_names(run) -> dict:
    """A CSV's column and class names for the network diagram (built-in data: the lecture's
    x₁ … and ŷ only); a binary classifier's one output is the logit of its second class."""
    if (run.spec.get("data") or {}).get("csv") is None:
        return {}
    ds = run.dataset
    outputs = list(ds.target_names)
    if ds.task == "classification" and len(outputs) == 2:
        outputs = [f"logit of P({outputs[1]})"]
    return {
        "input_names": ds.feature_names,
        "output_names": outputs,
        "standardised": getattr(ds, "scaler", None) is not None,
    }


def _target_z(run) -> str | None:
    """'price = 423.08 + 137.748·z' when the run trained on standardised targets."""
    scaling = getattr(run, "target_scaling", None)
    if scaling is None:
        return None
    names = list(run.dataset.target_names) or [f"y{i + 1}" for i in range(scaling.mean.size)]
    return scaling.describe(names)


def _boundary(run, out: Path) -> Path:
    """The 2-D classifier's decision regions. A CSV's are drawn in its own units, axes named
    by its columns and classes by its labels (the model still sees standardised inputs); a
    built-in set keeps the lecture's x₁, x₂ and class numbers."""
    from .. import plots

    ds = run.dataset
    x, x_test, transform, names = ds.x, ds.x_test, None, {}
    train, val = _validation_split(run)
    if (run.spec.get("data") or {}).get("csv") is not None:
        names = {"feature_names": ds.feature_names, "class_names": ds.target_names}
        scaler = getattr(ds, "scaler", None)
        if scaler is not None:  # back to the CSV's units; the grid goes through the scaler
            x = scaler.inverse_transform(ds.x)
            x_test = None if ds.x_test is None else scaler.inverse_transform(ds.x_test)
            transform = scaler.transform
    held = {} if val is None else {"x_val": x[val], "y_val": ds.y[val]}
    x, y = (x, ds.y) if train is None else (x[train], ds.y[train])
    return plots.decision_boundary(
        run.net, x, y, out / "boundary.png", x_test=x_test, y_test=ds.y_test,
        title=run.spec["name"], transform=transform, **held, **names,
    )  # fmt: skip


def _validation_split(run):
    """(training rows, validation rows) of ``validation: 0.2`` — the split ``fit`` made
    (same rows, seed and strata: ``train.inputs.validation_rows``) — or (None, None)."""
    import numpy as np

    fraction = run.spec.get("validation")
    if isinstance(fraction, bool) or not isinstance(fraction, int | float):
        return None, None
    from ..train.inputs import validation_rows

    y = np.asarray(run.dataset.y)
    labels = y if y.ndim == 1 else (y.argmax(1) if y.shape[1] > 1 else y[:, 0])
    return validation_rows(len(y), float(fraction), run.spec["seed"], labels)


def _class_plots(run, out: Path) -> dict[str, Path]:
    """A classifier of more than two inputs (no boundary to draw): the confusion matrix of
    the test set (else the validation rows of a ``validation: 0.2`` split, the rows the
    network never trained on; else the training set) and, when the rows are images
    (pixel_<r>_<c> features: the digits), the images it gets wrong."""
    from .. import plots
    from ..plots.classes import image_shape

    ds = run.dataset
    x, y, which = ds.x_test, ds.y_test, "test set"
    if x is None or y is None or len(y) == 0:  # no test set: the rows fit was given
        _, val = _validation_split(run)
        if val is None:
            x, y, which = ds.x, ds.y, "training set"
        else:  # the held-out rows, never mixed with the ones it trained on
            x, y, which = ds.x[val], ds.y[val], f"validation rows ({len(val):,} held out)"
    common = {
        "class_names": list(ds.target_names) or None,
        "loss": run.spec["loss"]["name"],
        "which": which,
    }
    written = {
        "confusion_plot": plots.confusion_matrix(run.net, x, y, out / "confusion.png", **common)
    }
    shape = image_shape(ds.feature_names)
    if shape is not None:
        scaler = getattr(ds, "scaler", None)
        images = x if scaler is None else scaler.inverse_transform(x)
        written["mistakes_plot"] = plots.misclassified(
            run.net, x, y, out / "misclassified.png", shape=shape, images=images, **common
        )
    return written


def _truth(name: str):
    return {
        "square": np.square,
        "abs": lambda x: np.abs(x - 1),
        "sine": np.sin,
    }.get(name)


def describe_files(written: dict[str, Path]) -> str:
    return "\n".join(f"  {key.replace('_', ' '):<14} {path}" for key, path in written.items())
