"""The lines ``backprop train`` and ``backprop demo`` print when a run ends: its metrics (of
the weights the files hold), the targets' scaling, how the task was chosen, the held-out
metrics when there is a split, and why it stopped."""

from __future__ import annotations


def final_line(result) -> str:
    """'name: N epochs; metrics' of the weights the files hold, then the stop reason."""
    import math

    from ..plural import counted
    from ..train.metrics import METRIC_NAMES

    h = result.history
    shown_epoch, kept = (h.epochs[-1] if h.epochs else None), ""
    epoch, loss = (getattr(result, "extra", None) or {}).get("kept") or (None, None)
    if h.diverged and epoch is not None:  # the metrics of the weights the files hold
        shown_epoch = epoch if epoch in h.epochs else None
        kept = f"kept epoch {epoch}: " if shown_epoch is not None else "kept the starting weights"
    row = None if shown_epoch is None else h.epochs.index(shown_epoch)
    logs = _values_at(h, shown_epoch)
    # 'loss' is the engine's, measured on the way through the last epoch (before its update:
    # history.csv's loss column); the other metrics are of the weights after it, the ones the
    # files hold (rmse² ≠ loss). Each is labelled so, the loss last.
    after = [f"{k} {logs[k]:.6g}" for k in METRIC_NAMES if k in logs and k != "loss"]
    parts = [", ".join(after)] if after else []
    if row is not None and h.diverged and loss is not None and math.isfinite(loss):
        parts.append(f"training loss {loss:.6g}")  # the guard's: of the weights kept
    elif "loss" in logs:
        last = "the last epoch" if shown_epoch == h.epochs[-1] else f"epoch {shown_epoch}"
        during = f"training loss {logs['loss']:.6g} during {last}"
        parts.append(during + (" (before its update)" if after else ""))
    if row is None and loss is not None and math.isfinite(loss):
        kept += f": loss {loss:.6g}"
    done = counted(len(h), "epoch") if len(h) else "no epoch finished"
    if not len(h) and result.spec.get("epochs") == 0:  # asked for: the network as initialised
        done = "not trained (epochs 0): the initial weights of seed " + str(result.spec["seed"])
    shown = kept + "; ".join(parts)
    text = f"{result.spec['name']}: {done}" + (f"; {shown}" if shown else "")
    scaling = getattr(result, "target_scaling", None)
    if scaling is not None:
        text += "\n" + _target_note(scaling, result.dataset.target_names, logs)
    data = result.spec.get("data") or {}
    if data.get("csv") and data.get("task") is None:  # the reader chose: say which, and how
        ds = result.dataset
        other = "regression" if ds.task == "classification" else "classification"
        what = f" ({ds.n_classes} classes)" if ds.task == "classification" else ""
        if ds.task == "classification" and not all(map(_numeric, ds.target_names)):
            # text labels ('big', 'small') are classes only: --task regression would fail
            text += f"\ntask: {ds.task}{what}, as the target column holds text labels"
        elif ds.task == "regression" and not _could_be_classes(ds):
            text += f"\ntask: {ds.task}, as the target column's values are continuous"
        else:
            text += (
                f"\ntask: {ds.task}{what}, inferred from the target column's values; "
                f"--task {other} to change it"
            )
    held_out = held_out_line(result)
    if held_out:
        text += "\n" + held_out
    from .lastepoch import last_epoch_note

    note = last_epoch_note(result)
    if note:
        text += "\n" + note
    if h.stop_reason:
        from .words import cli_words

        text += f"\nstopped: {cli_words(h.stop_reason)}"
    return text


def _could_be_classes(ds) -> bool:
    """Whether --task classification would accept this regression target (the CSV
    reader's rule, ``csvtable.Table._continuous_classes``, on every row read)."""
    import numpy as np

    from ..data.csvtable import MAX_INFERRED_CLASSES

    parts = [p for p in (ds.y, ds.y_test) if p is not None]
    values = np.concatenate([np.asarray(p).reshape(len(p), -1) for p in parts])
    if values.shape[1] != 1:  # several targets: regression only
        return False
    distinct = np.unique(values[:, 0])
    whole = bool(np.all(distinct == np.round(distinct)))
    count, rows = len(distinct), len(values)
    return 2 <= count <= rows // 2 and (whole or count <= MAX_INFERRED_CLASSES)


def _numeric(label: str) -> bool:
    try:
        float(label)
    except ValueError:
        return False
    return True


def _target_note(scaling, names, logs: dict) -> str:
    """How the run standardised its targets, and its rmse back in the targets' units."""
    names = list(names) or [f"y{i + 1}" for i in range(scaling.mean.size)]
    text = (
        f"targets: trained on standardised z ({scaling.describe(names)}), so loss and rmse "
        f"are in units of z; the model file predicts {', '.join(names)}"
    )
    if scaling.std.size == 1:  # one column: rmse scales exactly
        std = float(scaling.std[0])
        back = [f"{k} {logs[k] * std:.6g}" for k in ("rmse", "val_rmse") if k in logs]
        if back:
            text += f" ({', '.join(back)} in {names[0]}'s units)"
    return text


def _values_at(h, epoch) -> dict:
    """Every metric measured at ``epoch`` (full-set metrics are measured at some epochs only)."""
    if epoch is None:
        return {}
    values = {}
    for key, column in h.history.items():
        at = h.epochs_of(key) if hasattr(h, "epochs_of") else h.epochs
        if len(at) == len(column) and at and at[-1] == epoch:  # the usual case: the last one
            values[key] = column[-1]
        elif epoch in at:
            values[key] = column[at.index(epoch)]
    return values


def held_out_line(result) -> str | None:
    """The held-out (test) rows' metrics when the data has a split the run did not train
    on; when the run validated on them (``validation: "test"``), that its val_ metrics are
    those rows, so no one reads them as two checks."""
    ds = result.dataset
    if getattr(ds, "x_test", None) is None or not len(ds.x_test):
        return None
    rows = len(ds.x_test)
    if result.spec.get("validation") == "test":
        return (
            f"held out: val_… above are the {rows:,} test rows (validation: test), the rows "
            "the run never trained on; there is no other held-out check"
        )
    import numpy as np

    from .. import no_grad, tensor
    from ..train import metrics

    model = result.net  # the network as trained: it pairs with ds.x_test (z when standardised)
    dtype = next(iter(model.parameters())).dtype
    with no_grad():
        out = model(tensor(ds.x_test, dtype=dtype)).numpy().astype(np.float64)
    if ds.task == "classification":
        acc = metrics.accuracy(out, ds.y_test, (result.spec.get("loss") or {}).get("name"))
        shown = f"accuracy {acc:.4g}"
    else:
        root, r2 = metrics.regression_scores(out, ds.y_test)
        names = list(getattr(ds, "target_names", None) or [])
        units = f" (in {names[0]}'s units)" if result.target_scaling is not None and names else ""
        shown = f"rmse {root:.6g}{units}, r2 {r2:.4g}"
    return f"test: {shown} on the {rows:,} held-out rows the run never trained on"
